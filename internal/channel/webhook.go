package channel

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/netguard"
)

// WebhookConfig configures an outbound webhook.
type WebhookConfig struct {
	URL     string // where messages are POSTed
	Secret  string // signing secret shared with the receiver
	Conns   int    // idle connections kept; default 64
	Timeout time.Duration
	Clock   guanxi.Clock // X-Guanxi-Timestamp; default the system clock

	// AllowPrivateNetwork lets the webhook reach loopback, private and
	// CGNAT addresses; see internal/netguard.
	AllowPrivateNetwork bool
}

// Webhook POSTs each message as JSON (a WebhookPayload), signed the way
// internal/webhook checks inbound deliveries:
//
//	X-Guanxi-Timestamp: unix seconds
//	X-Guanxi-Delivery:  the idempotency key, or a random id
//	X-Guanxi-Signature: "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body))
//
// Any 2xx answer accepts the message; the X-Message-Id response header or a
// JSON {"id": ...} becomes the result id, else the delivery id.
type Webhook struct {
	cfg    WebhookConfig
	client *http.Client
}

// WebhookPayload is the JSON body of an outbound webhook.
type WebhookPayload struct {
	To             string            `json:"to"`
	Subject        string            `json:"subject,omitempty"`
	Text           string            `json:"text,omitempty"`
	HTML           string            `json:"html,omitempty"`
	Template       string            `json:"template,omitempty"`
	Params         map[string]string `json:"params,omitempty"`
	URL            string            `json:"url,omitempty"`
	Marketing      bool              `json:"marketing,omitempty"`
	IdempotencyKey string            `json:"idempotency_key,omitempty"`
	UnsubscribeURL string            `json:"unsubscribe_url,omitempty"`
}

// NewWebhook returns a Webhook for cfg, or an EINVALID error when the URL is
// not http(s) or the secret is empty.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, guanxi.Errorf(guanxi.EINVALID, "webhook: %q is not an http(s) URL", cfg.URL)
	}
	if err := netguard.CheckURL("webhook: URL", cfg.URL, cfg.AllowPrivateNetwork); err != nil {
		return nil, err
	}
	if cfg.Secret == "" {
		return nil, guanxi.Errorf(guanxi.EINVALID, "webhook: a signing secret is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = guanxi.SystemClock{}
	}
	return &Webhook{cfg: cfg, client: newHTTPClient(cfg.Conns, cfg.Timeout, cfg.AllowPrivateNetwork)}, nil
}

// SignWebhook returns the X-Guanxi-Signature of a body: the scheme of
// webhook.Sign.
func SignWebhook(secret string, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(timestamp, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Send POSTs m. A 2xx answer is success; 408, 429 and 5xx are temporary
// *Errors, other statuses permanent; a delivery id that is not printable
// ASCII is an EINVALID error.
func (h *Webhook) Send(ctx context.Context, m Message) (Result, error) {
	delivery := m.IdempotencyKey
	if delivery == "" {
		delivery = nonce()
	}
	if len(delivery) > 200 || hasCRLF(delivery) {
		return Result{}, guanxi.Errorf(guanxi.EINVALID, "webhook: idempotency key must be at most 200 characters on one line")
	}
	body, err := json.Marshal(WebhookPayload{
		To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML, Template: m.Template, Params: m.Params,
		URL: m.URL, Marketing: m.Marketing, IdempotencyKey: m.IdempotencyKey, UnsubscribeURL: m.UnsubscribeURL,
	})
	if err != nil {
		return Result{}, fmt.Errorf("webhook: encode message: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return Result{}, fmt.Errorf("webhook: request: %w", err)
	}
	ts := h.cfg.Clock.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Guanxi-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Guanxi-Delivery", delivery)
	req.Header.Set("X-Guanxi-Signature", SignWebhook(h.cfg.Secret, ts, body))
	resp, err := h.client.Do(req)
	if err != nil {
		return Result{}, transportError(ctx, "webhook", err)
	}
	var out struct {
		ID string `json:"id"`
	}
	raw, err := readAll(resp)
	if err != nil {
		return Result{}, transportError(ctx, "webhook", err)
	}
	if resp.StatusCode/100 != 2 {
		return Result{}, statusError("webhook", resp.StatusCode, raw)
	}
	id := resp.Header.Get("X-Message-Id")
	if id == "" && json.Unmarshal(raw, &out) == nil {
		id = out.ID
	}
	if id == "" {
		id = delivery
	}
	return Result{ID: id}, nil
}
