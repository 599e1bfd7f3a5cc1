// Package web holds the browser side of Guanxi, embedded in the binary:
// html/template files under templates/ and static assets (hand-written CSS
// and vendored JavaScript) under static/. Nothing here needs a build step.
// The file systems are read-only and safe for concurrent use.
package web

import "embed"

// Templates holds templates/*.html; parse them with the "templates/" prefix.
//
//go:embed templates/*.html
var Templates embed.FS

// Static holds static/ (app.css, vendor/…); serve it with the "static/" prefix
// stripped.
//
//go:embed static
var Static embed.FS
