package campaign

import (
	"slices"
	"strings"

	"github.com/guanxi-crm/guanxi"
)

// Placeholders a message template may use: {{name}}, or {{name|亲}} with a
// fallback for a customer who has no value. A template reaches nothing
// else: it is text with holes, not a program, so a marketer's template can
// neither read other data nor run code.
var Placeholders = []string{"name", "tier", "points", "product", "coupon", "shop"}

// ServicePlaceholders are those of a service desk's canned reply
// (internal/service): the customer, the ticket's order number and the shop.
var ServicePlaceholders = []string{"name", "order", "shop"}

// Vars are one recipient's values for the placeholders.
type Vars struct {
	Name, Tier, Points, Product, Coupon, Shop string
	Order                                     string // the order number (service replies only)
}

func (v Vars) get(key string) string {
	switch key {
	case "name":
		return v.Name
	case "tier":
		return v.Tier
	case "points":
		return v.Points
	case "product":
		return v.Product
	case "coupon":
		return v.Coupon
	case "shop":
		return v.Shop
	case "order":
		return v.Order
	}
	return ""
}

// Template is a parsed message template.
type Template struct {
	parts []part
}

type part struct {
	text     string // literal text, when key is ""
	key      string
	fallback string
}

// maxTemplate bounds a template's size (an SMS is at most a few hundred
// characters; an email body a few pages).
const maxTemplate = 64 << 10

// ParseTemplate parses a template, failing with EINVALID and the byte
// offset of an unclosed or unknown placeholder.
func ParseTemplate(src string) (*Template, error) { return ParseTemplateFor(src, Placeholders) }

// ParseTemplateFor parses a template that may use only the placeholders
// keys (ServicePlaceholders for a canned reply), as ParseTemplate does.
func ParseTemplateFor(src string, keys []string) (*Template, error) {
	if len(src) > maxTemplate {
		return nil, guanxi.Errorf(guanxi.EINVALID, "template longer than %d bytes", maxTemplate)
	}
	t := &Template{}
	rest, off := src, 0
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if rest != "" {
				t.parts = append(t.parts, part{text: rest})
			}
			return t, nil
		}
		if i > 0 {
			t.parts = append(t.parts, part{text: rest[:i]})
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			return nil, guanxi.Errorf(guanxi.EINVALID, "placeholder at byte %d is not closed with }}", off+i)
		}
		inner := rest[i+2 : i+j]
		key, fallback, _ := strings.Cut(inner, "|")
		key = strings.TrimSpace(key)
		if !slices.Contains(keys, key) {
			return nil, guanxi.Errorf(guanxi.EINVALID, "unknown placeholder {{%s}} at byte %d: use one of %s", key, off+i, strings.Join(keys, ", "))
		}
		t.parts = append(t.parts, part{key: key, fallback: fallback})
		rest, off = rest[i+j+2:], off+i+j+2
	}
}

// Uses reports whether the template has the placeholder key.
func (t *Template) Uses(key string) bool {
	for _, p := range t.parts {
		if p.key == key {
			return true
		}
	}
	return false
}

// Render fills the template with v.
func (t *Template) Render(v Vars) string {
	var b strings.Builder
	for _, p := range t.parts {
		switch {
		case p.key == "":
			b.WriteString(p.text)
		case v.get(p.key) != "":
			b.WriteString(v.get(p.key))
		default:
			b.WriteString(p.fallback)
		}
	}
	return b.String()
}
