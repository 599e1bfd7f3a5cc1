//go:build modernc

package main

import _ "modernc.org/sqlite"

func init() {
	driverLabel, driverName, driverPath = "modernc", "sqlite", "modernc.org/sqlite"
	dsn = func(path string) string { return "file:" + path }
}
