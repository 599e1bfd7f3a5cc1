//go:build mattn

package main

import _ "github.com/mattn/go-sqlite3"

func init() {
	driverLabel, driverName, driverPath = "mattn (cgo)", "sqlite3", "github.com/mattn/go-sqlite3"
	dsn = func(path string) string { return "file:" + path }
}
