package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/customer"
)

// getIdentities: GET /customers/{id}/identities, the ways the customer is
// known (platform ids, nicks, phones, e-mails; masked without customers:pii).
func (a *API) getIdentities(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	if _, err := a.cfg.Customers.Get(ctx, t.ShopID, id); err != nil {
		return err
	}
	ids, err := a.cfg.Customers.Identities(ctx, t.ShopID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"identities": identitiesOf(t, ids)})
	return nil
}

// customerPatch is the body of PATCH /customers/{id}: the fields to change
// (absent ones are kept) and the version they were read at.
type customerPatch struct {
	Version  *int64    `json:"version"`
	Name     *string   `json:"name"`
	Gender   *string   `json:"gender"`
	Birthday *string   `json:"birthday"`
	Province *string   `json:"province"`
	City     *string   `json:"city"`
	Tags     *[]string `json:"tags"`
}

// ifMatch reads a version from an If-Match header: 7, "7" or W/"7".
func ifMatch(r *http.Request) (int64, bool, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" {
		return 0, false, nil
	}
	v, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(h, "W/"), `"`), 10, 64)
	if err != nil || v < 0 {
		return 0, false, guanxi.Errorf(guanxi.EINVALID, "If-Match %q: expected the customer's version (its ETag), e.g. \"3\"", h)
	}
	return v, true, nil
}

// versionOf is the version a change is made on: the If-Match header's or
// body's, the body's version field (nil when absent); when both are given
// they must agree. what names the thing in messages ("ticket") and get the
// path that gives its version ("/tickets/{id}").
func versionOf(r *http.Request, body *int64, what, get string) (int64, error) {
	v, ok, err := ifMatch(r)
	if err != nil {
		return 0, guanxi.Errorf(guanxi.EINVALID, "If-Match %q: expected the %s's version (its ETag), e.g. \"3\"", r.Header.Get("If-Match"), what)
	}
	switch {
	case ok && body != nil && *body != v:
		return 0, guanxi.Errorf(guanxi.EINVALID, "version: %d differs from If-Match %d", *body, v)
	case ok:
		return v, nil
	case body == nil:
		return 0, guanxi.Errorf(guanxi.EINVALID, "version: required, as an If-Match header or a version field (GET %s gives it, and its ETag)", get)
	}
	return *body, nil
}

// patchCustomer: PATCH /customers/{id}. The edit is made on the version
// named by If-Match or the body's version; if the customer changed since,
// 409 conflict and nothing is written.
func (a *API) patchCustomer(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var p customerPatch
	if err := decode(w, r, &p); err != nil {
		return err
	}
	version, err := versionOf(r, p.Version, "customer", "/customers/{id}")
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	c, err := a.cfg.Customers.Get(ctx, t.ShopID, id)
	if err != nil {
		return err
	}
	if c.MergedInto != 0 {
		return guanxi.Errorf(guanxi.ENOTFOUND, "customer %d was merged into %d: edit that one", id, c.MergedInto)
	}
	e := customer.Edit{Name: c.Name, Gender: c.Gender, Birthday: c.Birthday, Province: c.Province, City: c.City, Tags: c.Tags}
	for _, f := range []struct {
		v    *string
		dest *string
	}{{p.Name, &e.Name}, {p.Gender, &e.Gender}, {p.Birthday, &e.Birthday}, {p.Province, &e.Province}, {p.City, &e.City}} {
		if f.v != nil {
			*f.dest = *f.v
		}
	}
	if p.Tags != nil {
		if e.Tags, err = cleanTags(*p.Tags); err != nil {
			return err
		}
	}
	// Fields not sent are taken from the version read now; if that is not
	// the version the caller named, Update refuses with a conflict anyway.
	if _, err := a.cfg.Customers.Update(ctx, t.ShopID, id, version, e, 0, a.cfg.Clock.Now()); err != nil {
		return err
	}
	return a.writeCustomer(ctx, w, t, id)
}

// cleanTags trims tags, drops empty ones and repeats, and refuses control
// characters.
func cleanTags(in []string) ([]string, error) {
	out := []string{}
	for i, t := range in {
		t = strings.TrimSpace(t)
		if strings.ContainsFunc(t, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return nil, guanxi.Errorf(guanxi.EINVALID, "tags[%d]: control characters are not allowed", i)
		}
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

type tagsBody struct {
	Tags []string `json:"tags"`
}

// addTags: POST /customers/{id}/tags {"tags": [...]}: adds them to the
// customer's tags as they stand (no version needed: adding commutes).
func (a *API) addTags(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var b tagsBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	tags, err := cleanTags(b.Tags)
	if err != nil {
		return err
	}
	if len(tags) == 0 {
		return guanxi.Errorf(guanxi.EINVALID, "tags: at least one tag is required")
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	if _, err := a.cfg.Customers.ChangeTags(ctx, t.ShopID, id, tags, nil, 0, a.cfg.Clock.Now()); err != nil {
		return err
	}
	return a.writeCustomer(ctx, w, t, id)
}

// deleteTag: DELETE /customers/{id}/tags/{tag}; removing a tag the
// customer does not have changes nothing and is not an error.
func (a *API) deleteTag(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	tag := strings.TrimSpace(r.PathValue("tag"))
	if tag == "" {
		return guanxi.Errorf(guanxi.EINVALID, "tag: required")
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	if _, err := a.cfg.Customers.ChangeTags(ctx, t.ShopID, id, nil, []string{tag}, 0, a.cfg.Clock.Now()); err != nil {
		return err
	}
	return a.writeCustomer(ctx, w, t, id)
}
