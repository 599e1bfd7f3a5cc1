// Package migrations holds the schema of both engines as goose SQL files,
// embedded in the binary. The two folders have the same file names and the
// same tables and columns (a test checks it); only types differ.
package migrations

import "embed"

// SQLite is the schema for SQLite.
//
//go:embed sqlite/*.sql
var SQLite embed.FS

// Postgres is the schema for PostgreSQL.
//
//go:embed postgres/*.sql
var Postgres embed.FS
