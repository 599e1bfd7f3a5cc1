package app

import (
	"context"
	"fmt"
	"io"

	"github.com/guanxi-crm/guanxi/internal/webhook"
)

// RotateWebhookSecret makes a new signing secret for the shop's inbound
// order webhook, replacing the old one at once, and prints it: the only
// time it is shown.
func (a *App) RotateWebhookSecret(ctx context.Context, shopCode string, out io.Writer) error {
	sh, err := a.Shop(ctx, shopCode)
	if err != nil {
		return err
	}
	secret, err := webhook.NewService(a.DB, a.Clock).Rotate(ctx, sh.ID)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, `webhook secret for shop %s:
%s
(shown once: keep it; any previous secret no longer works)
POST orders to /api/v1/webhooks/orders/%s with headers
  X-Guanxi-Timestamp: unix seconds (within %s of this server's clock)
  X-Guanxi-Delivery:  a unique id per delivery
  X-Guanxi-Signature: sha256=hex(HMAC-SHA256(secret, timestamp + "." + body))
`, sh.Code, secret, sh.Code, webhook.Window)
	return err
}
