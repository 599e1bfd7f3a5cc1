package app

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/guanxi-crm/guanxi/internal/auth"
)

// CreateUser adds a user and, when shopCode is set, gives them role there.
func (a *App) CreateUser(ctx context.Context, username, display, password, shopCode, role string, out io.Writer) error {
	if shopCode != "" && !auth.Role(role).Valid() {
		return fmt.Errorf("--role %q: use admin, agent, care or analyst", role)
	}
	u, err := a.Auth.CreateUser(ctx, username, display, password)
	if err != nil {
		return err
	}
	if shopCode != "" {
		sh, err := a.Shop(ctx, shopCode)
		if err != nil {
			return err
		}
		if err := a.Auth.Grant(ctx, u.ID, sh.ID, auth.Role(role)); err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "created user %s (%s in shop %s)\n", u.Username, role, sh.Code)
		return err
	}
	_, err = fmt.Fprintf(out, "created user %s\n", u.Username)
	return err
}

// GrantRole gives an existing user a role in a shop.
func (a *App) GrantRole(ctx context.Context, username, shopCode, role string, out io.Writer) error {
	u, err := a.Auth.ByUsername(ctx, username)
	if err != nil {
		return err
	}
	sh, err := a.Shop(ctx, shopCode)
	if err != nil {
		return err
	}
	if err := a.Auth.Grant(ctx, u.ID, sh.ID, auth.Role(role)); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "user %s is %s in shop %s\n", u.Username, role, sh.Code)
	return err
}

// ListUsers prints every user with their shops and roles.
func (a *App) ListUsers(ctx context.Context, out io.Writer) error {
	users, err := a.Auth.Users(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USERNAME\tNAME\tSHOPS\tCREATED")
	for _, u := range users {
		ms, err := a.Auth.Memberships(ctx, u.ID)
		if err != nil {
			return err
		}
		shops := ""
		for i, m := range ms {
			if i > 0 {
				shops += ", "
			}
			shops += m.ShopCode + ":" + string(m.Role)
		}
		if shops == "" {
			shops = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Username, u.DisplayName, shops, u.CreatedAt.Format("2006-01-02"))
	}
	return tw.Flush()
}

// SetPassword replaces a user's password.
func (a *App) SetPassword(ctx context.Context, username, password string, out io.Writer) error {
	if err := a.Auth.SetPassword(ctx, username, password); err != nil {
		return err
	}
	_, err := fmt.Fprintf(out, "password of %s changed; their sessions are signed out\n", username)
	return err
}

// ResetTOTP turns off a user's second factor.
func (a *App) ResetTOTP(ctx context.Context, username string, out io.Writer) error {
	if err := a.Auth.ResetTOTP(ctx, username); err != nil {
		return err
	}
	_, err := fmt.Fprintf(out, "two-step verification of %s is off; their sessions are signed out\n", username)
	return err
}
