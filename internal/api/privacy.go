package api

import (
	"net/http"
	"strconv"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
)

// A customer's rights over their data (issue 7 §6): GET
// /customers/{id}/export gives everything held on them, DELETE
// /customers/{id}/personal-data erases it. Both need customers:pii (the
// export shows every value unmasked; erasure needs customers:write too) and
// a reason, which the audit log keeps with the token that asked.

// exportCustomer: GET /customers/{id}/export?format=json|csv&reason=….
func (a *API) exportCustomer(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	if a.cfg.Privacy == nil {
		return guanxi.Errorf(guanxi.ENOTFOUND, "no data export on this server")
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "csv" {
		return guanxi.Errorf(guanxi.EINVALID, "format: expected json or csv, got %q", format)
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	sh, err := a.cfg.Shops.ByID(ctx, t.ShopID)
	if err != nil {
		return err
	}
	e, err := a.cfg.Privacy.Export(ctx, t.ShopID, sh.Code, id, format, r.URL.Query().Get("reason"))
	if err != nil {
		return err
	}
	name := "customer-" + strconv.FormatInt(id, 10)
	if format == "csv" {
		w.Header().Set("Content-Type", "application/zip")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.zip"`)
		return e.WriteZip(w)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.json"`)
	return e.WriteJSON(w)
}

// eraseCustomer: DELETE /customers/{id}/personal-data?reason=….
func (a *API) eraseCustomer(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	if a.cfg.Privacy == nil {
		return guanxi.Errorf(guanxi.ENOTFOUND, "no erasure on this server")
	}
	if !t.Has("customers:write") {
		return guanxi.Errorf(guanxi.EFORBIDDEN, "this token lacks the scope customers:write")
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	res, err := a.cfg.Privacy.Erase(ctx, t.ShopID, id, r.URL.Query().Get("reason"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"customer_id": id, "customers": res.Customers, "rows": res.Rows})
	return nil
}
