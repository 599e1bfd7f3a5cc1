package importer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/guanxi-crm/guanxi/internal/orderfile"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Results of Apply for one order.
const (
	Created   = "created"
	Updated   = "updated"
	Unchanged = "unchanged"
)

// Applied is what Apply did with one record.
type Applied struct {
	OrderID int64
	Result  string // Created, Updated or Unchanged
}

// ApplyOptions tune one Apply.
type ApplyOptions struct {
	// Source names the writer in the import_runs record and merge records,
	// e.g. "api" or "webhook:DELIVERY".
	Source string
	// InTx, when set, runs in the same transaction after the shop is locked
	// and before any order is written; an error from it writes nothing.
	InTx func(ctx context.Context, tx *store.Tx) error
}

// Apply writes a few orders that arrive one by one (the REST API, the
// inbound order webhook) by the same path as an import, in one transaction:
// buyers are resolved to customers (created or merged as an import would),
// identities, products and lines written, and the touched customers'
// statistics brought up to date. An order that exists is replaced whole
// when it changed and left alone when it did not (content_hash). Unlike an
// import, only the identities, merges and products the records name are
// read, so one order costs a few index lookups however big the shop is.
// It returns one Applied per record, in order; on error nothing is written.
func (s *Service) Apply(ctx context.Context, sh *shop.Shop, recs []*orderfile.Record, opt ApplyOptions) ([]Applied, error) {
	name := opt.Source
	if name == "" {
		name = "api"
	}
	out := make([]Applied, len(recs))
	var sum Summary
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		r, err := s.newRunFor(ctx, tx, sh, name, &sum, recs)
		if err != nil {
			return err
		}
		r.format = "api" // a later record of the same order replaces it, as in the platform reports
		if opt.InTx != nil {
			if err := opt.InTx(ctx, tx); err != nil {
				return err
			}
		}
		for i, rec := range recs {
			before := sum
			if err := r.batch(ctx, []*orderfile.Record{rec}); err != nil {
				return err
			}
			id, ok := r.seenID(rec)
			if !ok {
				return fmt.Errorf("order %s/%s: not written", rec.Platform, rec.OrderID)
			}
			res := Updated // also a repeat of an order earlier in recs
			switch {
			case sum.OrdersCreated > before.OrdersCreated:
				res = Created
			case sum.OrdersUnchanged > before.OrdersUnchanged:
				res = Unchanged
			}
			out[i] = Applied{OrderID: id, Result: res}
		}
		sum.Rows = len(recs)
		return r.finish(ctx, "api", name)
	})
	if err != nil {
		var re *orderfile.RowError
		if !errors.As(err, &re) {
			err = fmt.Errorf("importer: %s: %w", name, err)
		}
		return nil, err
	}
	return out, nil
}

// newRunFor is newRun for a handful of records: it reads only the
// identities, merges and products those records can meet.
func (s *Service) newRunFor(ctx context.Context, tx *store.Tx, sh *shop.Shop, name string, sum *Summary, recs []*orderfile.Record) (*run, error) {
	r, err := s.startRun(ctx, tx, sh, name, sum)
	if err != nil {
		return nil, err
	}
	var found []int64
	skus := map[string]bool{}
	for _, rec := range recs {
		for _, id := range identities(rec, tx.Keys(), sh.ID) {
			k := identKey(id.platform, id.kind, id.value)
			if _, ok := r.idents[k]; ok {
				continue
			}
			var cid int64
			err := tx.QueryRow(ctx, `SELECT customer_id FROM customer_identities WHERE shop_id = ? AND platform = ? AND kind = ? AND value = ?`,
				sh.ID, id.platform, id.kind, id.value).Scan(&cid)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("load identities: %w", err)
			}
			r.idents[k] = cid
			found = append(found, cid)
		}
		for _, l := range rec.Lines {
			if l.SKU != "" {
				skus[l.SKU] = true
			}
		}
	}
	// Identities move to the survivor of a merge, but follow any merge
	// chain all the same, as newRun's full map would.
	for _, cid := range found {
		for hops := 0; hops < 16; hops++ {
			if _, ok := r.redirect[cid]; ok {
				break
			}
			var to sql.NullInt64
			if err := tx.QueryRow(ctx, `SELECT merged_into FROM customers WHERE shop_id = ? AND id = ?`, sh.ID, cid).Scan(&to); err != nil {
				return nil, fmt.Errorf("load merges: %w", err)
			}
			if !to.Valid {
				break
			}
			r.redirect[cid] = to.Int64
			cid = to.Int64
		}
	}
	list := slices.Sorted(maps.Keys(skus))
	for start := 0; start < len(list); start += 500 {
		part := list[start:min(start+500, len(list))]
		args := []any{sh.ID}
		for _, s := range part {
			args = append(args, s)
		}
		if err := r.loadProducts(ctx, `SELECT sku, id FROM products WHERE shop_id = ? AND sku IN (`+store.In(len(part))+`)`, args...); err != nil {
			return nil, err
		}
	}
	return r, nil
}
