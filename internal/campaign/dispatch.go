package campaign

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/channel"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Dispatcher sends campaigns' messages. Its state is the campaign_messages
// table: a message is queued, then marked sending (committed) before it
// goes to the provider, then sent, failed, bounced or queued again for a
// retry with its next time. A crash can only leave messages marked
// sending; the next run resends those where the provider deduplicates by
// idempotency key and marks the others in_doubt rather than risk sending
// twice. Runs of one campaign must not overlap: the job queue runs one at a
// time.
type Dispatcher struct {
	svc *Service
	log *slog.Logger

	// PublicURL is the address customers reach Guanxi at, for unsubscribe
	// links: "https://crm.example.com".
	PublicURL   string
	Batch       int // messages claimed per batch; default 500
	MaxAttempts int // sends of one message before it fails; default 5
	// Backoff is the wait before the given retry (1 for the first); default
	// 30 s doubling up to an hour, with jitter.
	Backoff func(attempt int) time.Duration
	// Clock is the sender's clock (signatures, Date headers); default the
	// service's.
	Clock guanxi.Clock

	senders  senderCache
	mu       sync.Mutex
	limiters map[string]*limiter
	outcomes map[[2]string]int64 // channel, outcome → messages, for metrics
}

type limiter struct {
	rate float64
	l    *rate.Limiter
}

// NewDispatcher returns a dispatcher for svc's campaigns.
func NewDispatcher(svc *Service, log *slog.Logger, publicURL string) *Dispatcher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{svc: svc, log: log, PublicURL: strings.TrimRight(publicURL, "/"), limiters: map[string]*limiter{}, outcomes: map[[2]string]int64{}}
}

// Outcomes returns how many messages this dispatcher has recorded per
// channel and outcome (sent, queued again, failed, bounced) since it
// started, for the server's metrics.
func (d *Dispatcher) Outcomes() map[[2]string]int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[[2]string]int64, len(d.outcomes))
	for k, v := range d.outcomes {
		out[k] = v
	}
	return out
}

// Close closes the providers' connections.
func (d *Dispatcher) Close() { d.senders.close() }

func (d *Dispatcher) backoff(attempt int) time.Duration {
	if d.Backoff != nil {
		return d.Backoff(attempt)
	}
	b := 30 * time.Second << min(attempt-1, 7)
	b = min(b, time.Hour)
	return b/2 + rand.N(b/2+1)
}

// limiterFor returns the shared rate limiter of a shop's channel.
func (d *Dispatcher) limiterFor(shopID int64, ch string, perSecond float64) *rate.Limiter {
	if perSecond <= 0 {
		return nil
	}
	key := strconv.FormatInt(shopID, 10) + "/" + ch
	d.mu.Lock()
	defer d.mu.Unlock()
	if l, ok := d.limiters[key]; ok && l.rate == perSecond {
		return l.l
	}
	l := rate.NewLimiter(rate.Limit(perSecond), max(1, int(perSecond/10)))
	d.limiters[key] = &limiter{rate: perSecond, l: l}
	return l
}

// Outcome is what a dispatch run did.
type Outcome struct {
	Sent, Failed, Bounced, Skipped, Retried, InDoubt, Resent int
	// Next is when the campaign has more to send (retries due later, quiet
	// hours, a service campaign let through first); zero when it is done or
	// stopped.
	Next time.Time
	// Why says why it stopped early, if it did.
	Why string
}

func (o Outcome) String() string {
	s := fmt.Sprintf("sent %d, failed %d, bounced %d, skipped %d, retrying %d", o.Sent, o.Failed, o.Bounced, o.Skipped, o.Retried)
	if o.InDoubt > 0 {
		s += fmt.Sprintf(", in doubt after a crash %d", o.InDoubt)
	}
	if o.Resent > 0 {
		s += fmt.Sprintf(", resent after a crash %d", o.Resent)
	}
	if o.Why != "" {
		s += "; " + o.Why
	}
	return s
}

// outgoing is one message of a batch.
type outgoing struct {
	customerID int64
	address    string
	coupon     string
	attempts   int
	skip       string // why the contact policy stops it now
	result     channel.Result
	err        error
}

// Run sends the campaign's due messages until none is due now, it is
// paused or cancelled, quiet hours begin or a service campaign of the shop
// waits. progress, if not nil, is told how far it is.
func (d *Dispatcher) Run(ctx context.Context, shopID, campaignID int64, progress func(stage string, done float64)) (Outcome, error) {
	var out Outcome
	c, err := d.svc.Get(ctx, shopID, campaignID)
	if err != nil {
		return out, err
	}
	if c.Status != Sending {
		out.Why = "campaign is " + c.Status
		return out, nil
	}
	st, err := d.svc.ChannelSettings(ctx, shopID, c.Channel)
	if err != nil {
		return out, err
	}
	if !st.Configured() {
		return out, guanxi.Errorf(guanxi.EINVALID, "campaign %d: the %s channel has no provider settings", campaignID, c.Channel)
	}
	snd, err := d.senders.get(st, shopID, d.clock())
	if err != nil {
		return out, err
	}
	if err := d.recover(ctx, shopID, c, &out); err != nil {
		return out, err
	}
	sh, err := d.svc.shop(ctx, shopID)
	if err != nil {
		return out, err
	}
	body, err := ParseTemplate(c.Body)
	if err != nil {
		return out, err
	}
	subject, err := ParseTemplate(c.Subject)
	if err != nil {
		return out, err
	}
	var key []byte
	if c.Purpose == Marketing {
		if key, err = d.svc.key(ctx, shopID); err != nil {
			return out, err
		}
	}
	total, err := d.remaining(ctx, shopID, c.ID)
	if err != nil {
		return out, err
	}
	lim := d.limiterFor(shopID, c.Channel, st.Rate)
	batch := d.Batch
	if batch <= 0 {
		batch = 500
	}
	if !dedupes(c.Channel) {
		// What a crash leaves in doubt is at most one batch: keep it to a
		// few messages per connection where doubt means not resending.
		batch = min(batch, 8*connections(snd))
	}
	done := 0
	for ctx.Err() == nil {
		now := d.svc.clock.Now()
		status, err := d.status(ctx, shopID, c.ID)
		if err != nil {
			return out, err
		}
		if status != Sending {
			out.Why = "campaign is " + status
			return out, nil
		}
		p, err := d.svc.Policy(ctx, shopID)
		if err != nil {
			return out, err
		}
		if quiet, until := p.Quiet(now, sh.loc); quiet {
			out.Next, out.Why = until, "quiet hours until "+until.In(sh.loc).Format("15:04")
			return out, nil
		}
		if c.Purpose == Marketing {
			if waiting, err := d.serviceWaiting(ctx, shopID); err != nil {
				return out, err
			} else if waiting {
				out.Next, out.Why = now, "a service campaign goes first"
				return out, nil
			}
		}
		msgs, skipped, err := d.claim(ctx, shopID, c, p, now, batch)
		out.Skipped += skipped
		if err != nil {
			return out, err
		}
		if len(msgs) == 0 && skipped > 0 {
			continue
		}
		if len(msgs) == 0 {
			next, err := d.nextDue(ctx, shopID, c.ID)
			if err != nil {
				return out, err
			}
			if !next.IsZero() {
				out.Next, out.Why = next, "retries due later"
				return out, nil
			}
			return out, d.finish(ctx, shopID, c.ID)
		}
		if err := d.send(ctx, shopID, c, snd, lim, sh.name, body, subject, key, msgs); err != nil {
			return out, err
		}
		if err := d.record(ctx, shopID, c, msgs, &out); err != nil {
			return out, err
		}
		done += len(msgs)
		if progress != nil && total > 0 {
			progress("sending", min(1, float64(done)/float64(total)))
		}
	}
	return out, ctx.Err()
}

func (d *Dispatcher) clock() guanxi.Clock {
	if d.Clock != nil {
		return d.Clock
	}
	return d.svc.clock
}

// recover deals with messages a crashed run left marked sending.
func (d *Dispatcher) recover(ctx context.Context, shopID int64, c *Campaign, out *Outcome) error {
	status := "in_doubt"
	if dedupes(c.Channel) {
		status = "queued"
	}
	res, err := d.svc.db.Exec(ctx, `UPDATE campaign_messages SET status = ?, error = 'interrupted while sending'
WHERE shop_id = ? AND campaign_id = ? AND status = 'sending'`, status, shopID, c.ID)
	if err != nil {
		return fmt.Errorf("campaign %d: recover: %w", c.ID, err)
	}
	n, _ := res.RowsAffected()
	if status == "queued" {
		out.Resent += int(n)
	} else {
		out.InDoubt += int(n)
	}
	if n > 0 {
		d.log.Warn("campaign messages interrupted by a crash", "shop_id", shopID, "campaign", c.ID, "messages", n, "now", status)
	}
	return nil
}

func (d *Dispatcher) status(ctx context.Context, shopID, id int64) (string, error) {
	var s string
	if err := d.svc.db.QueryRow(ctx, `SELECT status FROM campaigns WHERE shop_id = ? AND id = ?`, shopID, id).Scan(&s); err != nil {
		return "", fmt.Errorf("campaign %d: status: %w", id, err)
	}
	return s, nil
}

func (d *Dispatcher) remaining(ctx context.Context, shopID, id int64) (int, error) {
	var n int
	err := d.svc.db.QueryRow(ctx, `SELECT COUNT(*) FROM campaign_messages WHERE shop_id = ? AND campaign_id = ? AND status = 'queued'`, shopID, id).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("campaign %d: queue: %w", id, err)
	}
	return n, nil
}

// serviceWaiting reports whether a service campaign of the shop is sending:
// promotions yield to it.
func (d *Dispatcher) serviceWaiting(ctx context.Context, shopID int64) (bool, error) {
	var n int
	err := d.svc.db.QueryRow(ctx, `SELECT COUNT(*) FROM campaigns WHERE shop_id = ? AND status = 'sending' AND purpose = 'service'`, shopID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("campaign: service campaigns of shop %d: %w", shopID, err)
	}
	return n > 0, nil
}

func (d *Dispatcher) nextDue(ctx context.Context, shopID, id int64) (time.Time, error) {
	var next *int64
	err := d.svc.db.QueryRow(ctx, `SELECT MIN(next_at) FROM campaign_messages WHERE shop_id = ? AND campaign_id = ? AND status = 'queued'`, shopID, id).Scan(&next)
	if err != nil {
		return time.Time{}, fmt.Errorf("campaign %d: next retry: %w", id, err)
	}
	if next == nil {
		return time.Time{}, nil
	}
	return time.Unix(*next, 0), nil
}

// finish marks a campaign with nothing left to send as sent.
func (d *Dispatcher) finish(ctx context.Context, shopID, id int64) error {
	now := d.svc.clock.Now()
	_, err := d.svc.db.Exec(ctx, `UPDATE campaigns SET status = 'sent', finished_at = ?, updated_at = ?, version = version + 1
WHERE shop_id = ? AND id = ? AND status = 'sending'`, now.Unix(), now.Unix(), shopID, id)
	if err != nil {
		return fmt.Errorf("campaign %d: finish: %w", id, err)
	}
	return nil
}

// claim takes the next due messages, checks the contact policy for each
// as it stands now (a customer may have unsubscribed, complained or been
// messaged by another campaign since the launch) and marks the rest
// sending, in one transaction: from its commit on, a crash leaves them for
// recover.
func (d *Dispatcher) claim(ctx context.Context, shopID int64, c *Campaign, p Policy, now time.Time, batch int) ([]*outgoing, int, error) {
	var msgs []*outgoing
	skippedN := 0
	err := d.svc.db.Update(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT customer_id, address, coupon, attempts FROM campaign_messages
WHERE shop_id = ? AND campaign_id = ? AND status = 'queued' AND next_at <= ? ORDER BY next_at, customer_id LIMIT ?`,
			shopID, c.ID, now.Unix(), batch)
		if err != nil {
			return fmt.Errorf("campaign %d: claim: %w", c.ID, err)
		}
		for rows.Next() {
			m := &outgoing{}
			err := rows.Scan(&m.customerID, &m.address, &m.coupon, &m.attempts)
			if err == nil {
				m.address, err = tx.Keys().Open("address", m.address)
			}
			if err != nil {
				rows.Close()
				return err
			}
			msgs = append(msgs, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(msgs) == 0 {
			return err
		}
		ids := make([]int64, len(msgs))
		for i, m := range msgs {
			ids[i] = m.customerID
		}
		if err := d.policyCheck(ctx, tx, shopID, c, p, now, ids, msgs); err != nil {
			return err
		}
		var sending, skipped []*outgoing
		for _, m := range msgs {
			if m.skip != "" {
				skipped = append(skipped, m)
			} else {
				sending = append(sending, m)
			}
		}
		if len(skipped) > 0 {
			vals := make([][]any, len(skipped))
			for i, m := range skipped {
				vals[i] = []any{m.customerID, "skipped", nil, nil, "", "contact policy: " + m.skip}
			}
			if err := updateMessages(ctx, tx, shopID, c.ID, vals); err != nil {
				return err
			}
		}
		msgs, skippedN = sending, len(skipped)
		if len(msgs) == 0 {
			return nil
		}
		args := []any{shopID, c.ID}
		for _, m := range msgs {
			args = append(args, m.customerID)
			m.attempts++
		}
		_, err = tx.Exec(ctx, `UPDATE campaign_messages SET status = 'sending', attempts = attempts + 1
WHERE shop_id = ? AND campaign_id = ? AND customer_id IN (`+store.In(len(msgs))+`)`, args...)
		if err != nil {
			return fmt.Errorf("campaign %d: claim: %w", c.ID, err)
		}
		return nil
	})
	return msgs, skippedN, err
}

// policyCheck marks the messages the contact policy stops now: merged
// customers, withdrawn consent and, for promotions, holds and caps.
func (d *Dispatcher) policyCheck(ctx context.Context, tx *store.Tx, shopID int64, c *Campaign, p Policy, now time.Time, ids []int64, msgs []*outgoing) error {
	args := []any{c.Channel, shopID}
	for _, id := range ids {
		args = append(args, id)
	}
	// A subquery by primary key rather than a join: the plan stays a lookup
	// per customer whatever the planner believes of the tables' sizes.
	rows, err := tx.Query(ctx, `SELECT c.id, c.merged_into IS NOT NULL,
(SELECT cc.granted FROM customer_consents cc WHERE cc.shop_id = c.shop_id AND cc.customer_id = c.id AND cc.channel = ? AND cc.purpose = 'marketing')
FROM customers c WHERE c.shop_id = ? AND c.id IN (`+store.In(len(ids))+`)`, args...)
	if err != nil {
		return fmt.Errorf("campaign %d: policy: %w", c.ID, err)
	}
	type state struct {
		merged  bool
		granted *bool
	}
	states := map[int64]state{}
	for rows.Next() {
		var id int64
		var st state
		if err := rows.Scan(&id, &st.merged, &st.granted); err != nil {
			rows.Close()
			return err
		}
		states[id] = st
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var held, capped map[int64]bool
	if c.Purpose == Marketing {
		if held, err = d.svc.heldCustomers(ctx, tx, shopID, ids); err != nil {
			return err
		}
		if capped, err = cappedCustomers(ctx, tx, shopID, p, now, c.ID, ids); err != nil {
			return err
		}
	}
	for _, m := range msgs {
		st, ok := states[m.customerID]
		switch {
		case !ok:
			m.skip = "customer deleted"
		case st.merged:
			m.skip = "customer merged into another"
		case st.granted != nil && !*st.granted && c.Purpose == Marketing:
			m.skip = ReasonOptedOut
		case st.granted == nil && c.Purpose == Marketing && d.svc.needsConsent(c.Channel):
			m.skip = ReasonNoConsent
		case held[m.customerID]:
			m.skip = ReasonHeld
		case capped[m.customerID]:
			m.skip = ReasonCapped
		}
	}
	return nil
}

// send renders and sends a batch, as many at once as the sender's
// connections allow, at the channel's rate.
func (d *Dispatcher) send(ctx context.Context, shopID int64, c *Campaign, snd channel.Sender, lim *rate.Limiter, shopName string,
	body, subject *Template, key []byte, msgs []*outgoing) error {
	ids := make([]int64, len(msgs))
	for i, m := range msgs {
		ids[i] = m.customerID
	}
	vars, err := d.svc.vars(ctx, d.svc.db, shopID, shopName, ids)
	if err != nil {
		return err
	}
	work := make(chan *outgoing)
	var wg sync.WaitGroup
	for range min(connections(snd), len(msgs)) {
		wg.Go(func() {
			for m := range work {
				if lim != nil {
					if err := lim.Wait(ctx); err != nil {
						m.err = err
						continue
					}
				}
				v := vars[m.customerID]
				v.Coupon = m.coupon
				msg := channel.Message{
					To:             m.address,
					Subject:        subject.Render(v),
					Text:           body.Render(v),
					Template:       c.ProviderTemplate,
					Marketing:      c.Purpose == Marketing,
					IdempotencyKey: fmt.Sprintf("gx-%d-%d-%d", shopID, c.ID, m.customerID),
				}
				if c.ProviderTemplate != "" {
					msg.Params = map[string]string{"name": v.Name, "tier": v.Tier, "points": v.Points, "product": v.Product, "coupon": v.Coupon, "shop": v.Shop}
				}
				if key != nil && d.PublicURL != "" && (c.Channel == Email || c.Channel == Webhook) {
					msg.UnsubscribeURL = d.PublicURL + "/u/" + signUnsub(key, Unsub{ShopID: shopID, CampaignID: c.ID, CustomerID: m.customerID, Channel: c.Channel})
					if c.Channel == Email {
						msg.Text += "\n\n退订 / Unsubscribe: " + msg.UnsubscribeURL
					}
				}
				m.result, m.err = snd.Send(ctx, msg)
			}
		})
	}
	for _, m := range msgs {
		work <- m
	}
	close(work)
	wg.Wait()
	return nil
}

// record writes each message's outcome in one transaction; a bounce also
// withdraws the address's consent at once.
func (d *Dispatcher) record(ctx context.Context, shopID int64, c *Campaign, msgs []*outgoing, out *Outcome) error {
	now := d.svc.clock.Now()
	maxAttempts := d.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = 5
	}
	vals := make([][]any, 0, len(msgs))
	var bounced []int64
	for _, m := range msgs {
		switch {
		case m.err == nil:
			vals = append(vals, []any{m.customerID, "sent", nil, now.Unix(), m.result.ID, ""})
			out.Sent++
		case ctx.Err() != nil && errors.Is(m.err, ctx.Err()):
			// Stopped before it went: queue it again as it was.
			vals = append(vals, []any{m.customerID, "queued", now.Unix(), nil, "", "interrupted"})
		case channel.IsTemporary(m.err) && m.attempts < maxAttempts:
			vals = append(vals, []any{m.customerID, "queued", now.Add(d.backoff(m.attempts)).Unix(), nil, "", trim(m.err.Error())})
			out.Retried++
		case isBounce(m.err):
			vals = append(vals, []any{m.customerID, "bounced", nil, nil, "", trim(m.err.Error())})
			bounced = append(bounced, m.customerID)
			out.Bounced++
		default:
			vals = append(vals, []any{m.customerID, "failed", nil, nil, "", trim(m.err.Error())})
			out.Failed++
		}
	}
	d.mu.Lock()
	for _, v := range vals {
		d.outcomes[[2]string{c.Channel, v[1].(string)}]++
	}
	d.mu.Unlock()
	// The outcome is written even when ctx ended mid-batch: what was sent
	// must be recorded as sent.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return d.svc.db.Update(wctx, func(tx *store.Tx) error {
		if err := updateMessages(wctx, tx, shopID, c.ID, vals); err != nil {
			return err
		}
		for _, id := range bounced {
			if err := setConsent(wctx, tx, shopID, id, c.Channel, false, fmt.Sprintf("bounce:campaign:%d", c.ID), now); err != nil {
				return err
			}
		}
		return nil
	})
}

// isBounce: the receiving server refused the recipient for good.
func isBounce(err error) bool {
	e, ok := errors.AsType[*channel.Error](err)
	return ok && !e.Temporary && e.Channel == "email" && strings.HasPrefix(e.Code, "5") && strings.HasPrefix(e.Message, "RCPT")
}

func trim(s string) string {
	if len(s) > 500 {
		return s[:500]
	}
	return s
}

// updateMessages sets status, next_at, sent_at, provider_id and error of
// many messages with one statement per chunk: rows are (customer_id,
// status, next_at, sent_at, provider_id, error). The values travel as text
// and are cast, so the statement is the same on both engines.
func updateMessages(ctx context.Context, tx *store.Tx, shopID, campaignID int64, rows [][]any) error {
	const per = 400
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		var b strings.Builder
		args := make([]any, 0, len(chunk)*6+2)
		for i, r := range chunk {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("(?,?,?,?,?,?)")
			for _, v := range r {
				switch x := v.(type) {
				case int64:
					args = append(args, strconv.FormatInt(x, 10))
				default:
					args = append(args, x)
				}
			}
		}
		args = append(args, shopID, campaignID)
		_, err := tx.Exec(ctx, `UPDATE campaign_messages SET status = v.column2, next_at = CAST(v.column3 AS BIGINT),
sent_at = CAST(v.column4 AS BIGINT), provider_id = v.column5, error = v.column6
FROM (VALUES `+b.String()+`) AS v
WHERE campaign_messages.shop_id = ? AND campaign_messages.campaign_id = ? AND campaign_messages.customer_id = CAST(v.column1 AS BIGINT)`, args...)
		if err != nil {
			return fmt.Errorf("campaign %d: record outcomes: %w", campaignID, err)
		}
	}
	return nil
}

// Receipt records a provider's delivery report of a message, by its
// idempotency key: delivered, or failed/bounced after the provider accepted
// it. A bounce withdraws consent at once.
func (s *Service) Receipt(ctx context.Context, shopID int64, key, status, detail string) error {
	var sh, cid, cust int64
	if _, err := fmt.Sscanf(key, "gx-%d-%d-%d", &sh, &cid, &cust); err != nil || sh != shopID {
		return invalid("key", "%q is not a message key of this shop", key)
	}
	if status != "delivered" && status != "failed" && status != "bounced" {
		return invalid("status", "%q: expected delivered, failed or bounced", status)
	}
	now := s.clock.Now()
	return s.db.Update(ctx, func(tx *store.Tx) error {
		var ch string
		err := tx.QueryRow(ctx, `SELECT c.channel FROM campaign_messages m JOIN campaigns c ON c.shop_id = m.shop_id AND c.id = m.campaign_id
WHERE m.shop_id = ? AND m.campaign_id = ? AND m.customer_id = ? AND m.status IN ('sent', 'delivered', 'in_doubt')`, shopID, cid, cust).Scan(&ch)
		if isNoRows(err) {
			return guanxi.Errorf(guanxi.ENOTFOUND, "message %s not found or not sent", key)
		}
		if err != nil {
			return fmt.Errorf("campaign: receipt %s: %w", key, err)
		}
		sentAt := any(nil)
		if status == "delivered" {
			sentAt = now.Unix() // an in-doubt message that arrives was sent
		}
		if _, err := tx.Exec(ctx, `UPDATE campaign_messages SET status = ?, error = ?, sent_at = COALESCE(sent_at, ?)
WHERE shop_id = ? AND campaign_id = ? AND customer_id = ?`, status, trim(detail), sentAt, shopID, cid, cust); err != nil {
			return fmt.Errorf("campaign: receipt %s: %w", key, err)
		}
		if status == "bounced" {
			return setConsent(ctx, tx, shopID, cust, ch, false, fmt.Sprintf("bounce:campaign:%d", cid), now)
		}
		return nil
	})
}

// vars reads the placeholders' values of customers.
func (s *Service) vars(ctx context.Context, q querier, shopID int64, shopName string, ids []int64) (map[int64]Vars, error) {
	out := make(map[int64]Vars, len(ids))
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := []any{shopID}
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := q.Query(ctx, `SELECT c.id, c.name, COALESCE(mt.tier, ''), la.balance, COALESCE(p.name, '')
FROM customers c
LEFT JOIN member_tiers mt ON mt.shop_id = c.shop_id AND mt.customer_id = c.id
LEFT JOIN loyalty_accounts la ON la.shop_id = c.shop_id AND la.customer_id = c.id
LEFT JOIN customer_scores cs ON cs.shop_id = c.shop_id AND cs.customer_id = c.id
LEFT JOIN products p ON p.shop_id = c.shop_id AND p.id = cs.next_product_id
WHERE c.shop_id = ? AND c.id IN (`+store.In(len(chunk))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("campaign: message values: %w", err)
		}
		for rows.Next() {
			var id int64
			var v Vars
			var points *int64
			if err := rows.Scan(&id, &v.Name, &v.Tier, &points, &v.Product); err != nil {
				rows.Close()
				return nil, err
			}
			if points != nil {
				v.Points = strconv.FormatInt(*points, 10)
			}
			v.Shop = shopName
			out[id] = v
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Deliveries counts the target group's messages by status: queued,
// sending, sent, delivered, failed, bounced, skipped, in_doubt.
func (s *Service) Deliveries(ctx context.Context, shopID, id int64) (map[string]int, error) {
	rows, err := s.db.Query(ctx, `SELECT status, COUNT(*) FROM campaign_messages WHERE shop_id = ? AND campaign_id = ? AND grp = 'target' GROUP BY status`, shopID, id)
	if err != nil {
		return nil, fmt.Errorf("campaign %d: deliveries: %w", id, err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}
