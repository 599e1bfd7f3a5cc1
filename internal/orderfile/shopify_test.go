package orderfile

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func zoned(offsetHours int, y int, m time.Month, d, h, min, s int) time.Time {
	return time.Date(y, m, d, h, min, s, 0, time.FixedZone("", offsetHours*3600))
}

func TestShopifyOrders(t *testing.T) {
	path := filepath.Join("testdata", "shopify_orders.csv")
	yes, no := true, false
	want := []*Record{
		{
			// Two rows, one order; line discounts come off the lines.
			File: path, Row: 2, Platform: "shopify", Channel: "shopify", OrderID: "#1001", Status: StatusCompleted,
			PlacedAt: zoned(-5, 2025, 3, 5, 23, 37, 0), PaidAt: zoned(-5, 2025, 3, 5, 23, 37, 5),
			Amount: 6028, Discount: 500, ShippingFee: 600, Province: "Ontario", City: "Ottawa",
			Customer: Customer{KeyKind: KeyCustomerID, Name: "Ada Lovelace", Phone: "+1 613 555 0101", Email: "ada@example.com",
				Province: "Ontario", City: "Ottawa", Address: "12 Fictional St, Ottawa, K1A 0B1, Ontario, CA", AcceptsMarketing: &yes},
			Lines: []Line{
				{SKU: "LJ-100", Name: "Longjing Green Tea 100g", Quantity: 2, UnitPrice: 1600, Amount: 3000},
				{SKU: "CUP-1", Name: "Tea Cup", Quantity: 1, UnitPrice: 2500, Amount: 2200},
			},
			Attrs: map[string]string{
				"Fulfilled at": "2025-03-06 10:00:00 -0500", "Currency": "CAD", "Subtotal": "52.00", "Taxes": "7.28",
				"Discount Code": "SPRING5", "Shipping Method": "Standard", "Shipping Street": "12 Fictional St",
				"Shipping Address1": "12 Fictional St", "Shipping Zip": "K1A 0B1", "Shipping Country": "CA",
				"Payment Method": "Shopify Payments", "Payment Reference": "c1234.1", "Outstanding Balance": "0.00",
				"Id": "5550000001001", "Tags": "vip, tea", "Risk Level": "Low", "Source": "web",
				"Tax 1 Name": "HST 13%", "Tax 1 Value": "7.28",
			},
		},
		{
			File: path, Row: 4, Platform: "shopify", Channel: "shopify", OrderID: "#1002", Status: StatusPartiallyRefunded,
			PlacedAt: zoned(-5, 2025, 3, 7, 7, 59, 0), PaidAt: zoned(-5, 2025, 3, 7, 8, 0, 0),
			Amount: 4000, Refunded: 1000, Province: "Quebec", City: "Montréal",
			Customer: Customer{KeyKind: KeyCustomerID, Name: "Bo Chen", Phone: "+16135550102", Email: "bo@example.com",
				Province: "Quebec", City: "Montréal", Address: "1 Rue Test, Montréal, H2X 1Y4, Quebec, CA", AcceptsMarketing: &no},
			Lines: []Line{{SKU: "PE-357", Name: "Pu-erh Cake 357g", Quantity: 1, UnitPrice: 4000, Amount: 4000}},
			Attrs: map[string]string{"Currency": "CAD", "Subtotal": "40.00", "Taxes": "0.00", "Id": "5550000001002", "Source": "pos"},
		},
		{
			File: path, Row: 5, Platform: "shopify", Channel: "shopify", OrderID: "#1003", Status: StatusRefunded,
			PlacedAt: zoned(0, 2025, 3, 8, 11, 59, 30), PaidAt: zoned(0, 2025, 3, 8, 12, 0, 0),
			Amount: 3450, ShippingFee: 450, Refunded: 3450, City: "London",
			Customer: Customer{KeyKind: KeyCustomerID, Name: "Cy Young", Email: "cy@example.com",
				City: "London", Address: "5 Fake Rd, London, N1 1AA, GB", AcceptsMarketing: &no},
			Lines: []Line{{SKU: "JP-1", Name: "Jasmine Pearls", Quantity: 3, UnitPrice: 1000, Amount: 3000}},
			Attrs: map[string]string{"Currency": "GBP", "Subtotal": "30.00", "Taxes": "0.00", "Id": "5550000001003"},
		},
		{
			File: path, Row: 6, Platform: "shopify", Channel: "shopify", OrderID: "#1004", Status: StatusCancelled,
			PlacedAt: zoned(-8, 2025, 3, 9, 9, 0, 0), Amount: 2000,
			Customer: Customer{KeyKind: KeyCustomerID, Email: "di@example.com", AcceptsMarketing: &yes},
			Lines:    []Line{{SKU: "OO-1", Name: "Oolong", Quantity: 1, UnitPrice: 2000, Amount: 2000}},
			Attrs: map[string]string{"Currency": "USD", "Subtotal": "20.00", "Taxes": "0.00", "Id": "5550000001004",
				"Cancelled at": "2025-03-09 10:00:00 -0800"},
		},
		{
			File: path, Row: 7, Platform: "shopify", Channel: "shopify", OrderID: "#1005", Status: StatusPending,
			PlacedAt: zoned(-4, 2025, 3, 10, 14, 0, 0), Amount: 5000,
			Customer: Customer{KeyKind: KeyCustomerID, Email: "ed@example.com", AcceptsMarketing: &no},
			Lines:    []Line{{Name: "Gift Card", Quantity: 1, UnitPrice: 5000, Amount: 5000}},
			Attrs:    map[string]string{"Currency": "USD", "Subtotal": "50.00", "Taxes": "0.00", "Id": "5550000001005"},
		},
		{
			// Shipping address only: the customer's address is the shipping one.
			File: path, Row: 8, Platform: "shopify", Channel: "shopify", OrderID: "#1006", Status: StatusPaid,
			PlacedAt: zoned(8, 2025, 3, 11, 19, 59, 59), PaidAt: zoned(8, 2025, 3, 11, 20, 0, 0),
			Amount: 10850, Province: "Zhejiang", City: "杭州市",
			Customer: Customer{KeyKind: KeyCustomerID, Name: "费小姐", Phone: "13812345678", Email: "fei@example.cn",
				Province: "Zhejiang", City: "杭州市", Address: "文三路 90号, 杭州市, 310000, Zhejiang, CN", AcceptsMarketing: &yes},
			Lines: []Line{
				// 3 × 0.165 = 0.495, rounded once: 0.50.
				{SKU: "SS-1", Name: "Sample Sachet", Quantity: 3, UnitPrice: 17, Amount: 50},
				{SKU: "TIN-1", Name: "Tea Tin", Quantity: 1, UnitPrice: 5800, Amount: 5800},
				{SKU: "TRAY-1", Name: "Bamboo Tray", Quantity: 2, UnitPrice: 2500, Amount: 5000},
			},
			Attrs: map[string]string{"Currency": "CNY", "Subtotal": "108.50", "Taxes": "0.00", "Id": "5550000001006",
				"Notes": "Leave at the door, please", "Shipping Address1": "文三路 90号", "Shipping Zip": "310000", "Shipping Country": "CN"},
		},
		{
			// Refunded and cancelled: cancelled.
			File: path, Row: 11, Platform: "shopify", Channel: "shopify", OrderID: "#1007", Status: StatusCancelled,
			PlacedAt: zoned(-5, 2025, 3, 12, 9, 59, 0), PaidAt: zoned(-5, 2025, 3, 12, 10, 0, 0),
			Amount: 8000, Refunded: 8000,
			Customer: Customer{KeyKind: KeyCustomerID, Email: "gu@example.com", AcceptsMarketing: &no},
			Lines:    []Line{{SKU: "KT-1", Name: "Kettle", Quantity: 1, UnitPrice: 8000, Amount: 8000}},
			Attrs: map[string]string{"Currency": "USD", "Subtotal": "80.00", "Taxes": "0.00", "Id": "5550000001007",
				"Cancelled at": "2025-03-12 11:00:00 -0500"},
		},
		{
			File: path, Row: 12, Platform: "shopify", Channel: "shopify", OrderID: "#1008", Status: StatusShipped,
			PlacedAt: zoned(-5, 2025, 3, 13, 9, 0, 0), PaidAt: zoned(-5, 2025, 3, 13, 10, 0, 0), Amount: 2400,
			Customer: Customer{KeyKind: KeyCustomerID, Email: "hu@example.com", AcceptsMarketing: &no},
			Lines: []Line{
				{SKU: "GT-1", Name: "Green Tea", Quantity: 1, UnitPrice: 1200, Amount: 1200},
				{SKU: "BT-1", Name: "Black Tea", Quantity: 1, UnitPrice: 1200, Amount: 1200},
			},
			Attrs: map[string]string{"Currency": "USD", "Subtotal": "24.00", "Taxes": "0.00", "Id": "5550000001008"},
		},
	}
	recs := records(t, openFile(t, "shopify", "shopify_orders.csv", Options{}))
	if len(recs) != len(want) {
		t.Fatalf("got %d records, want %d", len(recs), len(want))
	}
	for i := range want {
		checkRecord(t, recs[i], want[i])
	}
}

func TestShopifyRowErrors(t *testing.T) {
	path := filepath.Join("testdata", "shopify_bad.csv")
	res := readAll(t, openFile(t, "shopify", "shopify_bad.csv", Options{}))
	wants := []outcome{
		{id: "#2001"},
		{err: RowError{Row: 3, Column: "Financial Status", Value: "chargeback", Expected: "one of paid, pending"}},
		{err: RowError{Row: 5, Column: "Lineitem price", Value: "ten", Expected: "a price such as 16.00", Rows: [][]string{
			{"#2003", "c@example.com", "paid", "", "", "no", "20.00", "2025-01-01 10:00:00 +0000", "1", "A", "10.00", "A1", ""},
			{"#2003", "c@example.com", "", "", "", "", "", "", "1", "B", "ten", "B1", ""},
		}}},
		{err: RowError{Row: 6, Column: "Accepts Marketing", Value: "maybe", Expected: "yes or no"}},
		{err: RowError{Row: 7, Column: "Created at", Value: "05/03/2025", Expected: "a date-time such as 2025-03-05 23:37:00 -0500"}},
		{err: RowError{Row: 8, Column: "Lineitem quantity", Value: "-1", Expected: "a whole number"}},
		{err: RowError{Row: 9, Column: "Cancelled at", Value: "soon", Expected: "a date-time"}},
		{id: "#2008"},
	}
	checkOutcomes(t, path, res, wants)
	if r := res[len(res)-1].rec; r.Status != StatusPending || r.Row != 10 {
		t.Errorf("#2008: status %s row %d, want pending on row 10", r.Status, r.Row)
	}
}

func TestShopifyStatus(t *testing.T) {
	tests := []struct {
		financial, fulfillment, cancelled string
		want                              Status
	}{
		{"paid", "", "", StatusPaid},
		{"paid", "unfulfilled", "", StatusPaid},
		{"paid", "fulfilled", "", StatusCompleted},
		{"paid", "partial", "", StatusShipped},
		{"Paid", "Fulfilled", "", StatusCompleted},
		{"partially_paid", "", "", StatusPaid},
		{"pending", "", "", StatusPending},
		{"authorized", "", "", StatusPending},
		{"refunded", "", "", StatusRefunded},
		{"partially_refunded", "fulfilled", "", StatusPartiallyRefunded},
		{"Partially Refunded", "", "", StatusPartiallyRefunded},
		{"voided", "", "", StatusCancelled},
		{"expired", "", "", StatusCancelled},
		{"paid", "fulfilled", "2025-01-02 10:00:00 +0000", StatusCancelled},
	}
	for _, tt := range tests {
		t.Run(tt.financial+"/"+tt.fulfillment, func(t *testing.T) {
			in := "Name,Financial Status,Fulfillment Status,Cancelled at,Created at,Total\n" +
				"#1," + tt.financial + "," + tt.fulfillment + "," + tt.cancelled + ",2025-01-01 10:00:00 +0000,10.00\n"
			r, err := openString(t, "shopify", in, Options{})
			if err != nil {
				t.Fatal(err)
			}
			recs := records(t, r)
			if len(recs) != 1 || recs[0].Status != tt.want {
				t.Errorf("status = %v, want %v", recs[0].Status, tt.want)
			}
			if len(recs[0].Lines) != 0 {
				t.Errorf("lines = %v, want none: the file has no line-item columns", recs[0].Lines)
			}
		})
	}
}

func TestShopifyHeaderError(t *testing.T) {
	_, err := openString(t, "shopify", "Name,Email,Financial Status,Created at\n#1,a@example.com,paid,2025-01-01\n", Options{})
	re, ok := AsRowError(err)
	if !ok || re.Row != 1 || !strings.Contains(re.Expected, `"Total"`) {
		t.Fatalf("err = %v, want a row 1 error naming Total", err)
	}
}

func TestShopifyZoneless(t *testing.T) {
	// A time without an offset is in the shop's zone.
	in := "Name,Financial Status,Created at,Total\n#1,paid,2025-01-01 10:00:00,10.00\n"
	r, err := openString(t, "shopify", in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	recs := records(t, r)
	if want := time.Date(2025, 1, 1, 10, 0, 0, 0, cst); !recs[0].PlacedAt.Equal(want) {
		t.Errorf("PlacedAt = %v, want %v", recs[0].PlacedAt, want)
	}
}
