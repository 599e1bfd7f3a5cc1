package privacy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/seal"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// erasedText stands in for free text that was removed.
const erasedText = "[已删除]"

// Erasure is the record of one customer's erasure.
type Erasure struct {
	CustomerID int64
	At         time.Time
	Actor      string
	Reason     string
}

// EraseResult says what an erasure changed: rows per table.
type EraseResult struct {
	Customers []int64
	Rows      map[string]int64
}

// Erase removes the personal data of customer id (and of the customers
// merged into them): names, phone, email, address and birthday are
// cleared; identities become keyed pseudonyms, so the same phone imported
// again makes a new customer instead of reviving this one; the free text of
// their notes, tickets, messages, tasks and survey comments is deleted;
// every other occurrence of an original value in their rows is replaced.
// Orders, amounts, dates, product lines, statistics and scores are left as
// they were, so the shop's figures do not move. The caller checks the
// actor is an admin; reason is required and audited with the counts.
func (s *Service) Erase(ctx context.Context, shopID, id int64, reason string) (*EraseResult, error) {
	var res *EraseResult
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		res, err = eraseTx(ctx, tx, shopID, id, reason, s.clock.Now())
		return err
	})
	return res, err
}

func eraseTx(ctx context.Context, tx *store.Tx, shopID, id int64, reason string, now time.Time) (*EraseResult, error) {
	var done int64
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM customer_erasures WHERE shop_id = ? AND customer_id = ?`, shopID, id).Scan(&done); err != nil {
		return nil, fmt.Errorf("privacy: erase: %w", err)
	}
	if done > 0 {
		return nil, guanxi.Errorf(guanxi.ECONFLICT, "customer %d: personal data already erased", id)
	}
	ids, err := family(ctx, tx, shopID, id)
	if err != nil {
		return nil, err
	}
	// After the customer is known to be the shop's: another shop's caller
	// learns nothing but "not found".
	if strings.TrimSpace(reason) == "" {
		return nil, guanxi.Errorf(guanxi.EINVALID, "reason: say why the personal data is erased")
	}
	key, err := shopKey(ctx, tx, shopID, now.Unix())
	if err != nil {
		return nil, err
	}
	originals, err := originalValues(ctx, tx, shopID, ids)
	if err != nil {
		return nil, err
	}
	res := &EraseResult{Customers: ids, Rows: map[string]int64{}}
	exec := func(table, q string, args ...any) error {
		r, err := tx.Exec(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("privacy: erase %s: %w", table, err)
		}
		if n, err := r.RowsAffected(); err == nil {
			res.Rows[table] += n
		}
		return nil
	}
	in := idList(ids)
	ts := now.Unix()

	// Identities first: each value becomes its own pseudonym.
	rows, err := tx.Query(ctx, `SELECT platform, kind, value, customer_id FROM customer_identities WHERE shop_id = ? AND customer_id IN (`+in+`)`, shopID)
	if err != nil {
		return nil, fmt.Errorf("privacy: erase identities: %w", err)
	}
	type ident struct {
		platform, kind, value string
		customer              int64
	}
	var idents []ident
	for rows.Next() {
		var x ident
		if err := rows.Scan(&x.platform, &x.kind, &x.value, &x.customer); err != nil {
			rows.Close()
			return nil, fmt.Errorf("privacy: erase identities: %w", err)
		}
		idents = append(idents, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("privacy: erase identities: %w", err)
	}
	for _, x := range idents {
		if err := exec("customer_identities", `UPDATE customer_identities SET value = ? WHERE shop_id = ? AND platform = ? AND kind = ? AND value = ?`,
			pseudonym(key, x.customer, x.platform+"/"+x.kind, x.value), shopID, x.platform, x.kind, x.value); err != nil {
			return nil, err
		}
	}
	for _, c := range ids {
		if err := exec("customers", `UPDATE customers SET name = ?, phone = '', email = '', address = '', birthday = '', attrs = '{}',
version = version + 1, updated_at = ? WHERE shop_id = ? AND id = ?`, pseudonym(key, c, "name", "")[:len("erased-")+8], ts, shopID, c); err != nil {
			return nil, err
		}
	}
	// Free text written by or about the customer goes entirely.
	for _, st := range []struct{ table, q string }{
		{"timeline_events", `UPDATE timeline_events SET title = '', data = '{}' WHERE shop_id = ? AND kind = 'note' AND customer_id IN (` + in + `)`},
		{"tickets", `UPDATE tickets SET subject = '` + erasedText + `', body = '', solution = '', outcome = '' WHERE shop_id = ? AND customer_id IN (` + in + `)`},
		{"ticket_events", `UPDATE ticket_events SET body = '', delivery_detail = '' WHERE shop_id = ? AND body <> '' AND ticket_id IN (SELECT id FROM tickets WHERE shop_id = ticket_events.shop_id AND customer_id IN (` + in + `))`},
		{"ticket_attachments", `UPDATE ticket_attachments SET name = 'erased', content = ? WHERE shop_id = ? AND ticket_id IN (SELECT id FROM tickets WHERE shop_id = ticket_attachments.shop_id AND customer_id IN (` + in + `))`},
		{"campaign_messages", `UPDATE campaign_messages SET address = '' WHERE shop_id = ? AND address <> '' AND customer_id IN (` + in + `)`},
		{"survey_invites", `UPDATE survey_invites SET address = '' WHERE shop_id = ? AND address <> '' AND customer_id IN (` + in + `)`},
		{"survey_responses", `UPDATE survey_responses SET comment = '' WHERE shop_id = ? AND comment <> '' AND customer_id IN (` + in + `)`},
		{"tasks", `UPDATE tasks SET body = '', outcome = '' WHERE shop_id = ? AND customer_id IN (` + in + `)`},
	} {
		args := []any{shopID}
		if st.table == "ticket_attachments" {
			args = []any{[]byte{}, shopID}
		}
		if err := exec(st.table, st.q, args...); err != nil {
			return nil, err
		}
	}
	// Then every remaining occurrence of an original value in any text
	// column of the customer's rows, found through the catalogue.
	cat, names, err := catalogue(ctx, tx, tx.Dialect())
	if err != nil {
		return nil, err
	}
	if len(originals) > 0 {
		for _, name := range names {
			cols := cat[name]
			where := related(name, cols, ids)
			if where == "" {
				continue
			}
			if err := scrub(ctx, tx, name, cols, where, shopID, originals, exec); err != nil {
				return nil, err
			}
		}
	}
	a := audit.ActorFrom(ctx)
	if _, err := tx.Exec(ctx, `INSERT INTO customer_erasures (shop_id, customer_id, at, actor, reason) VALUES (?, ?, ?, ?, ?)`,
		shopID, id, ts, a.Name, reason); err != nil {
		return nil, fmt.Errorf("privacy: erase: %w", err)
	}
	tables := make([]string, 0, len(res.Rows))
	for t, n := range res.Rows {
		if n > 0 {
			tables = append(tables, t)
		}
	}
	sort.Strings(tables)
	if err := audit.Write(ctx, tx, shopID, "customer.erase", "customer", id, map[string]any{
		"reason": reason, "customers": ids, "tables": tables, "rows": res.Rows,
	}, now); err != nil {
		return nil, err
	}
	return res, nil
}

// originalValues collects the personal values to hunt down: the profile's
// fields and every identity, each as stored and as commonly written (a
// phone with and without +86 and spaces, an email in lower case). Values
// shorter than two characters would match too much and are left out.
func originalValues(ctx context.Context, tx *store.Tx, shopID int64, ids []int64) ([]string, error) {
	in := idList(ids)
	seen := map[string]bool{}
	var out []string
	add := func(v string) {
		v = strings.TrimSpace(v)
		if len([]rune(v)) < 2 || seen[v] {
			return
		}
		seen[v] = true
		out = append(out, v)
	}
	rows, err := tx.Query(ctx, `SELECT name, phone, email, address, birthday FROM customers WHERE shop_id = ? AND id IN (`+in+`)`, shopID)
	if err != nil {
		return nil, fmt.Errorf("privacy: erase: %w", err)
	}
	for rows.Next() {
		var v [5]string
		err := rows.Scan(&v[0], &v[1], &v[2], &v[3], &v[4])
		if err == nil {
			// Sealed at rest; in free text (a note, a ticket) they were typed plain.
			err = tx.Keys().OpenAll(seal.Phone(&v[1]), seal.Email(&v[2]))
		}
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("privacy: erase: %w", err)
		}
		for _, x := range v {
			add(x)
		}
		add(strings.ToLower(v[2]))
		add(digits(v[1]))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("privacy: erase: %w", err)
	}
	rows, err = tx.Query(ctx, `SELECT value FROM customer_identities WHERE shop_id = ? AND customer_id IN (`+in+`)`, shopID)
	if err != nil {
		return nil, fmt.Errorf("privacy: erase: %w", err)
	}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return nil, fmt.Errorf("privacy: erase: %w", err)
		}
		add(v)
	}
	rows.Close()
	// Longest first, so a value containing another is replaced whole.
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out, rows.Err()
}

// digits keeps a phone's national number: 13812345678 of +86 138 1234 5678.
func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	if len(d) == 13 && strings.HasPrefix(d, "86") {
		d = d[2:]
	}
	return d
}

// Erased returns the customer's erasure, or nil when their data was not
// erased.
func (s *Service) Erased(ctx context.Context, shopID, id int64) (*Erasure, error) {
	var e Erasure
	var at int64
	err := s.db.QueryRow(ctx, `SELECT customer_id, at, actor, reason FROM customer_erasures WHERE shop_id = ? AND customer_id = ?`, shopID, id).
		Scan(&e.CustomerID, &at, &e.Actor, &e.Reason)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		return nil, fmt.Errorf("privacy: erasure of %d: %w", id, err)
	}
	e.At = time.Unix(at, 0)
	return &e, nil
}

// scrub replaces every original value in every text column of the rows of
// table that where selects, in one statement: each column is set to itself
// with each value replaced (a no-op where none occurs), on the rows where
// some column holds some value.
func scrub(ctx context.Context, tx *store.Tx, table string, cols []column, where string, shopID int64, originals []string,
	exec func(table, q string, args ...any) error) error {
	var sets, conds []string
	var setArgs, condArgs []any
	pg := tx.Dialect() == store.Postgres
	for _, c := range cols {
		if c.kind != colText && c.kind != colJSON {
			continue
		}
		expr := c.name
		if pg && c.kind == colJSON {
			expr = castText(c.name)
		}
		set := expr
		for _, o := range originals {
			set = "REPLACE(" + set + ", ?, ?)"
			setArgs = append(setArgs, o, erasedText)
			if pg {
				conds = append(conds, "strpos("+expr+", ?) > 0")
			} else {
				conds = append(conds, "instr("+expr+", ?) > 0")
			}
			condArgs = append(condArgs, o)
		}
		if pg && c.kind == colJSON {
			set = "CAST(" + set + " AS JSONB)"
		}
		sets = append(sets, c.name+" = "+set)
	}
	if len(sets) == 0 {
		return nil
	}
	q := "UPDATE " + table + " SET " + strings.Join(sets, ", ") + " WHERE shop_id = ? AND " + where + " AND (" + strings.Join(conds, " OR ") + ")"
	args := append(setArgs, shopID)
	return exec(table, q, append(args, condArgs...)...)
}
