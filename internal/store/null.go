package store

import (
	"database/sql"
	"time"
)

// The zero values the schema stores as NULL: an id of 0 (no such row), a
// Unix time of 0 and a zero time.Time (not set). Every package writes and
// reads them through these, so 0 and NULL mean the same thing everywhere.

// NullInt is n, or NULL for 0.
func NullInt(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

// NullTime is t in Unix seconds, or NULL for the zero time.
func NullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Unix()
}

// TimeOf reads a nullable Unix time: the zero time for NULL.
func TimeOf(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.Unix(v.Int64, 0)
}
