// Package audit owns the audit log: an append-only record of who did what
// to which record of a shop. Domain services write an entry in the same
// transaction as the change it describes, so the log never claims a change
// that was rolled back nor misses one that was committed. Who is acting
// travels in the context (WithActor), set once at the edge: the web
// session, the API token or the command line. The Service is safe for
// concurrent use.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Actor is who is acting: a signed-in user, an API token or the command line.
type Actor struct {
	UserID int64  // 0 when not a user
	Name   string // "user:wang", "token:3", "cli"
	IP     string
}

type actorKey struct{}

// WithActor returns ctx carrying the actor that changes made with it are
// recorded under.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the context's actor; with none set it is the command
// line, since every network edge sets one.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{Name: "cli"}
}

// PeerIP is the address a request came from, as the record keeps it: the
// connection's peer (a proxy's X-Forwarded-For is not trusted here, since
// anyone can send one).
func PeerIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}

// Entry is one audited action.
type Entry struct {
	ID         int64
	At         time.Time
	UserID     int64
	Actor      string
	Action     string // noun.verb: customer.update, customer.reveal, customer.merge…
	ObjectType string
	ObjectID   string
	Detail     json.RawMessage
	IP         string
}

// Write records action on object in tx, under the context's actor. detail
// is marshalled to JSON; it must never hold a revealed secret.
func Write(ctx context.Context, tx *store.Tx, shopID int64, action, objectType string, objectID int64, detail any, now time.Time) error {
	a := ActorFrom(ctx)
	d := []byte("{}")
	if detail != nil {
		var err error
		if d, err = json.Marshal(detail); err != nil {
			return fmt.Errorf("audit: %s detail: %w", action, err)
		}
	}
	id, err := tx.NextIDs(ctx, shopID, "audit_log", 1)
	if err != nil {
		return fmt.Errorf("audit: %s: %w", action, err)
	}
	var user any
	if a.UserID != 0 {
		user = a.UserID
	}
	oid := ""
	if objectID != 0 {
		oid = strconv.FormatInt(objectID, 10)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO audit_log (shop_id, id, at, user_id, actor, action, object_type, object_id, detail, ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		shopID, id, now.Unix(), user, a.Name, action, objectType, oid, string(d), a.IP); err != nil {
		return fmt.Errorf("audit: %s: %w", action, err)
	}
	return nil
}

// Service reads and writes the log outside other changes.
type Service struct {
	db    *store.DB
	clock guanxi.Clock
}

// NewService returns the audit log of db.
func NewService(db *store.DB, clock guanxi.Clock) *Service {
	if clock == nil {
		clock = guanxi.SystemClock{}
	}
	return &Service{db: db, clock: clock}
}

// Record writes one entry in its own transaction: for actions that change
// nothing else, such as revealing a customer's contact details.
func (s *Service) Record(ctx context.Context, shopID int64, action, objectType string, objectID int64, detail any) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		return Write(ctx, tx, shopID, action, objectType, objectID, detail, s.clock.Now())
	})
}

// Filter narrows List. Zero fields match everything.
type Filter struct {
	UserID     int64
	Action     string // exact, or a prefix ending in "." (customer.)
	ObjectType string
	ObjectID   string
	Before     int64 // entries with a smaller id: the next page
	Limit      int   // 1–500, default 50
}

// List returns a shop's entries matching f, newest first.
func (s *Service) List(ctx context.Context, shopID int64, f Filter) ([]Entry, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	var where strings.Builder
	args := []any{shopID}
	where.WriteString("shop_id = ?")
	if f.UserID != 0 {
		where.WriteString(" AND user_id = ?")
		args = append(args, f.UserID)
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			where.WriteString(" AND action LIKE ?")
			args = append(args, strings.NewReplacer("%", "", "_", "").Replace(f.Action)+"%")
		} else {
			where.WriteString(" AND action = ?")
			args = append(args, f.Action)
		}
	}
	if f.ObjectType != "" {
		where.WriteString(" AND object_type = ?")
		args = append(args, f.ObjectType)
		if f.ObjectID != "" {
			where.WriteString(" AND object_id = ?")
			args = append(args, f.ObjectID)
		}
	}
	if f.Before > 0 {
		where.WriteString(" AND id < ?")
		args = append(args, f.Before)
	}
	args = append(args, f.Limit)
	rows, err := s.db.Query(ctx, `SELECT id, at, user_id, actor, action, object_type, object_id, detail, ip FROM audit_log WHERE `+where.String()+` ORDER BY id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: list shop %d: %w", shopID, err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var at int64
		var user *int64
		var detail string
		if err := rows.Scan(&e.ID, &at, &user, &e.Actor, &e.Action, &e.ObjectType, &e.ObjectID, &detail, &e.IP); err != nil {
			return nil, fmt.Errorf("audit: list shop %d: %w", shopID, err)
		}
		e.At = time.Unix(at, 0)
		if user != nil {
			e.UserID = *user
		}
		e.Detail = json.RawMessage(detail)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: list shop %d: %w", shopID, err)
	}
	return out, nil
}
