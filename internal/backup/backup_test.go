package backup_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/backup"
	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/seal"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

var clock = guanxi.FixedClock(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))

var ctx = context.Background()

// allTables are the tables a backup holds, for the checks below.
var allTables = []string{"shops", "shop_counters", "users", "shop_members", "sessions", "customers", "consent_log", "customer_consents",
	"customer_identities", "customer_stats", "products", "orders", "order_lines", "timeline_events", "customer_merges", "customer_duplicate_dismissals", "import_runs", "customer_scores", "score_runs",
	"score_clusters", "shop_cohorts", "product_rules", "score_settings", "api_tokens", "webhook_secrets", "webhook_deliveries", "jobs",
	"audit_log", "teams", "team_members", "segments", "segment_sizes",
	"loyalty_settings", "points_ledger", "loyalty_accounts", "member_tiers", "coupon_templates", "coupons",
	"contact_policies", "contact_keys", "channel_settings", "contact_holds", "campaigns", "campaign_messages", "campaign_results",
	"tickets", "ticket_events", "sla_policies", "tasks", "surveys", "survey_invites", "survey_responses",
	"kb_categories", "kb_articles", "kb_votes",
	"care_rules", "care_runs", "care_occurrences", "care_churn", "care_state",
	"service_settings", "assign_cursors", "agent_skills", "canned_replies", "ticket_attachments",
	"inbound_messages", "privacy_settings", "customer_erasures",
}

func newShop(t *testing.T, db *store.DB, code string) *shop.Shop {
	t.Helper()
	sh := &shop.Shop{Code: code, Name: "店 " + code}
	if err := shop.NewService(db, clock).Create(ctx, sh); err != nil {
		t.Fatal(err)
	}
	return sh
}

func importFiles(t testing.TB, db *store.DB, sh *shop.Shop, files ...string) {
	t.Helper()
	svc := importer.NewService(db, clock, slog.New(slog.DiscardHandler))
	for _, f := range files {
		if _, err := svc.ImportFile(ctx, sh, f, importer.Options{Format: "generic"}); err != nil {
			t.Fatalf("import %s: %v", f, err)
		}
	}
}

func exec(t *testing.T, db *store.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(ctx, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// fixture fills db with two shops of imported orders plus a row in every
// other table, with NULLs, empty strings, JSON and awkward text.
func fixture(t *testing.T, db *store.DB) {
	t.Helper()
	s1, s2 := newShop(t, db, "s1"), newShop(t, db, "s2")
	importFiles(t, db, s1, "testdata/orders.csv", "testdata/lines.csv", "testdata/merge.csv")
	importFiles(t, db, s2, "testdata/orders.csv")
	exec(t, db, `INSERT INTO users (username, display_name, password_hash, disabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
		"admin", "管理员", "$argon2id$v=19$x", false, 1, 2)
	exec(t, db, `INSERT INTO users (username, password_hash, disabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
		"old", "", true, 3, 4)
	var uid int64
	if err := db.QueryRow(ctx, `SELECT id FROM users WHERE username = 'admin'`).Scan(&uid); err != nil {
		t.Fatal(err)
	}
	exec(t, db, `INSERT INTO shop_members (shop_id, user_id, role, created_at) VALUES (?, ?, 'admin', 5)`, s1.ID, uid)
	exec(t, db, `INSERT INTO sessions (id, user_id, csrf_token, created_at, expires_at, user_agent) VALUES (?, ?, ?, 6, 7, ?)`,
		"Zz", uid, "tok", "Mozilla \"5.0\"\n\ttab")
	exec(t, db, `INSERT INTO sessions (id, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, 6, 7)`, "a_", uid, "tok2")
	var cid int64
	if err := db.QueryRow(ctx, `SELECT customer_id FROM orders WHERE shop_id = ? AND external_id = 'A1'`, s1.ID).Scan(&cid); err != nil {
		t.Fatal(err)
	}
	exec(t, db, `UPDATE customers SET tags = ?, attrs = ?, birthday = '', gender = 'f' WHERE shop_id = ? AND id = ?`,
		`["vip", "新客"]`, `{"note": "a\nb", "n": -0, "big": 12345678901234567890, "e": 1.5e3}`, s1.ID, cid)
	exec(t, db, `INSERT INTO customer_consents (shop_id, customer_id, channel, granted, source, at) VALUES (?, ?, 'sms', ?, '', 8)`, s1.ID, cid, true)
	exec(t, db, `INSERT INTO customer_consents (shop_id, customer_id, channel, granted, source, at) VALUES (?, ?, 'email', ?, 'ui', 9)`, s1.ID, cid, false)
	exec(t, db, `INSERT INTO timeline_events (shop_id, id, customer_id, kind, occurred_at, actor_id, title, data) VALUES (?, 1, ?, 'note', 10, NULL, '', ?)`,
		s1.ID, cid, `{"z": null, "b": 1.50, "a": [1e2, "x\u00e9"]}`)
	exec(t, db, `INSERT INTO timeline_events (shop_id, id, customer_id, kind, occurred_at, actor_id, title) VALUES (?, 2, ?, 'call', 11, ?, '回访')`,
		s1.ID, cid, uid)
	// Floats that need every digit, a tiny one, and NULLs.
	exec(t, db, `INSERT INTO customer_scores (shop_id, customer_id, as_of, recency_days, frequency, monetary, r, f, m, segment_cn, segment,
lifecycle, tier, churn_risk, churn_reason, churn_reason_en, p_alive, expected_30d, expected_90d, expected_365d, expected_spend, clv_12m, computed_at)
VALUES (?, ?, '2025-06-30', 3, 2, 12345, 5, 4, 3, '重要价值客户', 'Champions', 'active', 'key', 'low', '最近一次购买在3天前', 'last bought 3 days ago',
?, ?, ?, NULL, ?, ?, 12)`,
		s1.ID, cid, 0.1+0.2, 1.0/3, 5e-324, 123456.789, -0.0)
	exec(t, db, `INSERT INTO score_runs (shop_id, id, as_of, customers, model, params, note, rules, finished_at) VALUES (?, 1, '2025-06-30', 1, 'bgnbd', ?, '', 'fixed', 13)`,
		s1.ID, `{"r": 0.24, "alpha": 4.41}`)
	exec(t, db, `INSERT INTO score_clusters (shop_id, cluster, customers, recency_days, frequency, monetary, label_zh, label_en) VALUES (?, 0, 1, 3.5, 2, 123.45, '近期购买、高频、高消费', 'recent, frequent, high spend')`, s1.ID)
	exec(t, db, `INSERT INTO shop_cohorts (shop_id, cohort, month_offset, size, active, revenue) VALUES (?, '2025-01', 0, 9, 9, 123456), (?, '2025-01', 1, 9, 2, 5000)`, s1.ID, s1.ID)
	var pid int64
	if err := db.QueryRow(ctx, `SELECT min(id) FROM products WHERE shop_id = ?`, s1.ID).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	exec(t, db, `INSERT INTO product_rules (shop_id, rule_no, antecedent, consequent, baskets, support, confidence, lift) VALUES (?, 1, '7,9', ?, 3, 0.125, 0.75, 2.5)`, s1.ID, pid)
	exec(t, db, `INSERT INTO score_settings (shop_id, new_days, dormant_days, churned_days, loyal_purchase_days, monthly_discount, updated_at) VALUES (?, 30, NULL, 365, 5, 0.0125, 14)`, s1.ID)
	exec(t, db, `INSERT INTO api_tokens (shop_id, id, name, token_hash, scopes, created_by, created_at, last_used_at) VALUES (?, 1, 'erp', 'ab12', 'customers:read', NULL, 15, 16)`, s1.ID)
	exec(t, db, `INSERT INTO webhook_secrets (shop_id, secret, created_at) VALUES (?, 'whsec_0123', 17)`, s1.ID)
	exec(t, db, `INSERT INTO webhook_deliveries (shop_id, delivery_id, signed_at, received_at, orders) VALUES (?, 'd-1', 18, 19, 2)`, s1.ID)
	exec(t, db, `INSERT INTO audit_log (shop_id, id, at, user_id, actor, action, object_type, object_id, detail, ip) VALUES (?, 1, 26, ?, 'user:admin', 'customer.update', 'customer', ?, ?, '10.0.0.1')`,
		s1.ID, uid, strconv.FormatInt(cid, 10), `{"changed": {"name": ["王", "王芳"]}}`)
	exec(t, db, `INSERT INTO teams (shop_id, id, name, created_at) VALUES (?, 1, '售后组', 27)`, s1.ID)
	exec(t, db, `INSERT INTO team_members (shop_id, team_id, user_id) VALUES (?, 1, ?)`, s1.ID, uid)
	exec(t, db, `INSERT INTO segments (shop_id, id, name, rule, created_at, updated_at, created_by) VALUES (?, 1, '高价值', ?, 30, 31, ?), (?, 2, 'cli', '{"not": {"field": "tag", "op": "contains", "value": "x"}}', 32, 32, NULL)`,
		s1.ID, `{"all": [{"field": "total_spent", "op": "gte", "value": 199.5}, {"field": "province", "op": "in", "value": ["浙江", "上海"]}]}`, uid, s1.ID)
	exec(t, db, `INSERT INTO segment_sizes (shop_id, segment_id, day, customers) VALUES (?, 1, 20250601, 3), (?, 1, 20250602, 0)`, s1.ID, s1.ID)
	exec(t, db, `INSERT INTO loyalty_settings (shop_id, points_per_yuan, point_value, expiry_months, tier_basis, tiers, updated_at) VALUES (?, 2, 1, 12, 'spend', ?, 33)`,
		s1.ID, `[{"name": "银卡", "min_spend": 100000}, {"name": "金卡", "min_spend": 500000}]`)
	exec(t, db, `INSERT INTO points_ledger (shop_id, id, customer_id, kind, points, remaining, order_id, reason, actor, created_at, expires_at, idempotency_key)
VALUES (?, 1, ?, 'earn', 200, 150, 1, 'order 1', 'cli', 34, 35, 'order:1'), (?, 2, ?, 'redeem', -50, 0, NULL, '', 'user:admin', 36, NULL, NULL)`, s1.ID, cid, s1.ID, cid)
	exec(t, db, `INSERT INTO loyalty_accounts (shop_id, customer_id, balance, updated_at) VALUES (?, ?, 150, 36)`, s1.ID, cid)
	exec(t, db, `INSERT INTO member_tiers (shop_id, customer_id, tier, since) VALUES (?, ?, '银卡', 37)`, s1.ID, cid)
	exec(t, db, `INSERT INTO coupon_templates (shop_id, id, name, kind, value, min_spend, valid_days, ends_at, code_prefix, status, created_at, updated_at)
VALUES (?, 1, '满100减20', 'amount', 2000, 10000, 30, NULL, 'VIP', 'active', 38, 38), (?, 2, '八折', 'percent', 20, 0, NULL, 39, '', 'archived', 38, 39)`, s1.ID, s1.ID)
	exec(t, db, `INSERT INTO coupons (shop_id, code, template_id, customer_id, source, issued_at, expires_at, redeemed_at, redeemed_order_id, discount)
VALUES (?, 'VIP23456789', 1, ?, 'segment:1', 40, 41, NULL, NULL, 0), (?, 'ABCDEFGH', 2, ?, 'manual', 40, 41, 40, 1, 2000)`, s1.ID, cid, s1.ID, cid)
	exec(t, db, `INSERT INTO contact_policies (shop_id, quiet_start, quiet_end, cap_messages, cap_days, updated_at) VALUES (?, 1260, 480, 2, 7, 42)`, s1.ID)
	exec(t, db, `INSERT INTO contact_keys (shop_id, secret, created_at) VALUES (?, '00ff', 42)`, s1.ID)
	exec(t, db, `INSERT INTO channel_settings (shop_id, channel, config, rate, cost_per_message, updated_at) VALUES (?, 'sms', ?, 50.5, 5, 42)`,
		s1.ID, `{"endpoint": "https://sms.example.com/send", "app_key": "k", "app_secret": "s", "sign_name": "店"}`)
	exec(t, db, `INSERT INTO contact_holds (shop_id, customer_id, reason, created_at) VALUES (?, ?, 'complaint:1', 43)`, s1.ID, cid)
	exec(t, db, `INSERT INTO campaigns (shop_id, id, parent_id, name, theme, purpose, segment_id, rule, channel, subject, body, provider_template, coupon_template_id,
schedule, send_at, repeat_days, budget, cost_per_message, holdout_share, seed, attribution_days, status, counts, error, created_by, created_at, updated_at, launched_at, finished_at, version)
VALUES (?, 1, NULL, '夏季上新', '新品', 'marketing', 1, ?, 'sms', '', '{{name|亲}}，新茶到店', '', 1, 'now', NULL, 0, 100000, 5, 0.1, 4611686018427387903, 7, 'sent', '{"audience": 2, "target": 1, "holdout": 1}', '', ?, 44, 45, 45, 46, 3)`,
		s1.ID, `{"field": "province", "op": "eq", "value": "浙江"}`, uid)
	exec(t, db, `INSERT INTO campaign_messages (shop_id, campaign_id, customer_id, grp, reason, segment, address, coupon, status, attempts, next_at, sent_at, provider_id, error)
VALUES (?, 1, ?, 'target', '', '重要价值客户', '13800000000', 'VIP23456789', 'sent', 1, NULL, 45, 'sms-1', '')`, s1.ID, cid)
	exec(t, db, `INSERT INTO campaign_results (shop_id, campaign_id, grp, segment, customers, converters, orders, revenue, revenue_sq, sent, evaluated_at, window_end)
VALUES (?, 1, 'target', '重要价值客户', 1, 1, 2, 19950, 398.0025, 1, 47, 46)`, s1.ID)
	exec(t, db, `INSERT INTO tickets (shop_id, id, kind, subject, body, customer_id, order_id, channel, priority, assignee_id, team_id, status,
cause, severity, solution, outcome, created_by, created_at, updated_at, closed_at, sla_started_at, first_response_due, resolution_due,
first_responded_at, resolved_at, response_escalated, resolution_escalated, version)
VALUES (?, 1, 'complaint', '茶叶受潮', ?, ?, 1, 'phone', 'high', ?, 1, 'follow_up', 'logistics', 'major', '补发一盒', '客户满意', ?, 48, 49, NULL, 48, 52, 56, 50, 51, 1, 0, 6),
(?, 2, 'consultation', '有货吗', '', ?, NULL, 'wechat', 'low', NULL, NULL, 'open', '', '', '', '', NULL, 48, 48, NULL, 48, 60, 70, NULL, NULL, 0, 0, 1)`,
		s1.ID, "收到的龙井\n有霉味 \"急\"", cid, uid, uid, s1.ID, cid)
	exec(t, db, `INSERT INTO ticket_events (shop_id, ticket_id, id, kind, from_value, to_value, body, actor_id, actor, at)
VALUES (?, 1, 1, 'created', '', 'received', '茶叶受潮', ?, 'user:admin', 48), (?, 1, 2, 'escalation', 'normal', 'high', 'first_response due', NULL, 'cli', 53)`,
		s1.ID, uid, s1.ID)
	exec(t, db, `INSERT INTO sla_policies (shop_id, priority, first_response_min, resolution_min, updated_at) VALUES (?, 'normal', 120, 2880, 54)`, s1.ID)
	exec(t, db, `INSERT INTO tasks (shop_id, id, customer_id, ticket_id, kind, title, body, assignee_id, team_id, due_at, status, outcome, source, source_key,
created_by, created_at, done_at, done_by, version)
VALUES (?, 1, ?, 1, 'follow_up', '回访：茶叶受潮', '问问收到补发没有', ?, NULL, 60, 'done', '客户满意', 'user:admin', NULL, ?, 55, 57, ?, 2),
(?, 2, ?, NULL, 'detractor', 'NPS 2 分', '', NULL, 1, 61, 'open', '', 'survey:1', 'survey:1:response:1', NULL, 56, NULL, NULL, 1)`,
		s1.ID, cid, uid, uid, uid, s1.ID, cid)
	exec(t, db, `INSERT INTO surveys (shop_id, id, kind, title, intro, questions, channel, segment_id, status, expires_days, created_by, created_at, updated_at, version)
VALUES (?, 1, 'nps', '您会推荐我们吗', '', ?, 'sms', 1, 'active', 14, ?, 62, 63, 2)`, s1.ID, `[{"id": "why", "type": "text", "label": "原因"}]`, uid)
	exec(t, db, `INSERT INTO survey_invites (shop_id, id, survey_id, customer_id, ticket_id, agent_id, channel, address, status, reason, created_at, sent_at, expires_at)
VALUES (?, 1, 1, ?, 1, ?, 'sms', '13800000000', 'answered', '', 64, 65, 99)`, s1.ID, cid, uid)
	exec(t, db, `INSERT INTO survey_responses (shop_id, id, survey_id, invite_id, customer_id, kind, score, answers, comment, ticket_id, agent_id, segment, responded_at)
VALUES (?, 1, 1, 1, ?, 'nps', 2, ?, '包装\n太差', 1, ?, '重要挽留客户', 66)`, s1.ID, cid, `{"why": "物流慢"}`, uid)
	exec(t, db, `INSERT INTO kb_categories (shop_id, id, name, position, created_at, updated_at, version) VALUES (?, 1, '售后 "服务"', 2, 67, 68, 3)`, s1.ID)
	exec(t, db, `INSERT INTO kb_articles (shop_id, id, category_id, title, body, language, published, helpful, unhelpful, views, created_by, created_at, updated_at, version)
VALUES (?, 1, 1, '如何申请退货退款', ?, 'zh', 1, 3, 1, 40, ?, 69, 70, 2), (?, 2, NULL, 'Draft <b>', '', 'en', 0, 0, 0, 0, NULL, 71, 71, 1)`,
		s1.ID, "第一段\n\n<script>alert('x')</script> [链接](https://example.com/?a=1&b=2)", uid, s1.ID)
	exec(t, db, `INSERT INTO kb_votes (shop_id, article_id, voter, helpful, created_at) VALUES (?, 1, 'ab12', 1, 72), (?, 1, 'cd34', 0, 73)`, s1.ID, s1.ID)
	exec(t, db, `INSERT INTO care_rules (shop_id, id, name, enabled, trigger_kind, days, segment_id, min_spend, tier, action, params, created_by, created_at, updated_at, version)
VALUES (?, 1, '生日\t祝福 "VIP"', TRUE, 'birthday', 0, 1, 20000, '金卡', 'message', ?, ?, 67, 68, 2),
(?, 2, '沉睡回访', FALSE, 'dormant', 90, NULL, 0, '', 'task', '{}', NULL, 67, 67, 1)`, s1.ID, `{"channel": "sms", "body": "{{name|亲}}，生日快乐\n——{{shop}}"}`, uid, s1.ID)
	exec(t, db, `INSERT INTO care_runs (shop_id, id, rule_id, started_at, finished_at, matched, acted, skipped, errors, error, campaign_id)
VALUES (?, 1, 1, 69, 70, 3, 1, ?, 1, 'customer 9: 出错了 "x"', 1), (?, 2, 2, 71, NULL, 0, 0, '{}', 0, '', NULL)`, s1.ID, `{"no_consent": 1, "error": 1}`, s1.ID)
	exec(t, db, `INSERT INTO care_occurrences (shop_id, rule_id, customer_id, occurrence, run_id, at, outcome, detail)
VALUES (?, 1, ?, 'birthday:2026', 1, 70, 'acted', 'campaign:1'), (?, 1, ?, 'birthday:2025', 1, 69, 'skipped', 'no_consent')`, s1.ID, cid, s1.ID, cid)
	exec(t, db, `INSERT INTO care_churn (shop_id, customer_id, since_run) VALUES (?, ?, 0)`, s1.ID, cid)
	exec(t, db, `INSERT INTO care_state (shop_id, churn_run) VALUES (?, 1)`, s1.ID)
	exec(t, db, `UPDATE ticket_events SET channel = 'sms', delivery = 'failed', delivery_detail = ? WHERE shop_id = ? AND id = 2`, "网关 \"503\"\n稍后", s1.ID)
	exec(t, db, `INSERT INTO service_settings (shop_id, assign_mode, updated_at) VALUES (?, 'skill', 67)`, s1.ID)
	exec(t, db, `INSERT INTO assign_cursors (shop_id, team_id, last_user_id) VALUES (?, 0, ?), (?, 1, ?)`, s1.ID, uid, s1.ID, uid)
	exec(t, db, `INSERT INTO agent_skills (shop_id, user_id, skill) SELECT shop_id, user_id, 'refund' FROM shop_members WHERE shop_id = ? AND user_id = ?`, s1.ID, uid)
	exec(t, db, `INSERT INTO canned_replies (shop_id, id, title, body, kind, created_by, created_at, updated_at, version) VALUES (?, 1, '退款说明', ?, 'refund', ?, 68, 69, 2)`,
		s1.ID, "{{name|亲}}您好，\n订单 {{order}} 的退款\t已提交", uid)
	// Binary content with NUL, invalid UTF-8 and a newline: it must round-trip byte for byte.
	exec(t, db, `INSERT INTO ticket_attachments (shop_id, id, ticket_id, name, content_type, size, sha256, content, created_by, created_at)
VALUES (?, 1, 1, '收据 "1".png', 'image/png', 8, 'e3b0', ?, ?, 70)`, s1.ID, []byte{0x89, 'P', 'N', 'G', 0, 0xff, '\n', 0xfe}, uid)
	// A customer's message by chat and its key: an id with spaces, quotes and a newline.
	exec(t, db, `INSERT INTO ticket_events (shop_id, ticket_id, id, kind, body, actor, at, channel) VALUES (?, 2, 3, 'message', ?, 'wechat:oX', 71, 'wechat')`,
		s1.ID, "有货吗？\n\n附件 attachments:\n- a.png")
	exec(t, db, `INSERT INTO inbound_messages (shop_id, source, message_id, ticket_id, event_id, received_at) VALUES (?, 'wechat', ?, 2, 3, 71)`,
		s1.ID, "<m 1@\"x\">\n")
	// Consent changes are logged by a trigger; one more with awkward text.
	exec(t, db, `INSERT INTO consent_log (shop_id, customer_id, channel, purpose, granted, source, at) VALUES (?, ?, 'wechat', 'service', FALSE, ?, 7)`,
		s1.ID, cid, "sms-reply:\"TD\"\n退订")
	exec(t, db, `INSERT INTO privacy_settings (shop_id, pseudonym_key, sign_in_days, audit_days, timeline_kinds, inactive_years, updated_at, version) VALUES (?, '00ff', 7, 400, 'note campaign', 3, 74, 2)`, s1.ID)
	exec(t, db, `INSERT INTO customer_erasures (shop_id, customer_id, at, actor, reason) VALUES (?, ?, 75, 'user:admin', ?)`, s1.ID, cid, "客户 \"来电\"\n要求删除")
	exec(t, db, `UPDATE users SET totp_secret = 'JBSWY3DPEHPK3PXP', totp_last_step = 58000000 WHERE id = ?`, uid)
	exec(t, db, `INSERT INTO customer_duplicate_dismissals (shop_id, customer_a, customer_b, dismissed_by, dismissed_at) SELECT shop_id, MIN(id), MAX(id), NULL, 28 FROM customers WHERE shop_id = ? GROUP BY shop_id`, s1.ID)
	exec(t, db, `UPDATE customer_merges SET detail = ?, merged_by = ?, undone_at = 29 WHERE shop_id = ?`, `{"v": 1, "orders": [1, 2], "survivor_before": {"name": "王\t芳"}}`, uid, s1.ID)
	exec(t, db, `INSERT INTO jobs (shop_id, id, kind, source, status, due_at, started_at, finished_at, progress, stage, result) VALUES (?, 1, 'score', 'schedule', 'done', 20, 21, 25, 1, 'done', '9 customers scored')`, s1.ID)
}

// counts returns the row count of every table.
func counts(t *testing.T, db *store.DB) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, tb := range allTables {
		var n int64
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM `+tb).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[tb] = n
	}
	return out
}

// sums returns money totals that must survive a restore.
func sums(t *testing.T, db *store.DB) [3]int64 {
	t.Helper()
	var s [3]int64
	err := db.QueryRow(ctx, `SELECT (SELECT COALESCE(SUM(amount), 0) FROM orders), (SELECT COALESCE(SUM(total_spent), 0) FROM customer_stats),
(SELECT COALESCE(SUM(content_hash % 1000), 0) FROM orders)`).Scan(&s[0], &s[1], &s[2])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type tableSum struct {
	Rows int64
	Sum  string
}

func checksums(m backup.Manifest) map[string]tableSum {
	out := map[string]tableSum{}
	for _, tb := range m.Tables {
		out[tb.Name] = tableSum{tb.Rows, tb.SHA256}
	}
	return out
}

// other opens an empty database on the other engine (skipping without
// PostgreSQL).
func other(t *testing.T, d store.Dialect) *store.DB {
	if d == store.Postgres {
		return storetest.SQLite(t)
	}
	return storetest.Postgres(t)
}

func same(t *testing.T, d store.Dialect) *store.DB {
	if d == store.Postgres {
		return storetest.Postgres(t)
	}
	return storetest.SQLite(t)
}

// assertRestored checks target holds what source held, by counts, sums and
// the checksums of a backup of target.
func assertRestored(t *testing.T, source, target *store.DB, m backup.Manifest) {
	t.Helper()
	if a, b := counts(t, source), counts(t, target); !reflect.DeepEqual(a, b) {
		t.Errorf("row counts differ:\nsource %v\ntarget %v", a, b)
	}
	if a, b := sums(t, source), sums(t, target); a != b {
		t.Errorf("sums differ: source %v, target %v", a, b)
	}
	again, err := backup.Backup(ctx, target, filepath.Join(t.TempDir(), "again.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := checksums(m), checksums(again); !reflect.DeepEqual(a, b) {
		t.Errorf("checksums differ:\nbackup   %v\nrestored %v", a, b)
	}
	assertStatsConsistent(t, target)
}

func TestBackupRestore(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		fixture(t, db)
		path := filepath.Join(t.TempDir(), "guanxi-backup.tar.gz")
		m, err := backup.Backup(ctx, db, path)
		if err != nil {
			t.Fatal(err)
		}
		if m.Format != backup.FormatVersion || m.Dialect != db.Dialect || m.SchemaVersion < 1 || len(m.Tables) != len(allTables) {
			t.Fatalf("manifest %+v", m)
		}
		for i, tb := range m.Tables {
			if tb.Name != allTables[i] || tb.Rows == 0 || len(tb.SHA256) != 64 {
				t.Errorf("manifest table %d: %s, %d rows, sha %q (the fixture should fill every table)", i, tb.Name, tb.Rows, tb.SHA256)
			}
		}
		if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("backup file: %v, %v; want mode 0600", st, err)
		}
		if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*")); len(left) > 0 {
			t.Errorf("temporary files left: %v", left)
		}

		t.Run("same engine", func(t *testing.T) {
			target := same(t, db.Dialect)
			rm, err := backup.Restore(ctx, target, path)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(checksums(rm), checksums(m)) {
				t.Errorf("Restore returned another manifest")
			}
			assertRestored(t, db, target, m)
			// New rows do not collide with restored ids.
			s3 := newShop(t, target, "s3")
			if s3.ID <= 2 {
				t.Errorf("new shop got id %d, which a restored shop has", s3.ID)
			}
			exec(t, target, `INSERT INTO users (username, password_hash, created_at, updated_at) VALUES ('new', '', 1, 1)`)
			importFiles(t, target, s3, "testdata/orders.csv")
			var sh *shop.Shop
			if sh, err = shop.NewService(target, clock).ByCode(ctx, "s1"); err != nil {
				t.Fatal(err)
			}
			importFiles(t, target, sh, "testdata/lines.csv") // ids continue from the restored counters
		})
		t.Run("other engine", func(t *testing.T) {
			target := other(t, db.Dialect)
			if _, err := backup.Restore(ctx, target, path); err != nil {
				t.Fatal(err)
			}
			assertRestored(t, db, target, m)
			newShop(t, target, "s3")
		})
	})
}

func TestSQLiteSnapshot(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		fixture(t, db)
		path := filepath.Join(t.TempDir(), "snap.db")
		m, err := backup.Backup(ctx, db, path)
		if db.Dialect == store.Postgres {
			if guanxi.ErrorCode(err) != guanxi.EINVALID {
				t.Fatalf("a .db backup of PostgreSQL: %v, want an invalid error", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if m.Rows() == 0 || len(m.Tables) != len(allTables) {
			t.Fatalf("manifest %+v", m)
		}
		// The snapshot is a ready-to-use database.
		snap, err := store.Open(ctx, "sqlite:"+path)
		if err != nil {
			t.Fatal(err)
		}
		if a, b := counts(t, db), counts(t, snap); !reflect.DeepEqual(a, b) {
			t.Errorf("snapshot counts %v, want %v", b, a)
		}
		snap.Close()
		// And Restore reads it, into either engine.
		for _, target := range []func(testing.TB) *store.DB{storetest.SQLite, storetest.Postgres} {
			t.Run("restore", func(t *testing.T) {
				tdb := target(t)
				rm, err := backup.Restore(ctx, tdb, path)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(checksums(rm), checksums(m)) {
					t.Errorf("manifests differ:\nsnapshot %v\nrestore  %v", checksums(m), checksums(rm))
				}
				assertRestored(t, db, tdb, m)
			})
		}
	})
}

func TestRestoreRefusesData(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		fixture(t, db)
		path := filepath.Join(t.TempDir(), "b.tar.gz")
		if _, err := backup.Backup(ctx, db, path); err != nil {
			t.Fatal(err)
		}
		before := counts(t, db)
		_, err := backup.Restore(ctx, db, path)
		if guanxi.ErrorCode(err) != guanxi.ECONFLICT || !strings.Contains(err.Error(), "already holds data") {
			t.Errorf("restore into itself: %v, want a conflict", err)
		}
		target := same(t, db.Dialect)
		newShop(t, target, "only")
		if _, err := backup.Restore(ctx, target, path); guanxi.ErrorCode(err) != guanxi.ECONFLICT {
			t.Errorf("restore into a database with a shop: %v, want a conflict", err)
		}
		if after := counts(t, db); !reflect.DeepEqual(before, after) {
			t.Errorf("a refused restore changed the database: %v → %v", before, after)
		}
	})
}

// TestRestoreRefusesOtherKey: a backup holds phones and e-mails sealed;
// restored where another field key is in use they could not be opened, so
// the restore is refused before it writes, naming the key it needs.
func TestRestoreRefusesOtherKey(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		fixture(t, db)
		path := filepath.Join(t.TempDir(), "b.tar.gz")
		if _, err := backup.Backup(ctx, db, path); err != nil {
			t.Fatal(err)
		}
		other, err := seal.Parse(strings.Repeat("7e", 32))
		if err != nil {
			t.Fatal(err)
		}
		dsn := "sqlite:" + filepath.Join(t.TempDir(), "other.db")
		if db.Dialect == store.Postgres {
			var drop func()
			dsn, drop = storetest.NewSchema(t, storetest.PostgresURL(t))
			defer drop()
		}
		target, err := store.OpenWithKeys(ctx, dsn, other)
		if err != nil {
			t.Fatal(err)
		}
		defer target.Close()
		_, err = backup.Restore(ctx, target, path)
		if guanxi.ErrorCode(err) != guanxi.EINVALID || !strings.Contains(err.Error(), db.Keys().Fingerprint()) {
			t.Fatalf("restore with another key: %v", err)
		}
		var n int
		if err := target.QueryRow(ctx, `SELECT COUNT(*) FROM shops`).Scan(&n); err != nil || n != 0 {
			t.Errorf("a refused restore wrote %d shops (%v)", n, err)
		}
	})
}

func TestCorruptArchive(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		fixture(t, db)
		dir := t.TempDir()
		path := filepath.Join(dir, "b.tar.gz")
		if _, err := backup.Backup(ctx, db, path); err != nil {
			t.Fatal(err)
		}
		good, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if m, err := backup.Verify(path); err != nil || m.Rows() == 0 {
			t.Fatalf("verify the good archive: %v (%d rows)", err, m.Rows())
		}
		target := same(t, db.Dialect)
		bad := filepath.Join(dir, "bad.tar.gz")
		try := func(name string, b []byte) {
			t.Helper()
			if err := os.WriteFile(bad, b, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := backup.Restore(ctx, target, bad)
			if guanxi.ErrorCode(err) != guanxi.EINVALID || !strings.Contains(err.Error(), bad) {
				t.Errorf("%s: %v, want an invalid error naming the file", name, err)
			}
			// Verify, without a database, finds the same damage.
			if _, err := backup.Verify(bad); guanxi.ErrorCode(err) != guanxi.EINVALID || !strings.Contains(err.Error(), bad) {
				t.Errorf("%s: verify: %v, want an invalid error naming the file", name, err)
			}
			for tb, n := range counts(t, target) {
				if n != 0 {
					t.Fatalf("%s: the failed restore left %d rows in %s", name, n, tb)
				}
			}
		}
		for _, at := range []int{20, len(good) / 4, len(good) / 2, 3 * len(good) / 4, len(good) - 30, len(good) - 6, len(good) - 2} {
			b := append([]byte(nil), good...)
			b[at] ^= 0x55
			try(fmt.Sprintf("byte %d of %d flipped", at, len(good)), b)
		}
		try("cut short", good[:len(good)*2/3])
		try("a damaged SQLite file", append([]byte("SQLite format 3\x00"), good...))
		foreign := filepath.Join(dir, "foreign.db")
		if raw, err := sql.Open("sqlite3", foreign); err != nil {
			t.Fatal(err)
		} else {
			_, err := raw.Exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)`)
			raw.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
		b, _ := os.ReadFile(foreign)
		try("a SQLite database not of Guanxi", b)
		try("not a backup", []byte("order_id,order_date\n"))
		try("empty", nil)
		// The target is still usable: the good archive restores.
		if _, err := backup.Restore(ctx, target, path); err != nil {
			t.Fatalf("restore after the failures: %v", err)
		}
	})
}

func TestBackupRefusesUnknownTable(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		exec(t, db, `CREATE TABLE loyalty_points (shop_id BIGINT NOT NULL, id BIGINT NOT NULL, PRIMARY KEY (shop_id, id))`)
		_, err := backup.Backup(ctx, db, filepath.Join(t.TempDir(), "b.tar.gz"))
		if err == nil || !strings.Contains(err.Error(), "loyalty_points") {
			t.Errorf("backup with a table the list misses: %v", err)
		}
	})
}

// TestBackupWhileImporting takes backups while another goroutine keeps
// importing, and checks each restores to a consistent state: every import
// wholly in or wholly out, stats equal to a recomputation.
func TestBackupWhileImporting(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		sh := newShop(t, db, "busy")
		dir := t.TempDir()
		importFiles(t, db, sh, generate(t, dir, 0, 300))
		svc := importer.NewService(db, clock, slog.New(slog.DiscardHandler))
		done := make(chan struct{})
		var wg sync.WaitGroup
		imports := 0
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				// New orders of recurring customers (stats updated, some
				// merged); every third round re-imports an older file.
				f := generate(t, dir, i, 200)
				if i%3 == 0 {
					f = filepath.Join(dir, fmt.Sprintf("gen%d.csv", i/3))
				}
				if _, err := svc.ImportFile(ctx, sh, f, importer.Options{Format: "generic"}); err != nil {
					t.Errorf("import beside the backup: %v", err)
					return
				}
				imports++
			}
		}()
		var paths []string
		for i := range 3 {
			time.Sleep(time.Duration(i*150) * time.Millisecond)
			p := filepath.Join(dir, fmt.Sprintf("b%d.tar.gz", i))
			if _, err := backup.Backup(ctx, db, p); err != nil {
				close(done)
				wg.Wait()
				t.Fatal(err)
			}
			paths = append(paths, p)
		}
		close(done)
		wg.Wait()
		t.Logf("%d imports ran beside the backups", imports)
		for _, p := range paths {
			target := same(t, db.Dialect)
			if _, err := backup.Restore(ctx, target, p); err != nil {
				t.Fatal(err)
			}
			var orders, created int64
			if err := target.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM orders), (SELECT SUM(orders_created) FROM import_runs)`).Scan(&orders, &created); err != nil {
				t.Fatal(err)
			}
			if orders != created {
				t.Errorf("%s: %d orders but the import runs created %d: a torn snapshot", filepath.Base(p), orders, created)
			}
			assertStatsConsistent(t, target)
		}
	})
}

// generate writes an orders file of n orders; customers recur across files
// and share phones, so imports update and merge customers.
func generate(t *testing.T, dir string, file, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("order_id,order_date,customer_id,amount,status,refunded_amount,phone\n")
	statuses := []string{"paid", "completed", "shipped", "partially_refunded", "cancelled", "refunded"}
	for i := range n {
		k := file*97 + i
		refunded := ""
		if statuses[k%len(statuses)] == "partially_refunded" {
			refunded = "1.00"
		}
		fmt.Fprintf(&b, "G%d-%d,2025-%02d-%02dT%02d:00:00+08:00,K%d,%d.%02d,%s,%s,1390000%04d\n",
			file, i, 1+k%12, 1+k%28, k%24, k%300, 5+k%200, k%100, statuses[k%len(statuses)], refunded, k%210)
	}
	p := filepath.Join(dir, fmt.Sprintf("gen%d.csv", file))
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Error(err) // not Fatal: it runs on the importing goroutine too
	}
	return p
}

// assertStatsConsistent checks every shop's stored customer stats equal a
// derivation from the orders.
func assertStatsConsistent(t *testing.T, db *store.DB) {
	t.Helper()
	shops, err := shop.NewService(db, clock).List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range shops {
		bad, err := customer.CheckStats(ctx, db, sh.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range bad {
			t.Errorf("shop %s, customer %d: stored stats %+v, derived from orders %+v", sh.Code, m.CustomerID, m.Stored, m.Derived)
		}
	}
}
