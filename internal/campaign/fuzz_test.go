package campaign_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/campaign"
)

// FuzzTemplateContext: a template reaches only the values of its own
// context. A canned reply (campaign.ServicePlaceholders) never shows a
// customer's coupon code, points, tier or product, and a marketing message
// never shows an order number, whatever its text; a value appears only
// through its own placeholder.
func FuzzTemplateContext(f *testing.F) {
	for _, s := range []string{"{{name}}", "{{coupon}}", "{{order|无}}", "{{ shop }}{{tier}}", "{{name|{{coupon}}}}", "{{{{coupon}}}}", "{{points|}}x", "{{product}}"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	secrets := map[string]string{"name": "§NAME§", "tier": "§TIER§", "points": "§POINTS§", "product": "§PRODUCT§",
		"coupon": "§COUPON§", "shop": "§SHOP§", "order": "§ORDER§"}
	v := campaign.Vars{Name: secrets["name"], Tier: secrets["tier"], Points: secrets["points"], Product: secrets["product"],
		Coupon: secrets["coupon"], Shop: secrets["shop"], Order: secrets["order"]}
	f.Fuzz(func(t *testing.T, src string, service bool) {
		if strings.Contains(src, "§") {
			return // the sentinels must come from the values only
		}
		keys := campaign.Placeholders
		if service {
			keys = campaign.ServicePlaceholders
		}
		tpl, err := campaign.ParseTemplateFor(src, keys)
		if err != nil {
			return
		}
		out := tpl.Render(v)
		for key, secret := range secrets {
			if !strings.Contains(out, secret) {
				continue
			}
			if !slices.Contains(keys, key) {
				t.Fatalf("%q (service %v) shows %s, outside its placeholders: %q", src, service, key, out)
			}
			if !tpl.Uses(key) {
				t.Fatalf("%q shows %s without its placeholder: %q", src, key, out)
			}
		}
	})
}
