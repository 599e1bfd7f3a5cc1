package ui

import (
	"net/http"
	"strconv"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/customer"
)

// duplicatePreview shows what merging customer ?b= into customer ?a= would
// do, field by field: both values, the result, which side won and by
// which rule, conflicts marked; a link swaps the survivor. The merge form
// carries both customers' versions, so a merge made on a stale preview is
// refused.
func (u *UI) duplicatePreview(w http.ResponseWriter, r *http.Request, rq *request) {
	a, errA := strconv.ParseInt(r.URL.Query().Get("a"), 10, 64)
	b, errB := strconv.ParseInt(r.URL.Query().Get("b"), 10, 64)
	if errA != nil || errB != nil || a <= 0 || b <= 0 {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EINVALID, "preview needs two customer numbers, a and b"))
		return
	}
	p, err := u.cfg.Customers.Preview(r.Context(), rq.shop.ID, a, b)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.render(w, r, rq, http.StatusOK, "duplicate_preview", "", u.view(r, rq, "duplicates", p))
}

// FieldValue shows one value of a merge preview's field as the page may:
// phones and e-mails masked for roles that do not see them, the street
// address hidden, creation times in the shop's zone.
func (v *view) FieldValue(f customer.FieldChoice, value string) string {
	if value == "" {
		return ""
	}
	switch f.Field {
	case "phone":
		return v.Phone(value)
	case "email":
		return v.Email(value)
	case "address":
		if !v.SeesPII() {
			return v.T("customer.hidden")
		}
	case "created_at":
		if t, err := parseRFC3339(value); err == nil {
			return v.When(t)
		}
	}
	return value
}
