package importer

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/orderfile"
	"github.com/guanxi-crm/guanxi/internal/seal"
)

// ident is one way a record names its buyer.
type ident struct {
	platform, kind, value string
	label                 string // for merge reasons: "same phone 13812345678"
}

// identities lists the usable identities of a record's buyer in the shop:
// its platform id (namespaced by platform), WeChat unionid, normalised phone
// and e-mail, the last two as the keyed hashes they are stored and looked up
// by (labelled masked, since merge reasons are kept in the clear). Masked
// values are left out: they are for display, never for matching.
func identities(rec *orderfile.Record, k *seal.Keys, shopID int64) []ident {
	c := &rec.Customer
	var out []ident
	if key := strings.TrimSpace(c.Key); key != "" && !guanxi.IsMasked(key) && !strings.Contains(key, "*") {
		kind := c.KeyKind
		if kind == "" {
			kind = orderfile.KeyCustomerID
		}
		out = append(out, ident{rec.Platform, kind, key, "same " + rec.Platform + " " + kind + " " + key})
	}
	if u := strings.TrimSpace(rec.Attrs["unionid"]); u != "" {
		out = append(out, ident{"wechat", orderfile.KeyUnionID, u, "same WeChat unionid " + u})
	}
	if p := guanxi.NormalizePhone(c.Phone); p != "" {
		out = append(out, ident{"", "phone", k.Hash(shopID, "phone", p), "same phone " + guanxi.MaskPhone(p)})
	}
	if e := guanxi.NormalizeEmail(c.Email); e != "" {
		out = append(out, ident{"", "email", k.Hash(shopID, "email", e), "same email " + guanxi.MaskEmail(e)})
	}
	return out
}

// resolve returns the customer the record's buyer is, creating one for a new
// buyer and merging customers the record shows to be one person. It returns
// 0 for a guest order.
func (r *run) resolve(ctx context.Context, rec *orderfile.Record) (int64, error) {
	ids := identities(rec, r.tx.Keys(), r.sh.ID)
	if len(ids) == 0 {
		return 0, nil
	}
	var found []int64
	reasons := map[int64]string{}
	for _, id := range ids {
		if cid, ok := r.idents[identKey(id.platform, id.kind, id.value)]; ok {
			cid = r.canon(cid)
			if !slices.Contains(found, cid) {
				found = append(found, cid)
				reasons[cid] = id.label
			}
		}
	}
	var cid int64
	switch len(found) {
	case 0:
		var err error
		if cid, err = r.newCustomer(ctx, rec); err != nil {
			return 0, err
		}
	case 1:
		cid = found[0]
	default:
		// The record ties several customers together: keep the oldest.
		slices.Sort(found)
		cid = found[0]
		for _, other := range found[1:] {
			if err := r.merge(ctx, other, cid, reasons[other]); err != nil {
				return 0, err
			}
		}
	}
	for _, id := range ids {
		k := identKey(id.platform, id.kind, id.value)
		if _, ok := r.idents[k]; !ok {
			r.idents[k] = cid
			r.identRows = append(r.identRows, []any{r.sh.ID, id.platform, id.kind, id.value, cid, r.now})
		}
	}
	if err := r.fillProfile(ctx, cid, rec); err != nil {
		return 0, err
	}
	if am := rec.Customer.AcceptsMarketing; am != nil {
		r.consentRows = append(r.consentRows, []any{r.sh.ID, cid, "email", "marketing", *am, "import:" + rec.Platform, rec.PlacedAt.Unix()})
	}
	return cid, nil
}

// profile is what a record says about its buyer, cleaned for display.
type profile struct {
	name, phone, email, province, city, address string
	mask                                        uint8
}

func profileOf(rec *orderfile.Record) profile {
	c := &rec.Customer
	p := profile{name: strings.TrimSpace(c.Name), province: c.Province, city: c.City, address: strings.TrimSpace(c.Address)}
	if p.province == "" {
		p.province, p.city = rec.Province, rec.City
	}
	if n := guanxi.NormalizePhone(c.Phone); n != "" {
		p.phone, p.mask = n, p.mask|fPhoneAny|fPhoneFull
	} else if v := orderfile.CleanCell(c.Phone); v != "" {
		p.phone, p.mask = v, p.mask|fPhoneAny
	}
	if n := guanxi.NormalizeEmail(c.Email); n != "" {
		p.email, p.mask = n, p.mask|fEmailAny|fEmailFull
	} else if v := strings.TrimSpace(c.Email); v != "" {
		p.email, p.mask = v, p.mask|fEmailAny
	}
	for _, f := range []struct {
		v   string
		bit uint8
	}{{p.name, fName}, {p.province, fProvince}, {p.city, fCity}, {p.address, fAddress}} {
		if f.v != "" {
			p.mask |= f.bit
		}
	}
	return p
}

func (r *run) newCustomer(ctx context.Context, rec *orderfile.Record) (int64, error) {
	id, err := r.alloc(ctx, &r.custIDs, "customers")
	if err != nil {
		return 0, err
	}
	p := profileOf(rec)
	r.pendingCust[id] = len(r.custRows)
	k := r.tx.Keys()
	r.custRows = append(r.custRows, []any{r.sh.ID, id, p.name, k.Seal("phone", p.phone), k.Seal("email", p.email), p.province, p.city, p.address, r.now, r.now})
	if r.freshBase == 0 {
		r.freshBase = id
	}
	if id-r.freshBase != int64(len(r.fresh)) {
		return 0, fmt.Errorf("customer ids are not consecutive (%d after %d): another writer is allocating them", id, r.freshBase+int64(len(r.fresh))-1)
	}
	r.fresh = append(r.fresh, acc{mask: p.mask})
	r.sum.CustomersCreated++
	return id, nil
}

// fillProfile completes a customer's blank profile fields from the record; a
// masked phone or e-mail gives way to a whole one. Fields already set are
// kept: a later order does not overwrite what the shop knows.
func (r *run) fillProfile(ctx context.Context, cid int64, rec *orderfile.Record) error {
	var have uint8
	a := r.freshAcc(cid)
	if a != nil {
		have = a.mask
	} else if m, ok := r.filled[cid]; ok {
		have = m
	} else {
		var err error
		if have, err = r.loadMask(ctx, cid); err != nil {
			return err
		}
	}
	p := profileOf(rec)
	var sets []string
	var args []any
	set := func(col string, v string, bit uint8, when bool) {
		if !when {
			return
		}
		if col == "phone" || col == "email" {
			v = r.tx.Keys().Seal(col, v)
		}
		have |= bit
		if i, pending := r.pendingCust[cid]; pending {
			r.custRows[i][slices.Index(custCols, col)] = v
			return
		}
		sets = append(sets, col+" = ?")
		args = append(args, v)
	}
	set("name", p.name, fName, p.mask&fName != 0 && have&fName == 0)
	set("phone", p.phone, p.mask&(fPhoneAny|fPhoneFull), p.mask&fPhoneFull != 0 && have&fPhoneFull == 0 || p.mask&fPhoneAny != 0 && have&fPhoneAny == 0)
	set("email", p.email, p.mask&(fEmailAny|fEmailFull), p.mask&fEmailFull != 0 && have&fEmailFull == 0 || p.mask&fEmailAny != 0 && have&fEmailAny == 0)
	set("province", p.province, fProvince, p.mask&fProvince != 0 && have&fProvince == 0)
	set("city", p.city, fCity, p.mask&fCity != 0 && have&fCity == 0)
	set("address", p.address, fAddress, p.mask&fAddress != 0 && have&fAddress == 0)
	if a != nil {
		a.mask = have
	} else {
		r.filled[cid] = have
	}
	if len(sets) == 0 {
		return nil
	}
	args = append(args, r.now, r.sh.ID, cid)
	if _, err := r.tx.Exec(ctx, `UPDATE customers SET `+strings.Join(sets, ", ")+`, updated_at = ?, version = version + 1 WHERE shop_id = ? AND id = ?`, args...); err != nil {
		return fmt.Errorf("update customer %d: %w", cid, err)
	}
	return nil
}

func (r *run) loadMask(ctx context.Context, cid int64) (uint8, error) {
	var name, phone, email, province, city, address string
	err := r.tx.QueryRow(ctx, `SELECT name, phone, email, province, city, address FROM customers WHERE shop_id = ? AND id = ?`, r.sh.ID, cid).
		Scan(&name, &phone, &email, &province, &city, &address)
	if err == nil {
		err = r.tx.Keys().OpenAll(seal.Phone(&phone), seal.Email(&email))
	}
	if err != nil {
		return 0, fmt.Errorf("load customer %d: %w", cid, err)
	}
	var m uint8
	if name != "" {
		m |= fName
	}
	if phone != "" {
		m |= fPhoneAny
		if guanxi.NormalizePhone(phone) != "" {
			m |= fPhoneFull
		}
	}
	if email != "" {
		m |= fEmailAny
		if guanxi.NormalizeEmail(email) != "" {
			m |= fEmailFull
		}
	}
	for _, f := range []struct {
		v   string
		bit uint8
	}{{province, fProvince}, {city, fCity}, {address, fAddress}} {
		if f.v != "" {
			m |= f.bit
		}
	}
	return m, nil
}

// merge folds customer from into customer to: orders, identities, timeline
// and consent move over, blank profile fields are filled, and from is kept,
// marked merged_into, with a customer_merges record saying why, so the
// merge can be explained and undone.
func (r *run) merge(ctx context.Context, from, to int64, reason string) error {
	// Pending rows must be in the database before SQL moves them.
	if err := r.flush(ctx); err != nil {
		return err
	}
	tx, shopID := r.tx, r.sh.ID
	// What moves is recorded, so the merge can be undone from the
	// customer page like one made there.
	trace, err := customer.StartMergeTrace(ctx, tx, shopID, to, from)
	if err != nil {
		return fmt.Errorf("merge customer %d into %d: %w", from, to, err)
	}
	stmts := []struct {
		q    string
		args []any
	}{
		{`UPDATE orders SET customer_id = ? WHERE shop_id = ? AND customer_id = ?`, []any{to, shopID, from}},
		{`UPDATE customer_identities SET customer_id = ? WHERE shop_id = ? AND customer_id = ?`, []any{to, shopID, from}},
		{`UPDATE timeline_events SET customer_id = ? WHERE shop_id = ? AND customer_id = ?`, []any{to, shopID, from}},
		{`INSERT INTO customer_consents (shop_id, customer_id, channel, purpose, granted, source, at)
SELECT shop_id, ?, channel, purpose, granted, source, at FROM customer_consents WHERE shop_id = ? AND customer_id = ?
ON CONFLICT (shop_id, customer_id, channel, purpose) DO NOTHING`, []any{to, shopID, from}},
		{`UPDATE customers SET
  name = CASE WHEN name = '' THEN (SELECT m.name FROM customers m WHERE m.shop_id = ? AND m.id = ?) ELSE name END,
  phone = CASE WHEN phone = '' THEN (SELECT m.phone FROM customers m WHERE m.shop_id = ? AND m.id = ?) ELSE phone END,
  email = CASE WHEN email = '' THEN (SELECT m.email FROM customers m WHERE m.shop_id = ? AND m.id = ?) ELSE email END,
  province = CASE WHEN province = '' THEN (SELECT m.province FROM customers m WHERE m.shop_id = ? AND m.id = ?) ELSE province END,
  city = CASE WHEN city = '' THEN (SELECT m.city FROM customers m WHERE m.shop_id = ? AND m.id = ?) ELSE city END,
  address = CASE WHEN address = '' THEN (SELECT m.address FROM customers m WHERE m.shop_id = ? AND m.id = ?) ELSE address END,
  updated_at = ?, version = version + 1
WHERE shop_id = ? AND id = ?`, []any{shopID, from, shopID, from, shopID, from, shopID, from, shopID, from, shopID, from, r.now, shopID, to}},
		{`UPDATE customers SET merged_into = ?, updated_at = ?, version = version + 1 WHERE shop_id = ? AND id = ?`, []any{to, r.now, shopID, from}},
		{`DELETE FROM customer_stats WHERE shop_id = ? AND customer_id = ?`, []any{shopID, from}},
	}
	for _, st := range stmts {
		if _, err := tx.Exec(ctx, st.q, st.args...); err != nil {
			return fmt.Errorf("merge customer %d into %d: %w", from, to, err)
		}
	}
	detail, err := trace.JSON(ctx, tx, shopID)
	if err != nil {
		return fmt.Errorf("merge customer %d into %d: %w", from, to, err)
	}
	id, err := tx.NextIDs(ctx, shopID, "customer_merges", 1)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO customer_merges (shop_id, id, survivor_id, merged_id, reason, source, merged_at, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		shopID, id, to, from, reason, r.src, r.now, detail); err != nil {
		return fmt.Errorf("merge customer %d into %d: %w", from, to, err)
	}
	r.redirect[from] = to
	r.dirty[from] = struct{}{} // its stats row goes
	if a := r.freshAcc(from); a != nil {
		a.sql = true
	}
	r.markDirty(to)
	// The survivor's profile took blanks from the merged one: read it again.
	m, err := r.loadMask(ctx, to)
	if err != nil {
		return err
	}
	if a := r.freshAcc(to); a != nil {
		a.mask = m
	} else {
		r.filled[to] = m
	}
	r.sum.CustomersMerged++
	return nil
}
