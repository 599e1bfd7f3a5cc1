package demo

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/orderfile"
)

// orderGen turns the shop's order skeletons into records, in emission order.
type orderGen struct {
	*shop
	r     *rand.Rand
	tbKey uint64 // Taobao and Tmall share one order number space
	tbSeq uint64
	dyKey uint64
	dySeq uint64
	wxDay int32 // day of the last WeChat order number, for its sequence
	wxSeq int
}

var (
	basketCum      = cumulative([]float64{0.52, 0.28, 0.13, 0.07})
	promoBasketCum = cumulative([]float64{0.36, 0.30, 0.20, 0.14})
)

// order returns the record of event i.
func (g *orderGen) order(i int) *orderfile.Record {
	r := g.r
	e := &g.events[i]
	pe := &g.persons[e.person]
	cal := g.cal
	placed := cal.days[e.day].Add(time.Duration(e.at-int64(e.day)*86400) * time.Second)
	promo := cal.promo[e.day]
	ch := e.ch
	platform := channelNames[ch]

	addr := &pe.addr[0]
	if pe.naddr == 2 && r.Float64() < 0.3 {
		addr = &pe.addr[1]
	}

	lines := g.basket(pe, cal.month[e.day], promo)
	var sub guanxi.Money
	apparel := false
	for _, l := range lines {
		sub += l.Amount
		apparel = apparel || l.Category == categoryNames[catApparel]
	}

	// Discounts: cross-store 每满300减50 on the two big festivals, shop
	// coupons on the smaller ones, and now and then on ordinary days.
	var discount guanxi.Money
	switch promo {
	case promo1111, promo618:
		discount = sub / 30000 * 5000
		if r.Float64() < 0.5 {
			discount += coupon(sub)
		}
	case noPromo:
		if r.Float64() < 0.15 {
			discount = coupon(sub)
		}
	default:
		if r.Float64() < 0.7 {
			discount = coupon(sub)
		}
	}
	// Shipping is free, except small orders and remote provinces.
	var shipping guanxi.Money
	pay := sub - discount
	switch u := r.Float64(); {
	case addr.remote && pay < 9900 && u < 0.8:
		shipping = 1000
	case pay < 3900 && u < 0.6:
		shipping = 600
	case u < 0.015:
		shipping = 800 // express upgrade
	}
	amount := pay + shipping

	rec := &orderfile.Record{
		File:        "demo",
		Row:         i + 2,
		Platform:    platform,
		OrderID:     g.orderID(ch, e.day, placed),
		PlacedAt:    placed,
		Amount:      amount,
		Discount:    discount,
		ShippingFee: shipping,
		Channel:     platform,
		Province:    addr.prov,
		City:        addr.city,
		Lines:       lines,
	}
	g.status(rec, apparel, promo != noPromo)

	c := &rec.Customer
	c.Key, c.KeyKind = pe.key[0], pe.kind[0]
	if pe.nch == 2 && ch == pe.ch[1] {
		c.Key, c.KeyKind = pe.key[1], pe.kind[1]
	}
	c.Name = pe.name
	c.Province, c.City, c.Address = addr.prov, addr.city, addr.full
	// Platforms mask the buyer's phone; a WeChat mini-program has it whole.
	c.Phone = pe.phone
	if ch != chWechat && r.Float64() >= 0.3 {
		c.Phone = pe.masked
	}
	if pe.email != "" && (ch == chWechat || r.Float64() < 0.4) {
		c.Email = pe.email
	}
	if ch == chWechat || promo != noPromo {
		rec.Attrs = map[string]string{}
		if ch == chWechat {
			rec.Attrs["unionid"] = pe.unionid
		}
		if promo != noPromo {
			rec.Attrs["promo"] = promoNames[promo]
		}
	}
	return rec
}

// coupon returns the best shop coupon an order of sub qualifies for.
func coupon(sub guanxi.Money) guanxi.Money {
	switch {
	case sub >= 19900:
		return 2000
	case sub >= 9900:
		return 1000
	case sub >= 5900:
		return 500
	}
	return 0
}

// basket chooses an order's lines: something the customer's persona buys or
// one of their favourites first, then products that go with it.
func (g *orderGen) basket(pe *person, month uint8, promo uint8) []orderfile.Line {
	r := g.r
	cat := shopCatalog
	size := 1 + pick(r, basketCum)
	if promo == promo1111 || promo == promo618 {
		size = 1 + pick(r, promoBasketCum)
	}
	var chosen [4]int
	productOf := func(c int) int {
		return cat.lines[c][pick(r, cat.pick[c][pe.level][month])]
	}
	if r.Float64() < 0.3 {
		chosen[0] = int(pe.fav[r.IntN(int(pe.nfav))])
	} else {
		chosen[0] = productOf(pick(r, interestCum[pe.persona]))
	}
	n := 1
	for try := 0; n < size && try < 8; try++ {
		var p int
		u := r.Float64()
		with := cat.with[chosen[r.IntN(n)]]
		switch {
		case u < 0.45 && len(with) > 0:
			p = with[r.IntN(len(with))]
		case u < 0.72:
			rel := related[cat.products[chosen[0]].cat]
			p = productOf(rel[r.IntN(len(rel))])
		default:
			p = productOf(pick(r, interestCum[pe.persona]))
		}
		dup := false
		for _, c := range chosen[:n] {
			dup = dup || c == p
		}
		if !dup {
			chosen[n] = p
			n++
		}
	}
	lines := make([]orderfile.Line, n)
	for k, p := range chosen[:n] {
		pr := &cat.products[p]
		q := int64(1)
		u := r.Float64()
		if consumable[pr.cat] {
			switch {
			case u < 0.62:
			case u < 0.88:
				q = 2
			case u < 0.96:
				q = 3
			default:
				q = 4 + int64(r.IntN(3))
			}
		} else if pr.price >= 20000 {
			if u > 0.97 {
				q = 2
			}
		} else {
			switch {
			case u < 0.82:
			case u < 0.96:
				q = 2
			case u < 0.99:
				q = 3
			default:
				q = 4 + int64(r.IntN(3))
			}
		}
		lines[k] = orderfile.Line{SKU: pr.sku, Name: pr.name, Category: categoryNames[pr.cat], Quantity: q, UnitPrice: pr.price, Amount: pr.price.MulQty(q)}
	}
	return lines
}

// status settles what became of the order: most are completed, the last two
// weeks' are still under way, and some are cancelled or refunded (clothes
// and festival orders more often).
func (g *orderGen) status(rec *orderfile.Record, apparel, promo bool) {
	r := g.r
	cal := g.cal
	stop := cal.days[len(cal.days)-1].Add(time.Duration(cal.lastSec) * time.Second)
	age := stop.Sub(rec.PlacedAt).Hours() / 24

	// Paying takes a minute or two, sometimes much longer.
	wait := 20 + math.Min(7200, math.Exp(math.Log(90)+r.NormFloat64()))
	if r.Float64() < 0.03 {
		wait = 600 + r.Float64()*6*3600
	}
	paid := rec.PlacedAt.Add(time.Duration(wait * float64(time.Second)))

	refund := 0.02
	if apparel {
		refund += 0.06
	}
	if promo {
		refund *= 1.3
	}
	switch u := r.Float64(); {
	case u < 0.04:
		rec.Status = orderfile.StatusCancelled
		return
	case u < 0.04+refund:
		rec.Status, rec.Refunded = orderfile.StatusRefunded, rec.Amount
	case u < 0.06+refund:
		rec.Status, rec.Refunded = orderfile.StatusPartiallyRefunded, partialRefund(r, rec)
	default:
		switch v := r.Float64(); {
		case age < 1 && v < 0.05:
			rec.Status = orderfile.StatusPending
		case age < 1:
			rec.Status = orderfile.StatusPaid
			if v > 0.7 {
				rec.Status = orderfile.StatusShipped
			}
		case age < 3:
			rec.Status = orderfile.StatusShipped
			if v < 0.15 {
				rec.Status = orderfile.StatusPaid
			} else if v > 0.9 {
				rec.Status = orderfile.StatusCompleted
			}
		case age < 14:
			rec.Status = orderfile.StatusShipped
			if v < (age-2)/12 {
				rec.Status = orderfile.StatusCompleted
			}
		default:
			rec.Status = orderfile.StatusCompleted
		}
	}
	if paid.After(stop) {
		// Not paid yet when the data ends.
		rec.Status, rec.Refunded = orderfile.StatusPending, 0
	}
	if rec.Status != orderfile.StatusPending {
		rec.PaidAt = paid
	}
}

// partialRefund returns the refund of one line, one unit, or a price
// protection refund of 10-30%, always less than the amount.
func partialRefund(r *rand.Rand, rec *orderfile.Record) guanxi.Money {
	var v guanxi.Money
	last := rec.Lines[len(rec.Lines)-1]
	switch {
	case len(rec.Lines) > 1:
		v = last.Amount
	case last.Quantity > 1:
		v = last.UnitPrice
	}
	if v <= 0 || v >= rec.Amount {
		v = guanxi.Money(math.Round(float64(rec.Amount)*(0.1+0.2*r.Float64())/100) * 100)
	}
	if v <= 0 || v >= rec.Amount {
		v = rec.Amount / 2
	}
	return v
}

// orderID returns a new order number in the platform's format: 19 digits on
// Taobao and Tmall, 19 digits from 4, 5 or 6 on Douyin, WX + date + sequence
// on the mini-program. Numbers are a keyed permutation of a counter, so they
// look random and never repeat.
func (g *orderGen) orderID(ch uint8, day int32, placed time.Time) string {
	b := make([]byte, 0, 19)
	switch ch {
	case chWechat:
		if day != g.wxDay {
			g.wxDay, g.wxSeq = day, 0
		}
		g.wxSeq++
		b = append(b, "WX"...)
		b = placed.AppendFormat(b, "20060102")
		return string(appendPadded(b, g.wxSeq, 6))
	case chDouyin:
		g.dySeq++
		return string(strconv.AppendUint(b, 4e18+permute(g.dyKey, g.dySeq, 3e18), 10))
	default:
		g.tbSeq++
		return string(strconv.AppendUint(b, 1e18+permute(g.tbKey, g.tbSeq, 4e18), 10))
	}
}

// permute maps x < limit ≤ 2^62 to a number below limit, a different one for
// each x: a four-round Feistel network on 62 bits keyed by key, walked until
// it lands below limit.
func permute(key, x, limit uint64) uint64 {
	const half = 31
	const mask = 1<<half - 1
	for {
		l, r := x>>half, x&mask
		for round := range uint64(4) {
			l, r = r, l^(splitmix(r^key^round<<40)&mask)
		}
		x = l<<half | r
		if x < limit {
			return x
		}
	}
}

func appendPadded(b []byte, v, width int) []byte {
	var tmp [20]byte
	i := len(tmp)
	for v > 0 || i > len(tmp)-width {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, tmp[i:]...)
}
