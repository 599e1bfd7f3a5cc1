package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/demo"
	"github.com/guanxi-crm/guanxi/internal/orderfile"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// DemoShop is the code of the demo shop.
const DemoShop = "demo"

// SeedDemo creates the demo shop — generated customers and orders over the
// two years to today, imported through the real importer — and an admin
// login, unless the database already has a demo shop. The admin password
// is adminPassword, or generated and printed once to out.
func (a *App) SeedDemo(ctx context.Context, adminPassword string, out io.Writer) error {
	if _, err := a.Shops.ByCode(ctx, DemoShop); err == nil {
		a.Log.Info("demo shop exists; leaving it as it is")
		return nil
	} else if guanxi.ErrorCode(err) != guanxi.ENOTFOUND {
		return err
	}
	sh := &shop.Shop{Code: DemoShop, Name: "关系演示店", Currency: "CNY", Timezone: "Asia/Shanghai"}
	if err := a.Shops.Create(ctx, sh); err != nil {
		return err
	}
	fmt.Fprintln(out, "Creating the demo shop (about 20,000 customers and 60,000 orders)…")
	cfg := demo.DefaultConfig(a.Clock.Now().In(sh.Location()))
	gctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the generator if the import fails half-way
	sum, err := a.Importer.ImportRecords(ctx, sh, "demo", pull(gctx, func(emit func(*orderfile.Record) error) error {
		return demo.Generate(cfg, emit)
	}))
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	var ds []customer.Demographics
	for _, p := range demo.Profiles(cfg) {
		ds = append(ds, customer.Demographics{Platform: p.Platform, Key: p.Key, Gender: p.Gender, Birthday: p.Birthday, Tags: p.Tags})
	}
	if err := a.DB.Update(ctx, func(tx *store.Tx) error {
		return customer.SetDemographics(ctx, tx, sh.ID, ds, a.Clock.Now().Unix())
	}); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(out, "Demo shop %q: %d orders, %d customers (%d merged across platforms) in %.1fs.\n",
		sh.Code, sum.OrdersCreated, sum.CustomersCreated-sum.CustomersMerged, sum.CustomersMerged, sum.Seconds)
	res, err := a.Scores.Run(ctx, sh, a.Clock.Now().In(sh.Location()))
	if err != nil {
		return fmt.Errorf("demo: score: %w", err)
	}
	fmt.Fprintf(out, "Scored %d customers as of %s in %.1fs.\n", res.Customers, res.AsOf, res.Seconds)

	generated := adminPassword == ""
	if generated {
		adminPassword = randomPassword()
	}
	u, err := a.Auth.ByUsername(ctx, "admin")
	if guanxi.ErrorCode(err) == guanxi.ENOTFOUND {
		if u, err = a.Auth.CreateUser(ctx, "admin", "管理员", adminPassword); err != nil {
			return fmt.Errorf("demo admin: %w", err)
		}
		if generated {
			fmt.Fprintf(out, "Sign in as admin with password %s (shown once; change it with 'guanxi user set-password --username admin').\n", adminPassword)
		} else {
			fmt.Fprintln(out, "Sign in as admin with the password from GUANXI_ADMIN_PASSWORD.")
		}
	} else if err != nil {
		return err
	} else {
		fmt.Fprintln(out, "User admin exists already: sign in with its password.")
	}
	return a.Auth.Grant(ctx, u.ID, sh.ID, auth.RoleAdmin)
}

// pull turns a push-style generator into the pull-style function the
// importer reads, running the generator on its own goroutine.
func pull(ctx context.Context, gen func(emit func(*orderfile.Record) error) error) func() (*orderfile.Record, error) {
	ch := make(chan *orderfile.Record, 256)
	errc := make(chan error, 1)
	go func() {
		defer close(ch)
		errc <- gen(func(r *orderfile.Record) error {
			select {
			case ch <- r:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	return func() (*orderfile.Record, error) {
		r, ok := <-ch
		if ok {
			return r, nil
		}
		if err := <-errc; err != nil {
			errc <- err
			return nil, err
		}
		errc <- nil
		return nil, io.EOF
	}
}

// randomPassword returns 26 random base32 characters (130 bits).
func randomPassword() string { return rand.Text() }
