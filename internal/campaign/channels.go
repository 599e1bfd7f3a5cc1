package campaign

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/channel"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// ChannelSettings are a shop's settings of one channel: where its provider
// is, how fast it may be sent to and what a message costs.
type ChannelSettings struct {
	Channel        string
	Rate           float64      // messages per second; 0 unlimited
	CostPerMessage guanxi.Money // the default cost of a campaign's message
	Email          *EmailSettings
	SMS            *SMSSettings
	WeChat         *WeChatSettings
	Webhook        *WebhookSettings
	UpdatedAt      time.Time

	// AllowPrivateNetwork lets this channel's provider be on a loopback,
	// private or CGNAT address (an on-premise gateway). Off, Guanxi refuses
	// to connect there, so that a shop's settings cannot reach into the
	// server's own network (SSRF); link-local addresses such as the cloud
	// metadata service stay refused either way. See internal/netguard.
	AllowPrivateNetwork bool
	// operatorAllows is the server-wide switch (serve
	// --allow-private-network), copied in by the Service that loaded or
	// saves the settings; it is not stored with them.
	operatorAllows bool
}

// privateAllowed reports whether the channel may reach private addresses:
// by the shop's setting or the operator's.
func (st *ChannelSettings) privateAllowed() bool { return st.AllowPrivateNetwork || st.operatorAllows }

// privateKey is the key of AllowPrivateNetwork in a stored config.
const privateKey = "allow_private_network"

// EmailSettings: an SMTP server.
type EmailSettings struct {
	Addr        string `json:"addr"` // host:port
	From        string `json:"from"`
	FromName    string `json:"from_name,omitempty"`
	Username    string `json:"username,omitempty"`
	Password    string `json:"password,omitempty"`
	RequireTLS  bool   `json:"require_tls,omitempty"`
	Connections int    `json:"connections,omitempty"` // parallel SMTP connections; default 2
	Mailto      string `json:"unsubscribe_mailto,omitempty"`
}

// SMSSettings: an HTTP SMS gateway (see channel.SMS for the protocol).
type SMSSettings struct {
	Endpoint  string `json:"endpoint"`
	AppKey    string `json:"app_key"`
	AppSecret string `json:"app_secret"`
	SignName  string `json:"sign_name"`
}

// WeChatSettings: an official account.
type WeChatSettings struct {
	BaseURL   string `json:"base_url,omitempty"`
	AppID     string `json:"app_id"`
	AppSecret string `json:"app_secret"`
	URL       string `json:"url,omitempty"` // page the messages open
}

// WebhookSettings: the shop's own endpoint.
type WebhookSettings struct {
	URL    string `json:"url"`
	Secret string `json:"secret"`
}

func (st *ChannelSettings) config() any {
	switch st.Channel {
	case Email:
		return st.Email
	case SMS:
		return st.SMS
	case WeChat:
		return st.WeChat
	case Webhook:
		return st.Webhook
	}
	return nil
}

// ChannelSettings returns the shop's settings of ch; a channel never set
// has no provider (Configured false).
func (s *Service) ChannelSettings(ctx context.Context, shopID int64, ch string) (*ChannelSettings, error) {
	if !validChannel(ch) {
		return nil, invalid("channel", "%q: expected one of email, sms, wechat, webhook", ch)
	}
	st := &ChannelSettings{Channel: ch, operatorAllows: s.allowPrivate}
	var cfg string
	var cost, updated int64
	err := s.db.QueryRow(ctx, `SELECT config, rate, cost_per_message, updated_at FROM channel_settings WHERE shop_id = ? AND channel = ?`, shopID, ch).
		Scan(&cfg, &st.Rate, &cost, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("campaign: %s settings of shop %d: %w", ch, shopID, err)
	}
	st.CostPerMessage, st.UpdatedAt = guanxi.Money(cost), time.Unix(updated, 0)
	var target any
	switch ch {
	case Email:
		st.Email = &EmailSettings{}
		target = st.Email
	case SMS:
		st.SMS = &SMSSettings{}
		target = st.SMS
	case WeChat:
		st.WeChat = &WeChatSettings{}
		target = st.WeChat
	case Webhook:
		st.Webhook = &WebhookSettings{}
		target = st.Webhook
	}
	if err := json.Unmarshal([]byte(cfg), target); err != nil {
		return nil, fmt.Errorf("campaign: %s settings of shop %d: %w", ch, shopID, err)
	}
	var flags map[string]json.RawMessage
	if err := json.Unmarshal([]byte(cfg), &flags); err == nil {
		st.AllowPrivateNetwork = string(flags[privateKey]) == "true"
	}
	return st, nil
}

// Configured reports whether the channel has a provider.
func (st *ChannelSettings) Configured() bool {
	switch st.Channel {
	case Email:
		return st.Email != nil && st.Email.Addr != ""
	case SMS:
		return st.SMS != nil && st.SMS.Endpoint != ""
	case WeChat:
		return st.WeChat != nil && st.WeChat.AppID != ""
	case Webhook:
		return st.Webhook != nil && st.Webhook.URL != ""
	}
	return false
}

// SetChannelSettings saves a channel's settings after checking that a
// sender can be built from them.
func (s *Service) SetChannelSettings(ctx context.Context, shopID int64, st *ChannelSettings) error {
	if !validChannel(st.Channel) {
		return invalid("channel", "%q: expected one of email, sms, wechat, webhook", st.Channel)
	}
	if st.Rate < 0 || st.CostPerMessage < 0 {
		return invalid("rate", "rate and cost per message cannot be negative")
	}
	if !st.Configured() {
		return invalid(st.Channel, "provider settings are required")
	}
	// The settings are checked as the server will use them: with the
	// operator's switch, whatever the caller's copy says.
	chk := *st
	chk.operatorAllows = s.allowPrivate
	snd, err := newSender(&chk, nil)
	if err != nil {
		return err
	}
	closeSender(snd)
	cfg, err := json.Marshal(st.config())
	if err != nil {
		return err
	}
	if st.AllowPrivateNetwork {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(cfg, &m); err != nil {
			return err
		}
		m[privateKey] = json.RawMessage("true")
		if cfg, err = json.Marshal(m); err != nil {
			return err
		}
	}
	var before bool
	if cur, err := s.ChannelSettings(ctx, shopID, st.Channel); err == nil {
		before = cur.AllowPrivateNetwork
	}
	now := s.clock.Now()
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO channel_settings (shop_id, channel, config, rate, cost_per_message, updated_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (shop_id, channel) DO UPDATE SET config = excluded.config, rate = excluded.rate, cost_per_message = excluded.cost_per_message, updated_at = excluded.updated_at`,
			shopID, st.Channel, string(cfg), st.Rate, int64(st.CostPerMessage), now.Unix()); err != nil {
			return fmt.Errorf("campaign: save %s settings of shop %d: %w", st.Channel, shopID, err)
		}
		// The audit records which channel changed, never its secrets.
		if err := audit.Write(ctx, tx, shopID, "channel.update", "channel", 0, map[string]any{"channel": st.Channel, "rate": st.Rate,
			privateKey: st.AllowPrivateNetwork}, now); err != nil {
			return err
		}
		if st.AllowPrivateNetwork != before {
			// Opening (or closing) the private network is its own entry, so
			// that a review of the audit log finds who did it.
			return audit.Write(ctx, tx, shopID, "channel.private_network", "channel", 0, map[string]any{"channel": st.Channel,
				"allowed": st.AllowPrivateNetwork}, now)
		}
		return nil
	})
}

// newSender builds the channel's sender from its settings.
func newSender(st *ChannelSettings, clock guanxi.Clock) (channel.Sender, error) {
	private := st.privateAllowed()
	switch st.Channel {
	case Email:
		e := st.Email
		n := e.Connections
		if n <= 0 {
			n = 2
		}
		pool := &emailPool{free: make(chan *channel.Email, n)}
		for range n {
			snd, err := channel.NewEmail(channel.EmailConfig{Addr: e.Addr, From: e.From, FromName: e.FromName,
				Username: e.Username, Password: e.Password, RequireTLS: e.RequireTLS, Clock: clock, AllowPrivateNetwork: private})
			if err != nil {
				return nil, err
			}
			pool.all = append(pool.all, snd)
			pool.free <- snd
		}
		return pool, nil
	case SMS:
		return channel.NewSMS(channel.SMSConfig{Endpoint: st.SMS.Endpoint, AppKey: st.SMS.AppKey, AppSecret: st.SMS.AppSecret,
			SignName: st.SMS.SignName, Clock: clock, AllowPrivateNetwork: private})
	case WeChat:
		return channel.NewWeChat(channel.WeChatConfig{BaseURL: st.WeChat.BaseURL, AppID: st.WeChat.AppID, AppSecret: st.WeChat.AppSecret,
			Clock: clock, AllowPrivateNetwork: private})
	case Webhook:
		return channel.NewWebhook(channel.WebhookConfig{URL: st.Webhook.URL, Secret: st.Webhook.Secret, Clock: clock, AllowPrivateNetwork: private})
	}
	return nil, invalid("channel", "%q unknown", st.Channel)
}

// NewSender builds a sender from a channel's settings for one caller
// outside campaigns' dispatch (the service desk's replies and survey
// invites, which are service messages, not promotions); CloseSender
// releases it.
func NewSender(st *ChannelSettings, clock guanxi.Clock) (channel.Sender, error) {
	if !st.Configured() {
		return nil, invalid("channel", "%s is not set up for this shop", st.Channel)
	}
	return newSender(st, clock)
}

// CloseSender closes a sender NewSender built.
func CloseSender(snd channel.Sender) { closeSender(snd) }

// Address is where a message on ch goes for a customer with the phone,
// email and WeChat openid, as a campaign addresses it; "" when none is
// usable (a masked value is no address).
func Address(ch, phone, email, openid string, customerID int64) string {
	return address(ch, phone, email, openid, customerID)
}

// emailPool spreads messages over several SMTP connections: one
// channel.Email sends one message at a time on its connection.
type emailPool struct {
	all  []*channel.Email
	free chan *channel.Email
}

func (p *emailPool) Send(ctx context.Context, m channel.Message) (channel.Result, error) {
	var e *channel.Email
	select {
	case e = <-p.free:
	case <-ctx.Done():
		return channel.Result{}, ctx.Err()
	}
	defer func() { p.free <- e }()
	return e.Send(ctx, m)
}

// Close quits every connection.
func (p *emailPool) Close() error {
	for _, e := range p.all {
		_ = e.Close()
	}
	return nil
}

// connections is how many messages the sender can have in flight at once.
func connections(snd channel.Sender) int {
	if p, ok := snd.(*emailPool); ok {
		return len(p.all)
	}
	return 32
}

func closeSender(snd channel.Sender) {
	if c, ok := snd.(interface{ Close() error }); ok {
		_ = c.Close()
	}
}

// dedupes reports whether the channel's provider deduplicates a message
// sent twice with the same idempotency key: the SMS gateway protocol and
// the outbound webhook carry the key, so an in-doubt message (sent, but the
// crash came before the answer was recorded) may go again. SMTP and
// WeChat's API have no such key: an in-doubt message there is not resent,
// so nobody gets it twice.
func dedupes(ch string) bool { return ch == SMS || ch == Webhook }

// senderCache keeps one sender per shop and channel while its settings are
// unchanged, so connections are reused across batches.
type senderCache struct {
	mu sync.Mutex
	m  map[string]cachedSender
}

type cachedSender struct {
	snd     channel.Sender
	updated time.Time
}

func (c *senderCache) get(st *ChannelSettings, shopID int64, clock guanxi.Clock) (channel.Sender, error) {
	key := strconv.FormatInt(shopID, 10) + "/" + st.Channel
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]cachedSender{}
	}
	if cs, ok := c.m[key]; ok && cs.updated.Equal(st.UpdatedAt) {
		return cs.snd, nil
	}
	if cs, ok := c.m[key]; ok {
		closeSender(cs.snd)
	}
	snd, err := newSender(st, clock)
	if err != nil {
		return nil, err
	}
	c.m[key] = cachedSender{snd: snd, updated: st.UpdatedAt}
	return snd, nil
}

func (c *senderCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, cs := range c.m {
		closeSender(cs.snd)
		delete(c.m, k)
	}
}
