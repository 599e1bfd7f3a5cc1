package survey

import (
	"context"
	"crypto/hmac"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/channel"
	"github.com/guanxi-crm/guanxi/internal/seal"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Invite states, as stored in survey_invites.status.
const (
	Queued   = "queued"
	Sent     = "sent"
	Failed   = "failed"
	Skipped  = "skipped"
	Answered = "answered"
)

// Reasons an invite was skipped.
const (
	ReasonNoAddress = "no_address"
	ReasonOptedOut  = "opted_out"
	ReasonExpired   = "expired"
	ReasonClosed    = "survey_closed"
	ReasonNoChannel = "channel_not_configured"
	ReasonMerged    = "customer_merged"
)

// Invite is one customer's link to a survey.
type Invite struct {
	ID         int64
	SurveyID   int64
	CustomerID int64
	TicketID   int64
	AgentID    int64
	Channel    string
	Address    string
	Status     string
	Reason     string
	CreatedAt  time.Time
	SentAt     time.Time
	ExpiresAt  time.Time
}

// Links. A token is the shop, the invite and the link's expiry, signed
// with a key derived from the shop's unsubscribe key for this purpose only
// (campaign.PurposeKey), so an unsubscribe token is never a survey token nor
// the other way round (they also differ in length). It carries no personal
// data, and the expiry inside it cannot be stretched without breaking the
// signature.

const tokenPurpose = "survey-link-v1"

const tokenLen = 24 + 16 // shop, invite, expiry; then 16 bytes of HMAC-SHA256

func signToken(key []byte, shopID, inviteID int64, expires time.Time) string {
	b := make([]byte, 0, tokenLen)
	b = binary.BigEndian.AppendUint64(b, uint64(shopID))
	b = binary.BigEndian.AppendUint64(b, uint64(inviteID))
	b = binary.BigEndian.AppendUint64(b, uint64(expires.Unix()))
	return campaign.SignToken(key, b)
}

// Token returns the signed token of an invite's link.
func (s *Service) Token(ctx context.Context, shopID int64, inv *Invite) (string, error) {
	k, err := s.campaigns.PurposeKey(ctx, shopID, tokenPurpose, true)
	if err != nil {
		return "", err
	}
	return signToken(k, shopID, inv.ID, inv.ExpiresAt), nil
}

// Link errors: the public page answers 404 to a forged or damaged link and
// 410 to an expired one (or a closed survey's).
var (
	ErrLinkInvalid = guanxi.Errorf(guanxi.ENOTFOUND, "this survey link is not valid")
	ErrLinkExpired = guanxi.Errorf(guanxi.EINVALID, "this survey link has expired")
)

// parseToken checks a token's signature and expiry and returns the shop
// and invite it names.
func (s *Service) parseToken(ctx context.Context, token string) (shopID, inviteID int64, err error) {
	b, derr := base64.RawURLEncoding.DecodeString(token)
	if derr != nil || len(b) != tokenLen {
		return 0, 0, ErrLinkInvalid
	}
	shopID = int64(binary.BigEndian.Uint64(b[0:]))
	inviteID = int64(binary.BigEndian.Uint64(b[8:]))
	expires := time.Unix(int64(binary.BigEndian.Uint64(b[16:])), 0)
	if shopID <= 0 || inviteID <= 0 {
		return 0, 0, ErrLinkInvalid
	}
	k, kerr := s.campaigns.PurposeKey(ctx, shopID, tokenPurpose, false)
	if kerr != nil {
		return 0, 0, ErrLinkInvalid
	}
	// Compared as re-encoded strings: base64 has more than one spelling of
	// the same bytes (the last character's unused bits), and a changed
	// character of the link must never pass.
	if !hmac.Equal([]byte(signToken(k, shopID, inviteID, expires)), []byte(token)) {
		return 0, 0, ErrLinkInvalid
	}
	if !s.clock.Now().Before(expires) {
		return shopID, inviteID, ErrLinkExpired
	}
	return shopID, inviteID, nil
}

// Send queues an invite for every customer of an active NPS or custom
// survey's segment who has none yet, and returns how many it queued. Sending
// is the dispatch job's: the invites go out at its next run.
func (s *Service) Send(ctx context.Context, shopID, id int64) (int, error) {
	sv, err := s.Get(ctx, shopID, id)
	if err != nil {
		return 0, err
	}
	switch {
	case sv.Kind == CSAT:
		return 0, invalid("kind", "a CSAT survey is sent when tickets close, not by hand")
	case sv.Status != Active:
		return 0, invalid("status", "survey %d is %s; only an active survey sends", id, sv.Status)
	}
	seg, err := s.segments.Get(ctx, shopID, sv.SegmentID)
	if err != nil {
		return 0, err
	}
	ids, err := s.segments.AllMembers(ctx, shopID, seg.Rule)
	if err != nil {
		return 0, err
	}
	now := s.clock.Now()
	n := 0
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		for start := 0; start < len(ids); start += 500 {
			chunk := ids[start:min(start+500, len(ids))]
			k, err := s.queue(ctx, tx, shopID, sv, chunk, 0, 0, now)
			if err != nil {
				return err
			}
			n += k
		}
		return audit.Write(ctx, tx, shopID, "survey.send", "survey", id, map[string]any{"audience": len(ids), "queued": n}, now)
	})
	return n, err
}

// queue inserts queued invites for customers (one ticket, or 0), leaving
// any the survey already has; it returns how many it added.
func (s *Service) queue(ctx context.Context, tx *store.Tx, shopID int64, sv *Survey, customers []int64, ticketID, agentID int64, now time.Time) (int, error) {
	if len(customers) == 0 {
		return 0, nil
	}
	args := []any{shopID, sv.ID, ticketID}
	for _, c := range customers {
		args = append(args, c)
	}
	have, err := tx.Query(ctx, `SELECT customer_id FROM survey_invites WHERE shop_id = ? AND survey_id = ? AND ticket_id = ? AND customer_id IN (`+
		store.In(len(customers))+`)`, args...)
	if err != nil {
		return 0, fmt.Errorf("survey: invites of survey %d: %w", sv.ID, err)
	}
	seen := map[int64]bool{}
	for have.Next() {
		var c int64
		if err := have.Scan(&c); err != nil {
			have.Close()
			return 0, err
		}
		seen[c] = true
	}
	have.Close()
	var fresh []int64
	for _, c := range customers {
		if !seen[c] {
			fresh = append(fresh, c)
			seen[c] = true
		}
	}
	if len(fresh) == 0 {
		return 0, nil
	}
	first, err := tx.NextIDs(ctx, shopID, "survey_invites", int64(len(fresh)))
	if err != nil {
		return 0, fmt.Errorf("survey: invites of survey %d: %w", sv.ID, err)
	}
	expires := now.AddDate(0, 0, sv.ExpiresDays).Unix()
	rows := make([][]any, len(fresh))
	for i, c := range fresh {
		rows[i] = []any{shopID, first + int64(i), sv.ID, c, ticketID, store.NullInt(agentID), sv.Channel, Queued, now.Unix(), expires}
	}
	if err := tx.Insert(ctx, "survey_invites", []string{"shop_id", "id", "survey_id", "customer_id", "ticket_id", "agent_id", "channel", "status",
		"created_at", "expires_at"}, rows); err != nil {
		return 0, fmt.Errorf("survey: invite to survey %d: %w", sv.ID, store.MapError(err))
	}
	return len(fresh), nil
}

// csatLookback bounds how far back the CSAT job looks for closed tickets.
// Which tickets are already invited is read from the invites themselves
// (one per survey, customer and ticket), not from a watermark, so a run
// missed for a day or two catches up and a run repeated invites nobody
// twice.
const csatLookback = 7 * 24 * time.Hour

// InviteClosedTickets queues a CSAT invite for each ticket closed (or
// archived) since the shop's active CSAT survey was created, within the
// last week, that has none yet: to the ticket's customer, rating the
// ticket's assignee. With several active CSAT surveys the oldest is used.
// It returns how many it queued.
func (s *Service) InviteClosedTickets(ctx context.Context, shopID int64) (int, error) {
	ss, err := list(ctx, s.db, shopID, `WHERE shop_id = ? AND kind = 'csat' AND status = 'active' ORDER BY id LIMIT 1`, shopID)
	if err != nil || len(ss) == 0 {
		return 0, err
	}
	sv := &ss[0]
	now := s.clock.Now()
	since := max(sv.CreatedAt.Unix(), now.Add(-csatLookback).Unix())
	rows, err := s.db.Query(ctx, `SELECT t.id, t.customer_id, t.assignee_id FROM tickets t
WHERE t.shop_id = ? AND t.closed_at IS NOT NULL AND t.closed_at >= ?
AND NOT EXISTS (SELECT 1 FROM survey_invites i WHERE i.shop_id = t.shop_id AND i.survey_id = ? AND i.ticket_id = t.id)
ORDER BY t.id LIMIT 5000`, shopID, since, sv.ID)
	if err != nil {
		return 0, fmt.Errorf("survey: closed tickets of shop %d: %w", shopID, err)
	}
	type closed struct{ ticket, customer, agent int64 }
	var ts []closed
	for rows.Next() {
		var c closed
		var agent sql.NullInt64
		if err := rows.Scan(&c.ticket, &c.customer, &agent); err != nil {
			rows.Close()
			return 0, err
		}
		c.agent = agent.Int64
		ts = append(ts, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		for _, c := range ts {
			k, err := s.queue(ctx, tx, shopID, sv, []int64{c.customer}, c.ticket, c.agent, now)
			if err != nil {
				return err
			}
			n += k
		}
		return nil
	})
	return n, err
}

// Outcome is what one dispatch run did.
type Outcome struct {
	Sent, Failed, Skipped int
	Next                  time.Time // when queued invites are due again (quiet hours, retries); zero when none
}

func (o Outcome) String() string {
	return fmt.Sprintf("%d sent, %d failed, %d skipped", o.Sent, o.Failed, o.Skipped)
}

// retryAfter is when a temporary failure is tried again.
const retryAfter = 15 * time.Minute

// Dispatch sends the shop's queued invites (at most batch) through their
// survey's channel, with publicURL + "/f/" + token as the link.
//
// A survey is a service message, not marketing: it needs no marketing
// consent, ignores contact holds and counts toward no frequency cap. But a
// customer who withdrew consent on the channel (an unsubscribe, a "T"
// reply) is not asked either — being surveyed is not something they need —
// and quiet hours are kept: invites queued in them wait until they end.
// A temporary failure stays queued, with the reason, until the link
// expires; a permanent one is failed. Every outcome is recorded on the
// invite.
func (s *Service) Dispatch(ctx context.Context, shopID int64, publicURL string, batch int) (Outcome, error) {
	var out Outcome
	if batch <= 0 {
		batch = 500
	}
	now := s.clock.Now()
	var tz string
	if err := s.db.QueryRow(ctx, `SELECT timezone FROM shops WHERE id = ?`, shopID).Scan(&tz); err != nil {
		return out, fmt.Errorf("survey: shop %d: %w", shopID, err)
	}
	loc := shop.LocationOf(tz)
	policy, err := s.campaigns.Policy(ctx, shopID)
	if err != nil {
		return out, err
	}
	if quiet, until := policy.Quiet(now, loc); quiet {
		var n int
		if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM survey_invites WHERE shop_id = ? AND status = 'queued'`, shopID).Scan(&n); err != nil {
			return out, err
		}
		if n > 0 {
			out.Next = until
		}
		return out, nil
	}
	// Invites that failed for a moment carry their reason and wait
	// retryAfter since they were last tried (created_at for the first try).
	rows, err := s.db.Query(ctx, `SELECT i.id, i.survey_id, i.customer_id, i.channel, i.expires_at, i.reason, COALESCE(i.sent_at, 0),
sv.status, sv.title, c.phone, c.email, c.merged_into, cc.granted,
COALESCE((SELECT MIN(ci.value) FROM customer_identities ci WHERE ci.shop_id = c.shop_id AND ci.customer_id = c.id AND ci.kind = 'openid'), '')
FROM survey_invites i
JOIN surveys sv ON sv.shop_id = i.shop_id AND sv.id = i.survey_id
JOIN customers c ON c.shop_id = i.shop_id AND c.id = i.customer_id
LEFT JOIN customer_consents cc ON cc.shop_id = i.shop_id AND cc.customer_id = i.customer_id AND cc.channel = i.channel AND cc.purpose = 'marketing'
WHERE i.shop_id = ? AND i.status = 'queued'
ORDER BY i.id LIMIT ?`, shopID, batch)
	if err != nil {
		return out, fmt.Errorf("survey: queued invites of shop %d: %w", shopID, err)
	}
	type pending struct {
		inv            Invite
		lastTry        int64
		retrying       bool
		status, title  string
		phone, email   string
		openid         string
		merged         sql.NullInt64
		granted        sql.NullBool
		result, reason string
	}
	var ps []*pending
	for rows.Next() {
		p := &pending{}
		var exp int64
		if err := rows.Scan(&p.inv.ID, &p.inv.SurveyID, &p.inv.CustomerID, &p.inv.Channel, &exp, &p.reason, &p.lastTry,
			&p.status, &p.title, &p.phone, &p.email, &p.merged, &p.granted, &p.openid); err != nil {
			rows.Close()
			return out, fmt.Errorf("survey: queued invites of shop %d: %w", shopID, err)
		}
		if err := s.db.Keys().OpenAll(seal.Phone(&p.phone), seal.Email(&p.email)); err != nil {
			rows.Close()
			return out, fmt.Errorf("survey: queued invites of shop %d: %w", shopID, err)
		}
		p.inv.ExpiresAt = time.Unix(exp, 0)
		p.retrying = p.reason != ""
		p.reason = ""
		ps = append(ps, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, err
	}
	var shopName string
	if err := s.db.QueryRow(ctx, `SELECT name FROM shops WHERE id = ?`, shopID).Scan(&shopName); err != nil {
		return out, err
	}
	senders := map[string]channel.Sender{}
	defer func() {
		for _, snd := range senders {
			campaign.CloseSender(snd)
		}
	}()
	sender := func(ch string) (channel.Sender, error) {
		if snd, ok := senders[ch]; ok {
			return snd, nil
		}
		st, err := s.campaigns.ChannelSettings(ctx, shopID, ch)
		if err != nil {
			return nil, err
		}
		if !st.Configured() {
			senders[ch] = nil
			return nil, nil
		}
		snd, err := campaign.NewSender(st, s.clock)
		if err != nil {
			return nil, err
		}
		senders[ch] = snd
		return snd, nil
	}
	for _, p := range ps {
		if ctx.Err() != nil {
			break
		}
		if p.retrying && now.Unix() < p.lastTry+int64(retryAfter/time.Second) {
			due := time.Unix(p.lastTry, 0).Add(retryAfter)
			if out.Next.IsZero() || due.Before(out.Next) {
				out.Next = due
			}
			p.result = "" // untouched this run
			continue
		}
		addr := contactAddress(p.inv.Channel, p.phone, p.email, p.openid, p.inv.CustomerID)
		switch {
		case p.status == Closed:
			p.result, p.reason = Skipped, ReasonClosed
		case !now.Before(p.inv.ExpiresAt):
			p.result, p.reason = Skipped, ReasonExpired
		case p.merged.Valid:
			p.result, p.reason = Skipped, ReasonMerged
		case p.granted.Valid && !p.granted.Bool:
			p.result, p.reason = Skipped, ReasonOptedOut
		case addr == "":
			p.result, p.reason = Skipped, ReasonNoAddress
		}
		if p.result != "" {
			continue
		}
		if p.status != Active { // a draft cannot have invites; kept queued if ever
			continue
		}
		snd, err := sender(p.inv.Channel)
		if err != nil {
			return out, err
		}
		if snd == nil {
			p.result, p.reason = Skipped, ReasonNoChannel
			continue
		}
		p.inv.Address = addr
		token, err := s.Token(ctx, shopID, &p.inv)
		if err != nil {
			return out, err
		}
		link := strings.TrimRight(publicURL, "/") + "/f/" + token
		text := fmt.Sprintf("%s：邀请您花 1 分钟告诉我们您的感受 %s （%s 前有效）", p.title, link, p.inv.ExpiresAt.In(loc).Format("2006-01-02"))
		if p.inv.Channel != campaign.SMS { // an SMS carries the shop's sign name already
			text = "【" + shopName + "】" + text
		}
		msg := channel.Message{To: addr, Subject: p.title, Text: text, URL: link,
			Params:         map[string]string{"shop": shopName, "title": p.title, "url": link},
			IdempotencyKey: "gx-survey-" + strconv.FormatInt(shopID, 10) + "-" + strconv.FormatInt(p.inv.ID, 10)}
		if _, err := snd.Send(ctx, msg); err != nil {
			reason := err.Error()
			if len(reason) > 300 {
				reason = reason[:300]
			}
			if channel.IsTemporary(err) && now.Add(retryAfter).Before(p.inv.ExpiresAt) {
				p.result, p.reason = Queued, reason
				if due := now.Add(retryAfter); out.Next.IsZero() || due.Before(out.Next) {
					out.Next = due
				}
			} else {
				p.result, p.reason = Failed, reason
			}
			continue
		}
		p.result = Sent
	}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		for _, p := range ps {
			var err error
			switch p.result {
			case "":
				continue
			case Sent:
				_, err = tx.Exec(ctx, `UPDATE survey_invites SET status = 'sent', address = ?, reason = '', sent_at = ? WHERE shop_id = ? AND id = ? AND status = 'queued'`,
					tx.Keys().Seal("address", p.inv.Address), now.Unix(), shopID, p.inv.ID)
				out.Sent++
			case Queued: // a temporary failure: sent_at holds the try's time until it goes
				_, err = tx.Exec(ctx, `UPDATE survey_invites SET reason = ?, sent_at = ? WHERE shop_id = ? AND id = ? AND status = 'queued'`,
					p.reason, now.Unix(), shopID, p.inv.ID)
			default:
				_, err = tx.Exec(ctx, `UPDATE survey_invites SET status = ?, reason = ?, sent_at = NULL WHERE shop_id = ? AND id = ? AND status = 'queued'`,
					p.result, p.reason, shopID, p.inv.ID)
				if p.result == Failed {
					out.Failed++
				} else {
					out.Skipped++
				}
			}
			if err != nil {
				return fmt.Errorf("survey: record invite %d: %w", p.inv.ID, err)
			}
		}
		return nil
	})
	if err == nil && len(ps) == batch && out.Next.IsZero() {
		out.Next = now // more are queued
	}
	return out, err
}

// contactAddress is where a message on the channel goes, "" when the
// customer has none usable (a masked value is no address); the same rules
// as a campaign's.
func contactAddress(ch, phone, email, openid string, id int64) string {
	switch ch {
	case campaign.SMS:
		p := guanxi.NormalizePhone(phone)
		if len(p) != 11 {
			return ""
		}
		return p
	case campaign.Email:
		e := strings.TrimSpace(email)
		if guanxi.IsMasked(e) || strings.Count(e, "@") != 1 || strings.ContainsAny(e, " \r\n<>") {
			return ""
		}
		return e
	case campaign.WeChat:
		return openid
	case campaign.Webhook:
		return strconv.FormatInt(id, 10)
	}
	return ""
}

// Invites lists a survey's invites, newest first (at most limit, 200 by
// default).
func (s *Service) Invites(ctx context.Context, shopID, surveyID int64, limit int) ([]Invite, error) {
	if limit <= 0 {
		limit = 200
	}
	return invites(ctx, s.db, shopID, `WHERE shop_id = ? AND survey_id = ? ORDER BY id DESC LIMIT `+strconv.Itoa(limit), shopID, surveyID)
}

func invites(ctx context.Context, q querier, shopID int64, where string, args ...any) ([]Invite, error) {
	rows, err := q.Query(ctx, `SELECT id, survey_id, customer_id, ticket_id, agent_id, channel, address, status, reason, created_at, sent_at, expires_at
FROM survey_invites `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("survey: invites of shop %d: %w", shopID, err)
	}
	defer rows.Close()
	var out []Invite
	for rows.Next() {
		var v Invite
		var agent, sent sql.NullInt64
		var created, expires int64
		err := rows.Scan(&v.ID, &v.SurveyID, &v.CustomerID, &v.TicketID, &agent, &v.Channel, &v.Address, &v.Status, &v.Reason,
			&created, &sent, &expires)
		if err == nil {
			v.Address, err = q.Keys().Open("address", v.Address)
		}
		if err != nil {
			return nil, fmt.Errorf("survey: invites of shop %d: %w", shopID, err)
		}
		v.AgentID, v.CreatedAt, v.SentAt, v.ExpiresAt = agent.Int64, time.Unix(created, 0), store.TimeOf(sent), time.Unix(expires, 0)
		out = append(out, v)
	}
	return out, rows.Err()
}

// Counts are a survey's invites by status.
type Counts map[string]int

// InviteCounts counts a survey's invites by status.
func (s *Service) InviteCounts(ctx context.Context, shopID, surveyID int64) (Counts, error) {
	rows, err := s.db.Query(ctx, `SELECT status, COUNT(*) FROM survey_invites WHERE shop_id = ? AND survey_id = ? GROUP BY status`, shopID, surveyID)
	if err != nil {
		return nil, fmt.Errorf("survey: invite counts of %d: %w", surveyID, err)
	}
	defer rows.Close()
	c := Counts{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		c[st] = n
	}
	return c, rows.Err()
}

// Delivered is how many invites went out: sent, answered or not.
func (c Counts) Delivered() int { return c[Sent] + c[Answered] }
