// Package orderfile reads the order exports shops really have — the generic
// CSV contract of DESIGN.md, the Taobao/Tmall seller-center order report and
// the Shopify orders export — into Records: one order with its lines and the
// buyer as the file describes them. It knows nothing of databases or identity
// resolution; the importer does that. Readers are streaming (memory does not
// grow with the file) and are not safe for concurrent use.
package orderfile

import (
	"errors"
	"fmt"
	"time"

	"github.com/guanxi-crm/guanxi"
)

// Status is an order's status in Guanxi's vocabulary (DESIGN.md).
type Status string

// The statuses of the generic contract.
const (
	StatusPending           Status = "pending"
	StatusPaid              Status = "paid"
	StatusShipped           Status = "shipped"
	StatusCompleted         Status = "completed"
	StatusCancelled         Status = "cancelled"
	StatusRefunded          Status = "refunded"
	StatusPartiallyRefunded Status = "partially_refunded"
)

// Statuses lists every valid status, in lifecycle order.
var Statuses = []Status{StatusPending, StatusPaid, StatusShipped, StatusCompleted, StatusCancelled, StatusRefunded, StatusPartiallyRefunded}

// Valid reports whether s is one of Statuses.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// IsPurchase reports whether an order in this status counts as a purchase:
// paid, shipped, completed and partially refunded orders do.
func (s Status) IsPurchase() bool {
	switch s {
	case StatusPaid, StatusShipped, StatusCompleted, StatusPartiallyRefunded:
		return true
	}
	return false
}

// Identity kinds a Customer.Key can have. The importer namespaces a key by
// the record's platform, so a Taobao nick never matches a Shopify id.
const (
	KeyCustomerID = "customer_id" // generic contract's customer_id, Shopify customer id
	KeyBuyerNick  = "buyer_nick"  // Taobao/Tmall 买家会员名
	KeyOUID       = "ouid"        // Taobao per-shop open user id (OAID/ouid)
	KeyOMID       = "omid"        // Tmall member id
	KeyOpenID     = "openid"      // WeChat openid (per app)
	KeyUnionID    = "unionid"     // WeChat unionid (per open platform account)
)

// Customer is the buyer as one order record describes them. Key empty and no
// usable phone or email means a guest order: it counts in sales but belongs to
// nobody.
type Customer struct {
	Key              string // platform id of the buyer, possibly masked
	KeyKind          string // one of the Key* constants
	Name             string
	Phone            string // as exported; may be masked (138****5678)
	Email            string // as exported; may be masked
	Province, City   string
	Address          string
	AcceptsMarketing *bool // Shopify "Accepts Marketing"; nil when the file does not say
}

// Line is one order line.
type Line struct {
	SKU       string
	Name      string
	Category  string
	Quantity  int64
	UnitPrice guanxi.Money
	Amount    guanxi.Money
}

// Record is one order read from a file.
type Record struct {
	File     string // the file it came from, for error messages
	Row      int    // the file row of the order's first line (the header is row 1)
	Platform string // "generic", "taobao", "tmall", "shopify", …: namespaces OrderID and Customer.Key
	OrderID  string // the platform's order number, unique per platform within a shop

	Status      Status
	PlacedAt    time.Time
	PaidAt      time.Time // zero when not paid or not known
	Amount      guanxi.Money
	Discount    guanxi.Money
	ShippingFee guanxi.Money
	Refunded    guanxi.Money
	Channel     string // taobao, tmall, douyin, wechat_mini, shopify, …
	Province    string // ship-to province
	City        string

	Customer Customer
	Lines    []Line
	Attrs    map[string]string // columns the format does not define, kept as order attributes
}

// Net is the order's amount net of refunds.
func (r *Record) Net() guanxi.Money { return r.Amount - r.Refunded }

// Reader yields the orders of one file. Next returns io.EOF after the last
// order. A *RowError leaves the reader usable: the next call goes on with the
// following order, so a caller may skip bad rows. Any other error is final.
type Reader interface {
	Next() (*Record, error)
	// Header is the file's header row as it stands, for a rejects file.
	Header() []string
	// RowsRead is the number of data rows read so far.
	RowsRead() int
}

// RowError says which cell of which row of which file is wrong and why.
type RowError struct {
	File     string
	Row      int    // file row, header = 1
	Column   string // the column's header as it stands in the file
	Value    string
	Expected string
	Rows     [][]string // every row of the rejected order, for the rejects file
}

func (e *RowError) Error() string {
	col := ""
	if e.Column != "" {
		col = fmt.Sprintf(", column %q", e.Column)
	}
	val := ""
	if e.Column != "" {
		val = fmt.Sprintf(": got %q", e.Value)
	}
	return fmt.Sprintf("%s: row %d%s%s, expected %s", e.File, e.Row, col, val, e.Expected)
}

// AsRowError returns err's *RowError, if it is one.
func AsRowError(err error) (*RowError, bool) {
	var re *RowError
	ok := errors.As(err, &re)
	return re, ok
}
