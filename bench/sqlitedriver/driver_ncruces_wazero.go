//go:build ncruces && wazero

package main

// Releases up to v0.32.0 run SQLite's wasm build on wazero and need the
// binary embedded; go.wazero.mod pins such a release.
import _ "github.com/ncruces/go-sqlite3/embed"

func init() { driverLabel = "ncruces (wazero)" }
