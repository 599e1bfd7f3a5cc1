//go:build ncruces

package main

import _ "github.com/ncruces/go-sqlite3/driver"

func init() {
	driverLabel, driverName, driverPath = "ncruces (wasm2go)", "sqlite3", "github.com/ncruces/go-sqlite3"
	dsn = func(path string) string { return "file:" + path }
}
