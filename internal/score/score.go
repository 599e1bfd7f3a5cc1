// Package score scores every customer of a shop as of a date and stores the
// result: recency, frequency and monetary value with their 1-5 scores and
// both segment maps, lifecycle stage, value tier, churn risk with a reason,
// and — when the shop's history is enough for it — the BG/NBD model's
// probability of being alive, expected purchases, expected spend and
// 12-month lifetime value. It reads the shop's orders into the same columnar
// summaries `guanxi analyze` uses, so both always agree. A Service is safe
// for concurrent use; runs for one shop replace each other's results.
package score

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/analytics"
	"github.com/guanxi-crm/guanxi/internal/analytics/clv"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Service scores shops.
type Service struct {
	db    *store.DB
	clock guanxi.Clock
	log   *slog.Logger
	// MonthlyDiscount is the discount rate per month for lifetime value,
	// where a shop's settings do not set one.
	MonthlyDiscount float64
}

// NewService returns a Service with a 1% monthly discount rate.
func NewService(db *store.DB, clock guanxi.Clock, log *slog.Logger) *Service {
	return &Service{db: db, clock: clock, log: log, MonthlyDiscount: 0.01}
}

// Result says what a run did.
type Result struct {
	Shop      string             `json:"shop"`
	AsOf      string             `json:"as_of"`
	Customers int                `json:"customers"`
	Model     string             `json:"model,omitempty"` // "" when the data was not enough
	Params    map[string]float64 `json:"params,omitempty"`
	Note      string             `json:"note,omitempty"`
	Rules     string             `json:"lifecycle_rules"`

	// Shop-level analyses, stored beside the scores.
	RepeatRate   float64      `json:"repeat_rate"`          // customers with purchases on 2+ days / customers
	Cohorts      int          `json:"cohorts"`              // monthly acquisition cohorts
	Clusters     int          `json:"clusters"`             // k of the k-means segmentation, 0 when not clustered
	Silhouette   float64      `json:"silhouette,omitempty"` // its mean silhouette score
	Baskets      int          `json:"baskets"`              // purchase orders with products, mined for rules
	ProductRules int          `json:"product_rules"`        // association rules kept
	Pareto       [][2]float64 `json:"pareto"`               // [customer share, revenue share] of the top customers

	Seconds float64 `json:"seconds"`
}

// Progress receives a run's progress: the stage it enters and the share of
// the run done, 0..1. It may be nil.
type Progress func(stage string, done float64)

// Run scores every customer of the shop who bought up to asOf (a date in
// the shop's zone) and replaces the shop's stored scores.
func (s *Service) Run(ctx context.Context, sh *shop.Shop, asOf time.Time) (Result, error) {
	return s.RunWithProgress(ctx, sh, asOf, nil)
}

// RunWithProgress is Run reporting its progress to p.
func (s *Service) RunWithProgress(ctx context.Context, sh *shop.Shop, asOf time.Time, p Progress) (Result, error) {
	if p == nil {
		p = func(string, float64) {}
	}
	start := time.Now() // elapsed time is measured, not read from the (maybe fixed) clock
	loc := sh.Location()
	asOf = time.Date(asOf.Year(), asOf.Month(), asOf.Day(), 0, 0, 0, 0, loc)
	res := Result{Shop: sh.Code, AsOf: asOf.Format(time.DateOnly)}
	p("read orders", 0)
	c, cohorts, purchases, err := s.load(ctx, sh, asOf)
	if err != nil {
		return res, err
	}
	res.Customers = c.Len()
	res.Cohorts = len(cohorts.Months)
	res.RepeatRate = cohorts.RepeatRate()
	p("score customers", 0.3)
	set, err := s.Settings(ctx, sh.ID)
	if err != nil {
		return res, err
	}
	t, err := s.compute(c, set, &res)
	if err != nil {
		return res, err
	}
	sig, err := s.signals(ctx, sh, asOf)
	if err != nil {
		return res, err
	}
	for i, id := range t.id {
		if g, ok := sig[id]; ok {
			t.churn[i] = RaiseChurn(t.churn[i], g)
		}
	}
	p("cluster customers", 0.45)
	clusters := s.cluster(c, sh, t, &res)
	p("mine product affinity", 0.55)
	rules, err := s.affinity(ctx, sh, purchases, t, &res)
	if err != nil {
		return res, err
	}
	p("store", 0.7)
	res.Seconds = time.Since(start).Seconds()
	if err := s.store(ctx, sh, res, t, clusters, cohorts, rules); err != nil {
		return res, err
	}
	res.Seconds = time.Since(start).Seconds()
	p("done", 1)
	return res, nil
}

// shards runs fn once per core at the same time, each on its own read
// connection, with k the shard and n their number: a shard takes the
// customers whose id is k modulo n, so shards see disjoint customers and
// what they build adds up without merging. Reading rows out of the
// database is most of a large shop's scoring time; this spreads it over
// the cores.
func shards(ctx context.Context, fn func(ctx context.Context, k, n int) error) error {
	n := cores()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for k := range n {
		wg.Go(func() {
			if errs[k] = fn(ctx, k, n); errs[k] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// purchasesQuery reads one shard's purchase orders up to a date. Only
// purchases matter, and only those up to the as-of date: the database
// leaves the rest out. Guests' orders (shard 0) count for no customer, only
// as baskets. The order by id has SQLite read the table in key order
// rather than walk the placed_at index and look every order up from it: as
// of today that is every order, which a plain scan reads in a fraction of
// the time (a test checks the plan).
const purchasesQuery = `SELECT id, customer_id, placed_at, amount - refunded
FROM orders WHERE shop_id = ? AND purchase_day IS NOT NULL AND placed_at < ?
AND (customer_id % ? = ? OR customer_id IS NULL AND ? = 0)
ORDER BY id`

// purchase is a purchase order up to the as-of date, with its customer
// (-1 for a guest): what the basket analysis keeps of the orders.
type purchase struct{ order, customer int64 }

// cores is how many shards and chunks the run's work is cut into.
func cores() int { return max(1, runtime.GOMAXPROCS(0)) }

// load streams the shop's orders into per-customer summaries and the
// monthly cohorts, and lists the purchase orders by id.
func (s *Service) load(ctx context.Context, sh *shop.Shop, asOf time.Time) (*analytics.Customers, analytics.Cohorts, []purchase, error) {
	n := cores()
	bs := make([]*analytics.Builder, n)
	cs := make([]analytics.Cohorts, n)
	ps := make([][]purchase, n)
	err := shards(ctx, func(ctx context.Context, k, n int) error {
		b := analytics.NewBuilder(asOf, sh.Location())
		cb := analytics.NewCohortBuilder(asOf, sh.Location())
		rows, err := s.db.Query(ctx, purchasesQuery,
			sh.ID, asOf.AddDate(0, 0, 1).Unix(), n, k, k)
		if err != nil {
			return fmt.Errorf("score: read orders of %s: %w", sh.Code, err)
		}
		defer rows.Close()
		var order, placed, net int64
		var id sql.NullInt64
		var own []purchase
		for rows.Next() {
			if err := rows.Scan(&order, &id, &placed, &net); err != nil {
				return fmt.Errorf("score: read orders of %s: %w", sh.Code, err)
			}
			if !id.Valid {
				own = append(own, purchase{order, -1})
				continue
			}
			own = append(own, purchase{order, id.Int64})
			key, at := strconv.FormatInt(id.Int64, 10), time.Unix(placed, 0)
			b.Add(key, at, net, true)
			cb.Add(key, at, net, true)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("score: read orders of %s: %w", sh.Code, err)
		}
		bs[k], cs[k], ps[k] = b, cb.Build(), own
		return nil
	})
	if err != nil {
		return nil, analytics.Cohorts{}, nil, err
	}
	all := slices.Concat(ps...)
	slices.SortFunc(all, func(a, b purchase) int { return cmp.Compare(a.order, b.order) })
	return analytics.BuildShards(bs), analytics.MergeCohorts(cs...), all, nil
}

// table is every customer's scores in columns, row i for customer row i
// of the Customers it was computed from: typed slices rather than a row of
// boxed values per customer, which on a million customers saved most of a
// gigabyte. Model figures are NaN where NULL; cluster and next product -1.
type table struct {
	asOf     string
	now      int64
	id       []int64
	c        *analytics.Customers
	sc       analytics.Scores
	cn       []analytics.CNSegment
	stages   []analytics.Stage
	tiers    []analytics.Tier
	churn    []analytics.ChurnRisk
	pAlive   []float64
	e30, e90 []float64
	e365     []float64
	spend    []float64
	life     []float64
	cluster  []int16
	next     []int64 // product id
	nextRule []int32 // product_rules.rule_no, -1 when by popularity
	nextConf []float64
	rowsByID []int32 // rows in customer id order
}

func (t *table) len() int { return len(t.id) }

var scoreCols = []string{"shop_id", "customer_id", "as_of", "recency_days", "frequency", "monetary", "r", "f", "m",
	"segment_cn", "segment", "lifecycle", "tier", "churn_risk", "churn_reason", "churn_reason_en", "p_alive", "expected_30d", "expected_90d", "expected_365d", "expected_spend", "clv_12m", "computed_at",
	"cluster", "next_product_id", "next_product_rule", "next_product_confidence"}

// row appends customer row i's values, in scoreCols order, to dst.
func (t *table) row(dst []any, shopID int64, i int) []any {
	c, sc := t.c, t.sc
	seg := analytics.SegmentOf(sc.R[i], sc.F[i], sc.M[i])
	var cl, next, rule any
	if t.cluster[i] >= 0 {
		cl = int64(t.cluster[i])
	}
	if t.next[i] >= 0 {
		next = t.next[i]
		if t.nextRule[i] >= 0 {
			rule = int64(t.nextRule[i])
		}
	}
	return append(dst, shopID, t.id[i], t.asOf, int64(c.RecencyDays[i]), int64(c.Frequency[i]), c.Monetary[i],
		int64(sc.R[i]), int64(sc.F[i]), int64(sc.M[i]), t.cn[i].NameZH(), seg.NameEN(),
		code(t.stages[i].NameEN()), code(t.tiers[i].NameEN()), code(t.churn[i].Band.NameEN()), t.churn[i].ReasonZH, t.churn[i].ReasonEN,
		finite(t.pAlive[i]), finite(t.e30[i]), finite(t.e90[i]), finite(t.e365[i]), finite(t.spend[i]), finite(t.life[i]), t.now,
		cl, next, rule, finite(t.nextConf[i]))
}

// compute scores every customer; model columns stay NULL when the shop's
// history is not enough for the model (res.Note says why).
func (s *Service) compute(c *analytics.Customers, set Settings, res *Result) (*table, error) {
	sc := analytics.RFM(c)
	cn := analytics.CNSegments(c)
	n := c.Len()
	rules, why, err := set.rules(analytics.DefaultLifecycleRules(c))
	if err != nil {
		return nil, err
	}
	discount := s.MonthlyDiscount
	if set.MonthlyDiscount != nil {
		discount = *set.MonthlyDiscount
	}
	res.Rules = fmt.Sprintf("new ≤ %d days, dormant > %d days, churned > %d days, loyal ≥ %d purchase days (%s)",
		rules.NewDays, rules.DormantDays, rules.ChurnedDays, rules.LoyalPurchaseDays, why)
	stages := analytics.Lifecycle(c, rules)
	tiers := analytics.Tiers(c)
	// P(alive) for churn: BG/NBD gives every one-time buyer 1 (the model has
	// no dropout before a first repeat purchase), which says nothing about a
	// customer who bought once a year ago; NaN makes Churn judge them by
	// recency against the shop's usual gap instead.
	var alive []float64
	nan := func() []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = math.NaN()
		}
		return v
	}
	pAlive, e30, e90, e365, spend, life := nan(), nan(), nan(), nan(), nan(), nan()
	d := clv.Data{X: c.X, Tx: c.Tx, T: c.T}
	if suff := clv.Sufficiency(d); !suff.Enough {
		res.Note = suff.Reason + "; scores use RFM and recency only"
	} else if m, err := clv.FitBGNBD(d); err != nil {
		res.Note = "BG/NBD not fitted: " + guanxi.ErrorMessage(err)
	} else {
		res.Model = "bgnbd"
		res.Params = map[string]float64{"r": m.R, "alpha": m.Alpha, "a": m.A, "b": m.B}
		var gg *clv.GammaGamma
		var sp clv.Spend
		for i, x := range c.X {
			if x >= 1 && c.MeanRepeatSpend[i] > 0 {
				sp.X, sp.M = append(sp.X, x), append(sp.M, c.MeanRepeatSpend[i]/100)
			}
		}
		if g, err := clv.FitGammaGamma(sp); err == nil {
			gg = &g
			res.Params["p"], res.Params["q"], res.Params["gamma"] = g.P, g.Q, g.Gamma
		} else {
			res.Note = "spend model not fitted: " + guanxi.ErrorMessage(err)
		}
		alive = make([]float64, n)
		// Each customer's figures are independent: spread them over the cores.
		inParallel(n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				x, tx, T := c.X[i], c.Tx[i], c.T[i]
				p := m.PAlive(x, tx, T)
				pAlive[i] = p
				alive[i] = p
				if x == 0 {
					alive[i] = math.NaN()
				}
				e30[i] = m.ExpectedPurchases(30.0/7, x, tx, T)
				e90[i] = m.ExpectedPurchases(90.0/7, x, tx, T)
				e365[i] = m.ExpectedPurchases(365.0/7, x, tx, T)
				if gg != nil {
					mean := 0.0
					if x >= 1 {
						mean = c.MeanRepeatSpend[i] / 100
					}
					if v, err := gg.ExpectedSpend(x, mean); err == nil {
						spend[i] = v
					}
					if v, err := clv.CLV(12, discount, m, *gg, x, tx, T, mean); err == nil {
						life[i] = v
					}
				}
			}
		})
	}
	t := &table{asOf: res.AsOf, now: s.clock.Now().Unix(), id: make([]int64, n), c: c, sc: sc, cn: cn, stages: stages, tiers: tiers,
		churn: analytics.Churn(c, alive), pAlive: pAlive, e30: e30, e90: e90, e365: e365, spend: spend, life: life,
		cluster: make([]int16, n), next: make([]int64, n), nextRule: make([]int32, n), nextConf: nan()}
	for i, v := range c.IDs {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("score: customer id %q: %w", v, err)
		}
		t.id[i], t.cluster[i], t.next[i], t.nextRule[i] = id, -1, -1, -1
	}
	curve := analytics.ParetoCurve(c, 20)
	res.Pareto = make([][2]float64, len(curve))
	for i, pt := range curve {
		res.Pareto[i] = [2]float64{pt.CustomerShare, pt.RevenueShare}
	}
	return t, nil
}

// inParallel calls fn over [0, n) cut into one contiguous range per core.
func inParallel(n int, fn func(lo, hi int)) {
	w := cores()
	if n < 10000 {
		w = 1
	}
	var wg sync.WaitGroup
	for k := range w {
		wg.Go(func() { fn(k*n/w, (k+1)*n/w) })
	}
	wg.Wait()
}

// code turns a label ("Dormant", "Key customer") into the stored code
// ("dormant", "key"): its first word, lower-cased.
func code(label string) string {
	if i := strings.IndexByte(label, ' '); i > 0 {
		label = label[:i]
	}
	return strings.ToLower(label)
}

// finite turns NaN and infinities into NULL.
func finite(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}
