package app

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/guanxi-crm/guanxi/internal/auth"
)

// CreateToken makes an API token for the shop and prints it, once.
func (a *App) CreateToken(ctx context.Context, shopCode, name, scopes string, out io.Writer) error {
	sh, err := a.Shop(ctx, shopCode)
	if err != nil {
		return err
	}
	sc, err := auth.ParseScopes(scopes)
	if err != nil {
		return err
	}
	plain, t, err := a.Auth.CreateToken(ctx, sh.ID, name, sc, nil)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "token %d %q for shop %s, scopes %s:\n%s\n(shown once: keep it; send it as Authorization: Bearer …)\n",
		t.ID, t.Name, sh.Code, strings.Join(t.Scopes, " "), plain)
	return err
}

// ListTokens prints the shop's API tokens (never the tokens themselves).
func (a *App) ListTokens(ctx context.Context, shopCode string, out io.Writer) error {
	sh, err := a.Shop(ctx, shopCode)
	if err != nil {
		return err
	}
	ts, err := a.Auth.Tokens(ctx, sh.ID)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "id\tname\tscopes\tcreated\tlast used\trevoked")
	for _, t := range ts {
		used, revoked := "-", "-"
		if t.LastUsedAt != nil {
			used = t.LastUsedAt.Format("2006-01-02 15:04")
		}
		if t.RevokedAt != nil {
			revoked = t.RevokedAt.Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, strings.Join(t.Scopes, " "), t.CreatedAt.Format("2006-01-02 15:04"), used, revoked)
	}
	return tw.Flush()
}

// RevokeToken ends one of the shop's API tokens at once.
func (a *App) RevokeToken(ctx context.Context, shopCode string, id int64, out io.Writer) error {
	sh, err := a.Shop(ctx, shopCode)
	if err != nil {
		return err
	}
	if err := a.Auth.RevokeToken(ctx, sh.ID, id); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "token %d of shop %s revoked\n", id, sh.Code)
	return err
}
