package main

import (
	"context"
	"io"
	"strconv"

	"github.com/guanxi-crm/guanxi/internal/app"
)

const privacyUsage = `Usage:
  guanxi privacy export    [--db DSN] --shop CODE --customer ID --format json|csv --out PATH --reason TEXT
  guanxi privacy erase     [--db DSN] --shop CODE --customer ID --reason TEXT
  guanxi privacy retention [--db DSN] --shop CODE

export writes everything held on a customer (JSON, or a zip of CSV files);
erase removes their personal data for good, keeping the shop's figures;
retention applies the shop's retention limits now. Each is audited.
`

func cmdPrivacy(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	if done, err := needsHelp(args, stdout, privacyUsage); done {
		return err
	}
	sub := args[0]
	fs := newFlags("privacy "+sub, "privacy "+sub+" [--db DSN] --shop CODE …", stdout, stderr)
	dbo := dbFlags(fs)
	shopCode := fs.String("shop", "", "shop code")
	customer := fs.String("customer", "", "customer id")
	format := fs.String("format", "json", "export: json or csv (a zip of CSV files)")
	out := fs.String("out", "", "export: output file")
	reason := fs.String("reason", "", "why (kept in the audit log), e.g. the customer's request of 5 May")
	if err := parse(fs, args[1:], stdout); err != nil {
		return err
	}
	id, err := strconv.ParseInt(*customer, 10, 64)
	switch {
	case *shopCode == "":
	case sub == "retention":
		return dbo.run(ctx, stderr, func(a *app.App) error { return a.PrivacyRetention(ctx, *shopCode, stdout) })
	case err != nil || id <= 0:
	case sub == "export" && *out != "":
		return dbo.run(ctx, stderr, func(a *app.App) error {
			return a.PrivacyExport(ctx, *shopCode, id, *format, *out, *reason, stdout)
		})
	case sub == "erase":
		return dbo.run(ctx, stderr, func(a *app.App) error { return a.PrivacyErase(ctx, *shopCode, id, *reason, stdout) })
	}
	fs.Usage()
	return errUsage
}
