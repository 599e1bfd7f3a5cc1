package app

import (
	"net/http"
)

// registerUI mounts the web workspace.
func (a *App) registerUI(mux *http.ServeMux, cfg ServerConfig) error {
	return nil
}
