package api

import (
	"context"
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/width"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/channel"
	"github.com/guanxi-crm/guanxi/internal/webhook"
)

// Provider callbacks, under /api/v1 and without a token: each request is
// signed the way the shop's provider signs (the SMS gateway's scheme for
// sms, the outbound webhook's for webhook), with the secret in the shop's
// channel settings, and refused with 401 when the signature is wrong or
// its timestamp is more than webhook.Window from the server's clock.
const (
	smsInboundPath = "/channels/sms/{shop}/inbound"
	receiptsPath   = "/channels/{channel}/{shop}/receipts"
)

// maxReceipts bounds the delivery reports of one request.
const maxReceipts = 1000

// callback runs a provider callback, turning its error into the error
// object; internal errors are logged here, once.
func (a *API) callback(h func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if err := h(w, r); err != nil {
			if guanxi.ErrorCode(err) == guanxi.EINTERNAL {
				a.cfg.Log.Error("channel callback failed", "path", r.URL.Path, "err", err)
			}
			writeError(w, err)
		}
	}
}

// refused is the answer to a callback whose signature does not hold.
func refused(format string, args ...any) error {
	return guanxi.Errorf(guanxi.EUNAUTH, "callback refused: "+format, args...)
}

// verified reads a callback's body and checks its signature with the
// settings of channel ch of the shop named by the {shop} path value. An
// unknown shop, or one without the channel, is refused like a bad
// signature: the answer does not tell which shops exist.
func (a *API) verified(w http.ResponseWriter, r *http.Request, ch string) (int64, []byte, error) {
	body, err := readBody(w, r)
	if err != nil {
		return 0, nil, err
	}
	ctx := r.Context()
	ts, err := strconv.ParseInt(r.Header.Get(timestampHeader(ch)), 10, 64)
	if err != nil {
		return 0, nil, refused("%s must be unix seconds", timestampHeader(ch))
	}
	now := a.cfg.Clock.Now()
	if skew := now.Sub(time.Unix(ts, 0)); skew > webhook.Window || skew < -webhook.Window {
		return 0, nil, refused("%s %d is more than %s from the server's time %d", timestampHeader(ch), ts, webhook.Window, now.Unix())
	}
	var shopID int64
	var st *campaign.ChannelSettings
	sh, err := a.cfg.Shops.ByCode(ctx, r.PathValue("shop"))
	switch {
	case err == nil:
		shopID = sh.ID
		if st, err = a.cfg.Campaigns.ChannelSettings(ctx, sh.ID, ch); err != nil {
			return 0, nil, err
		}
	case guanxi.ErrorCode(err) != guanxi.ENOTFOUND && guanxi.ErrorCode(err) != guanxi.EINVALID:
		return 0, nil, err
	}
	// Compare even without a secret, so that an unknown shop answers like a
	// wrong signature, in about the same time.
	secret, want, got := "\x00no secret", "", ""
	switch ch {
	case campaign.SMS:
		key := r.Header.Get("X-App-Key")
		if st != nil && st.SMS != nil && st.SMS.AppSecret != "" && hmac.Equal([]byte(key), []byte(st.SMS.AppKey)) {
			secret = st.SMS.AppSecret
		}
		want, got = channel.SignSMS(secret, strconv.FormatInt(ts, 10), r.Header.Get("X-Nonce"), body), r.Header.Get("X-Signature")
	case campaign.Webhook:
		if st != nil && st.Webhook != nil && st.Webhook.Secret != "" {
			secret = st.Webhook.Secret
		}
		want, got = strings.TrimPrefix(channel.SignWebhook(secret, ts, body), "sha256="), r.Header.Get("X-Guanxi-Signature")
		got, _ = strings.CutPrefix(got, "sha256=")
	}
	wb, _ := hex.DecodeString(want)
	gb, herr := hex.DecodeString(got)
	if herr != nil || !hmac.Equal(gb, wb) || secret == "\x00no secret" || shopID == 0 {
		return 0, nil, refused("bad signature")
	}
	return shopID, body, nil
}

func timestampHeader(ch string) string {
	if ch == campaign.Webhook {
		return "X-Guanxi-Timestamp"
	}
	return "X-Timestamp"
}

// readBody reads a request body of at most maxBody bytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, jsonError(err)
		}
		return nil, guanxi.Errorf(guanxi.EINVALID, "body: could not be read: %v", err)
	}
	return b, nil
}

// inboundSMS is a reply a customer texted to the shop's number.
type inboundSMS struct {
	Phone   string `json:"phone"`
	Content string `json:"content"`
}

// isOptOut reports whether an SMS reply withdraws consent: T, TD, N or 退订,
// trimmed, in any case and in full-width letters too.
func isOptOut(content string) bool {
	switch strings.ToUpper(width.Fold.String(strings.TrimSpace(content))) {
	case "T", "TD", "N", "退订":
		return true
	}
	return false
}

// smsInbound: POST /channels/sms/{shop}/inbound, a reply from a customer
// forwarded by the SMS gateway. An opt-out reply (回T退订) withdraws SMS
// marketing consent of every customer with that mobile at once; any other
// reply is acknowledged and changes nothing. Fields other than phone and
// content are ignored.
func (a *API) smsInbound(w http.ResponseWriter, r *http.Request) error {
	shopID, body, err := a.verified(w, r, campaign.SMS)
	if err != nil {
		return err
	}
	var in inboundSMS
	if err := json.Unmarshal(body, &in); err != nil {
		return jsonError(err)
	}
	if strings.TrimSpace(in.Phone) == "" {
		return guanxi.Errorf(guanxi.EINVALID, "phone: required")
	}
	out := struct {
		OptOut    bool `json:"opt_out"`
		Customers int  `json:"customers"`
	}{OptOut: isOptOut(in.Content)}
	if out.OptOut {
		ctx, cancel := withTimeout(r)
		defer cancel()
		n, err := a.cfg.Campaigns.OptOut(ctx, shopID, campaign.SMS, in.Phone, "sms-reply:"+strings.TrimSpace(in.Content))
		if err != nil {
			return err
		}
		out.Customers = n
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// receiptIn is one delivery report.
type receiptIn struct {
	Key    string `json:"key"`    // the message's idempotency key, as sent
	Status string `json:"status"` // delivered, failed or bounced
	Detail string `json:"detail"`
}

type receiptOut struct {
	Key    string `json:"key"`
	Result string `json:"result"` // recorded or refused
	Error  string `json:"error,omitempty"`
}

// receipts: POST /channels/{channel}/{shop}/receipts, the provider's
// delivery reports, for sms and webhook. Each is recorded on its message by
// the key it was sent with; a bounce withdraws consent at once. A report
// that cannot be recorded (unknown key, another channel's message, a bad
// status) is answered as refused without failing the others, so the
// provider does not resend the batch for it.
func (a *API) receipts(w http.ResponseWriter, r *http.Request) error {
	ch := r.PathValue("channel")
	if ch != campaign.SMS && ch != campaign.Webhook {
		return guanxi.Errorf(guanxi.ENOTFOUND, "no delivery reports for channel %q: sms and webhook send them here", ch)
	}
	shopID, body, err := a.verified(w, r, ch)
	if err != nil {
		return err
	}
	var in []receiptIn
	if err := json.Unmarshal(body, &in); err != nil {
		return jsonError(err)
	}
	if len(in) == 0 || len(in) > maxReceipts {
		return guanxi.Errorf(guanxi.EINVALID, "body: an array of 1 to %d reports is expected", maxReceipts)
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	channels := map[int64]string{} // campaign → its channel
	out := make([]receiptOut, len(in))
	for i, rc := range in {
		out[i] = receiptOut{Key: rc.Key, Result: "recorded"}
		err := a.receipt(ctx, shopID, ch, rc, channels)
		if guanxi.ErrorCode(err) == guanxi.EINTERNAL {
			return err // the provider sends the batch again; recording twice changes nothing
		}
		if err != nil {
			out[i].Result, out[i].Error = "refused", guanxi.ErrorMessage(err)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"receipts": out})
	return nil
}

// receipt records one report after checking that its message went out on
// channel ch.
func (a *API) receipt(ctx context.Context, shopID int64, ch string, rc receiptIn, channels map[int64]string) error {
	var sh, cid, cust int64
	if _, err := fmt.Sscanf(rc.Key, "gx-%d-%d-%d", &sh, &cid, &cust); err != nil || sh != shopID {
		return guanxi.Errorf(guanxi.EINVALID, "key: %q is not a message key of this shop", rc.Key)
	}
	got, ok := channels[cid]
	if !ok {
		c, err := a.cfg.Campaigns.Get(ctx, shopID, cid)
		if err != nil {
			return err
		}
		got, channels[cid] = c.Channel, c.Channel
	}
	if got != ch {
		return guanxi.Errorf(guanxi.EINVALID, "key: %q was sent by %s, not %s", rc.Key, got, ch)
	}
	return a.cfg.Campaigns.Receipt(ctx, shopID, rc.Key, rc.Status, rc.Detail)
}
