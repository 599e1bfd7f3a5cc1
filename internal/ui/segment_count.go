package ui

import (
	"encoding/json"
	"net/http"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/i18n"
	"github.com/guanxi-crm/guanxi/internal/segment"
)

// countAnswer is the builder's live count: the customers the rule holds,
// or why the rule was refused and the JSON path of the fault.
type countAnswer struct {
	Count *int   `json:"count,omitempty"`
	Text  string `json:"text,omitempty"` // "共 12 位客户"
	Error string `json:"error,omitempty"`
	Path  string `json:"path,omitempty"`
}

// segmentCount counts the customers of the rule posted as the form field
// rule, for the builder's live count (segment.js posts it, debounced, with
// the CSRF token in X-CSRF-Token). It answers JSON: 200 with the count, 400
// with the rule's fault and its path.
func (u *UI) segmentCount(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, err := u.segments()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	rule, err := segment.ParseRule([]byte(r.PostFormValue("rule")))
	if err != nil {
		msg, path := ruleError(rq.locale, err)
		writeCount(w, http.StatusBadRequest, countAnswer{Error: msg, Path: path})
		return
	}
	n, err := svc.Count(r.Context(), rq.shop.ID, rule)
	if err != nil {
		if guanxi.ErrorCode(err) == guanxi.EINTERNAL || guanxi.ErrorCode(err) == "" {
			u.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		writeCount(w, http.StatusInternalServerError, countAnswer{Error: i18n.ErrorMessage(rq.locale, err)})
		return
	}
	writeCount(w, http.StatusOK, countAnswer{Count: &n, Text: i18n.T(rq.locale, "segments.count", i18n.Number(int64(n)))})
}

func writeCount(w http.ResponseWriter, status int, a countAnswer) {
	b, err := json.Marshal(a)
	if err != nil {
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
