package campaign

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Direct campaigns carry messages to customers chosen one by one by another
// part of Guanxi (a care rule's run: birthday wishes, a visit after
// delivery) rather than by an audience rule. They go through the same
// queue, dispatcher and contact policy as every campaign, so consent,
// opt-outs, holds, quiet hours and frequency caps are obeyed in one place,
// and their marketing messages count towards the caps of later campaigns.
// A direct campaign has no holdout: what a care rule earns is measured by
// the rule, not by the campaign.

// Direct describes a direct campaign: its name, theme ("care:3"), purpose,
// channel and message.
type Direct struct {
	Name, Theme      string
	Purpose          string
	Channel          string
	Subject, Body    string
	ProviderTemplate string
	Rule             *segment.Rule // shown as its audience; nil: every customer
}

// OpenDirect creates a direct campaign, already sending with no messages,
// in tx. It checks the message as Create checks a campaign's.
func (s *Service) OpenDirect(ctx context.Context, tx *store.Tx, shopID int64, d Direct) (*Campaign, error) {
	r := d.Rule
	if r == nil {
		var err error
		if r, err = segment.ParseRule([]byte(`{"field":"orders_count","op":"gte","value":0}`)); err != nil {
			return nil, fmt.Errorf("campaign: direct audience rule: %w", err)
		}
	}
	now := s.clock.Now().Truncate(time.Second)
	c := &Campaign{Name: d.Name, Theme: d.Theme, Purpose: d.Purpose, Channel: d.Channel, Subject: d.Subject, Body: d.Body,
		ProviderTemplate: d.ProviderTemplate, Rule: r, Schedule: Now, AttributionDays: DefaultAttribution}
	if err := s.check(ctx, shopID, c); err != nil {
		return nil, err
	}
	id, err := tx.NextIDs(ctx, shopID, "campaigns", 1)
	if err != nil {
		return nil, fmt.Errorf("campaign: direct in shop %d: %w", shopID, err)
	}
	c.ID, c.Status, c.Seed, c.Version = id, Sending, newSeed(), 1
	c.CreatedBy = audit.ActorFrom(ctx).UserID
	c.CreatedAt, c.UpdatedAt, c.LaunchedAt = now, now, now
	if err := insertCampaign(ctx, tx, shopID, c); err != nil {
		return nil, err
	}
	return c, audit.Write(ctx, tx, shopID, "campaign.direct", "campaign", id, map[string]any{"name": c.Name, "theme": c.Theme, "channel": c.Channel}, now)
}

// EnqueueTx puts one customer's message in a direct campaign's queue, in
// tx, and returns "" when it is queued or the contact policy's reason when
// it is not (no_address, opted_out, no_consent, held, capped; "duplicate"
// when the customer already has a message in the campaign). A message not
// queued is recorded as excluded with its reason, as a launch records it.
// The dispatcher checks the policy again before it sends.
func (s *Service) EnqueueTx(ctx context.Context, tx *store.Tx, shopID int64, c *Campaign, customerID int64) (string, error) {
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM campaign_messages WHERE shop_id = ? AND campaign_id = ? AND customer_id = ?`,
		shopID, c.ID, customerID).Scan(&n); err != nil {
		return "", fmt.Errorf("campaign %d: enqueue: %w", c.ID, err)
	}
	if n > 0 {
		return "duplicate", nil
	}
	var phone, email, openid, seg string
	var granted sql.NullBool
	err := tx.QueryRow(ctx, `SELECT c.phone, c.email, cc.granted, COALESCE(cs.segment_cn, ''),
COALESCE((SELECT MIN(ci.value) FROM customer_identities ci WHERE ci.shop_id = c.shop_id AND ci.customer_id = c.id AND ci.kind = 'openid'), '')
FROM customers c
LEFT JOIN customer_consents cc ON cc.shop_id = c.shop_id AND cc.customer_id = c.id AND cc.channel = ? AND cc.purpose = 'marketing'
LEFT JOIN customer_scores cs ON cs.shop_id = c.shop_id AND cs.customer_id = c.id
WHERE c.shop_id = ? AND c.id = ? AND c.merged_into IS NULL`, c.Channel, shopID, customerID).Scan(&phone, &email, &granted, &seg, &openid)
	if isNoRows(err) {
		return "customer merged or deleted", nil
	}
	if err == nil {
		err = openContact(tx.Keys(), c.Channel, &phone, &email)
	}
	if err != nil {
		return "", fmt.Errorf("campaign %d: enqueue customer %d: %w", c.ID, customerID, err)
	}
	marketing := c.Purpose == Marketing
	m := member{id: customerID, segment: seg, address: address(c.Channel, phone, email, openid, customerID)}
	switch {
	case m.address == "":
		m.reason = ReasonNoAddress
	case !marketing:
	case granted.Valid && !granted.Bool:
		m.reason = ReasonOptedOut
	case !granted.Valid && s.needsConsent(c.Channel):
		m.reason = ReasonNoConsent
	}
	now := s.clock.Now()
	if m.reason == "" && marketing {
		held, err := s.heldCustomers(ctx, tx, shopID, []int64{customerID})
		if err != nil {
			return "", err
		}
		p, err := policyOf(ctx, tx, shopID)
		if err != nil {
			return "", err
		}
		capped, err := cappedCustomers(ctx, tx, shopID, p, now, c.ID, []int64{customerID})
		if err != nil {
			return "", err
		}
		switch {
		case held[customerID]:
			m.reason = ReasonHeld
		case capped[customerID]:
			m.reason = ReasonCapped
		}
	}
	grp, status, next := Target, "queued", any(now.Unix())
	if m.reason != "" {
		grp, status, next = Excluded, "", nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO campaign_messages (shop_id, campaign_id, customer_id, grp, reason, segment, address, status, next_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, shopID, c.ID, customerID, grp, m.reason, m.segment, tx.Keys().Seal("address", m.address), status, next); err != nil {
		return "", fmt.Errorf("campaign %d: enqueue customer %d: %w", c.ID, customerID, store.MapError(err))
	}
	return m.reason, nil
}

// CloseDirect writes a direct campaign's counts from its messages; one
// with no message to send is marked sent at once.
func (s *Service) CloseDirect(ctx context.Context, shopID, id int64) error {
	rows, err := s.db.Query(ctx, `SELECT grp, reason, COUNT(*) FROM campaign_messages WHERE shop_id = ? AND campaign_id = ? GROUP BY grp, reason`, shopID, id)
	if err != nil {
		return fmt.Errorf("campaign %d: counts: %w", id, err)
	}
	var n Counts
	for rows.Next() {
		var grp, reason string
		var k int
		if err := rows.Scan(&grp, &reason, &k); err != nil {
			rows.Close()
			return err
		}
		n.Audience += k
		switch reason {
		case ReasonNoAddress:
			n.NoAddress += k
		case ReasonOptedOut:
			n.OptedOut += k
		case ReasonNoConsent:
			n.NoConsent += k
		case ReasonHeld:
			n.Held += k
		case ReasonCapped:
			n.Capped += k
		}
		if grp == Target {
			n.Eligible += k
			n.Target += k
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	now := s.clock.Now().Unix()
	status, finished := Sending, any(nil)
	if n.Target == 0 {
		status, finished = Sent, now
	}
	_, err = s.db.Exec(ctx, `UPDATE campaigns SET counts = ?, status = ?, finished_at = ?, updated_at = ? WHERE shop_id = ? AND id = ? AND status = 'sending'`,
		jsonString(n), status, finished, now, shopID, id)
	if err != nil {
		return fmt.Errorf("campaign %d: counts: %w", id, err)
	}
	return nil
}
