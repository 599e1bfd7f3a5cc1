package api

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/segment"
)

// savedSegmentJSON is a saved segment as the API shows it.
type savedSegmentJSON struct {
	ID        int64           `json:"id"`
	Name      string          `json:"name"`
	Rule      json.RawMessage `json:"rule"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

func savedSegmentOf(s *segment.Segment) savedSegmentJSON {
	return savedSegmentJSON{ID: s.ID, Name: s.Name, Rule: s.Rule.JSON(), CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC()}
}

// segmentInput is the body of POST /saved-segments and PUT
// /saved-segments/{id}.
type segmentInput struct {
	Name string          `json:"name"`
	Rule json.RawMessage `json:"rule"`
}

// segmentOf reads the body into a segment; a fault in the rule is named by
// its path under "rule".
func segmentOf(w http.ResponseWriter, r *http.Request) (*segment.Segment, error) {
	var in segmentInput
	if err := decode(w, r, &in); err != nil {
		return nil, err
	}
	if len(in.Rule) == 0 || string(in.Rule) == "null" {
		return nil, guanxi.Errorf(guanxi.EINVALID, "rule: required")
	}
	rule, err := segment.ParseRule(in.Rule)
	if err != nil {
		msg := guanxi.ErrorMessage(err)
		if guanxi.ErrorCode(err) != guanxi.EINVALID || strings.HasPrefix(msg, "rule:") {
			return nil, err
		}
		return nil, guanxi.Errorf(guanxi.EINVALID, "rule.%s", msg)
	}
	return &segment.Segment{Name: in.Name, Rule: rule}, nil
}

// countSegment: POST /segments/count, how many live customers the rule in
// the body holds, for a live count while a rule is edited. Nothing is saved.
func (a *API) countSegment(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return jsonError(err)
	}
	rule, err := segment.ParseRule(body)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	n, err := a.cfg.Segments.Count(ctx, t.ShopID, rule)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"customers": n})
	return nil
}

// listSavedSegments: GET /saved-segments, the shop's saved segments by name.
func (a *API) listSavedSegments(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	return listAll(w, r, t, "segments", a.cfg.Segments.List, savedSegmentOf)
}

// createSavedSegment: POST /saved-segments, 201 with the segment.
func (a *API) createSavedSegment(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	seg, err := segmentOf(w, r)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	if err := a.cfg.Segments.Create(ctx, t.ShopID, seg); err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/saved-segments/"+strconv.FormatInt(seg.ID, 10))
	writeJSON(w, http.StatusCreated, savedSegmentOf(seg))
	return nil
}

// getSavedSegment: GET /saved-segments/{id}.
func (a *API) getSavedSegment(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	return getOne(w, r, t, a.cfg.Segments.Get, savedSegmentOf)
}

// putSavedSegment: PUT /saved-segments/{id}, a new name and rule.
func (a *API) putSavedSegment(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	seg, err := segmentOf(w, r)
	if err != nil {
		return err
	}
	seg.ID = id
	ctx, cancel := withTimeout(r)
	defer cancel()
	if err := a.cfg.Segments.Update(ctx, t.ShopID, seg); err != nil {
		return err
	}
	if seg, err = a.cfg.Segments.Get(ctx, t.ShopID, id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, savedSegmentOf(seg))
	return nil
}

// deleteSavedSegment: DELETE /saved-segments/{id}, with its size history.
func (a *API) deleteSavedSegment(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	return deleteOne(w, r, t, a.cfg.Segments.Delete)
}

type memberPage struct {
	Customers  []int64 `json:"customers"`
	Limit      int     `json:"limit"`
	Offset     int     `json:"offset"`
	NextOffset *int    `json:"next_offset"` // null on the last page
}

// savedSegmentMembers: GET /saved-segments/{id}/members?limit=&offset=, the
// ids of the segment's customers now, most recent buyer first.
func (a *API) savedSegmentMembers(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	limit, offset, err := pageParams(r, segment.DefaultLimit, 1000)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	seg, err := a.cfg.Segments.Get(ctx, t.ShopID, id)
	if err != nil {
		return err
	}
	ids, err := a.cfg.Segments.Members(ctx, t.ShopID, seg.Rule, limit+1, offset)
	if err != nil {
		return err
	}
	page := memberPage{Customers: ids, Limit: limit, Offset: offset}
	if len(ids) > limit {
		page.Customers = ids[:limit]
		next := offset + limit
		page.NextOffset = &next
	}
	if page.Customers == nil {
		page.Customers = []int64{}
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

type sizeJSON struct {
	Day       string `json:"day"` // YYYY-MM-DD in shop time
	Customers int    `json:"customers"`
}

// savedSegmentHistory: GET /saved-segments/{id}/history, the segment's size
// as recorded after each nightly score run, oldest day first.
func (a *API) savedSegmentHistory(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	if _, err := a.cfg.Segments.Get(ctx, t.ShopID, id); err != nil {
		return err
	}
	sizes, err := a.cfg.Segments.History(ctx, t.ShopID, id)
	if err != nil {
		return err
	}
	out := make([]sizeJSON, len(sizes))
	for i, s := range sizes {
		out[i] = sizeJSON{Day: dayString(s.Day), Customers: s.Customers}
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "sizes": out})
	return nil
}

// dayString shows a yyyymmdd day as YYYY-MM-DD.
func dayString(d int) string {
	return time.Date(d/10000, time.Month(d/100%100), d%100, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}
