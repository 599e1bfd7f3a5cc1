// Command gen writes a deterministic orders CSV in the generic format of
// DESIGN.md, one row per order (no line columns), for the import benchmark:
//
//	go run ./bench/gen -orders 2500000 -customers 1000000 -seed 1 -out orders.csv
//
// With -lines, every order has 1 to 4 product lines instead, one row each
// (sharing the order_id), with sku, product_name, category, quantity and
// unit_price and no amount column, for the score benchmark's product
// affinity (see catalogue below).
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
	lines := flag.Bool("lines", false, "write 1-4 product lines per order (one row each) instead of an amount")
	flag.Parse()
	if *orders < 1 || *customers < 1 {
		fmt.Fprintln(os.Stderr, "gen: -orders and -customers must be positive")
		os.Exit(2)
	}
	if err := run(*orders, min(*customers, *orders), *seed, *out, *lines); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(nOrders, nCustomers int, seed uint64, out string, lines bool) error {
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
	if lines {
		g.cat = newCatalogue(seed)
	}
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
	perDay     []int32    // orders per day
	cat        *catalogue // with -lines: the products, else nil
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
	hdr := header
	if g.cat != nil {
		hdr = linesHeader
	}
	if _, err := w.WriteString(hdr); err != nil {
		return err
	}
	r := &rng{s: g.seed ^ 0x5bd1e995}
	// The lines have their own stream, so the orders' dates, customers,
	// statuses and channels are the same with and without -lines.
	lr := &rng{s: g.seed ^ 0x2545f4914f6cdd1d}
	var basket []line
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
			if g.cat != nil {
				basket = g.cat.basket(lr, ci, g.seed, basket[:0])
				cents = 0
				for _, l := range basket {
					cents += int64(l.qty) * g.cat.products[l.p].cents
				}
			} else {
				buf = appendMoney(buf, cents)
				buf = append(buf, ',')
			}
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
			if g.cat != nil {
				if err := g.cat.writeLines(w, buf, basket); err != nil {
					return err
				}
				continue
			}
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

// --- -lines: the product catalogue and the baskets ------------------------

// linesHeader is the header with -lines: no amount column, so each line's
// amount is quantity × unit_price and the order's the sum of its lines.
var linesHeader = "order_id,order_date,customer_id,status,refunded_amount,channel,province,customer_name,phone,email,sku,product_name,category,quantity,unit_price\n"

// categories of the catalogue: a name, a typical price in yuan, and the
// kinds of product sold in it (5 kinds × 5 series = 25 products each).
var categories = []struct {
	name  string
	price float64
	kinds [5]string
}{
	{"护肤", 180, [5]string{"面霜", "精华", "爽肤水", "眼霜", "面膜"}},
	{"彩妆", 120, [5]string{"口红", "粉底液", "眼影", "腮红", "眉笔"}},
	{"洗护", 60, [5]string{"洗发水", "护发素", "沐浴露", "身体乳", "护手霜"}},
	{"母婴", 150, [5]string{"纸尿裤", "奶瓶", "湿巾", "婴儿霜", "辅食碗"}},
	{"零食", 35, [5]string{"坚果", "饼干", "牛肉干", "果脯", "巧克力"}},
	{"茶叶", 160, [5]string{"龙井", "普洱", "铁观音", "红茶", "花茶"}},
	{"咖啡", 80, [5]string{"咖啡豆", "挂耳咖啡", "速溶咖啡", "冷萃液", "咖啡杯"}},
	{"家居", 90, [5]string{"抱枕", "收纳盒", "香薰", "地垫", "台灯"}},
	{"厨具", 130, [5]string{"炒锅", "砧板", "刀具", "保鲜盒", "汤锅"}},
	{"服饰", 200, [5]string{"T恤", "卫衣", "衬衫", "牛仔裤", "外套"}},
	{"鞋靴", 260, [5]string{"运动鞋", "帆布鞋", "靴子", "拖鞋", "皮鞋"}},
	{"箱包", 240, [5]string{"双肩包", "手提包", "钱包", "行李箱", "腰包"}},
	{"数码配件", 70, [5]string{"数据线", "充电器", "耳机", "手机壳", "移动电源"}},
	{"文具", 25, [5]string{"笔记本", "中性笔", "便利贴", "文件夹", "马克笔"}},
	{"宠物", 110, [5]string{"猫粮", "狗粮", "猫砂", "宠物零食", "逗猫棒"}},
	{"运动", 150, [5]string{"瑜伽垫", "跳绳", "哑铃", "运动水壶", "护膝"}},
	{"保健", 190, [5]string{"维生素", "鱼油", "蛋白粉", "钙片", "益生菌"}},
	{"酒水", 140, [5]string{"红酒", "白酒", "啤酒", "果酒", "清酒"}},
	{"日化", 40, [5]string{"洗衣液", "纸巾", "洗洁精", "垃圾袋", "牙膏"}},
	{"玩具", 100, [5]string{"积木", "拼图", "毛绒玩具", "遥控车", "桌游"}},
}

const seriesPerKind = 5

type product struct {
	cell  []byte // ",sku,product_name,category,": the row between the order's columns and the quantity
	price []byte // unit_price cell
	cents int64
	cat   int
}

// catalogue is ~500 products with a skewed (Zipf) popularity, and a few
// dozen bundles: pairs and triples often bought together in one order.
type catalogue struct {
	products []product
	cum      []float64   // cumulative popularity of products
	catItems [][]int32   // products of each category
	catCum   [][]float64 // their cumulative popularity
	bundles  [][]int32
}

// line is one product line of an order: a product and its quantity.
type line struct {
	p   int32
	qty int32
}

func newCatalogue(seed uint64) *catalogue {
	r := &rng{s: seed ^ 0x6a09e667f3bcc909}
	k := &catalogue{catItems: make([][]int32, len(categories)), catCum: make([][]float64, len(categories))}
	for ci, c := range categories {
		for j := range 5 * seriesPerKind {
			kind, series := c.kinds[j%5], j/5
			i := len(k.products)
			sku := appendPadded([]byte("SKU"), i+1, 4)
			cell := append([]byte{','}, sku...)
			cell = append(cell, ',')
			cell = append(cell, kind...)
			cell = append(cell, ' ')
			cell = append(cell, byte('A'+series))
			cell = append(cell, "款,"...)
			cell = append(cell, c.name...)
			cell = append(cell, ',')
			// A price around the category's, ending in .90: 9.90 at least.
			yuan := max(10, int64(math.Round(c.price*math.Exp(0.5*r.normal()))))
			cents := yuan*100 - 10
			k.products = append(k.products, product{cell: cell, price: appendMoney(nil, cents), cents: cents, cat: ci})
			k.catItems[ci] = append(k.catItems[ci], int32(i))
		}
	}
	// Popularity: a Zipf law (exponent 0.9) over a shuffled ranking.
	n := len(k.products)
	rank := make([]int, n)
	for i := range rank {
		rank[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := r.intn(i + 1)
		rank[i], rank[j] = rank[j], rank[i]
	}
	weight := make([]float64, n)
	byRank := make([]int32, n) // product of each rank
	for p, rk := range rank {
		weight[p] = math.Pow(float64(rk+1), -0.9)
		byRank[rk] = int32(p)
	}
	k.cum = cumulative(weight, nil)
	for ci, items := range k.catItems {
		w := make([]float64, len(items))
		for j, p := range items {
			w[j] = weight[p]
		}
		k.catCum[ci] = cumulative(w, nil)
	}
	// Bundles: 36 pairs and 12 triples. The first product is among the 150
	// most popular; half of the others come from its category (a face cream
	// with an eye cream), half from anywhere (coffee beans with a mug).
	for b := range 48 {
		size := 2
		if b >= 36 {
			size = 3
		}
		first := byRank[r.intn(150)]
		set := []int32{first}
		for len(set) < size {
			var p int32
			if r.float() < 0.5 {
				items := k.catItems[k.products[first].cat]
				p = items[r.intn(len(items))]
			} else {
				p = int32(r.intn(n))
			}
			if !slices.Contains(set, p) {
				set = append(set, p)
			}
		}
		k.bundles = append(k.bundles, set)
	}
	return k
}

func cumulative(w []float64, dst []float64) []float64 {
	var acc float64
	for _, x := range w {
		acc += x
		dst = append(dst, acc)
	}
	return dst
}

// draw picks an index by the cumulative weights cum.
func draw(r *rng, cum []float64) int {
	i, _ := slices.BinarySearch(cum, r.float()*cum[len(cum)-1])
	return min(i, len(cum)-1)
}

// basket draws the lines of an order of customer ci into dst: 1 to 4 lines
// (half the orders have one), 18% of the orders holding one of the bundles,
// the other lines drawn by popularity, a third of them from the customer's
// favourite category. No product appears twice in an order.
func (k *catalogue) basket(r *rng, ci int, seed uint64, dst []line) []line {
	n := 1
	switch u := r.float(); {
	case u < 0.50:
	case u < 0.78:
		n = 2
	case u < 0.92:
		n = 3
	default:
		n = 4
	}
	if r.float() < 0.18 {
		b := k.bundles[r.intn(len(k.bundles))]
		for _, p := range b {
			dst = append(dst, line{p: p})
		}
		n = max(n, len(b))
	}
	fav := int(hash(seed, ci, 9) % uint64(len(categories)))
	for tries := 0; len(dst) < n && tries < 20; tries++ {
		var p int32
		if r.float() < 0.35 {
			p = k.catItems[fav][draw(r, k.catCum[fav])]
		} else {
			p = int32(draw(r, k.cum))
		}
		if !slices.ContainsFunc(dst, func(l line) bool { return l.p == p }) {
			dst = append(dst, line{p: p})
		}
	}
	for i := range dst {
		switch u := r.float(); {
		case u < 0.82:
			dst[i].qty = 1
		case u < 0.95:
			dst[i].qty = 2
		case u < 0.99:
			dst[i].qty = 3
		default:
			dst[i].qty = 5
		}
	}
	return dst
}

// writeLines writes one row per line: the order's columns (prefix, which
// writeLines may extend in place) then the line's.
func (k *catalogue) writeLines(w *bufio.Writer, prefix []byte, lines []line) error {
	n0 := len(prefix)
	for _, l := range lines {
		p := &k.products[l.p]
		b := append(prefix[:n0], p.cell...)
		b = strconv.AppendInt(b, int64(l.qty), 10)
		b = append(b, ',')
		b = append(b, p.price...)
		b = append(b, '\n')
		if _, err := w.Write(b); err != nil {
			return err
		}
		prefix = b
	}
	return nil
}
