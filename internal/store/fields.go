package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/seal"
)

// Where the field key comes from, in this order: the key itself, a file
// holding it, or (for a first run with neither) a file Guanxi generates in
// the user's configuration directory, which the operator is told to move
// out of the way of the database's backups.
const (
	EnvFieldKey     = "GUANXI_FIELD_KEY"
	EnvFieldKeyFile = "GUANXI_FIELD_KEY_FILE"
)

// LoadKeys reads the field key from the environment, or from the default
// key file, creating that file with a new random key when it does not
// exist. source says where the key came from, for the start-up log.
func LoadKeys() (k *seal.Keys, source string, err error) {
	if v := os.Getenv(EnvFieldKey); v != "" {
		k, err := seal.Parse(v)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", EnvFieldKey, err)
		}
		return k, EnvFieldKey, nil
	}
	path := os.Getenv(EnvFieldKeyFile)
	if path == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return nil, "", fmt.Errorf("no field key: set %s (openssl rand -hex 32) or %s: %w", EnvFieldKey, EnvFieldKeyFile, err)
		}
		path = filepath.Join(dir, "guanxi", "field.key")
		if err := createKeyFile(path); err != nil {
			return nil, "", err
		}
		source = "generated file " + path
	} else {
		source = "file " + path
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("field key: %w", err)
	}
	if k, err = seal.Parse(string(b)); err != nil {
		return nil, "", fmt.Errorf("field key file %s: %w", path, err)
	}
	return k, source, nil
}

// createKeyFile writes a new key to path unless a file is there. The key is
// written to a private temporary file and linked into place, so that
// processes starting together (parallel tests, a server and a command) all
// end up with the one key that won.
func createKeyFile(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("field key: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".field.key-*")
	if err != nil {
		return fmt.Errorf("field key: %w", err)
	}
	defer os.Remove(f.Name())
	_, err = f.WriteString(seal.Generate() + "\n")
	if err = errors.Join(err, f.Sync(), f.Close()); err != nil {
		return fmt.Errorf("field key: %w", err)
	}
	if err := os.Link(f.Name(), path); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("field key: %w", err)
	}
	return nil
}

// Keys returns the keys that seal the database's personal fields.
func (db *DB) Keys() *seal.Keys { return db.keys }

// Keys returns the keys that seal the database's personal fields.
func (tx *Tx) Keys() *seal.Keys { return tx.db.keys }

// useKeys makes k the database's field keys. A database records the
// fingerprint of the key it was first sealed with and refuses any other:
// opening with the wrong key would show nothing and, worse, hash new
// lookups so that they never meet the old ones. A database from before
// field encryption has its plain phones and e-mails sealed first, in
// batches, and only then is the fingerprint recorded, so a crash midway
// resumes the sealing at the next start.
func (db *DB) useKeys(ctx context.Context, k *seal.Keys) error {
	db.keys = k
	recorded, err := db.checkFingerprint(ctx, k)
	if err != nil || recorded {
		return err
	}
	if err := db.sealLegacy(ctx); err != nil {
		return err
	}
	_, err = db.Exec(ctx, `INSERT INTO field_key (id, fingerprint, created_at) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING`,
		k.Fingerprint(), time.Now().Unix())
	if err != nil {
		return fmt.Errorf("store: field key: %w", err)
	}
	// Another process may have recorded its key first.
	_, err = db.checkFingerprint(ctx, k)
	return err
}

// checkFingerprint compares the fingerprint the database recorded with k's;
// recorded is false when there is none yet.
func (db *DB) checkFingerprint(ctx context.Context, k *seal.Keys) (recorded bool, err error) {
	var fp string
	err = db.QueryRow(ctx, `SELECT fingerprint FROM field_key WHERE id = 1`).Scan(&fp)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("store: field key: %w", err)
	case fp != k.Fingerprint():
		return true, guanxi.Errorf(guanxi.EINVALID, "store: this database's personal fields were sealed with another field key (fingerprint %s; the key given has %s): start with %s set to the key it was written with",
			fp, k.Fingerprint(), EnvFieldKey)
	}
	return true, nil
}

// SealedColumns names, per table, the columns that hold sealed values and
// the field each was sealed as, for readers that go through every column
// (a data-subject export).
var SealedColumns = map[string]map[string]string{
	"customers":         {"phone": "phone", "email": "email"},
	"campaign_messages": {"address": "address"},
	"survey_invites":    {"address": "address"},
}

// legacyBatch is how many rows one transaction of sealLegacy changes.
const legacyBatch = 10000

// sealLegacy seals the phones and e-mails a database from before field
// encryption holds in the clear: the customer's own, the addresses
// campaigns and surveys were sent to, and the phone and e-mail identities,
// which become keyed hashes.
func (db *DB) sealLegacy(ctx context.Context) error {
	k := db.keys
	plain := func(col string) string {
		return `(` + col + ` <> '' AND ` + col + ` NOT LIKE '` + seal.SealedPrefix + `%')`
	}
	sealed := func(field, v string) string {
		if seal.IsSealed(v) {
			return v
		}
		return k.Seal(field, v)
	}
	type write struct {
		q    string
		args []any
	}
	// Each step reads one shop's rows in key order, a batch at a time from
	// the last key seen (rescanning from the start would be quadratic), and
	// returns the statement that seals a row and the row's key. Keys are
	// the primary key after shop_id, so each batch is one index range.
	identities := func(kind string) string {
		return `SELECT shop_id, kind, value FROM customer_identities WHERE shop_id = ? AND platform = '' AND kind = '` + kind +
			`' AND value NOT LIKE '` + seal.HashPrefix + `%'`
	}
	hashIdentity := func(rows *sql.Rows) (write, []any, error) {
		var shopID int64
		var kind, value string
		err := rows.Scan(&shopID, &kind, &value)
		return write{`UPDATE customer_identities SET value = ? WHERE shop_id = ? AND platform = '' AND kind = ? AND value = ?`,
			[]any{k.Hash(shopID, kind, value), shopID, kind, value}}, []any{value}, err
	}
	steps := []struct {
		table, key, query string
		row               func(rows *sql.Rows) (write, []any, error)
	}{
		{"customers", "id", `SELECT shop_id, id, phone, email FROM customers WHERE shop_id = ? AND (` + plain("phone") + ` OR ` + plain("email") + `)`,
			func(rows *sql.Rows) (write, []any, error) {
				var shopID, id int64
				var phone, email string
				err := rows.Scan(&shopID, &id, &phone, &email)
				return write{`UPDATE customers SET phone = ?, email = ? WHERE shop_id = ? AND id = ?`,
					[]any{sealed("phone", phone), sealed("email", email), shopID, id}}, []any{id}, err
			}},
		{"customer_identities", "value", identities("phone"), hashIdentity},
		{"customer_identities", "value", identities("email"), hashIdentity},
		{"campaign_messages", "campaign_id, customer_id", `SELECT shop_id, campaign_id, customer_id, address FROM campaign_messages WHERE shop_id = ? AND ` + plain("address"),
			func(rows *sql.Rows) (write, []any, error) {
				var shopID, campaignID, customerID int64
				var address string
				err := rows.Scan(&shopID, &campaignID, &customerID, &address)
				return write{`UPDATE campaign_messages SET address = ? WHERE shop_id = ? AND campaign_id = ? AND customer_id = ?`,
					[]any{k.Seal("address", address), shopID, campaignID, customerID}}, []any{campaignID, customerID}, err
			}},
		{"survey_invites", "id", `SELECT shop_id, id, address FROM survey_invites WHERE shop_id = ? AND ` + plain("address"),
			func(rows *sql.Rows) (write, []any, error) {
				var shopID, id int64
				var address string
				err := rows.Scan(&shopID, &id, &address)
				return write{`UPDATE survey_invites SET address = ? WHERE shop_id = ? AND id = ?`,
					[]any{k.Seal("address", address), shopID, id}}, []any{id}, err
			}},
	}
	shops, err := IDs(ctx, db, `SELECT id FROM shops ORDER BY id`)
	if err != nil {
		return fmt.Errorf("store: seal the plain fields: %w", err)
	}
	for _, shopID := range shops {
		for _, st := range steps {
			var last []any // the key of the last row sealed; nil before the first
			for done := false; !done; {
				err := db.Update(ctx, func(tx *Tx) error {
					q, args := st.query, []any{shopID}
					if last != nil {
						q += ` AND (` + st.key + `) > (` + In(len(last)) + `)`
						args = append(args, last...)
					}
					rows, err := tx.Query(ctx, q+fmt.Sprintf(` ORDER BY %s LIMIT %d`, st.key, legacyBatch), args...)
					if err != nil {
						return err
					}
					// The batch is read before it is written: SQLite has
					// one connection for both.
					var batch []write
					for rows.Next() {
						w, key, err := st.row(rows)
						if err != nil {
							rows.Close()
							return err
						}
						batch, last = append(batch, w), key
					}
					if err := errors.Join(rows.Err(), rows.Close()); err != nil {
						return err
					}
					stmts := map[string]*sql.Stmt{}
					defer func() {
						for _, st := range stmts {
							st.Close()
						}
					}()
					for _, w := range batch {
						st, ok := stmts[w.q]
						if !ok {
							if st, err = tx.Prepare(ctx, w.q); err != nil {
								return err
							}
							stmts[w.q] = st
						}
						if _, err := st.ExecContext(ctx, w.args...); err != nil {
							return err
						}
					}
					done = len(batch) < legacyBatch
					return nil
				})
				if err != nil {
					return fmt.Errorf("store: seal the plain %s of shop %d: %w", st.table, shopID, err)
				}
			}
		}
	}
	return nil
}
