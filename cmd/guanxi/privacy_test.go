package main

import (
	"archive/zip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPrivacyCLI: export a customer as JSON and as a zip of CSV files,
// then erase them; a missing reason is refused.
func TestPrivacyCLI(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "g.db")
	importJSON(t, db, fixture)
	out := filepath.Join(dir, "c.json")
	if code, _, errOut := guanxi(t, "", "privacy", "export", "--db", db, "--shop", "s1", "--customer", "1", "--out", out); code != 1 || !strings.Contains(errOut, "reason") {
		t.Errorf("export without a reason: exit %d %s", code, errOut)
	}
	mustRun(t, "privacy", "export", "--db", db, "--shop", "s1", "--customer", "1", "--format", "json", "--out", out, "--reason", "客户申请")
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		CustomerID int64                       `json:"customer_id"`
		Tables     map[string][]map[string]any `json:"tables"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.CustomerID != 1 || len(doc.Tables["orders"]) == 0 {
		t.Fatalf("export: %v %.300s", err, b)
	}
	zp := filepath.Join(dir, "c.zip")
	mustRun(t, "privacy", "export", "--db", db, "--shop", "s1", "--customer", "1", "--format", "csv", "--out", zp, "--reason", "客户申请")
	z, err := zip.OpenReader(zp)
	if err != nil {
		t.Fatal(err)
	}
	if len(z.File) < 3 {
		t.Errorf("%d files in the zip", len(z.File))
	}
	z.Close()
	if o := mustRun(t, "privacy", "erase", "--db", db, "--shop", "s1", "--customer", "1", "--reason", "客户申请"); !strings.Contains(o, "erased customer 1") {
		t.Errorf("erase: %s", o)
	}
	if code, _, errOut := guanxi(t, "", "privacy", "erase", "--db", db, "--shop", "s1", "--customer", "1", "--reason", "x"); code != 1 || !strings.Contains(errOut, "already erased") {
		t.Errorf("second erase: exit %d %s", code, errOut)
	}
	if o := mustRun(t, "privacy", "retention", "--db", db, "--shop", "s1"); !strings.Contains(o, "retention applied") {
		t.Errorf("retention: %s", o)
	}
	if code, _, _ := guanxi(t, "", "privacy", "erase", "--db", db, "--shop", "s1"); code != 2 {
		t.Errorf("erase without --customer: exit %d", code)
	}
}
