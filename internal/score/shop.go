package score

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/guanxi-crm/guanxi/internal/analytics"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// cluster segments the customers by k-means and fills each row's cluster.
// A shop too small or too uniform to cluster keeps NULL clusters; the run
// goes on, since clusters describe customers but nothing depends on them.
func (s *Service) cluster(c *analytics.Customers, sh *shop.Shop, t *table, res *Result) *analytics.Clustering {
	// The seed is the shop's, so a rerun on the same data clusters alike.
	cl, err := analytics.Clusters(c, uint64(sh.ID))
	if err != nil {
		s.log.Info("score: not clustered", "shop", sh.Code, "reason", err.Error())
		return nil
	}
	for i, k := range cl.Assign {
		t.cluster[i] = int16(k)
	}
	res.Clusters, res.Silhouette = cl.K, cl.Silhouette
	return &cl
}

// affinity mines association rules over the shop's purchase baskets up to
// the as-of date (products bought together in one order) and suggests each
// customer a next product. It returns the rules with their product ids.
// purchases are the purchase orders sorted by id.
func (s *Service) affinity(ctx context.Context, sh *shop.Shop, purchases []purchase, t *table, res *Result) ([]storedRule, error) {
	rowOf := make(map[int64]int32, t.len())
	for i, id := range t.id {
		rowOf[id] = int32(i)
	}
	// The order lines are read in key order, a range of order ids per
	// core, and walked beside the purchases in the same order: no join, so
	// no index lookup per line. Products get dense item numbers in id order
	// afterwards, so the result does not depend on the number of cores.
	type part struct {
		baskets [][]int64 // product ids per order
		rows    []int32   // the customer row of each basket, -1 for none
	}
	n := cores()
	parts := make([]part, n)
	err := shards(ctx, func(ctx context.Context, k, n int) error {
		ps := purchases[k*len(purchases)/n : (k+1)*len(purchases)/n]
		if len(ps) == 0 {
			return nil
		}
		q, err := s.db.Query(ctx, basketsQuery, sh.ID, ps[0].order, ps[len(ps)-1].order)
		if err != nil {
			return err
		}
		defer q.Close()
		p := &parts[k]
		var order, product int64
		i, last := 0, int64(-1)
		for q.Next() {
			if err := q.Scan(&order, &product); err != nil {
				return err
			}
			for i < len(ps) && ps[i].order < order {
				i++
			}
			if i == len(ps) || ps[i].order != order {
				continue // not a purchase, or after the as-of date
			}
			if order != last {
				r, ok := rowOf[ps[i].customer]
				if !ok {
					r = -1
				}
				p.baskets, p.rows = append(p.baskets, nil), append(p.rows, r)
				last = order
			}
			p.baskets[len(p.baskets)-1] = append(p.baskets[len(p.baskets)-1], product)
		}
		return q.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("score: read baskets of %s: %w", sh.Code, err)
	}
	var products []int64
	seen := map[int64]bool{}
	for _, p := range parts {
		for _, b := range p.baskets {
			for _, id := range b {
				if !seen[id] {
					seen[id] = true
					products = append(products, id)
				}
			}
		}
	}
	slices.Sort(products)
	item := make(map[int64]int32, len(products))
	for i, id := range products {
		item[id] = int32(i)
	}
	var baskets [][]int32
	history := make([][]int32, t.len())
	for _, p := range parts {
		for j, b := range p.baskets {
			bs := make([]int32, len(b))
			for i, id := range b {
				bs[i] = item[id]
			}
			baskets = append(baskets, bs)
			if r := p.rows[j]; r >= 0 {
				history[r] = append(history[r], bs...)
			}
		}
	}
	res.Baskets = len(baskets)
	if len(baskets) == 0 {
		return nil, nil
	}
	a, err := analytics.MineRules(baskets, len(products), analytics.AffinityOptions{})
	if err != nil {
		return nil, fmt.Errorf("score: product affinity of %s: %w", sh.Code, err)
	}
	res.ProductRules = len(a.Rules)
	for i, sg := range a.NextProducts(history) {
		if sg.Item < 0 {
			continue
		}
		t.next[i] = products[sg.Item]
		if sg.Rule >= 0 {
			t.nextRule[i] = sg.Rule + 1
		}
		t.nextConf[i] = sg.Confidence
	}
	out := make([]storedRule, len(a.Rules))
	for i, r := range a.Rules {
		ids := make([]string, len(r.Antecedent))
		for j, it := range r.Antecedent {
			ids[j] = strconv.FormatInt(products[it], 10)
		}
		out[i] = storedRule{Antecedent: strings.Join(ids, ","), Consequent: products[r.Consequent], Rule: r}
	}
	return out, nil
}

// basketsQuery reads the products of a range of orders, in key order.
const basketsQuery = `SELECT order_id, product_id FROM order_lines
WHERE shop_id = ? AND order_id >= ? AND order_id <= ? AND product_id IS NOT NULL
ORDER BY order_id, line_no`

// storedRule is a rule with product ids in place of dense items.
type storedRule struct {
	Antecedent string // product ids, comma-separated
	Consequent int64
	analytics.Rule
}

// store replaces the shop's scores and shop-level analyses and records the
// run, in one transaction.
func (s *Service) store(ctx context.Context, sh *shop.Shop, res Result, t *table, cl *analytics.Clustering, co analytics.Cohorts, rules []storedRule) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		for _, tbl := range []string{"customer_scores", "score_clusters", "shop_cohorts", "product_rules"} {
			if _, err := tx.Exec(ctx, `DELETE FROM `+tbl+` WHERE shop_id = ?`, sh.ID); err != nil {
				return fmt.Errorf("score: clear %s of %s: %w", tbl, sh.Code, err)
			}
		}
		// Rules first: scores refer to them by number.
		vals := make([][]any, len(rules))
		for i, r := range rules {
			vals[i] = []any{sh.ID, int64(i + 1), r.Antecedent, r.Consequent, int64(r.Count), r.Support, r.Confidence, r.Lift}
		}
		if err := tx.Insert(ctx, "product_rules", []string{"shop_id", "rule_no", "antecedent", "consequent", "baskets", "support", "confidence", "lift"}, vals); err != nil {
			return fmt.Errorf("score: store rules of %s: %w", sh.Code, err)
		}
		// In key order, the rows append to the table's B-tree page after
		// page; in the order customers were read they would land all over
		// it, which on a million customers takes several times longer.
		order := make([]int32, t.len())
		for i := range order {
			order[i] = int32(i)
		}
		slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(t.id[a], t.id[b]) })
		// Rows are made a chunk at a time, so that only one chunk of boxed
		// values lives at once.
		const chunk = 20000
		vals = make([][]any, 0, chunk)
		cells := make([]any, 0, chunk*len(scoreCols))
		for start := 0; start < len(order); start += chunk {
			vals, cells = vals[:0], cells[:0]
			for _, i := range order[start:min(start+chunk, len(order))] {
				from := len(cells)
				cells = t.row(cells, sh.ID, int(i))
				vals = append(vals, cells[from:len(cells):len(cells)])
			}
			if err := tx.Insert(ctx, "customer_scores", scoreCols, vals); err != nil {
				return fmt.Errorf("score: store %s: %w", sh.Code, err)
			}
		}
		if cl != nil {
			vals := make([][]any, cl.K)
			for k := range cl.K {
				vals[k] = []any{sh.ID, int64(k), int64(cl.Sizes[k]), cl.Centers[k][0], cl.Centers[k][1], cl.Centers[k][2], cl.DescZH[k], cl.DescEN[k]}
			}
			if err := tx.Insert(ctx, "score_clusters", []string{"shop_id", "cluster", "customers", "recency_days", "frequency", "monetary", "label_zh", "label_en"}, vals); err != nil {
				return fmt.Errorf("score: store clusters of %s: %w", sh.Code, err)
			}
		}
		vals = vals[:0]
		for i, m := range co.Months {
			for k := range co.Active[i] {
				vals = append(vals, []any{sh.ID, m, int64(k), int64(co.Size[i]), int64(co.Active[i][k]), co.Revenue[i][k]})
			}
		}
		if err := tx.Insert(ctx, "shop_cohorts", []string{"shop_id", "cohort", "month_offset", "size", "active", "revenue"}, vals); err != nil {
			return fmt.Errorf("score: store cohorts of %s: %w", sh.Code, err)
		}
		id, err := tx.NextIDs(ctx, sh.ID, "score_runs", 1)
		if err != nil {
			return err
		}
		params, _ := json.Marshal(res.Params) // a map of floats always marshals
		pareto, _ := json.Marshal(res.Pareto)
		var sil any
		if res.Clusters > 0 {
			sil = res.Silhouette
		}
		_, err = tx.Exec(ctx, `INSERT INTO score_runs (shop_id, id, as_of, customers, model, params, note, rules, finished_at,
repeat_rate, clusters, silhouette, baskets, pareto, seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			sh.ID, id, res.AsOf, res.Customers, res.Model, string(params), res.Note, res.Rules, s.clock.Now().Unix(),
			res.RepeatRate, res.Clusters, sil, res.Baskets, string(pareto), res.Seconds)
		if err != nil {
			return fmt.Errorf("score: record run for %s: %w", sh.Code, err)
		}
		return nil
	})
}
