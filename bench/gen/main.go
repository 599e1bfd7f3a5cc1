// Command gen writes a deterministic orders CSV in the generic format of
// DESIGN.md, one row per order (no line columns), for the import benchmark:
//
//	go run ./bench/gen -orders 2500000 -customers 1000000 -seed 1 -out orders.csv
//
// Every customer has at least one order; the rest are spread with a heavy
// tail (most buy once, a few buy hundreds of times). About 60% of customers
// have a mobile phone (unique per customer) and 30% an email. Rows come in
// time order over two years, with the 6.18, 11.11 and 12.12 peaks. The same
// flags give the same bytes on every run.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"slices"
	"strconv"
	"time"
)

func main() {
	orders := flag.Int("orders", 2_500_000, "number of orders (rows)")
	customers := flag.Int("customers", 1_000_000, "number of customers (at most -orders)")
	seed := flag.Uint64("seed", 1, "random seed")
	out := flag.String("out", "", "output file (default standard output)")
	flag.Parse()
	if *orders < 1 || *customers < 1 {
		fmt.Fprintln(os.Stderr, "gen: -orders and -customers must be positive")
		os.Exit(2)
	}
	if err := run(*orders, min(*customers, *orders), *seed, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(nOrders, nCustomers int, seed uint64, out string) error {
	var w io.Writer = os.Stdout
	if out != "" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	g := newGenerator(nOrders, nCustomers, seed)
	if err := g.write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if f, ok := w.(*os.File); ok && out != "" {
		return f.Close()
	}
	return nil
}

// rng is splitmix64: tiny, fast, and its stream is fixed by its definition,
// so the file does not change with the Go version.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix(r.s)
}

func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// float returns a number in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// intn returns a number in [0, n).
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int(hi)
}

// normal returns a standard normal deviate (Box-Muller).
func (r *rng) normal() float64 {
	u := 1 - r.float()
	return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*r.float())
}

// hash gives customer i's own stream of attributes, independent of the order
// in which customers are met.
func hash(seed uint64, i int, salt uint64) uint64 {
	return mix(seed*0x9e3779b97f4a7c15 ^ uint64(i)*0xd1b54a32d192ed03 ^ salt)
}

func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

type generator struct {
	seed       uint64
	nOrders    int
	nCustomers int
	idWidth    int
	cust       []int32 // customer of each order, in row order
	start      time.Time
	days       int
	perDay     []int32 // orders per day
}

func newGenerator(nOrders, nCustomers int, seed uint64) *generator {
	g := &generator{seed: seed, nOrders: nOrders, nCustomers: nCustomers, idWidth: max(7, len(strconv.Itoa(nCustomers)))}
	g.start = time.Date(2024, 1, 1, 0, 0, 0, 0, cst)
	g.days = int(time.Date(2026, 1, 1, 0, 0, 0, 0, cst).Sub(g.start).Hours() / 24)
	r := &rng{s: seed}
	g.cust = g.assignOrders(r)
	g.perDay = g.spreadDays()
	return g
}

// assignOrders decides how many orders each customer places and shuffles
// them into row order. Every customer buys at least once; 62% buy once; the
// repeat buyers' extra orders follow a Pareto tail, scaled so the total is
// exactly nOrders. At 2.5 orders a customer: 62% buy once, 20% twice, 7%
// three times, 3% ten times or more, the heaviest some 900 times.
func (g *generator) assignOrders(r *rng) []int32 {
	extra := make([]float64, g.nCustomers)
	var sum float64
	for i := range extra {
		h := hash(g.seed, i, 1)
		if unit(h) < 0.62 {
			continue
		}
		// A discrete Pareto tail (alpha = 1.25), bent down smoothly past a
		// few hundred so one customer cannot take a visible share of the
		// file. Its mean (~3.9) is what 2.5 orders a customer needs, so the
		// scaling below leaves the shape nearly as it is.
		u := 1 - unit(mix(h))
		x := math.Pow(u, -1/1.25)
		x = math.Floor(x / (1 + x/800))
		extra[i] = x
		sum += x
	}
	want := float64(g.nOrders - g.nCustomers)
	f := 0.0
	if sum > 0 {
		f = want / sum
	}
	cust := make([]int32, 0, g.nOrders)
	var acc float64
	prev := 0
	for i := range extra {
		acc += extra[i] * f
		n := int(math.Round(acc)) - prev
		prev += n
		for range 1 + n {
			cust = append(cust, int32(i))
		}
	}
	// Rounding of the running total lands exactly on want, up to float error.
	for len(cust) < g.nOrders {
		cust = append(cust, int32(r.intn(g.nCustomers)))
	}
	cust = cust[:g.nOrders]
	for i := len(cust) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		cust[i], cust[j] = cust[j], cust[i]
	}
	return cust
}

var cst = time.FixedZone("CST", 8*3600)

// spreadDays shares the orders among the days: a steady growth over the two
// years, busier weekends, and the shopping festivals.
func (g *generator) spreadDays() []int32 {
	w := make([]float64, g.days)
	var total float64
	for d := range w {
		t := g.start.AddDate(0, 0, d)
		x := 1 + float64(d)/float64(g.days) // doubles over two years
		if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
			x *= 1.2
		}
		switch m, day := t.Month(), t.Day(); {
		case m == time.November && day == 11:
			x *= 8
		case m == time.November && day >= 1 && day <= 12:
			x *= 1.6
		case m == time.June && day == 18:
			x *= 4
		case m == time.December && day == 12:
			x *= 3
		}
		w[d] = x
		total += x
	}
	per := make([]int32, g.days)
	var acc float64
	prev := 0
	for d := range w {
		acc += w[d] / total * float64(g.nOrders)
		n := int(math.Round(acc)) - prev
		per[d] = int32(n)
		prev += n
	}
	per[g.days-1] += int32(g.nOrders - prev)
	return per
}

var header = "order_id,order_date,customer_id,amount,status,refunded_amount,channel,province,customer_name,phone,email\n"

var channels = []string{"tmall", "taobao", "jd", "douyin", "wechat_mini", "offline"}
var channelWeight = []float64{0.30, 0.22, 0.20, 0.15, 0.10, 0.03}

// provinces with rough weights (online shoppers, not population).
var provinces = []string{"广东", "浙江", "江苏", "上海", "北京", "山东", "福建", "四川", "河南", "湖北",
	"湖南", "安徽", "河北", "辽宁", "陕西", "重庆", "天津", "江西", "广西", "云南",
	"山西", "黑龙江", "吉林", "贵州", "内蒙古", "新疆", "甘肃", "海南", "宁夏", "青海", "西藏"}
var provinceWeight = []float64{14, 11, 10, 7, 6, 6, 5, 4.5, 4.5, 4,
	3.5, 3.5, 3.2, 2.5, 2.2, 2.2, 1.8, 1.8, 1.8, 1.5,
	1.3, 1.2, 1, 1, 0.8, 0.7, 0.7, 0.5, 0.3, 0.2, 0.1}

var surnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗",
	"郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡"}
var given = []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平",
	"刚", "桂英", "华", "玲", "丹", "萍", "鑫", "婷", "雪", "琳", "晨", "宇", "浩", "子涵", "欣怡", "梓萱", "一诺", "思远", "俊杰", "雨桐"}
var mobilePrefixes = []string{"130", "131", "132", "133", "135", "136", "137", "138", "139", "150",
	"151", "152", "155", "156", "157", "158", "159", "166", "176", "177",
	"178", "180", "181", "182", "183", "185", "186", "187", "188", "189", "198", "199"}
var emailDomains = []string{"qq.com", "163.com", "126.com", "gmail.com", "outlook.com", "sina.com", "foxmail.com", "hotmail.com"}

func pick(u float64, weights []float64) int {
	var total float64
	for _, w := range weights {
		total += w
	}
	u *= total
	for i, w := range weights {
		if u < w {
			return i
		}
		u -= w
	}
	return len(weights) - 1
}

// customer is what every order row repeats about its buyer.
type customer struct {
	id, name, phone, email []byte
	province               string
	channel                int
	spend                  float64 // median order amount, yuan
}

func (g *generator) customer(i int, c *customer) {
	c.id = append(c.id[:0], 'C')
	c.id = appendPadded(c.id, i+1, g.idWidth)
	h := hash(g.seed, i, 2)
	c.name = append(c.name[:0], surnames[h%uint64(len(surnames))]...)
	c.name = append(c.name, given[(h>>8)%uint64(len(given))]...)
	c.phone = c.phone[:0]
	if unit(hash(g.seed, i, 3)) < 0.60 {
		// A bijection of i onto [0, 32×10⁸) picks the prefix and 8 digits,
		// so phones are unique for up to 3,200,000,000 customers.
		const m = 100_000_000
		n := uint64(len(mobilePrefixes)) * m
		v := (uint64(i)*2_654_435_761 + 12_345_679 + g.seed*7919) % n
		c.phone = append(c.phone, mobilePrefixes[v/m]...)
		c.phone = appendPadded(c.phone, int(v%m), 8)
	}
	c.email = c.email[:0]
	if unit(hash(g.seed, i, 4)) < 0.30 {
		he := hash(g.seed, i, 5)
		c.email = append(c.email, "u"...)
		c.email = strconv.AppendUint(c.email, uint64(i+1)*7919+he%7919, 36)
		c.email = append(c.email, '@')
		c.email = append(c.email, emailDomains[he>>32%uint64(len(emailDomains))]...)
	}
	c.province = provinces[pick(unit(hash(g.seed, i, 6)), provinceWeight)]
	c.channel = pick(unit(hash(g.seed, i, 7)), channelWeight)
	c.spend = 40 * math.Exp(1.1*unit(hash(g.seed, i, 8))*2) // 40 to ~360 yuan
}

func (g *generator) write(w *bufio.Writer) error {
	if _, err := w.WriteString(header); err != nil {
		return err
	}
	r := &rng{s: g.seed ^ 0x5bd1e995}
	var c customer
	buf := make([]byte, 0, 256)
	secs := make([]int32, 0, 1024)
	row := 0
	for d, n := range g.perDay {
		day := g.start.AddDate(0, 0, d)
		secs = secs[:0]
		for range n {
			// Busier in the evening: a mix of a uniform day and an evening peak.
			var s float64
			if r.float() < 0.5 {
				s = r.float() * 86400
			} else {
				s = math.Mod(21*3600+r.normal()*2.5*3600+86400, 86400)
			}
			secs = append(secs, int32(s))
		}
		slices.Sort(secs)
		y, mo, dd := day.Date()
		for _, s := range secs {
			ci := int(g.cust[row])
			row++
			g.customer(ci, &c)
			buf = buf[:0]
			// order_id: shop-wide increasing, as platforms issue them.
			buf = append(buf, "SO"...)
			buf = appendPadded(buf, 10_000_000+row, 10)
			buf = append(buf, ',')
			buf = appendDate(buf, y, int(mo), dd, int(s), r.next()&1 == 0)
			buf = append(buf, ',')
			buf = append(buf, c.id...)
			buf = append(buf, ',')
			cents := int64(math.Round(c.spend*math.Exp(0.6*r.normal())*100)) + 100
			buf = appendMoney(buf, cents)
			buf = append(buf, ',')
			st, refunded := status(r, cents)
			buf = append(buf, st...)
			buf = append(buf, ',')
			if refunded > 0 {
				buf = appendMoney(buf, refunded)
			}
			buf = append(buf, ',')
			ch := c.channel
			if r.float() < 0.15 {
				ch = pick(r.float(), channelWeight)
			}
			buf = append(buf, channels[ch]...)
			buf = append(buf, ',')
			buf = append(buf, c.province...)
			buf = append(buf, ',')
			buf = append(buf, c.name...)
			buf = append(buf, ',')
			buf = append(buf, c.phone...)
			buf = append(buf, ',')
			buf = append(buf, c.email...)
			buf = append(buf, '\n')
			if _, err := w.Write(buf); err != nil {
				return err
			}
		}
	}
	return nil
}

// status: mostly paid or completed, a few shipped, cancelled, refunded or
// partially refunded (with the refunded amount).
func status(r *rng, cents int64) (string, int64) {
	u := r.float()
	switch {
	case u < 0.40:
		return "completed", 0
	case u < 0.86:
		return "paid", 0
	case u < 0.92:
		return "shipped", 0
	case u < 0.96:
		return "cancelled", 0
	case u < 0.98:
		return "refunded", cents
	default:
		return "partially_refunded", max(1, cents*int64(10+r.intn(60))/100)
	}
}

func appendPadded(b []byte, v, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], int64(v), 10)
	for range width - len(s) {
		b = append(b, '0')
	}
	return append(b, s...)
}

func appendMoney(b []byte, cents int64) []byte {
	b = strconv.AppendInt(b, cents/100, 10)
	b = append(b, '.')
	return appendPadded(b, int(cents%100), 2)
}

// appendDate writes 2025-01-02T15:04:05+08:00 when iso, else the zone-less
// 2025-01-02 15:04:05 that spreadsheets write (read in the shop's zone).
func appendDate(b []byte, y, mo, d, s int, iso bool) []byte {
	b = appendPadded(b, y, 4)
	b = append(b, '-')
	b = appendPadded(b, mo, 2)
	b = append(b, '-')
	b = appendPadded(b, d, 2)
	if iso {
		b = append(b, 'T')
	} else {
		b = append(b, ' ')
	}
	b = appendPadded(b, s/3600, 2)
	b = append(b, ':')
	b = appendPadded(b, s/60%60, 2)
	b = append(b, ':')
	b = appendPadded(b, s%60, 2)
	if iso {
		b = append(b, "+08:00"...)
	}
	return b
}
