package channel

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/netguard"
)

// WeChatConfig configures a WeChat official-account template message sender.
type WeChatConfig struct {
	BaseURL   string // default "https://api.weixin.qq.com"; tests point it at a loopback server
	AppID     string
	AppSecret string
	Conns     int           // idle connections kept; default 64
	Timeout   time.Duration // per request; default 15s
	Clock     guanxi.Clock  // token expiry; default the system clock

	// AllowPrivateNetwork lets the sender reach loopback, private and CGNAT
	// addresses (a proxy of the API on the shop's network); see
	// internal/netguard.
	AllowPrivateNetwork bool
}

// WeChat sends template messages. It fetches an access token from
// /cgi-bin/token, keeps it until shortly before it expires, and fetches a new
// one once when the API says the token is invalid or expired.
type WeChat struct {
	cfg    WeChatConfig
	client *http.Client

	mu      sync.Mutex // held while fetching, so concurrent senders fetch once
	token   string
	expires time.Time
	fetches int // tokens fetched, for tests
}

// WeChat API error codes that decide what happens to a message.
var (
	wechatTokenCodes = map[int]bool{40001: true, 40014: true, 42001: true} // invalid or expired access token
	wechatTempCodes  = map[int]bool{-1: true, 45009: true, 45011: true}    // busy, API frequency limits
)

// NewWeChat returns a WeChat sender for cfg, or an EINVALID error when the
// app id or secret is missing.
func NewWeChat(cfg WeChatConfig) (*WeChat, error) {
	if cfg.AppID == "" || cfg.AppSecret == "" {
		return nil, guanxi.Errorf(guanxi.EINVALID, "wechat: app id and secret are required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://api.weixin.qq.com"
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if err := netguard.CheckURL("wechat: base URL", cfg.BaseURL, cfg.AllowPrivateNetwork); err != nil {
		return nil, err
	}
	if cfg.Clock == nil {
		cfg.Clock = guanxi.SystemClock{}
	}
	return &WeChat{cfg: cfg, client: newHTTPClient(cfg.Conns, cfg.Timeout, cfg.AllowPrivateNetwork)}, nil
}

type wechatAnswer struct {
	ErrCode     int    `json:"errcode"`
	ErrMsg      string `json:"errmsg"`
	MsgID       int64  `json:"msgid"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
}

func (a wechatAnswer) err(what string) *Error {
	code := fmt.Sprint(a.ErrCode)
	msg := what + ": " + a.ErrMsg
	if wechatTempCodes[a.ErrCode] {
		return temporary("wechat", code, msg, nil)
	}
	return permanent("wechat", code, msg, nil)
}

// Send sends the template m.Template to the openid m.To with m.Params as its
// data and m.URL as the page it opens. It returns the msgid; an invalid
// message is an EINVALID error, a refusal or failure an *Error.
func (w *WeChat) Send(ctx context.Context, m Message) (Result, error) {
	if m.To == "" || m.Template == "" {
		return Result{}, guanxi.Errorf(guanxi.EINVALID, "wechat: a message needs an openid and a template id")
	}
	type value struct {
		Value string `json:"value"`
	}
	data := make(map[string]value, len(m.Params))
	for k, v := range m.Params {
		data[k] = value{v}
	}
	body, err := json.Marshal(struct {
		ToUser      string           `json:"touser"`
		TemplateID  string           `json:"template_id"`
		URL         string           `json:"url,omitempty"`
		Data        map[string]value `json:"data"`
		ClientMsgID string           `json:"client_msg_id,omitempty"`
	}{m.To, m.Template, m.URL, data, m.IdempotencyKey})
	if err != nil {
		return Result{}, fmt.Errorf("wechat: encode message: %w", err)
	}
	for attempt := 0; ; attempt++ {
		token, err := w.accessToken(ctx)
		if err != nil {
			return Result{}, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost,
			w.cfg.BaseURL+"/cgi-bin/message/template/send?access_token="+url.QueryEscape(token), bytes.NewReader(body))
		if err != nil {
			return Result{}, fmt.Errorf("wechat: request: %w", err)
		}
		req.Header.Set("Content-Type", "application/json")
		var a wechatAnswer
		status, raw, err := doJSON(w.client, req, &a)
		if err != nil {
			return Result{}, transportError(ctx, "wechat", err)
		}
		if status/100 != 2 {
			return Result{}, statusError("wechat", status, raw)
		}
		if wechatTokenCodes[a.ErrCode] && attempt == 0 {
			w.invalidate(token)
			continue
		}
		if a.ErrCode != 0 {
			return Result{}, a.err("send template message")
		}
		return Result{ID: fmt.Sprint(a.MsgID)}, nil
	}
}

// accessToken returns the cached token or fetches a new one.
func (w *WeChat) accessToken(ctx context.Context) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.cfg.Clock.Now()
	if w.token != "" && now.Before(w.expires) {
		return w.token, nil
	}
	q := url.Values{"grant_type": {"client_credential"}, "appid": {w.cfg.AppID}, "secret": {w.cfg.AppSecret}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.cfg.BaseURL+"/cgi-bin/token?"+q.Encode(), nil)
	if err != nil {
		return "", fmt.Errorf("wechat: token request: %w", err)
	}
	var a wechatAnswer
	status, raw, err := doJSON(w.client, req, &a)
	if err != nil {
		return "", transportError(ctx, "wechat", err)
	}
	if status/100 != 2 {
		return "", statusError("wechat", status, raw)
	}
	if a.ErrCode != 0 || a.AccessToken == "" {
		return "", a.err("fetch access token")
	}
	// Renew a little early, so a token does not expire in flight.
	life := time.Duration(a.ExpiresIn) * time.Second
	life -= min(life/10, 5*time.Minute)
	w.token, w.expires = a.AccessToken, now.Add(life)
	w.fetches++
	return w.token, nil
}

// invalidate forgets token if it is still the cached one; a token already
// replaced by a concurrent sender is left alone.
func (w *WeChat) invalidate(token string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.token == token {
		w.token = ""
	}
}
