package analytics

import (
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/guanxi-crm/guanxi/internal/orderfile"
)

// OrderFunc receives one order as the analyses count it (see ReadOrders).
type OrderFunc func(customerID string, placedAt time.Time, net int64, purchase bool)

// ReadOrderParts reads the parts of one orders file
// (orderfile.OpenGenericParts) on every core and feeds each order to one of
// shards, chosen by its customer: every customer's orders go to the same
// shard, so shards build disjoint summaries that need no merging. There are
// as many shards as parts; a shard must accept orders in any date order.
// Part i's goroutine feeds shard i the orders of its customers at once and
// keeps the others' aside; once every part is read, shard i takes those
// from the other parts, one goroutine per shard. Guest orders go to the
// shard of their part. It returns the malformed rows skipped and whether
// some order's rows were found apart in the file (the same platform and
// order id in two places): such rows are the lines of one order
// (DESIGN.md), which these passes cannot see whole, so the caller then reads
// the file again with ReadOrdersJoined and throws the shards' work away.
// Orders are told apart by a 64-bit hash of their key, so a collision can at
// worst send a file down that slower, exact path. ordersHint, the number of
// orders expected in all parts, may be 0.
func ReadOrderParts(parts []orderfile.Reader, shards []OrderFunc, ordersHint int) (rejected int, apart bool, err error) {
	if len(shards) != len(parts) {
		return 0, false, fmt.Errorf("analytics: read orders: %d parts but %d shards", len(parts), len(shards))
	}
	type order struct {
		customer string
		at       int64 // Unix seconds: days are all the analyses take from it
		net      int64
		purchase bool
	}
	seed := maphash.MakeSeed()
	n := len(shards)
	out := make([][][]order, len(parts)) // part → shard → orders
	keys := make([][]uint64, len(parts))
	rej := make([]int, len(parts))
	errs := make([]error, len(parts))
	dup := make([]bool, len(parts))
	var wg sync.WaitGroup
	for i := range parts {
		wg.Go(func() {
			var h maphash.Hash
			h.SetSeed(seed)
			per := ordersHint/len(parts) + 1
			ks := make([]uint64, 0, per)
			bufs := make([][]order, n)
			for s := range bufs {
				if s != i {
					bufs[s] = make([]order, 0, per/n+per/(4*n)+1)
				}
			}
			rej[i], errs[i] = ReadOrders(parts[i], func(rec *orderfile.Record) {
				h.Reset()
				h.WriteString(rec.Platform)
				h.WriteByte(0x1f)
				h.WriteString(rec.OrderID)
				ks = append(ks, h.Sum64())
				s := i
				if n > 1 && rec.Customer.Key != "" {
					s = int(maphash.String(seed, rec.Customer.Key) % uint64(n))
				}
				if s == i {
					shards[i](rec.Customer.Key, rec.PlacedAt, int64(rec.Net()), isPurchase(rec))
					return
				}
				bufs[s] = append(bufs[s], order{rec.Customer.Key, rec.PlacedAt.Unix(), int64(rec.Net()), isPurchase(rec)})
			})
			slices.Sort(ks)
			for j := 1; j < len(ks); j++ {
				if ks[j] == ks[j-1] {
					dup[i] = true
					break
				}
			}
			keys[i], out[i] = ks, bufs
		})
	}
	wg.Wait()
	for i := range parts {
		if errs[i] != nil {
			return 0, false, errs[i]
		}
		rejected += rej[i]
		apart = apart || dup[i]
	}
	// An order key in two parts: walk the sorted key lists pairwise.
	for i := range keys {
		for j := i + 1; j < len(keys) && !apart; j++ {
			apart = intersects(keys[i], keys[j])
		}
	}
	if apart {
		return rejected, true, nil
	}
	keys = nil
	for s := range shards {
		wg.Go(func() {
			for i := range out {
				for _, o := range out[i][s] {
					shards[s](o.customer, time.Unix(o.at, 0), o.net, o.purchase)
				}
				out[i][s] = nil
			}
		})
	}
	wg.Wait()
	return rejected, false, nil
}

func intersects(a, b []uint64) bool {
	for len(a) > 0 && len(b) > 0 {
		switch {
		case a[0] == b[0]:
			return true
		case a[0] < b[0]:
			a = a[1:]
		default:
			b = b[1:]
		}
	}
	return false
}

// isPurchase is the purchase rule the analyses share: an order whose status
// counts as a purchase and whose amount is not negative (a return).
func isPurchase(rec *orderfile.Record) bool {
	return rec.Status.IsPurchase() && rec.Amount >= 0
}

// ReadOrders feeds every order of r to fn. Malformed rows (*orderfile.RowError)
// are skipped and counted; any other read error is returned.
func ReadOrders(r orderfile.Reader, fn func(rec *orderfile.Record)) (rejected int, err error) {
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return rejected, nil
		}
		if err != nil {
			var re *orderfile.RowError
			if errors.As(err, &re) {
				rejected++
				continue
			}
			return rejected, fmt.Errorf("analytics: read orders: %w", err)
		}
		fn(rec)
	}
}

// ReadOrdersJoined feeds every order of r to add once, with its rows joined
// by key (platform and order id) wherever they are in the file: the
// order's date, customer, status and refund come from its first rows, its
// amount is the sum over all of them, and the purchase rule applies to the
// whole order. Orders are fed in the order their first rows appear.
// Malformed rows are skipped and counted; a row error drops only those rows.
func ReadOrdersJoined(r orderfile.Reader, add OrderFunc) (rejected int, err error) {
	type order struct {
		rec    *orderfile.Record
		amount int64
	}
	index := map[string]int{}
	var orders []order
	rejected, err = ReadOrders(r, func(rec *orderfile.Record) {
		k := rec.Platform + "\x1f" + rec.OrderID
		if i, ok := index[k]; ok {
			orders[i].amount += int64(rec.Amount)
			return
		}
		index[k] = len(orders)
		rec.Lines, rec.Attrs = nil, nil
		orders = append(orders, order{rec: rec, amount: int64(rec.Amount)})
	})
	if err != nil {
		return rejected, err
	}
	for _, o := range orders {
		rec := o.rec
		purchase := o.amount >= 0 && rec.Status.IsPurchase()
		add(rec.Customer.Key, rec.PlacedAt, o.amount-int64(rec.Refunded), purchase)
	}
	return rejected, nil
}
