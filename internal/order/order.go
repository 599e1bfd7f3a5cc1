// Package order owns a shop's orders and their lines. The Service reads
// them: a customer's orders, newest first, and one order by id or by its
// platform's number. Files are written by the importer; the Writer writes
// orders sent one by one (REST API, inbound webhook) through the importer's
// same path. Service and Writer are safe for concurrent use.
package order

import (
	"time"

	"github.com/guanxi-crm/guanxi"
)

// Order statuses (DESIGN.md, orders CSV contract).
const (
	StatusPending           = "pending"
	StatusPaid              = "paid"
	StatusShipped           = "shipped"
	StatusCompleted         = "completed"
	StatusCancelled         = "cancelled"
	StatusRefunded          = "refunded"
	StatusPartiallyRefunded = "partially_refunded"
)

// Order is one order with its lines.
type Order struct {
	ID          int64
	Platform    string // generic, taobao, tmall, shopify…
	ExternalID  string // the platform's order number
	CustomerID  int64  // 0 for a guest order
	Status      string
	PlacedAt    time.Time
	PaidAt      time.Time // zero when unpaid
	PurchaseDay int       // yyyymmdd in shop time when the order counts as a purchase, else 0
	Amount      guanxi.Money
	Discount    guanxi.Money
	ShippingFee guanxi.Money
	Refunded    guanxi.Money
	Channel     string
	Province    string
	City        string
	Lines       []Line
}

// IsPurchase reports whether the order counts as a purchase (paid, shipped,
// completed or partially refunded, and not a return).
func (o *Order) IsPurchase() bool { return o.PurchaseDay != 0 }

// Net is the amount paid less refunds.
func (o *Order) Net() guanxi.Money { return o.Amount - o.Refunded }

// Line is one line of an order.
type Line struct {
	No        int
	ProductID int64 // 0 when the line names no known product
	SKU       string
	Name      string
	Category  string
	Quantity  int64
	UnitPrice guanxi.Money
	Amount    guanxi.Money
}
