package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/order"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// webhookPath is the inbound order webhook, under /api/v1.
const webhookPath = "/webhooks/orders/{shop}"

// maxDeliveryOrders bounds the orders of one delivery.
const maxDeliveryOrders = 500

type deliveredJSON struct {
	ID         int64  `json:"id"`
	Platform   string `json:"platform"`
	ExternalID string `json:"external_id"`
	Result     string `json:"result"`
}

// webhook: POST /webhooks/orders/{shop}. No token: the delivery is signed
// with the shop's webhook secret (package webhook). The body is one order
// (the shape of POST /orders) or an array of them, written in one
// transaction together with the note that the delivery was received, so a
// delivery refused for a bad order can be sent again once fixed.
func (a *API) webhook(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if err := a.handleWebhook(w, r); err != nil {
		if guanxi.ErrorCode(err) == guanxi.EINTERNAL {
			a.cfg.Log.Error("webhook delivery failed", "shop", r.PathValue("shop"), "delivery", r.Header.Get("X-Guanxi-Delivery"), "err", err)
		}
		writeError(w, err)
	}
}

func (a *API) handleWebhook(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return jsonError(err)
		}
		return guanxi.Errorf(guanxi.EINVALID, "body: could not be read: %v", err)
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	// An unknown shop has no secret, so it is refused like a bad signature:
	// the answer does not tell which shops exist.
	var shopID int64
	sh, err := a.cfg.Shops.ByCode(ctx, r.PathValue("shop"))
	switch {
	case err == nil:
		shopID = sh.ID
	case guanxi.ErrorCode(err) != guanxi.ENOTFOUND && guanxi.ErrorCode(err) != guanxi.EINVALID:
		return err
	}
	d, err := a.cfg.Webhooks.Verify(ctx, shopID, r.Header.Get("X-Guanxi-Timestamp"), r.Header.Get("X-Guanxi-Delivery"),
		r.Header.Get("X-Guanxi-Signature"), body)
	if err != nil {
		return err
	}
	if sh == nil {
		return guanxi.Errorf(guanxi.EUNAUTH, "webhook delivery refused: bad signature") // not reached: no shop, no secret
	}
	ins, err := deliveryOrders(body)
	if err != nil {
		return err
	}
	written, err := a.cfg.Writer.Write(ctx, sh, ins, "webhook:"+d.ID, func(ctx context.Context, tx *store.Tx) error {
		return a.cfg.Webhooks.Record(ctx, tx, d, len(ins))
	})
	if err != nil {
		return err
	}
	a.earn(ctx, sh.ID, written)
	out := struct {
		Delivery string          `json:"delivery"`
		Orders   []deliveredJSON `json:"orders"`
	}{Delivery: d.ID, Orders: make([]deliveredJSON, len(written))}
	for i, wr := range written {
		out.Orders[i] = deliveredJSON{ID: wr.ID, Platform: platformOr(ins[i].Platform), ExternalID: ins[i].ExternalID, Result: wr.Result}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func platformOr(p string) string {
	if p == "" {
		return "generic"
	}
	return p
}

// deliveryOrders reads a delivery's body: one order or an array of them.
func deliveryOrders(body []byte) ([]order.Input, error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var ins []order.Input
	if len(trimmed) > 0 && trimmed[0] == '[' {
		if err := dec.Decode(&ins); err != nil {
			return nil, jsonError(err)
		}
		if len(ins) == 0 {
			return nil, guanxi.Errorf(guanxi.EINVALID, "body: an empty array carries no order")
		}
		if len(ins) > maxDeliveryOrders {
			return nil, guanxi.Errorf(guanxi.EINVALID, "body: at most %d orders a delivery", maxDeliveryOrders)
		}
	} else {
		var in order.Input
		if err := dec.Decode(&in); err != nil {
			return nil, jsonError(err)
		}
		ins = []order.Input{in}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, guanxi.Errorf(guanxi.EINVALID, "body: one JSON value expected, found more after it")
	}
	return ins, nil
}
