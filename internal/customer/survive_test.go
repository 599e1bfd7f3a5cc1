package customer_test

import (
	"slices"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi/internal/customer"
)

func TestSurvive(t *testing.T) {
	type want struct{ field, result, winner, rule string }
	for _, tc := range []struct {
		name   string
		s, m   customer.Profile
		want   []want
		tags   []string
		create int64
	}{
		{
			name: "survivor's name unless blank",
			s:    customer.Profile{Name: "王芳", UpdatedAt: 1}, m: customer.Profile{Name: "王方", Gender: "f", UpdatedAt: 2},
			want: []want{{"name", "王芳", customer.FromSurvivor, customer.RuleSurvivorUnlessBlank}, {"gender", "f", customer.FromMerged, customer.RuleSurvivorUnlessBlank}},
		},
		{
			name: "blank survivor name takes the merged one",
			s:    customer.Profile{UpdatedAt: 5}, m: customer.Profile{Name: "李雷", UpdatedAt: 1},
			want: []want{{"name", "李雷", customer.FromMerged, customer.RuleSurvivorUnlessBlank}},
		},
		{
			name: "most recently updated contact wins",
			s:    customer.Profile{Phone: "13800000001", Email: "a@x.cn", UpdatedAt: 10}, m: customer.Profile{Phone: "13900000002", Email: "b@x.cn", UpdatedAt: 20},
			want: []want{{"phone", "13900000002", customer.FromMerged, customer.RuleRecentNonEmpty}, {"email", "b@x.cn", customer.FromMerged, customer.RuleRecentNonEmpty}},
		},
		{
			name: "an older survivor value beats a newer blank",
			s:    customer.Profile{Phone: "13800000001", UpdatedAt: 10}, m: customer.Profile{UpdatedAt: 20},
			want: []want{{"phone", "13800000001", customer.FromSurvivor, customer.RuleRecentNonEmpty}},
		},
		{
			name: "a tie goes to the survivor",
			s:    customer.Profile{Email: "a@x.cn", UpdatedAt: 10}, m: customer.Profile{Email: "b@x.cn", UpdatedAt: 10},
			want: []want{{"email", "a@x.cn", customer.FromSurvivor, customer.RuleRecentNonEmpty}},
		},
		{
			name: "a whole phone beats a newer masked one",
			s:    customer.Profile{Phone: "13800000001", UpdatedAt: 10}, m: customer.Profile{Phone: "138****0001", UpdatedAt: 20},
			want: []want{{"phone", "13800000001", customer.FromSurvivor, customer.RuleWholeOverMasked}},
		},
		{
			name: "the address moves as one unit",
			s:    customer.Profile{Province: "浙江省", City: "杭州市", UpdatedAt: 10}, m: customer.Profile{Province: "广东省", City: "深圳市", Address: "南山区1号", UpdatedAt: 5},
			want: []want{{"province", "广东省", customer.FromMerged, customer.RuleRecentNonEmpty}, {"city", "深圳市", customer.FromMerged, customer.RuleRecentNonEmpty},
				{"address", "南山区1号", customer.FromMerged, customer.RuleRecentNonEmpty}},
		},
		{
			name: "tags are the union, earliest creation wins",
			s:    customer.Profile{Tags: []string{"VIP"}, CreatedAt: 200}, m: customer.Profile{Tags: []string{"茶友", "VIP"}, CreatedAt: 100},
			tags: []string{"VIP", "茶友"}, create: 100,
			want: []want{{"tags", `["VIP","茶友"]`, customer.FromBoth, customer.RuleUnion}, {"created_at", "1970-01-01T00:01:40Z", customer.FromMerged, customer.RuleEarliest}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, fields := customer.Survive(tc.s, tc.m)
			for _, w := range tc.want {
				i := slices.IndexFunc(fields, func(f customer.FieldChoice) bool { return f.Field == w.field })
				if i < 0 {
					t.Fatalf("no field %s", w.field)
				}
				if f := fields[i]; f.Result != w.result || f.Winner != w.winner || f.Rule != w.rule {
					t.Errorf("%s: %+v, want %+v", w.field, f, w)
				}
			}
			if tc.tags != nil && !slices.Equal(out.Tags, tc.tags) {
				t.Errorf("tags %q, want %q", out.Tags, tc.tags)
			}
			if tc.create != 0 && out.CreatedAt != tc.create {
				t.Errorf("created %d, want %d", out.CreatedAt, tc.create)
			}
		})
	}
}

func TestSurviveConsents(t *testing.T) {
	at := func(s int64) time.Time { return time.Unix(s, 0) }
	c := func(ch string, granted bool, s int64) customer.Consent {
		return customer.Consent{Channel: ch, Purpose: "marketing", Granted: granted, At: at(s)}
	}
	for _, tc := range []struct {
		name    string
		s, m    []customer.Consent
		granted bool
		winner  string
	}{
		{"newer grant beats older refusal", []customer.Consent{c("sms", false, 1)}, []customer.Consent{c("sms", true, 2)}, true, customer.FromMerged},
		{"older grant never overrides a withdrawal", []customer.Consent{c("sms", false, 2)}, []customer.Consent{c("sms", true, 1)}, false, customer.FromSurvivor},
		{"merged withdrawal wins when newer", []customer.Consent{c("sms", true, 1)}, []customer.Consent{c("sms", false, 2)}, false, customer.FromMerged},
		{"a tie goes to the refusal", []customer.Consent{c("sms", true, 5)}, []customer.Consent{c("sms", false, 5)}, false, customer.FromMerged},
		{"only the merged answered", nil, []customer.Consent{c("sms", true, 5)}, true, customer.FromMerged},
		{"only the survivor answered", []customer.Consent{c("sms", false, 5)}, nil, false, customer.FromSurvivor},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := customer.SurviveConsents(tc.s, tc.m)
			if len(got) != 1 || got[0].Result.Granted != tc.granted || got[0].Winner != tc.winner {
				t.Errorf("%+v", got)
			}
		})
	}
}
