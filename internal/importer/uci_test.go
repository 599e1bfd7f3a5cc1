package importer_test

import (
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/orderfile"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

const uciPath = "../../../shared/data/online_retail/online_retail.csv"

// uciMap maps the UCI Online Retail columns onto the generic contract.
const uciMap = "order_id=InvoiceNo,order_date=InvoiceDate,customer_id=CustomerID,sku=StockCode,product_name=Description,quantity=Quantity,unit_price=UnitPrice,province=Country"

// uciExpect computes, straight from the CSV and without Guanxi's code, what
// an import must report: rows, invoices, customers, guest invoices, returns
// and the total amount in pence (each line rounded once, half away from 0).
type uciExpect struct {
	rows, orders, customers, guests, returns int
	pence                                    int64
}

func computeUCI(t *testing.T, path string) uciExpect {
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("UCI data set not here (%v); CI has it", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	if _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
	type inv struct {
		cust   string
		amount *big.Rat
	}
	invoices := map[string]*inv{}
	var e uciExpect
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		e.rows++
		no := strings.TrimSpace(rec[0])
		iv, ok := invoices[no]
		if !ok {
			iv = &inv{cust: strings.TrimSpace(rec[6]), amount: new(big.Rat)}
			invoices[no] = iv
		}
		q, _ := new(big.Rat).SetString(strings.TrimSpace(rec[3]))
		p, _ := new(big.Rat).SetString(strings.TrimSpace(rec[5]))
		line := new(big.Rat).Mul(q, p)
		line.Mul(line, big.NewRat(100, 1))
		iv.amount.Add(iv.amount, roundHalfAway(line))
	}
	custs := map[string]bool{}
	total := new(big.Rat)
	for _, iv := range invoices {
		e.orders++
		if iv.cust == "" {
			e.guests++
		} else {
			custs[iv.cust] = true
		}
		if iv.amount.Sign() < 0 {
			e.returns++
		}
		total.Add(total, iv.amount)
	}
	e.customers = len(custs)
	e.pence = total.Num().Int64()
	return e
}

func roundHalfAway(x *big.Rat) *big.Rat {
	neg := x.Sign() < 0
	a := new(big.Rat).Abs(x)
	a.Add(a, big.NewRat(1, 2))
	n := new(big.Int).Quo(a.Num(), a.Denom())
	if neg {
		n.Neg(n)
	}
	return new(big.Rat).SetInt(n)
}

func TestImportUCIOnlineRetail(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 541,909 rows")
	}
	want := computeUCI(t, uciPath)
	if want.rows != 541909 || want.orders != 25900 || want.customers != 4372 {
		t.Fatalf("the data set is not the one its README describes: %+v", want)
	}
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sh := &shop.Shop{Code: "uci", Currency: "GBP", Timezone: "Europe/London"}
		if err := shop.NewService(db, clock).Create(ctx, sh); err != nil {
			t.Fatal(err)
		}
		m, err := orderfile.ParseMap(uciMap)
		if err != nil {
			t.Fatal(err)
		}
		svc := importer.NewService(db, clock, slog.New(slog.DiscardHandler))
		sum, err := svc.ImportFile(ctx, sh, uciPath, importer.Options{Map: m})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Rows != want.rows || sum.OrdersCreated != want.orders || sum.CustomersCreated != want.customers || sum.CustomersMerged != 0 || sum.Rejected != 0 {
			t.Errorf("summary %+v, want rows %d, orders %d, customers %d", sum, want.rows, want.orders, want.customers)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM orders WHERE shop_id = ? AND customer_id IS NULL`, sh.ID); n != int64(want.guests) {
			t.Errorf("guest orders %d, want %d", n, want.guests)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM orders WHERE shop_id = ? AND status = 'refunded'`, sh.ID); n != int64(want.returns) {
			t.Errorf("returns %d, want %d", n, want.returns)
		}
		if n := count(t, db, `SELECT SUM(amount) FROM orders WHERE shop_id = ?`, sh.ID); n != want.pence {
			t.Errorf("total amount %d pence, want %d", n, want.pence)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM order_lines WHERE shop_id = ?`, sh.ID); n != int64(want.rows) {
			t.Errorf("order lines %d, want %d", n, want.rows)
		}
		assertStatsConsistent(t, db, sh.ID)
		again, err := svc.ImportFile(ctx, sh, uciPath, importer.Options{Map: m})
		if err != nil {
			t.Fatal(err)
		}
		if again.OrdersCreated != 0 || again.CustomersCreated != 0 || again.OrdersUnchanged+again.OrdersUpdated != want.orders {
			t.Errorf("re-import %+v", again)
		}
	})
}
