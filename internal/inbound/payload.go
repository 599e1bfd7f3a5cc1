package inbound

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/guanxi-crm/guanxi"
)

// Payload is the JSON a chat or social tool posts to the inbound webhook.
type Payload struct {
	Source          string  `json:"source"`
	MessageID       string  `json:"message_id"`
	Customer        Contact `json:"customer"`
	Subject         string  `json:"subject"`
	Text            string  `json:"text"`
	OrderExternalID string  `json:"order_external_id"`
}

// ParsePayload reads one payload: one JSON object, no unknown fields, each
// field checked. Its errors are EINVALID and name the field at fault.
func ParsePayload(body []byte) (*Message, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var p Payload
	if err := dec.Decode(&p); err != nil {
		return nil, payloadError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, guanxi.Errorf(guanxi.EINVALID, "body: one JSON object expected, found more after it")
	}
	m := &Message{Source: p.Source, MessageID: p.MessageID, Customer: p.Customer, Subject: p.Subject, Text: p.Text,
		OrderExternalID: p.OrderExternalID}
	if err := check(m); err != nil {
		return nil, err
	}
	if m.Source == "email" {
		// E-mail comes through SMTP; a tool claiming it would thread onto
		// mail by Message-ID.
		return nil, guanxi.Errorf(guanxi.EINVALID, "source: \"email\" is reserved for mail received by SMTP")
	}
	return m, nil
}

func payloadError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF):
		return guanxi.Errorf(guanxi.EINVALID, "body: a JSON object is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return guanxi.Errorf(guanxi.EINVALID, "body: the JSON ends too soon")
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return guanxi.Errorf(guanxi.EINVALID, "%s: expected %s, got a JSON %s", field, te.Type.Kind(), te.Value)
	case errors.As(err, &se):
		return guanxi.Errorf(guanxi.EINVALID, "body: not valid JSON (at byte %d)", se.Offset)
	}
	return guanxi.Errorf(guanxi.EINVALID, "body: %v", err)
}
