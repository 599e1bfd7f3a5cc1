package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/orderfile"
)

// The file must be the same for the same flags, and every row a valid order
// of the generic contract as the real reader sees it.
func TestGenerate(t *testing.T) {
	const orders, customers = 5000, 2000
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	for _, p := range []string{a, b} {
		if err := run(orders, customers, 7, p, false); err != nil {
			t.Fatal(err)
		}
	}
	ab, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ab, bb) {
		t.Fatal("two runs with the same seed wrote different files")
	}

	r, err := orderfile.Open("generic", "a.csv", bytes.NewReader(ab), orderfile.Options{Location: time.FixedZone("CST", 8*3600)})
	if err != nil {
		t.Fatal(err)
	}
	var (
		n       int
		last    time.Time
		ids     = map[string]bool{}
		phoneOf = map[string]string{} // phone → customer
		custs   = map[string]int{}
		emails  int
	)
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("row rejected: %v", err)
		}
		n++
		if ids[rec.OrderID] {
			t.Fatalf("order %s twice", rec.OrderID)
		}
		ids[rec.OrderID] = true
		if rec.PlacedAt.Before(last) {
			t.Fatalf("order %s at %v comes after %v: rows must be in time order", rec.OrderID, rec.PlacedAt, last)
		}
		last = rec.PlacedAt
		if rec.Amount <= 0 || rec.Refunded > rec.Amount {
			t.Fatalf("order %s: amount %v refunded %v", rec.OrderID, rec.Amount, rec.Refunded)
		}
		c := rec.Customer
		if custs[c.Key] == 0 {
			if c.Phone != "" {
				if guanxi.NormalizePhone(c.Phone) != c.Phone || len(c.Phone) != 11 {
					t.Fatalf("customer %s: phone %q is not an 11-digit mobile", c.Key, c.Phone)
				}
				if other, dup := phoneOf[c.Phone]; dup {
					t.Fatalf("phone %s belongs to %s and %s", c.Phone, other, c.Key)
				}
				phoneOf[c.Phone] = c.Key
			}
			if c.Email != "" {
				if guanxi.NormalizeEmail(c.Email) == "" {
					t.Fatalf("customer %s: email %q", c.Key, c.Email)
				}
				emails++
			}
		}
		custs[c.Key]++
	}
	if n != orders || len(custs) != customers {
		t.Fatalf("got %d orders of %d customers, want %d of %d", n, len(custs), orders, customers)
	}
	if share := float64(len(phoneOf)) / customers; share < 0.55 || share > 0.65 {
		t.Errorf("%.2f of customers have a phone, want about 0.60", share)
	}
	if share := float64(emails) / customers; share < 0.25 || share > 0.35 {
		t.Errorf("%.2f of customers have an email, want about 0.30", share)
	}
	heaviest := 0
	for _, k := range custs {
		heaviest = max(heaviest, k)
	}
	if heaviest < 20 {
		t.Errorf("heaviest buyer has %d orders: the tail is too light", heaviest)
	}
}

// With -lines the file is the same for the same flags, every order reads
// back with 1 to 4 product lines whose amounts sum to the order's, and the
// orders are those of the file without -lines (same ids, dates, buyers and
// statuses). The planted bundles show as pairs bought together far more
// often than their products' popularity alone would give.
func TestGenerateLines(t *testing.T) {
	const orders, customers = 20000, 8000
	dir := t.TempDir()
	a, b, plain := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv"), filepath.Join(dir, "plain.csv")
	for _, p := range []string{a, b} {
		if err := run(orders, customers, 7, p, true); err != nil {
			t.Fatal(err)
		}
	}
	if err := run(orders, customers, 7, plain, false); err != nil {
		t.Fatal(err)
	}
	ab, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ab, bb) {
		t.Fatal("two runs with the same seed and -lines wrote different files")
	}
	if slices.Contains(strings.Split(string(ab[:bytes.IndexByte(ab, '\n')]), ","), "amount") {
		t.Fatal("the -lines header has an amount column")
	}

	open := func(data []byte) orderfile.Reader {
		r, err := orderfile.Open("generic", "x.csv", bytes.NewReader(data), orderfile.Options{Location: time.FixedZone("CST", 8*3600)})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	pb, _ := os.ReadFile(plain)
	lr, pr := open(ab), open(pb)
	var (
		n, lines int
		skus     = map[string]bool{}
		cats     = map[string]bool{}
		single   = map[string]int{}    // sku → orders
		pairs    = map[[2]string]int{} // sorted sku pair → orders
	)
	for {
		rec, err := lr.Next()
		if errors.Is(err, io.EOF) {
			if _, err := pr.Next(); !errors.Is(err, io.EOF) {
				t.Fatalf("the file without -lines has more orders than the one with (%d)", n)
			}
			break
		}
		if err != nil {
			t.Fatalf("row rejected: %v", err)
		}
		want, err := pr.Next()
		if err != nil {
			t.Fatalf("order %s: the file without -lines ends or fails: %v", rec.OrderID, err)
		}
		n++
		if rec.OrderID != want.OrderID || !rec.PlacedAt.Equal(want.PlacedAt) || rec.Customer.Key != want.Customer.Key ||
			rec.Status != want.Status || rec.Channel != want.Channel || rec.Customer.Phone != want.Customer.Phone {
			t.Fatalf("order %d differs from the file without -lines:\n%+v\n%+v", n, rec, want)
		}
		if len(rec.Lines) < 1 || len(rec.Lines) > 4 {
			t.Fatalf("order %s has %d lines", rec.OrderID, len(rec.Lines))
		}
		lines += len(rec.Lines)
		var sum guanxi.Money
		seen := map[string]bool{}
		for _, l := range rec.Lines {
			if l.SKU == "" || l.Name == "" || l.Category == "" || l.Quantity < 1 || l.UnitPrice <= 0 {
				t.Fatalf("order %s: line %+v", rec.OrderID, l)
			}
			if l.Amount != l.UnitPrice*guanxi.Money(l.Quantity) {
				t.Fatalf("order %s: line amount %v is not %d × %v", rec.OrderID, l.Amount, l.Quantity, l.UnitPrice)
			}
			if seen[l.SKU] {
				t.Fatalf("order %s holds %s twice", rec.OrderID, l.SKU)
			}
			seen[l.SKU] = true
			skus[l.SKU], cats[l.Category] = true, true
			single[l.SKU]++
			sum += l.Amount
		}
		for i, x := range rec.Lines {
			for _, y := range rec.Lines[i+1:] {
				p := [2]string{x.SKU, y.SKU}
				if p[0] > p[1] {
					p[0], p[1] = p[1], p[0]
				}
				pairs[p]++
			}
		}
		if sum != rec.Amount || rec.Amount <= 0 || rec.Refunded > rec.Amount {
			t.Fatalf("order %s: amount %v, lines %v, refunded %v", rec.OrderID, rec.Amount, sum, rec.Refunded)
		}
		if rec.Status == "refunded" && rec.Refunded != rec.Amount {
			t.Fatalf("refunded order %s: refunded %v of %v", rec.OrderID, rec.Refunded, rec.Amount)
		}
	}
	if n != orders {
		t.Fatalf("got %d orders, want %d", n, orders)
	}
	if avg := float64(lines) / orders; avg < 1.6 || avg > 2.3 {
		t.Errorf("%.2f lines an order, want about 2", avg)
	}
	if len(skus) < 400 || len(cats) != len(categories) {
		t.Errorf("%d products in %d categories sold, want most of %d in %d", len(skus), len(cats), len(categories)*5*seriesPerKind, len(categories))
	}
	// Pairs bought together at least 50 times and 5 times more often than
	// independence gives: the bundles, at 18% of orders over 48 bundles.
	strong := 0
	for p, k := range pairs {
		if k >= 50 && float64(k)*orders >= 5*float64(single[p[0]])*float64(single[p[1]]) {
			strong++
		}
	}
	if strong < 30 {
		t.Errorf("%d strongly associated pairs, want the planted bundles (over 30)", strong)
	}
}
