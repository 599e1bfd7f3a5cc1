package campaign_test

import (
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/campaign"
)

// goSyntax is Go text/template syntax a template must not run: field and
// method access on whatever the renderer holds, function calls, nested
// templates, pipelines and control structures.
var goSyntax = []string{
	"{{.DB}}", "{{ .DB }}", "{{.}}", "{{$}}", "{{.Shop.Secret}}", `{{printf "%v" .}}`, `{{printf}}`, `{{template "x" .}}`,
	`{{define "x"}}y{{end}}`, "{{call .Func}}", "{{range .}}x{{end}}", "{{with .DB}}x{{end}}", "{{if 1}}x{{end}}",
	"{{block \"b\" .}}x{{end}}", "{{index . 0}}", "{{len .}}", "{{html .}}", "{{js .}}", "{{/* comment */}}",
	"{{- .DB -}}", "{{name | printf}}x{{.DB}}", "{{ name }}{{ phone }}",
}

// Placeholders other than the documented ones reach nothing: the
// customer's phone and e-mail, ids, secrets.
var undocumented = []string{"{{phone}}", "{{email}}", "{{address}}", "{{id}}", "{{customer_id}}", "{{password}}", "{{NAME}}", "{{Name}}", "{{}}", "{{ }}", "{{|x}}"}

func TestTemplateRefusesGoSyntaxAndUnknownPlaceholders(t *testing.T) {
	for _, keys := range [][]string{campaign.Placeholders, campaign.ServicePlaceholders} {
		for _, src := range append(append([]string{}, goSyntax...), undocumented...) {
			for _, s := range []string{src, "您好 " + src + " 再见"} {
				_, err := campaign.ParseTemplateFor(s, keys)
				if guanxi.ErrorCode(err) != guanxi.EINVALID || !strings.Contains(err.Error(), "placeholder") {
					t.Errorf("ParseTemplateFor(%q, %v) = %v, want EINVALID about the placeholder", s, keys, err)
				}
			}
		}
	}
	// Each set is exactly what is documented: a campaign has no order, a
	// service reply no coupon, tier or points.
	for _, src := range []string{"{{order}}"} {
		if _, err := campaign.ParseTemplate(src); guanxi.ErrorCode(err) != guanxi.EINVALID {
			t.Errorf("campaign template %s: %v, want EINVALID", src, err)
		}
	}
	for _, src := range []string{"{{coupon}}", "{{tier}}", "{{points}}", "{{product}}"} {
		if _, err := campaign.ParseTemplateFor(src, campaign.ServicePlaceholders); guanxi.ErrorCode(err) != guanxi.EINVALID {
			t.Errorf("service template %s: %v, want EINVALID", src, err)
		}
	}
	for _, k := range campaign.Placeholders {
		if _, err := campaign.ParseTemplate("{{" + k + "}} {{ " + k + "|亲 }}"); err != nil {
			t.Errorf("documented placeholder %s: %v", k, err)
		}
	}
	for _, k := range campaign.ServicePlaceholders {
		if _, err := campaign.ParseTemplateFor("{{"+k+"}}", campaign.ServicePlaceholders); err != nil {
			t.Errorf("documented service placeholder %s: %v", k, err)
		}
	}
}

// Text that only looks like template syntax, outside a placeholder or in
// a fallback, is written as it is: nothing is evaluated.
func TestTemplateRendersOtherSyntaxLiterally(t *testing.T) {
	for src, want := range map[string]string{
		"价格 }} 与 { .DB }":           "价格 }} 与 { .DB }",
		"{{name|{{.DB}}":            "{{.DB", // the placeholder is "{{name|{{.DB}}", its fallback the text "{{.DB"
		"{{name|printf \"%v\" .}}":  `printf "%v" .`,
		"{{name|$}}，{ {.}} {.}":     "$，{ {.}} {.}",
		"<script>{{shop}}</script>": "<script>西湖茶庄</script>",
	} {
		tpl, err := campaign.ParseTemplate(src)
		if err != nil {
			t.Errorf("ParseTemplate(%q): %v", src, err)
			continue
		}
		got := tpl.Render(campaign.Vars{Shop: "西湖茶庄"})
		if got != want {
			t.Errorf("Render(%q) = %q, want %q", src, got, want)
		}
	}
}

// A value is never expanded a second time: a customer who names herself
// {{coupon}} gets her name, not the coupon code meant for someone else's
// message, and {{.}} stays four characters.
func TestTemplateValuesAreNotExpandedAgain(t *testing.T) {
	tpl, err := campaign.ParseTemplate("{{name|亲}}您好，您的券码 {{coupon}}，{{shop}}")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"{{coupon}}", "{{.}}", "{{shop}}{{points}}", "{{.DB}}", `{{printf "%v" .}}`, "{{name}}", "{{coupon|x}}"} {
		got := tpl.Render(campaign.Vars{Name: name, Coupon: "GX-SECRET", Shop: "西湖茶庄", Points: "100"})
		want := name + "您好，您的券码 GX-SECRET，西湖茶庄"
		if got != want {
			t.Errorf("name %q: %q, want %q", name, got, want)
		}
	}
	// The fallback is not expanded either ("{{name|{{coupon}}" is one
	// placeholder whose fallback is the text "{{coupon").
	tpl, _ = campaign.ParseTemplate("{{name|{{coupon}}")
	if got := tpl.Render(campaign.Vars{Coupon: "GX-SECRET"}); got != "{{coupon" {
		t.Errorf("fallback rendered %q", got)
	}
}
