package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/i18n"
	"github.com/guanxi-crm/guanxi/internal/netguard"
)

// secretKept is what a secret field shows: the secret itself never goes
// back to the browser, and posting this value keeps the stored one.
const secretKept = "••••••"

type channelsPage struct {
	Settings   []*campaign.ChannelSettings
	Policy     campaign.Policy
	QuietStart string
	QuietEnd   string
	CanWrite   bool
	Error      string
	Saved      bool
}

// channelSettings shows the shop's channel providers and contact policy;
// admins change them.
func (u *UI) channelSettings(w http.ResponseWriter, r *http.Request, rq *request) {
	u.renderChannels(w, r, rq, http.StatusOK, r.URL.Query().Get("saved") == "1", "")
}

func (u *UI) renderChannels(w http.ResponseWriter, r *http.Request, rq *request, status int, saved bool, msg string) {
	svc, err := u.campaigns()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p := &channelsPage{CanWrite: rq.role == auth.RoleAdmin, Saved: saved, Error: msg}
	for _, ch := range campaign.Channels {
		st, err := svc.ChannelSettings(r.Context(), rq.shop.ID, ch)
		if err != nil {
			u.fail(w, r, rq, err)
			return
		}
		p.Settings = append(p.Settings, st)
	}
	if p.Policy, err = svc.Policy(r.Context(), rq.shop.ID); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p.QuietStart, p.QuietEnd = clockTime(p.Policy.QuietStart), clockTime(p.Policy.QuietEnd)
	u.render(w, r, rq, status, "channel_settings", "", u.view(r, rq, "campaigns", p))
}

func clockTime(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, guanxi.Errorf(guanxi.EINVALID, "quiet_hours: %q is not a time such as 21:00", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// channelSave saves one channel's provider settings (admins only). Secret
// fields left as shown keep their stored value.
func (u *UI) channelSave(w http.ResponseWriter, r *http.Request, rq *request) {
	if rq.role != auth.RoleAdmin {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "only an admin may change channel settings"))
		return
	}
	svc, err := u.campaigns()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	pf := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	ch := pf("channel")
	cur, err := svc.ChannelSettings(r.Context(), rq.shop.ID, ch)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	secret := func(k, old string) string {
		if v := pf(k); v != secretKept {
			return v
		}
		return old
	}
	st := &campaign.ChannelSettings{Channel: ch, AllowPrivateNetwork: pf("allow_private_network") == "on"}
	if st.Rate, err = strconv.ParseFloat(cmpOr(pf("rate"), "0"), 64); err != nil {
		u.renderChannels(w, r, rq, http.StatusBadRequest, false, i18n.T(rq.locale, "channels.bad_rate"))
		return
	}
	if v := pf("cost"); v != "" {
		if st.CostPerMessage, err = guanxi.ParseMoney(v); err != nil {
			u.renderChannels(w, r, rq, http.StatusBadRequest, false, i18n.T(rq.locale, "channels.bad_cost"))
			return
		}
	}
	switch ch {
	case campaign.Email:
		old := cur.Email
		if old == nil {
			old = &campaign.EmailSettings{}
		}
		conns, _ := strconv.Atoi(pf("connections"))
		st.Email = &campaign.EmailSettings{Addr: pf("addr"), From: pf("from"), FromName: pf("from_name"), Username: pf("username"),
			Password: secret("password", old.Password), RequireTLS: pf("require_tls") == "on", Connections: conns}
	case campaign.SMS:
		old := cur.SMS
		if old == nil {
			old = &campaign.SMSSettings{}
		}
		st.SMS = &campaign.SMSSettings{Endpoint: pf("endpoint"), AppKey: pf("app_key"), AppSecret: secret("app_secret", old.AppSecret), SignName: pf("sign_name")}
	case campaign.WeChat:
		old := cur.WeChat
		if old == nil {
			old = &campaign.WeChatSettings{}
		}
		st.WeChat = &campaign.WeChatSettings{BaseURL: pf("base_url"), AppID: pf("app_id"), AppSecret: secret("app_secret", old.AppSecret), URL: pf("url")}
	case campaign.Webhook:
		old := cur.Webhook
		if old == nil {
			old = &campaign.WebhookSettings{}
		}
		st.Webhook = &campaign.WebhookSettings{URL: pf("url"), Secret: secret("secret", old.Secret)}
	}
	if err := svc.SetChannelSettings(r.Context(), rq.shop.ID, st); err != nil {
		if errors.Is(err, netguard.ErrRefused) {
			u.renderChannels(w, r, rq, http.StatusBadRequest, false, i18n.T(rq.locale, "channels.private_refused"))
			return
		}
		if guanxi.ErrorCode(err) == guanxi.EINVALID {
			u.renderChannels(w, r, rq, http.StatusBadRequest, false, i18n.ErrorMessage(rq.locale, err))
			return
		}
		u.fail(w, r, rq, err)
		return
	}
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/channels?saved=1", http.StatusSeeOther)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// policySave saves the shop's contact policy (admins only).
func (u *UI) policySave(w http.ResponseWriter, r *http.Request, rq *request) {
	if rq.role != auth.RoleAdmin {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "only an admin may change the contact policy"))
		return
	}
	svc, err := u.campaigns()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	var p campaign.Policy
	var perr error
	if p.QuietStart, perr = parseClock(r.PostFormValue("quiet_start")); perr == nil {
		p.QuietEnd, perr = parseClock(r.PostFormValue("quiet_end"))
	}
	if perr == nil {
		p.CapMessages, _ = strconv.Atoi(r.PostFormValue("cap_messages"))
		p.CapDays, _ = strconv.Atoi(r.PostFormValue("cap_days"))
		perr = svc.SetPolicy(r.Context(), rq.shop.ID, p)
	}
	if perr != nil {
		if guanxi.ErrorCode(perr) == guanxi.EINVALID {
			u.renderChannels(w, r, rq, http.StatusBadRequest, false, i18n.ErrorMessage(rq.locale, perr))
			return
		}
		u.fail(w, r, rq, perr)
		return
	}
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/channels?saved=1", http.StatusSeeOther)
}

type unsubscribePage struct {
	Token   string
	Channel string
	Done    bool
	Error   string
}

// unsubscribeShow is the page an unsubscribe link opens: a button, so that
// a mail scanner following links does not unsubscribe anyone.
func (u *UI) unsubscribeShow(w http.ResponseWriter, r *http.Request, rq *request) {
	p := &unsubscribePage{Token: r.PathValue("token")}
	status := http.StatusOK
	if svc, err := u.campaigns(); err != nil {
		u.fail(w, r, rq, err)
		return
	} else if un, err := svc.ParseUnsubscribe(r.Context(), p.Token); err != nil {
		p.Error, status = i18n.ErrorMessage(rq.locale, err), http.StatusBadRequest
	} else {
		p.Channel = un.Channel
	}
	u.render(w, r, rq, status, "unsubscribe", "", u.view(r, rq, "", p))
}

// unsubscribeSubmit withdraws consent: the page's button, or a mail
// client's RFC 8058 one-click POST (body List-Unsubscribe=One-Click).
func (u *UI) unsubscribeSubmit(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, err := u.campaigns()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p := &unsubscribePage{Token: r.PathValue("token")}
	un, err := svc.ParseUnsubscribe(r.Context(), p.Token)
	if err != nil {
		p.Error = i18n.ErrorMessage(rq.locale, err)
		u.render(w, r, rq, http.StatusBadRequest, "unsubscribe", "", u.view(r, rq, "", p))
		return
	}
	how := "page"
	if r.PostFormValue("List-Unsubscribe") == "One-Click" {
		how = "one-click"
	}
	if err := svc.Unsubscribe(r.Context(), un, how); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.log.Info("unsubscribed", "shop_id", un.ShopID, "campaign", un.CampaignID, "channel", un.Channel, "how", how)
	p.Channel, p.Done = un.Channel, true
	u.render(w, r, rq, http.StatusOK, "unsubscribe", "", u.view(r, rq, "", p))
}
