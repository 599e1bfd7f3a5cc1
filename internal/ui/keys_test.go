package ui_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/i18n"
	"github.com/guanxi-crm/guanxi/web"
)

// TestCatalogKeys checks that every key the templates and handlers ask for
// is in both catalogs, so no page shows a raw key.
func TestCatalogKeys(t *testing.T) {
	keyRe := regexp.MustCompile(`\.T "([a-z0-9_.]+)"|i18n\.T\([^,]+, "([a-z0-9_.]+)"`)
	check := func(file string, b []byte) {
		for _, m := range keyRe.FindAllSubmatch(b, -1) {
			key := string(m[1]) + string(m[2])
			if key[len(key)-1] == '.' {
				continue // a prefix completed at run time, checked below
			}
			for _, loc := range i18n.Locales() {
				if _, ok := i18n.Lookup(loc, key); !ok || !hasOwn(loc, key) {
					t.Errorf("%s: key %q is not in the %s catalog", file, key, loc)
				}
			}
		}
	}
	err := fs.WalkDir(web.Templates, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(web.Templates, path)
		check(path, b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	gofiles, _ := filepath.Glob("*.go")
	for _, f := range gofiles {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		check(f, b)
	}
	// Labels looked up by prefix: the values the pages show.
	for _, k := range []string{"role.admin", "role.agent", "role.care", "role.analyst",
		"order.status.pending", "order.status.paid", "order.status.shipped", "order.status.completed",
		"order.status.cancelled", "order.status.refunded", "order.status.partially_refunded",
		"error.title.not_found", "error.title.forbidden", "error.title.unauthorized", "error.title.invalid",
		"error.title.conflict", "error.title.internal"} {
		for _, loc := range i18n.Locales() {
			if !hasOwn(loc, k) {
				t.Errorf("key %q is not in the %s catalog", k, loc)
			}
		}
	}
}

func hasOwn(locale, key string) bool {
	for _, k := range i18n.Keys(locale) {
		if k == key {
			return true
		}
	}
	return false
}
