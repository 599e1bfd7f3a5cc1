package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/demo"
	"github.com/guanxi-crm/guanxi/internal/orderfile"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// DemoShop is the code of the demo shop.
const DemoShop = "demo"

// SeedDemo creates the demo shop — generated customers and orders over the
// two years to today, imported through the real importer; its marketing,
// help centre and service team's last 90 days (service_demo.go) — and an
// admin login, unless the database already has a demo shop. The admin
// password is adminPassword, or generated and printed once to out; the
// service team's passwords are generated and printed once.
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
	if err := a.seedDemoMarketing(ctx, sh); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := a.seedDemoKB(ctx, sh); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := a.seedDemoService(ctx, sh, out); err != nil {
		return fmt.Errorf("demo: service: %w", err)
	}

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

// seedDemoMarketing gives the demo shop what its marketing pages need:
// consent as a shop would have collected it (7 in 10 customers with a
// mobile agreed to SMS marketing, 1 in 10 withdrew; the same for e-mail),
// the points of every order, two saved segments and a draft campaign to
// preview. No channel is configured: nothing can be sent from the demo.
func (a *App) seedDemoMarketing(ctx context.Context, sh *shop.Shop) error {
	now := a.Clock.Now().Unix()
	err := a.DB.Update(ctx, func(tx *store.Tx) error {
		for _, ch := range []struct{ name, col string }{{"sms", "phone"}, {"email", "email"}} {
			_, err := tx.Exec(ctx, `INSERT INTO customer_consents (shop_id, customer_id, channel, purpose, granted, source, at)
SELECT shop_id, id, ?, 'marketing', id % 10 < 7, 'demo', ? FROM customers c
WHERE shop_id = ? AND merged_into IS NULL AND id % 10 < 8
AND EXISTS (SELECT 1 FROM customer_identities i WHERE i.shop_id = c.shop_id AND i.customer_id = c.id AND i.platform = '' AND i.kind = ?)
ON CONFLICT (shop_id, customer_id, channel, purpose) DO NOTHING`, ch.name, now, sh.ID, ch.col)
			if err != nil {
				return fmt.Errorf("consent: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if _, _, err := a.Loyalty.EarnPending(ctx, sh.ID); err != nil {
		return fmt.Errorf("points: %w", err)
	}
	var first int64
	for _, s := range []struct{ name, rule string }{
		{"重要挽留客户", `{"field":"segment_cn","op":"eq","value":"重要挽留客户"}`},
		{"广东老客（两单以上）", `{"all":[{"field":"province","op":"eq","value":"广东"},{"field":"orders_count","op":"gte","value":2}]}`},
	} {
		r, err := segment.ParseRule([]byte(s.rule))
		if err != nil {
			return err
		}
		seg := &segment.Segment{Name: s.name, Rule: r}
		if err := a.Segments.Create(ctx, sh.ID, seg); err != nil {
			return fmt.Errorf("segment %s: %w", s.name, err)
		}
		if first == 0 {
			first = seg.ID
		}
	}
	c := &campaign.Campaign{Name: "老客召回 · 短信", Theme: "重要挽留客户回购", Channel: campaign.SMS, SegmentID: first,
		Body: "{{name|亲}}，好久不见！{{shop}}为您准备了回归礼，{{product|新品}}正在热卖。", HoldoutShare: campaign.DefaultHoldout, CostPerMessage: 5}
	if err := a.Campaigns.Create(ctx, sh.ID, c); err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	return nil
}
