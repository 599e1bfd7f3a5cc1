package report

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/guanxi-crm/guanxi"
)

// Run is the latest score run of a shop: what the shop-level analyses are
// as of.
type Run struct {
	AsOf       string             `json:"as_of"`
	Customers  int64              `json:"customers"`
	Model      string             `json:"model"`
	Params     map[string]float64 `json:"params"`
	Note       string             `json:"note,omitempty"`
	Rules      string             `json:"lifecycle_rules"`
	RepeatRate float64            `json:"repeat_rate"`
	Clusters   int64              `json:"clusters"`
	Silhouette *float64           `json:"silhouette,omitempty"`
	Baskets    int64              `json:"baskets"`
	Pareto     [][2]float64       `json:"pareto"`
	Seconds    float64            `json:"seconds"`
	FinishedAt int64              `json:"finished_at"`
}

// LatestRun returns the shop's latest score run, ENOTFOUND when the shop
// was never scored.
func (s *Service) LatestRun(ctx context.Context, shopID int64) (*Run, error) {
	var r Run
	var params, pareto string
	var sil sql.NullFloat64
	err := s.db.QueryRow(ctx, `SELECT as_of, customers, model, params, note, rules, repeat_rate, clusters, silhouette, baskets, pareto, seconds, finished_at
FROM score_runs WHERE shop_id = ? ORDER BY id DESC LIMIT 1`, shopID).
		Scan(&r.AsOf, &r.Customers, &r.Model, &params, &r.Note, &r.Rules, &r.RepeatRate, &r.Clusters, &sil, &r.Baskets, &pareto, &r.Seconds, &r.FinishedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "the shop has not been scored yet (run `guanxi score`)")
	}
	if err != nil {
		return nil, fmt.Errorf("report: latest run: %w", err)
	}
	if sil.Valid {
		r.Silhouette = &sil.Float64
	}
	if err := json.Unmarshal([]byte(params), &r.Params); err != nil {
		return nil, fmt.Errorf("report: latest run params: %w", err)
	}
	if err := json.Unmarshal([]byte(pareto), &r.Pareto); err != nil {
		return nil, fmt.Errorf("report: latest run pareto curve: %w", err)
	}
	return &r, nil
}

// CohortRow is one monthly acquisition cohort: its size and, per month
// since its first, the customers active and their net spend.
type CohortRow struct {
	Cohort    string         `json:"cohort"` // YYYY-MM
	Size      int64          `json:"size"`
	Active    []int64        `json:"active"`    // [k]: customers with a purchase k months after the first
	Revenue   []guanxi.Money `json:"revenue"`   // [k]: their net spend that month
	Retention []float64      `json:"retention"` // [k]: Active[k] / Size
}

// Cohorts returns the cohorts × retention matrix of the latest score run,
// oldest cohort first.
func (s *Service) Cohorts(ctx context.Context, shopID int64) ([]CohortRow, error) {
	rows, err := s.db.Query(ctx, `SELECT cohort, month_offset, size, active, revenue FROM shop_cohorts WHERE shop_id = ? ORDER BY cohort, month_offset`, shopID)
	if err != nil {
		return nil, fmt.Errorf("report: cohorts: %w", err)
	}
	defer rows.Close()
	out := []CohortRow{}
	for rows.Next() {
		var cohort string
		var k, size, active int64
		var rev guanxi.Money
		if err := rows.Scan(&cohort, &k, &size, &active, &rev); err != nil {
			return nil, fmt.Errorf("report: cohorts: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].Cohort != cohort {
			out = append(out, CohortRow{Cohort: cohort, Size: size})
		}
		c := &out[len(out)-1]
		for int64(len(c.Active)) < k { // offsets are dense; guard anyway
			c.Active, c.Revenue, c.Retention = append(c.Active, 0), append(c.Revenue, 0), append(c.Retention, 0)
		}
		ret := 0.0
		if size > 0 {
			ret = float64(active) / float64(size)
		}
		c.Active, c.Revenue, c.Retention = append(c.Active, active), append(c.Revenue, rev), append(c.Retention, ret)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report: cohorts: %w", err)
	}
	return out, nil
}

// Product names a product in a rule.
type Product struct {
	ID       int64  `json:"id"`
	SKU      string `json:"sku"`
	Name     string `json:"name"`
	Category string `json:"category"`
}

// Rule is a stored association rule with its products.
type Rule struct {
	No         int64     `json:"rule_no"`
	Antecedent []Product `json:"antecedent"`
	Consequent Product   `json:"consequent"`
	Baskets    int64     `json:"baskets"`
	Support    float64   `json:"support"`
	Confidence float64   `json:"confidence"`
	Lift       float64   `json:"lift"`
}

// Rules returns the strongest limit product rules of the latest score run
// (all when limit ≤ 0), strongest first.
func (s *Service) Rules(ctx context.Context, shopID int64, limit int) ([]Rule, error) {
	if limit <= 0 {
		limit = 1 << 30
	}
	rows, err := s.db.Query(ctx, `SELECT rule_no, antecedent, consequent, baskets, support, confidence, lift
FROM product_rules WHERE shop_id = ? ORDER BY rule_no LIMIT ?`, shopID, limit)
	if err != nil {
		return nil, fmt.Errorf("report: rules: %w", err)
	}
	out := []Rule{}
	need := map[int64]*Product{}
	var ante [][]int64
	for rows.Next() {
		var r Rule
		var a string
		if err := rows.Scan(&r.No, &a, &r.Consequent.ID, &r.Baskets, &r.Support, &r.Confidence, &r.Lift); err != nil {
			rows.Close()
			return nil, fmt.Errorf("report: rules: %w", err)
		}
		var ids []int64
		for _, f := range strings.Split(a, ",") {
			id, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("report: rule %d: antecedent %q", r.No, a)
			}
			ids = append(ids, id)
			need[id] = nil
		}
		need[r.Consequent.ID] = nil
		ante = append(ante, ids)
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report: rules: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	ids := slices.Sorted(maps.Keys(need))
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		args := []any{shopID}
		for _, id := range chunk {
			args = append(args, id)
		}
		prows, err := s.db.Query(ctx, `SELECT id, sku, name, category FROM products WHERE shop_id = ? AND id IN (?`+
			strings.Repeat(", ?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("report: rule products: %w", err)
		}
		for prows.Next() {
			var p Product
			if err := prows.Scan(&p.ID, &p.SKU, &p.Name, &p.Category); err != nil {
				prows.Close()
				return nil, fmt.Errorf("report: rule products: %w", err)
			}
			need[p.ID] = &p
		}
		prows.Close()
		if err := prows.Err(); err != nil {
			return nil, fmt.Errorf("report: rule products: %w", err)
		}
	}
	product := func(id int64) Product {
		if p := need[id]; p != nil {
			return *p
		}
		return Product{ID: id}
	}
	for i := range out {
		out[i].Consequent = product(out[i].Consequent.ID)
		for _, id := range ante[i] {
			out[i].Antecedent = append(out[i].Antecedent, product(id))
		}
	}
	return out, nil
}

// Cluster is a stored k-means cluster.
type Cluster struct {
	Cluster   int64   `json:"cluster"`
	Customers int64   `json:"customers"`
	Recency   float64 `json:"recency_days"` // centre: mean recency, frequency, net spend (major units)
	Frequency float64 `json:"frequency"`
	Monetary  float64 `json:"monetary"`
	LabelZH   string  `json:"label_zh"`
	LabelEN   string  `json:"label_en"`
}

// Clusters returns the clusters of the latest score run, highest spend first.
func (s *Service) Clusters(ctx context.Context, shopID int64) ([]Cluster, error) {
	rows, err := s.db.Query(ctx, `SELECT cluster, customers, recency_days, frequency, monetary, label_zh, label_en FROM score_clusters WHERE shop_id = ? ORDER BY cluster`, shopID)
	if err != nil {
		return nil, fmt.Errorf("report: clusters: %w", err)
	}
	defer rows.Close()
	out := []Cluster{}
	for rows.Next() {
		var c Cluster
		if err := rows.Scan(&c.Cluster, &c.Customers, &c.Recency, &c.Frequency, &c.Monetary, &c.LabelZH, &c.LabelEN); err != nil {
			return nil, fmt.Errorf("report: clusters: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report: clusters: %w", err)
	}
	return out, nil
}

// Count is how many customers have one value of a score.
type Count struct {
	Value     string `json:"value"`
	Customers int64  `json:"customers"`
}

// scoreColumns are the customer_scores columns ScoreCounts groups by.
var scoreColumns = map[string]bool{"segment": true, "segment_cn": true, "lifecycle": true, "tier": true, "churn_risk": true}

// ScoreCounts returns how many of the shop's scored customers have each
// value of a score column (segment, segment_cn, lifecycle, tier or
// churn_risk), most first.
func (s *Service) ScoreCounts(ctx context.Context, shopID int64, column string) ([]Count, error) {
	if !scoreColumns[column] {
		return nil, guanxi.Errorf(guanxi.EINVALID, "cannot count customers by %q", column)
	}
	v, err := byRun(ctx, s, shopID, "counts "+column, func() ([]Count, error) { return s.scoreCounts(ctx, shopID, column) })
	return slices.Clone(v), err // the caller's own: pages sort it
}

func (s *Service) scoreCounts(ctx context.Context, shopID int64, column string) ([]Count, error) {
	rows, err := s.db.Query(ctx, `SELECT `+column+`, COUNT(*) FROM customer_scores WHERE shop_id = ? GROUP BY `+column+` ORDER BY 2 DESC, 1`, shopID)
	if err != nil {
		return nil, fmt.Errorf("report: count by %s: %w", column, err)
	}
	defer rows.Close()
	out := []Count{}
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.Value, &c.Customers); err != nil {
			return nil, fmt.Errorf("report: count by %s: %w", column, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
