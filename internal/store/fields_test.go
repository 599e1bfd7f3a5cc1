package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/seal"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// TestSealLegacy opens a database from before field encryption — phones,
// e-mails and campaign addresses in the clear, more than one batch of
// them — and checks that opening it seals them all, turns phone and e-mail
// identities into keyed hashes, records the key, and that the database
// then refuses any other key.
func TestSealLegacy(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		k := db.Keys()
		const n = 10500 // more than one batch (legacyBatch)
		err := db.Update(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO shops (id, code, name, created_at) VALUES (1, 's1', 'Shop', 1)`); err != nil {
				return err
			}
			var cs, ids [][]any
			for i := 1; i <= n; i++ {
				phone, email := fmt.Sprintf("139%08d", i), ""
				if i%2 == 0 {
					email = fmt.Sprintf("c%d@example.com", i)
					ids = append(ids, []any{int64(1), "", "email", email, int64(i), int64(1)})
				}
				if i%5 == 0 {
					phone = "139****" + fmt.Sprintf("%04d", i%10000) // a platform-masked phone: sealed too
				} else {
					ids = append(ids, []any{int64(1), "", "phone", phone, int64(i), int64(1)})
				}
				cs = append(cs, []any{int64(1), int64(i), fmt.Sprintf("顾客%d", i), phone, email, int64(1), int64(1)})
			}
			ids = append(ids, []any{int64(1), "taobao", "buyer_nick", "tb_nick", int64(1), int64(1)})
			if err := tx.Insert(ctx, "customers", []string{"shop_id", "id", "name", "phone", "email", "created_at", "updated_at"}, cs); err != nil {
				return err
			}
			if err := tx.Insert(ctx, "customer_identities", []string{"shop_id", "platform", "kind", "value", "customer_id", "created_at"}, ids); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO campaigns (shop_id, id, name, purpose, rule, channel, body, schedule, holdout_share, seed, attribution_days, status, created_at, updated_at, version)
VALUES (1, 1, 'c', 'marketing', '{}', 'sms', 'x', 'now', 0.1, 7, 7, 'sent', 1, 1, 1)`); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO campaign_messages (shop_id, campaign_id, customer_id, grp, address, status) VALUES (1, 1, 1, 'target', '13900000001', 'sent'), (1, 1, 2, 'excluded', '', '')`)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// As a database from before field encryption: no key recorded.
		if _, err := db.Exec(ctx, `DELETE FROM field_key`); err != nil {
			t.Fatal(err)
		}
		db2, err := store.OpenWithKeys(ctx, db.DSN, k)
		if err != nil {
			t.Fatal(err)
		}
		defer db2.Close()

		rows, err := db2.Query(ctx, `SELECT id, phone, email FROM customers WHERE shop_id = 1 ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		i := 0
		for rows.Next() {
			var id int64
			var phone, email string
			if err := rows.Scan(&id, &phone, &email); err != nil {
				t.Fatal(err)
			}
			i++
			if !seal.IsSealed(phone) || (email != "") != (id%2 == 0) || email != "" && !seal.IsSealed(email) {
				t.Fatalf("customer %d: phone %q email %q not sealed", id, phone, email)
			}
			if err := k.OpenAll(seal.Phone(&phone), seal.Email(&email)); err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("139%08d", id)
			if id%5 == 0 {
				want = "139****" + fmt.Sprintf("%04d", id%10000)
			}
			if phone != want {
				t.Fatalf("customer %d: phone opens to %q, want %q", id, phone, want)
			}
		}
		rows.Close()
		if i != n {
			t.Fatalf("%d customers, want %d", i, n)
		}
		var plain, hashed int
		db2.QueryRow(ctx, `SELECT COUNT(*) FROM customer_identities WHERE platform = '' AND value NOT LIKE 'h1:%'`).Scan(&plain)
		db2.QueryRow(ctx, `SELECT COUNT(*) FROM customer_identities WHERE platform = '' AND kind = 'phone' AND value = ?`, k.Hash(1, "phone", "13900000007")).Scan(&hashed)
		if plain != 0 || hashed != 1 {
			t.Errorf("%d phone and e-mail identities left plain; 13900000007 found by hash %d times", plain, hashed)
		}
		var nick string
		db2.QueryRow(ctx, `SELECT value FROM customer_identities WHERE platform = 'taobao'`).Scan(&nick)
		if nick != "tb_nick" {
			t.Errorf("a platform id became %q: only phones and e-mails are hashed", nick)
		}
		var addr, empty string
		db2.QueryRow(ctx, `SELECT address FROM campaign_messages WHERE customer_id = 1`).Scan(&addr)
		db2.QueryRow(ctx, `SELECT address FROM campaign_messages WHERE customer_id = 2`).Scan(&empty)
		if v, err := k.Open("address", addr); err != nil || v != "13900000001" || empty != "" {
			t.Errorf("campaign address %q opens to %q (%v); empty one %q", addr, v, err, empty)
		}

		// Another key is refused, by name; the right one is not.
		other, _ := seal.Parse(strings.Repeat("5a", 32))
		if _, err := store.OpenWithKeys(ctx, db.DSN, other); guanxi.ErrorCode(err) != guanxi.EINVALID || !strings.Contains(err.Error(), k.Fingerprint()) {
			t.Fatalf("opened with another key: %v", err)
		}
		db3, err := store.OpenWithKeys(ctx, db.DSN, k)
		if err != nil {
			t.Fatal(err)
		}
		db3.Close()
	})
}

// TestLoadKeys reads the key from the environment, from a named file, or
// from a file it generates once, which every later start then shares.
func TestLoadKeys(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("HOME", dir)
	t.Setenv(store.EnvFieldKey, "")
	t.Setenv(store.EnvFieldKeyFile, "")
	k1, src, err := store.LoadKeys()
	if err != nil || !strings.HasPrefix(src, "generated file ") {
		t.Fatalf("LoadKeys: %v (%s)", err, src)
	}
	path := strings.TrimPrefix(src, "generated file ")
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file %s: %v %v", path, st.Mode(), err)
	}
	k2, _, err := store.LoadKeys()
	if err != nil || k2.Fingerprint() != k1.Fingerprint() {
		t.Fatalf("a second start has another key: %v", err)
	}

	key := seal.Generate()
	t.Setenv(store.EnvFieldKey, key)
	k3, src, err := store.LoadKeys()
	want, _ := seal.Parse(key)
	if err != nil || src != store.EnvFieldKey || k3.Fingerprint() != want.Fingerprint() {
		t.Fatalf("from the environment: %v %s", err, src)
	}
	t.Setenv(store.EnvFieldKey, "not a key")
	if _, _, err := store.LoadKeys(); err == nil || !strings.Contains(err.Error(), store.EnvFieldKey) {
		t.Fatalf("a bad key: %v", err)
	}
	t.Setenv(store.EnvFieldKey, "")
	file := filepath.Join(dir, "k")
	os.WriteFile(file, []byte(key+"\n"), 0o600)
	t.Setenv(store.EnvFieldKeyFile, file)
	if k4, src, err := store.LoadKeys(); err != nil || k4.Fingerprint() != want.Fingerprint() || src != "file "+file {
		t.Fatalf("from a file: %v %s", err, src)
	}
}
