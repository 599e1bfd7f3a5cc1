package ui

import (
	"net/http"
	"strings"
)

// serveStatic serves the embedded static files. A request naming the
// current content hash (?v=…, as view.Asset writes it) may be cached for a
// year; any other for a few minutes. Directories are not listed.
func (u *UI) serveStatic(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	asset, ok := u.assets[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if v := r.URL.Query().Get("v"); v != "" && strings.HasSuffix(asset, "?v="+v) {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=300")
	}
	http.ServeFileFS(w, r, u.static, name)
}
