// Package demo generates a demo shop: two years of orders of a Chinese
// multi-channel store (Taobao, Tmall, Douyin, a WeChat mini-program) with
// customers whose buying behaves like real customers' do, for a new user to
// explore and for the analytics to find something in. It produces
// orderfile.Records and profile extras and knows nothing of databases; the
// importer stores them.
//
// The same Config gives the same shop, byte for byte. All functions are safe
// for concurrent use.
//
// How the shop is made:
//   - Customers arrive over the two years, more of them on festival days and
//     more as the shop grows. Each buys at a rate of their own (Gamma
//     distributed, heavy tailed) and after each order stops buying for good
//     with a probability of their own (Beta distributed): a BG/NBD-like
//     process, so many buy once, a few buy dozens of times, and some who
//     bought often a year ago have gone quiet. Purchases run on a clock that
//     speeds up on festival days (618, Double 11, Double 12, the New Year
//     rush) and slows down over the Spring Festival, more for promotion
//     hunters than for steady buyers. The overall rate is calibrated so the
//     shop has Config.Orders orders.
//   - A persona (宝妈, 学生党, 铲屎官 …) sets each customer's gender, age and
//     the categories they buy; baskets pair products that go together.
//   - Channels carry the identities their platforms export: Taobao nicks,
//     Tmall member ids, Douyin opaque ids, WeChat openids with a unionid, and
//     mostly masked phones, with some customers buying on two channels under
//     the same phone.
package demo

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/orderfile"
)

// Config says what to generate.
type Config struct {
	Seed      int64          // same seed → same shop, byte for byte
	Customers int            // ~20000
	Orders    int            // ~60000 (approximately; the generator may land within ±2%)
	End       time.Time      // the last day of data (orders span the two years before End)
	Location  *time.Location // Asia/Shanghai; nil means Asia/Shanghai
}

// DefaultConfig returns the demo shop of the quick start: 20,000 customers
// and 60,000 orders over the two years up to end, in Shanghai time.
func DefaultConfig(end time.Time) Config {
	return Config{Seed: 1111, Customers: 20000, Orders: 60000, End: end, Location: shanghai()}
}

func shanghai() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		// No time zone database: Shanghai has kept UTC+8 without summer
		// time since 1991.
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

// Profile extras the importer cannot get from orders, per customer key
// (Customer.Key as emitted): gender "f"/"m", birthday, tags.
type Profile struct {
	Key      string
	Platform string
	Gender   string
	Birthday time.Time
	Tags     []string
}

// Generate calls emit for each order in order of PlacedAt; it stops at the
// first error emit returns and returns it. It returns an EINVALID error when
// cfg cannot be generated (no customers, fewer orders than customers, no End).
//
// Orders fall on the days from two years before End's date (the day after)
// through End's date, in cfg.Location; when End is not midnight, orders on its
// day stop at End. The number of orders is cfg.Orders, unless that is more
// than the customers will ever place (about 9 each), in which case it is as
// many as they do place.
func Generate(cfg Config, emit func(*orderfile.Record) error) error {
	s, err := build(cfg)
	if err != nil {
		return err
	}
	r, _ := newRand(cfg.Seed, streamOrders, 0)
	g := orderGen{shop: s, r: r, tbKey: r.Uint64(), dyKey: r.Uint64(), wxDay: -1}
	for i := range s.events {
		if err := emit(g.order(i)); err != nil {
			return err
		}
	}
	return nil
}

// Profiles returns the profile extras of every customer key Generate(cfg)
// emits, customer by customer; a customer who buys on two channels has a
// profile for each key. It returns nil when cfg cannot be generated.
func Profiles(cfg Config) []Profile {
	s, err := build(cfg)
	if err != nil {
		return nil
	}
	out := make([]Profile, 0, len(s.persons)+len(s.persons)/5)
	for i := range s.persons {
		pe := &s.persons[i]
		g := "m"
		if pe.female {
			g = "f"
		}
		for c := range pe.nch {
			out = append(out, Profile{Key: pe.key[c], Platform: channelNames[pe.ch[c]], Gender: g, Birthday: pe.birthday, Tags: slices.Clone(pe.tags)})
		}
	}
	return out
}

// The behaviour model's parameters (rates are per operational day; see
// calendar). With the base rate calibrated to 3 orders a customer, they give
// ~57% one-time buyers, ~31% with 2-5 orders, and a top 5% with 11-40 orders
// who place a third of all orders.
const (
	rateShape = 0.5 // Gamma shape of the buying rate: small = heavy tail
	dropA     = 0.5 // Beta(dropA, dropB) dropout after each order: mean 0.38,
	dropB     = 0.8 // U-shaped, so most either leave at once or stay for long
	maxOrders = 40  // nobody orders more often than this in two years

	crossShare = 0.15 // customers who buy on two channels under one phone
)

type person struct {
	// behaviour
	d0   int32   // day of the first order
	u0   float64 // operational time of the first order
	rate float64 // relative buying rate, mean 1
	drop float64 // probability of stopping after an order
	cls  uint8   // festival sensitivity class
	n    int32   // orders placed
	ev   int32   // index of the first of its events before sorting

	// identity
	name     string
	female   bool
	birthday time.Time
	persona  uint8
	level    uint8 // price level
	phone    string
	masked   string // phone as the platforms show it
	email    string
	addr     [2]address
	naddr    uint8
	ch       [2]uint8 // channels, primary first
	key      [2]string
	kind     [2]string
	nch      uint8
	unionid  string
	fav      [2]int16
	nfav     uint8
	tags     []string
}

type address struct {
	prov, city, full string
	remote           bool
}

type event struct {
	at     int64 // seconds since the first day's midnight (days are 86400 s here)
	day    int32
	person int32
	ch     uint8
	first  bool
}

type shop struct {
	cfg     Config
	cal     *calendar
	persons []person
	events  []event // in emission order
}

func (c Config) check() error {
	switch {
	case c.Customers < 1:
		return guanxi.Errorf(guanxi.EINVALID, "demo: need at least one customer, got %d", c.Customers)
	case c.Orders < c.Customers:
		return guanxi.Errorf(guanxi.EINVALID, "demo: every customer orders at least once: need at least %d orders, got %d", c.Customers, c.Orders)
	case c.End.IsZero():
		return guanxi.Errorf(guanxi.EINVALID, "demo: no end date")
	}
	return nil
}

// build makes the shop's customers and the skeleton of its orders (who, when,
// where), sorted by time.
func build(cfg Config) (*shop, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.Location == nil {
		cfg.Location = shanghai()
	}
	s := &shop{cfg: cfg, cal: newCalendar(cfg.End, cfg.Location), persons: make([]person, cfg.Customers)}
	s.setup()
	s.events = make([]event, 0, cfg.Orders+cfg.Orders/100)
	s.simulate(s.calibrate(), true)
	s.trim()
	s.identities()
	s.sortEvents()
	return s, nil
}

// sortEvents puts the events in order of time: bucketed by day, then sorted
// within the day. Events that compare equal are identical, so the order is
// fully determined.
func (s *shop) sortEvents() {
	start := make([]int, len(s.cal.days)+1)
	for _, e := range s.events {
		start[e.day+1]++
	}
	for d := range s.cal.days {
		start[d+1] += start[d]
	}
	sorted := make([]event, len(s.events))
	next := slices.Clone(start[:len(start)-1])
	for _, e := range s.events {
		sorted[next[e.day]] = e
		next[e.day]++
	}
	for d := range s.cal.days {
		slices.SortFunc(sorted[start[d]:start[d+1]], func(a, b event) int {
			if a.at != b.at {
				return cmp.Compare(a.at, b.at)
			}
			if a.person != b.person {
				return cmp.Compare(a.person, b.person)
			}
			if a.first != b.first {
				if a.first {
					return -1
				}
				return 1
			}
			return cmp.Compare(a.ch, b.ch)
		})
	}
	s.events = sorted
}

var classCum = cumulative(classShare)

// setup draws each customer's arrival and buying habits.
func (s *shop) setup() {
	r, src := newRand(s.cfg.Seed, streamSetup, 0)
	cal := s.cal
	for i := range s.persons {
		reseed(src, s.cfg.Seed, streamSetup, uint64(i))
		pe := &s.persons[i]
		d := pick(r, cal.acq)
		pe.d0 = int32(d)
		pe.cls = uint8(pick(r, classCum))
		cum := cal.cum[pe.cls]
		pe.u0 = cum[d] + r.Float64()*(cum[d+1]-cum[d])
		pe.rate = gamma(r, rateShape) / rateShape
		pe.drop = beta(r, dropA, dropB)
	}
}

// simulate runs every customer's purchases at base rate k (orders per
// operational day for an average customer) and returns how many orders they
// place; when record is set it appends them to s.events, customer by
// customer.
func (s *shop) simulate(k float64, record bool) int {
	r, src := newRand(s.cfg.Seed, streamPurchase, 0)
	cal := s.cal
	end := cal.end()
	total := 0
	for i := range s.persons {
		pe := &s.persons[i]
		reseed(src, s.cfg.Seed, streamPurchase, uint64(i))
		if record {
			pe.ev = int32(len(s.events))
			s.events = append(s.events, event{day: pe.d0, person: int32(i), first: true})
		}
		n := int32(1)
		u := pe.u0
		lambda := k * pe.rate
		for n < maxOrders {
			if r.Float64() < pe.drop {
				break
			}
			u += r.ExpFloat64() / lambda
			if u >= end {
				break
			}
			n++
			if record {
				s.events = append(s.events, event{day: int32(cal.day(int(pe.cls), u)), person: int32(i)})
			}
		}
		pe.n = n
		total += int(n)
	}
	return total
}

// calibrate finds the base rate at which the customers place at least
// cfg.Orders orders and not much more (trim removes the rest).
func (s *shop) calibrate() float64 {
	target := s.cfg.Orders
	slack := target / 200
	lo, hi := 0.0, 0.005
	for s.simulate(hi, false) < target {
		if hi > 50 {
			return hi // the customers cannot place that many orders
		}
		lo, hi = hi, hi*2
	}
	for range 60 {
		mid := (lo + hi) / 2
		n := s.simulate(mid, false)
		if n < target {
			lo = mid
			continue
		}
		hi = mid
		if n <= target+slack {
			break
		}
	}
	return hi
}

// trim removes repeat orders at random until there are cfg.Orders.
func (s *shop) trim() {
	excess := len(s.events) - s.cfg.Orders
	if excess <= 0 {
		return
	}
	var repeat []int
	for i, e := range s.events {
		if !e.first {
			repeat = append(repeat, i)
		}
	}
	r, _ := newRand(s.cfg.Seed, streamTrim, 0)
	drop := make([]bool, len(s.events))
	for j := range excess {
		k := j + r.IntN(len(repeat)-j)
		repeat[j], repeat[k] = repeat[k], repeat[j]
		drop[repeat[j]] = true
	}
	kept := s.events[:0]
	for i, e := range s.events {
		if drop[i] {
			s.persons[e.person].n--
			continue
		}
		if e.first {
			s.persons[e.person].ev = int32(len(kept))
		}
		kept = append(kept, e)
	}
	s.events = kept
}

// Tables for weighted draws, built once.
var (
	surnameCum    = syllableCum(surnames)
	personaCum    = cumulative(mapSlice(personas, func(p persona) float64 { return p.share }))
	interestCum   = mapSlice(personas, func(p persona) []float64 { return cumulative(p.interest[:]) })
	provinceCum   = cumulative(mapSlice(provinces, func(p province) float64 { return p.pop }))
	cityCum       = mapSlice(provinces, func(p province) []float64 { return cumulative(mapSlice(p.cities, func(c city) float64 { return c.w })) })
	prefixCum     = cumulative(mapSlice(mobilePrefixes, func(p prefix) float64 { return p.w }))
	domainCum     = cumulative(mapSlice(emailDomains, func(p prefix) float64 { return p.w }))
	priceLevelCum = cumulative(priceLevelShare)
)

func syllableCum(s []syllable) []float64 {
	return cumulative(mapSlice(s, func(x syllable) float64 { return x.w }))
}

func mapSlice[T, U any](s []T, f func(T) U) []U {
	out := make([]U, len(s))
	for i, v := range s {
		out[i] = f(v)
	}
	return out
}

// identities gives each customer a person: name, contacts, addresses,
// channels and platform identities, and places their orders on channels and
// at times of day.
func (s *shop) identities() {
	r, src := newRand(s.cfg.Seed, streamIdentity, 0)
	cal := s.cal
	repeaters := 0
	for i := range s.persons {
		if s.persons[i].n > 1 {
			repeaters++
		}
	}
	cross := 0.0
	if repeaters > 0 {
		cross = min(1, crossShare*float64(len(s.persons))/float64(repeaters))
	}
	// Phones, emails and nicks are drawn from small spaces and must not repeat;
	// opaque ids are 126 random bits and cannot.
	used := make(map[string]struct{}, 2*len(s.persons))
	unique := func(draw func() string) string {
		for {
			v := draw()
			if _, ok := used[v]; !ok {
				used[v] = struct{}{}
				return v
			}
		}
	}
	end := cal.days[len(cal.days)-1]
	for i := range s.persons {
		reseed(src, s.cfg.Seed, streamIdentity, uint64(i))
		pe := &s.persons[i]

		pe.persona = uint8(pick(r, personaCum))
		ps := &personas[pe.persona]
		pe.female = r.Float64() < ps.female
		age := ps.ageLo + int((r.Float64()+r.Float64())/2*float64(ps.ageHi-ps.ageLo+1))
		pe.birthday = time.Date(end.Year()-age, end.Month(), end.Day()-1-r.IntN(365), 0, 0, 0, 0, s.cfg.Location)

		sn := surnames[pick(r, surnameCum)]
		given := maleGiven2
		switch one := r.Float64() < 0.28; {
		case pe.female && one:
			given = femaleGiven1
		case pe.female:
			given = femaleGiven2
		case one:
			given = maleGiven1
		}
		gn := given[r.IntN(len(given))]
		pe.name = sn.han + gn.han
		py := append([]string{sn.pinyin}, gn.pinyin...)
		birthYear := pe.birthday.Year()

		pe.phone = unique(func() string {
			b := []byte(mobilePrefixes[pick(r, prefixCum)].p)
			return string(digits(r, b, 8))
		})
		pe.masked = guanxi.MaskPhone(pe.phone)
		if r.Float64() < 0.28 {
			pe.email = unique(func() string { return email(r, py, birthYear) })
		}

		pe.addr[0] = homeAddress(r)
		pe.naddr = 1
		if r.Float64() < 0.15 {
			if r.Float64() < 0.7 {
				pe.addr[1] = officeAddress(r, pe.addr[0])
			} else {
				pe.addr[1] = homeAddress(r)
			}
			pe.naddr = 2
		}
		pe.level = uint8(pick(r, priceLevelCum))

		// Channels: the first by the channel mix when they arrived; repeat
		// buyers sometimes find the shop on a second channel.
		pe.ch[0] = uint8(pick(r, channelMix(float64(pe.d0)/float64(len(cal.days)))))
		pe.nch = 1
		if pe.n > 1 && r.Float64() < cross {
			pe.ch[1] = uint8(otherChannel(r, pe.ch[0], pe.d0, len(cal.days)))
			pe.nch = 2
		}
		nick := ""
		for c := range pe.nch {
			switch pe.ch[c] {
			case chTaobao, chTmall:
				if pe.ch[c] == chTmall && r.Float64() < 0.25 {
					pe.key[c], pe.kind[c] = opaque(r, "AAF", 21), orderfile.KeyOMID
					continue
				}
				if nick == "" {
					nick = unique(func() string { return buyerNick(r, py, birthYear, pe.female) })
				}
				pe.key[c], pe.kind[c] = nick, orderfile.KeyBuyerNick
			case chDouyin:
				pe.key[c], pe.kind[c] = opaque(r, "AAH", 21), orderfile.KeyOUID
			case chWechat:
				pe.key[c], pe.kind[c] = opaque(r, "o6_bm", 23), orderfile.KeyOpenID
				pe.unionid = opaque(r, "oX3Jd", 23)
			}
		}

		// Favourites: what they come back for.
		pe.nfav = uint8(1 + r.IntN(2))
		month := cal.month[pe.d0]
		for f := range pe.nfav {
			cat := pick(r, interestCum[pe.persona])
			pe.fav[f] = int16(shopCatalog.lines[cat][pick(r, shopCatalog.pick[cat][pe.level][month])])
		}

		pe.tags = tags(r, pe)

		// The orders: channel and time of day.
		evs := s.events[pe.ev : pe.ev+pe.n]
		second := -1
		if pe.nch == 2 {
			second = 1 + r.IntN(len(evs)-1)
		}
		for j := range evs {
			e := &evs[j]
			e.ch = pe.ch[0]
			if j == second || (j > 0 && pe.nch == 2 && r.Float64() < 0.3) {
				e.ch = pe.ch[1]
			}
			hours := cal.hours[0]
			if cal.peak[e.day] {
				hours = cal.hours[1]
			}
			sec := int64(pick(r, hours))*3600 + int64(r.IntN(3600))
			if int(e.day) == len(cal.days)-1 {
				sec = sec * cal.lastSec / 86400
			}
			e.at = int64(e.day)*86400 + sec
		}
		// Orders of one day go in the order they were drawn: put the times
		// in order (only times of the same day ever swap).
		for j := 1; j < len(evs); j++ {
			for k := j; k > 0 && evs[k].at < evs[k-1].at; k-- {
				evs[k].at, evs[k-1].at = evs[k-1].at, evs[k].at
			}
		}
	}
}

// channelMix returns the cumulative channel shares for new customers at
// fraction f of the way through the two years.
func channelMix(f float64) []float64 {
	w := make([]float64, numChannels)
	for c := range numChannels {
		w[c] = channelShareStart[c] + f*(channelShareEnd[c]-channelShareStart[c])
	}
	return cumulative(w)
}

func otherChannel(r *rand.Rand, not uint8, d0 int32, days int) int {
	f := float64(d0) / float64(days)
	w := make([]float64, numChannels)
	for c := range numChannels {
		if c != int(not) {
			w[c] = channelShareStart[c] + f*(channelShareEnd[c]-channelShareStart[c])
		}
	}
	return pick(r, cumulative(w))
}

func tags(r *rand.Rand, pe *person) []string {
	var t []string
	ps := &personas[pe.persona]
	switch {
	case !pe.female && ps.tagMale != "":
		t = append(t, ps.tagMale)
	case ps.tag != "":
		t = append(t, ps.tag)
	}
	if pe.cls == 2 {
		t = append(t, "大促党")
	}
	if ps.tag == "精致白领" && r.Float64() < 0.25 {
		t = append(t, "敏感肌")
	}
	if r.Float64() < min(0.9, 0.1+0.08*float64(pe.n-1)) {
		t = append(t, "会员")
	}
	return t
}

func homeAddress(r *rand.Rand) address {
	p := pick(r, provinceCum)
	pr := &provinces[p]
	c := pr.cities[pick(r, cityCum[p])]
	b := addressHead(make([]byte, 0, 96), pr.name, c.name, r)
	b = append(b, compounds[r.IntN(len(compounds))]...)
	b = strconv.AppendInt(b, int64(1+r.IntN(30)), 10)
	b = append(b, "栋"...)
	b = strconv.AppendInt(b, int64(1+r.IntN(4)), 10)
	b = append(b, "单元"...)
	b = strconv.AppendInt(b, int64(1+r.IntN(32)), 10)
	b = appendPadded(b, 1+r.IntN(4), 2)
	b = append(b, "室"...)
	return address{prov: pr.name, city: c.name, full: string(b), remote: pr.remote}
}

func officeAddress(r *rand.Rand, home address) address {
	b := addressHead(make([]byte, 0, 96), home.prov, home.city, r)
	b = append(b, offices[r.IntN(len(offices))]...)
	b = strconv.AppendInt(b, int64(2+r.IntN(40)), 10)
	b = append(b, "层"...)
	return address{prov: home.prov, city: home.city, full: string(b), remote: home.remote}
}

// addressHead appends province, city (once for a municipality), street and
// number.
func addressHead(b []byte, prov, city string, r *rand.Rand) []byte {
	b = append(b, prov...)
	if city != prov {
		b = append(b, city...)
	}
	b = append(b, streets[r.IntN(len(streets))]...)
	b = strconv.AppendInt(b, int64(1+r.IntN(600)), 10)
	return append(b, "号"...)
}

// buyerNick makes a Taobao member name in one of the styles people choose.
func buyerNick(r *rand.Rand, py []string, birthYear int, female bool) string {
	english := englishMale
	if female {
		english = englishFemale
	}
	full := ""
	for _, s := range py {
		full += s
	}
	num := func() string {
		switch r.IntN(4) {
		case 0:
			return strconv.Itoa(birthYear)
		case 1:
			return string(appendPadded(nil, birthYear%100, 2))
		case 2:
			return strconv.Itoa(r.IntN(100))
		default:
			return strconv.Itoa(100 + r.IntN(900))
		}
	}
	switch u := r.Float64(); {
	case u < 0.25:
		sep := ""
		if r.IntN(3) == 0 {
			sep = "_"
		}
		return full + sep + num()
	case u < 0.40:
		return string(digits(r, []byte("tb"), 9+r.IntN(2)))
	case u < 0.55:
		return "tb_" + english[r.IntN(len(english))] + num()
	case u < 0.68:
		e := english[r.IntN(len(english))]
		if r.IntN(2) == 0 {
			return e + "_" + py[0]
		}
		return e + num()
	case u < 0.88:
		var n string
		switch r.IntN(3) {
		case 0:
			n = "爱吃" + nickFood[r.IntN(len(nickFood))] + "的" + nickAnimal[r.IntN(len(nickAnimal))]
		case 1:
			n = nickMood[r.IntN(len(nickMood))] + nickAnimal[r.IntN(len(nickAnimal))]
		default:
			n = nickMood[r.IntN(len(nickMood))] + nickThing[r.IntN(len(nickThing))]
		}
		if r.IntN(2) == 0 {
			n += strconv.Itoa(r.IntN(1000))
		}
		return n
	default:
		ini := ""
		for _, s := range py {
			ini += s[:1]
		}
		return ini + num()
	}
}

func email(r *rand.Rand, py []string, birthYear int) string {
	d := emailDomains[pick(r, domainCum)].p
	if d == "qq.com" || (d == "foxmail.com" && r.IntN(2) == 0) {
		// A QQ number.
		b := []byte{byte('1' + r.IntN(9))}
		return string(digits(r, b, 5+r.IntN(5))) + "@" + d
	}
	local := ""
	for _, s := range py {
		local += s
	}
	switch r.IntN(3) {
	case 0:
		local += strconv.Itoa(birthYear)
	case 1:
		local = py[0] + "." + local[len(py[0]):] + strconv.Itoa(r.IntN(100))
	default:
		local += strconv.Itoa(r.IntN(1000))
	}
	return local + "@" + d
}
