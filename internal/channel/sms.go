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
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/netguard"
)

// OptOut is the opt-out text every marketing SMS in China must carry.
const OptOut = "回T退订"

// SMSConfig configures an SMS sender on an HTTP gateway.
type SMSConfig struct {
	Endpoint  string // URL the JSON request is POSTed to
	AppKey    string
	AppSecret string
	SignName  string // 签名, with or without brackets: "西湖茶庄" or "【西湖茶庄】"

	// TemporaryCodes are the gateway's answer codes that mean "try again
	// later" (throttling, a busy upstream); other codes than OK are
	// permanent. Default: DefaultTemporarySMSCodes.
	TemporaryCodes []string

	Conns   int           // concurrent senders expected: idle connections kept per host; default 64
	Timeout time.Duration // per request; default 15s
	Clock   guanxi.Clock  // timestamp of the signature; default the system clock

	// AllowPrivateNetwork lets the sender reach loopback, private and CGNAT
	// addresses (an on-premise gateway); see internal/netguard.
	AllowPrivateNetwork bool
}

// DefaultTemporarySMSCodes are the gateway codes treated as temporary when
// SMSConfig.TemporaryCodes is empty.
var DefaultTemporarySMSCodes = []string{"THROTTLED", "RATE_LIMITED", "SYSTEM_BUSY", "UPSTREAM_TIMEOUT", "INTERNAL_ERROR"}

// SMS sends text messages through an HTTP gateway. Each request is signed:
//
//	X-App-Key:    the app key
//	X-Timestamp:  unix seconds
//	X-Nonce:      32 random hex digits
//	X-Signature:  hex(HMAC-SHA256(secret, timestamp + "\n" + nonce + "\n" + body))
//
// and carries a JSON SMSRequest; the gateway answers with a JSON SMSResponse.
type SMS struct {
	cfg    SMSConfig
	sign   string // the sign name in brackets
	client *http.Client
}

// SMSRequest is the body POSTed to the gateway.
type SMSRequest struct {
	Phone          string            `json:"phone"`
	SignName       string            `json:"sign_name"`
	Content        string            `json:"content,omitempty"` // sign name + text (+ opt-out)
	TemplateID     string            `json:"template_id,omitempty"`
	Params         map[string]string `json:"params,omitempty"`
	Marketing      bool              `json:"marketing,omitempty"`
	IdempotencyKey string            `json:"idempotency_key,omitempty"`
}

// SMSResponse is the gateway's answer: Code "OK" with the message id, or
// an error code and message.
type SMSResponse struct {
	Code      string `json:"code"`
	Message   string `json:"message,omitempty"`
	MessageID string `json:"message_id,omitempty"`
}

// NewSMS returns an SMS sender for cfg, or an EINVALID error when the
// endpoint, credentials or sign name are missing.
func NewSMS(cfg SMSConfig) (*SMS, error) {
	if !strings.HasPrefix(cfg.Endpoint, "http://") && !strings.HasPrefix(cfg.Endpoint, "https://") {
		return nil, guanxi.Errorf(guanxi.EINVALID, "sms: gateway endpoint %q must be an http(s) URL", cfg.Endpoint)
	}
	if err := netguard.CheckURL("sms: gateway endpoint", cfg.Endpoint, cfg.AllowPrivateNetwork); err != nil {
		return nil, err
	}
	if cfg.AppKey == "" || cfg.AppSecret == "" {
		return nil, guanxi.Errorf(guanxi.EINVALID, "sms: gateway app key and secret are required")
	}
	name := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(cfg.SignName), "【"), "】")
	if name == "" {
		return nil, guanxi.Errorf(guanxi.EINVALID, "sms: a sign name (签名) is required")
	}
	if len(cfg.TemporaryCodes) == 0 {
		cfg.TemporaryCodes = DefaultTemporarySMSCodes
	}
	if cfg.Clock == nil {
		cfg.Clock = guanxi.SystemClock{}
	}
	return &SMS{cfg: cfg, sign: "【" + name + "】", client: newHTTPClient(cfg.Conns, cfg.Timeout, cfg.AllowPrivateNetwork)}, nil
}

// SignSMS returns the X-Signature of a gateway request: what the sender
// computes and the gateway checks.
func SignSMS(secret, timestamp, nonce string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'\n'})
	m.Write([]byte(nonce))
	m.Write([]byte{'\n'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Content returns the text an SMS carries for m: the sign name, the text and,
// for a marketing message that lacks it, the opt-out text OptOut.
func (s *SMS) Content(m Message) string {
	if m.Text == "" {
		return ""
	}
	text := m.Text
	if !strings.HasPrefix(text, s.sign) {
		text = s.sign + text
	}
	if m.Marketing && !strings.Contains(text, OptOut) && !strings.Contains(text, "回TD退订") {
		text += " " + OptOut
	}
	return text
}

// Send sends m to the mobile number m.To, as text (m.Text) or as a gateway
// template (m.Template, m.Params). A marketing message sent by template must
// have OptOut in the template itself. It returns the gateway's message id;
// an invalid message is an EINVALID error, a refusal or failure an *Error.
func (s *SMS) Send(ctx context.Context, m Message) (Result, error) {
	phone := guanxi.NormalizePhone(m.To)
	if phone == "" {
		return Result{}, guanxi.Errorf(guanxi.EINVALID, "sms: %q is not a phone number", m.To)
	}
	if m.Text == "" && m.Template == "" {
		return Result{}, guanxi.Errorf(guanxi.EINVALID, "sms: message to %s has neither text nor template", guanxi.MaskPhone(phone))
	}
	body, err := json.Marshal(SMSRequest{
		Phone: phone, SignName: strings.Trim(s.sign, "【】"), Content: s.Content(m),
		TemplateID: m.Template, Params: m.Params, Marketing: m.Marketing, IdempotencyKey: m.IdempotencyKey,
	})
	if err != nil {
		return Result{}, fmt.Errorf("sms: encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.Endpoint, bytes.NewReader(body))
	if err != nil {
		return Result{}, fmt.Errorf("sms: request: %w", err)
	}
	ts, n := strconv.FormatInt(s.cfg.Clock.Now().Unix(), 10), nonce()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-App-Key", s.cfg.AppKey)
	req.Header.Set("X-Timestamp", ts)
	req.Header.Set("X-Nonce", n)
	req.Header.Set("X-Signature", SignSMS(s.cfg.AppSecret, ts, n, body))
	if m.IdempotencyKey != "" {
		req.Header.Set("Idempotency-Key", m.IdempotencyKey)
	}
	var out SMSResponse
	status, raw, err := doJSON(s.client, req, &out)
	if err != nil {
		return Result{}, transportError(ctx, "sms", err)
	}
	switch {
	case status/100 == 2 && (out.Code == "OK" || out.Code == "0"):
		return Result{ID: out.MessageID}, nil
	case out.Code != "" && slices.Contains(s.cfg.TemporaryCodes, out.Code):
		return Result{}, temporary("sms", out.Code, out.Message, nil)
	case status/100 == 2:
		return Result{}, permanent("sms", out.Code, out.Message, nil)
	default:
		e := statusError("sms", status, raw)
		if out.Code != "" {
			e.Code, e.Message = out.Code, fmt.Sprintf("HTTP %d: %s", status, out.Message)
		}
		return Result{}, e
	}
}
