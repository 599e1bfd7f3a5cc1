package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
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
		if err := run(orders, customers, 7, p); err != nil {
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
