package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/i18n"
	"github.com/guanxi-crm/guanxi/internal/report"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/shop"
)

// segmentMembersShown is how many members the page of a segment lists.
const segmentMembersShown = 50

// segmentEditPage is the builder of a new segment, or the page of a saved
// one: its rule (editable by roles that write segments), size history and
// first members.
type segmentEditPage struct {
	ID        int64 // 0 for a new segment
	Name      string
	Rule      string // the rule's JSON, indented, for the advanced textarea
	Error     string // why the last save was refused, "" when it was not
	ErrorPath string // the JSON path of a rule's fault, as ParseRule names it
	CanWrite  bool
	Saved     bool
	// Editor is what segment.js needs to draw the visual editor: fields,
	// ops, enumerated values and labels, as JSON (json.Marshal escapes <,
	// > and &, so it cannot close its <script> element).
	Editor template.JS

	Counted   bool // Count holds the size of the saved rule
	Count     int
	History   []sizeRow // oldest first
	Charts    template.JS
	Members   []customer.Customer
	MoreShown bool // the segment has more members than are listed
}

type sizeRow struct {
	Day       string `json:"day"`
	Customers int    `json:"customers"`
}

// editorField is one field of the visual editor.
type editorField struct {
	segment.FieldInfo
	Label   string         `json:"label"`
	Options []editorOption `json:"options,omitempty"`
}

type editorOption struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

type editorData struct {
	Fields   []editorField     `json:"fields"`
	Ops      map[string]string `json:"ops"`
	Labels   map[string]string `json:"labels"`
	CountURL string            `json:"count_url"`
}

// segmentNew shows the builder of a new segment.
func (u *UI) segmentNew(w http.ResponseWriter, r *http.Request, rq *request) {
	if !canWriteSegments(rq.role) {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "your role in this shop may not create segments"))
		return
	}
	if _, err := u.segments(); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p := &segmentEditPage{CanWrite: true, Rule: "{\"all\": []}"}
	u.renderSegment(w, r, rq, http.StatusOK, p)
}

// segmentShow shows a saved segment: its builder, its size now and day by
// day, and its first members.
func (u *UI) segmentShow(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, err := u.segments()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	seg, err := u.segmentOf(r, rq, svc)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p := &segmentEditPage{ID: seg.ID, Name: seg.Name, Rule: indentJSON(seg.Rule.JSON()),
		CanWrite: canWriteSegments(rq.role), Saved: r.URL.Query().Get("saved") == "1"}
	u.renderSegment(w, r, rq, http.StatusOK, p)
}

// segmentOf returns the saved segment named by the URL's {id}.
func (u *UI) segmentOf(r *http.Request, rq *request, svc *segment.Service) (*segment.Segment, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "no segment %q", r.PathValue("id"))
	}
	return svc.Get(r.Context(), rq.shop.ID, id)
}

// renderSegment fills in the editor's data and, for a saved segment, its
// size, history and members, and renders the page with status.
func (u *UI) renderSegment(w http.ResponseWriter, r *http.Request, rq *request, status int, p *segmentEditPage) {
	ctx := r.Context()
	var err error
	if p.CanWrite {
		if p.Editor, err = u.segmentEditor(ctx, rq); err != nil {
			u.fail(w, r, rq, err)
			return
		}
	}
	if p.ID != 0 {
		if err := u.segmentFacts(ctx, rq.shop, p); err != nil {
			u.fail(w, r, rq, err)
			return
		}
	}
	u.render(w, r, rq, status, "segment_edit", "", u.view(r, rq, "segments", p))
}

// segmentFacts reads a saved segment's size, history and first members
// into p, by the rule as saved (not as a refused edit left it).
func (u *UI) segmentFacts(ctx context.Context, sh *shop.Shop, p *segmentEditPage) error {
	svc := u.cfg.Segments
	seg, err := svc.Get(ctx, sh.ID, p.ID)
	if err != nil {
		return err
	}
	if p.Count, err = svc.Count(ctx, sh.ID, seg.Rule); err != nil {
		return err
	}
	p.Counted = true
	hist, err := svc.History(ctx, sh.ID, seg.ID)
	if err != nil {
		return err
	}
	for _, s := range hist {
		p.History = append(p.History, sizeRow{Day: dayString(s.Day), Customers: s.Customers})
	}
	if len(p.History) > 0 {
		if p.Charts, err = chartJSON(map[string]any{"history": p.History}); err != nil {
			return err
		}
	}
	ids, err := svc.Members(ctx, sh.ID, seg.Rule, segmentMembersShown+1, 0)
	if err != nil {
		return err
	}
	if len(ids) > segmentMembersShown {
		ids, p.MoreShown = ids[:segmentMembersShown], true
	}
	for _, id := range ids {
		c, err := u.cfg.Customers.Get(ctx, sh.ID, id)
		if err != nil {
			return err
		}
		p.Members = append(p.Members, *c)
	}
	return nil
}

// segmentEditor returns the JSON the visual editor is drawn from: every
// field with its label and ops, and the values the shop actually has for
// the enumerated ones, as the customer list's filters offer them.
func (u *UI) segmentEditor(ctx context.Context, rq *request) (template.JS, error) {
	fs, err := u.cfg.Customers.Facets(ctx, rq.shop.ID)
	if err != nil {
		return "", err
	}
	if u.cfg.Reports != nil {
		cube, err := u.cfg.Reports.Cube(ctx, rq.shop.ID, report.CubeQuery{By: []string{"channel"}})
		if err != nil {
			return "", err
		}
		fs.Channel = channelFacet(cube)
	}
	loc := rq.locale
	label := func(prefix, value string) string {
		if msg, ok := i18n.Lookup(loc, prefix+value); ok && prefix != "" {
			return msg
		}
		return value
	}
	facetOptions := func(vals []customer.FacetValue, prefix string) []editorOption {
		var out []editorOption
		for _, v := range vals {
			if v.Value == "" {
				continue
			}
			out = append(out, editorOption{Value: v.Value, Label: label(prefix, v.Value) + " (" + i18n.Number(int64(v.Count)) + ")"})
		}
		return out
	}
	fixed := func(prefix string, vals ...string) []editorOption {
		out := make([]editorOption, len(vals))
		for i, v := range vals {
			out[i] = editorOption{Value: v, Label: label(prefix, v)}
		}
		return out
	}
	options := map[string][]editorOption{
		"segment":        facetOptions(fs.Segment, "segment."),
		"lifecycle":      facetOptions(fs.Lifecycle, "lifecycle."),
		"tier":           facetOptions(fs.Tier, "tier."),
		"province":       facetOptions(fs.Province, ""),
		"order_province": facetOptions(fs.Province, ""),
		"channel":        facetOptions(fs.Channel, "channel."),
		"tag":            facetOptions(fs.Tag, ""),
		"churn_risk":     fixed("churn.", "low", "medium", "high"),
		"gender":         fixed("gender.", "f", "m"),
	}
	d := editorData{Ops: map[string]string{}, Labels: map[string]string{},
		CountURL: "/s/" + rq.shop.Code + "/segments/count"}
	for _, f := range segment.Describe() {
		d.Fields = append(d.Fields, editorField{FieldInfo: f, Label: i18n.T(loc, "segfield."+f.Name), Options: options[f.Name]})
		for _, op := range f.Ops {
			d.Ops[op] = i18n.T(loc, "segop."+op)
		}
	}
	for _, k := range []string{"all", "any", "not", "add_condition", "add_group", "remove", "counting",
		"empty", "true", "false", "window", "window_none", "window_days", "window_between", "days", "from", "to",
		"values_hint", "field", "op", "value", "group", "condition", "json_bad"} {
		d.Labels[k] = i18n.T(loc, "segments.ed."+k)
	}
	return chartJSON(d)
}

// indentJSON indents a rule's JSON for the textarea.
func indentJSON(b []byte) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return string(b)
	}
	return buf.String()
}
