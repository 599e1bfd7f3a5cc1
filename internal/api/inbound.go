package api

import (
	"net/http"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/inbound"
)

// inboundPath receives customers' messages from a chat or social tool (the
// shop's webhook channel: 企业微信, a Weibo or Douyin inbox, a live-chat
// widget), signed like the channel's delivery reports with its secret.
const inboundPath = "/channels/webhook/{shop}/messages"

// inboundMessage: POST /channels/webhook/{shop}/messages. The body is one
// message (inbound.Payload); it is recorded once per (source, message_id):
// on the sender's open ticket from that source, or on a new consultation
// (channel wechat for source wechat, else webhook). 201 when a ticket was
// opened, 200 when appended or already recorded (duplicate: true).
func (a *API) inboundMessage(w http.ResponseWriter, r *http.Request) error {
	if a.cfg.Inbound == nil {
		return guanxi.Errorf(guanxi.ENOTFOUND, "inbound messages are not received on this server")
	}
	shopID, body, err := a.verified(w, r, campaign.Webhook)
	if err != nil {
		return err
	}
	m, err := inbound.ParsePayload(body)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	res, err := a.cfg.Inbound.Receive(ctx, shopID, m)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	writeJSON(w, status, res)
	return nil
}
