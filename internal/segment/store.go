package segment

// The SQL of segments, the same on both engines; a rule's predicate (see
// compile.go) follows "AND " and its one dialect difference, tags, is there.

// from are the shop's live customers, with their statistics (s) and scores
// (cs) when the rule reads them: a count leaves out a join it does not need.
func from(stats, scores bool) string {
	q := `FROM customers c`
	if stats {
		q += `
LEFT JOIN customer_stats s ON s.shop_id = c.shop_id AND s.customer_id = c.id`
	}
	if scores {
		q += `
LEFT JOIN customer_scores cs ON cs.shop_id = c.shop_id AND cs.customer_id = c.id`
	}
	return q + `
WHERE c.shop_id = ? AND c.merged_into IS NULL AND `
}

func countSQL(r *Rule) string { return `SELECT COUNT(*) ` + from(uses(r, "s"), uses(r, "cs")) }

// membersSQL orders by the last purchase, so it always joins the stats.
func membersSQL(r *Rule) string { return `SELECT c.id ` + from(true, uses(r, "cs")) }

const membersOrder = `
ORDER BY COALESCE(s.last_purchase_at, 0) DESC, c.id DESC
LIMIT ? OFFSET ?`

const insertSQL = `INSERT INTO segments (shop_id, id, name, rule, created_at, updated_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)`

const upsertSizeSQL = `INSERT INTO segment_sizes (shop_id, segment_id, day, customers) VALUES (?, ?, ?, ?)
ON CONFLICT (shop_id, segment_id, day) DO UPDATE SET customers = excluded.customers`
