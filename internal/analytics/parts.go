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

// ReadOrderParts reads the parts of one orders file (orderfile.OpenGenericParts)
// at once, one goroutine each, feeding part i's orders to adds[i]; merging
// what each part built is the caller's. It returns the malformed rows
// skipped and whether some order's rows were found apart in the file (the
// same platform and order id in two places). Such rows are the lines of one
// order (DESIGN.md), which these per-part passes cannot see whole: the
// caller then reads the file again with ReadOrdersJoined. ordersHint, the
// number of orders expected in all parts, may be 0. Orders are told
// apart by a 64-bit hash of their key, so a collision can at worst send a
// file down that slower, exact path.
func ReadOrderParts(parts []orderfile.Reader, adds []OrderFunc, ordersHint int) (rejected int, apart bool, err error) {
	if len(parts) != len(adds) {
		return 0, false, fmt.Errorf("analytics: read orders: %d parts but %d consumers", len(parts), len(adds))
	}
	seed := maphash.MakeSeed()
	keys := make([][]uint64, len(parts))
	rej := make([]int, len(parts))
	errs := make([]error, len(parts))
	dup := make([]bool, len(parts))
	var wg sync.WaitGroup
	for i := range parts {
		wg.Go(func() {
			var h maphash.Hash
			h.SetSeed(seed)
			ks := make([]uint64, 0, ordersHint/len(parts)+1)
			rej[i], errs[i] = ReadOrders(parts[i], func(rec *orderfile.Record) {
				h.Reset()
				h.WriteString(rec.Platform)
				h.WriteByte(0x1f)
				h.WriteString(rec.OrderID)
				ks = append(ks, h.Sum64())
				adds[i](rec.Customer.Key, rec.PlacedAt, int64(rec.Net()), isPurchase(rec))
			})
			slices.Sort(ks)
			for j := 1; j < len(ks); j++ {
				if ks[j] == ks[j-1] {
					dup[i] = true
					break
				}
			}
			keys[i] = ks
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
	if apart {
		return rejected, true, nil
	}
	// An order key in two parts: walk the sorted key lists pairwise.
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if intersects(keys[i], keys[j]) {
				return rejected, true, nil
			}
		}
	}
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
