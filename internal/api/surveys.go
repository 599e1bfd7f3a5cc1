package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/survey"
)

// Surveys under /surveys: CSAT, NPS and custom questionnaires are drafted,
// edited (If-Match on the version), activated, sent (NPS and custom) and
// closed; their responses and results are read. /survey-results gives the
// shop's NPS and CSAT across every survey, by month, RFM segment and agent.

type surveyJSON struct {
	ID          int64             `json:"id"`
	Kind        string            `json:"kind"`
	Title       string            `json:"title"`
	Intro       string            `json:"intro"`
	Questions   []survey.Question `json:"questions"`
	Channel     string            `json:"channel"`
	SegmentID   *int64            `json:"segment_id"`
	Status      string            `json:"status"`
	ExpiresDays int               `json:"expires_days"`
	Invites     survey.Counts     `json:"invites,omitempty"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
	Version     int64             `json:"version"`
}

func surveyOf(s *survey.Survey) surveyJSON {
	qs := s.Questions
	if qs == nil {
		qs = []survey.Question{}
	}
	return surveyJSON{ID: s.ID, Kind: s.Kind, Title: s.Title, Intro: s.Intro, Questions: qs, Channel: s.Channel, SegmentID: idOrNil(s.SegmentID),
		Status: s.Status, ExpiresDays: s.ExpiresDays, CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC(), Version: s.Version}
}

func writeSurvey(w http.ResponseWriter, status int, s *survey.Survey, counts survey.Counts) {
	setVersion(w, s.Version)
	j := surveyOf(s)
	j.Invites = counts
	writeJSON(w, status, j)
}

// surveyInput is the body of POST /surveys and PUT /surveys/{id}.
type surveyInput struct {
	Version     *int64            `json:"version"` // PUT only, unless If-Match is sent
	Kind        string            `json:"kind"`
	Title       string            `json:"title"`
	Intro       string            `json:"intro"`
	Questions   []survey.Question `json:"questions"`
	Channel     string            `json:"channel"`
	SegmentID   int64             `json:"segment_id"`
	ExpiresDays int               `json:"expires_days"`
}

func (in *surveyInput) survey() *survey.Survey {
	return &survey.Survey{Kind: in.Kind, Title: in.Title, Intro: in.Intro, Questions: in.Questions, Channel: in.Channel,
		SegmentID: in.SegmentID, ExpiresDays: in.ExpiresDays}
}

func (a *API) surveys() (*survey.Service, error) {
	if a.cfg.Surveys == nil || a.cfg.SendSurvey == nil {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "surveys are not available")
	}
	return a.cfg.Surveys, nil
}

// listSurveys: GET /surveys, newest first.
func (a *API) listSurveys(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.surveys()
	if err != nil {
		return err
	}
	return listAll(w, r, t, "surveys", svc.List, surveyOf)
}

// createSurvey: POST /surveys, a new draft: 201.
func (a *API) createSurvey(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.surveys()
	if err != nil {
		return err
	}
	var in surveyInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Version != nil {
		return guanxi.Errorf(guanxi.EINVALID, "version: not allowed on a new survey")
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	s := in.survey()
	if err := svc.Create(ctx, t.ShopID, s); err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/surveys/"+strconv.FormatInt(s.ID, 10))
	writeSurvey(w, http.StatusCreated, s, nil)
	return nil
}

// surveyFor reads the path's survey in the token's shop.
func (a *API) surveyFor(ctx context.Context, r *http.Request, t *auth.Token) (*survey.Service, *survey.Survey, error) {
	svc, err := a.surveys()
	if err != nil {
		return nil, nil, err
	}
	id, err := pathID(r)
	if err != nil {
		return nil, nil, err
	}
	s, err := svc.Get(ctx, t.ShopID, id)
	return svc, s, err
}

// getSurvey: GET /surveys/{id}, with its invites by status.
func (a *API) getSurvey(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	ctx, cancel := withTimeout(r)
	defer cancel()
	svc, s, err := a.surveyFor(ctx, r, t)
	if err != nil {
		return err
	}
	counts, err := svc.InviteCounts(ctx, t.ShopID, s.ID)
	if err != nil {
		return err
	}
	writeSurvey(w, http.StatusOK, s, counts)
	return nil
}

// putSurvey: PUT /surveys/{id}, on the version named by If-Match or the
// body's; 409 when it changed since.
func (a *API) putSurvey(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	ctx, cancel := withTimeout(r)
	defer cancel()
	svc, old, err := a.surveyFor(ctx, r, t)
	if err != nil {
		return err // another shop's survey is not found before the body is judged
	}
	var in surveyInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	version, err := versionOf(r, in.Version, "survey", "/surveys/{id}")
	if err != nil {
		return err
	}
	s := in.survey()
	s.ID, s.Version = old.ID, version
	if err := svc.Update(ctx, t.ShopID, s); err != nil {
		return err
	}
	writeSurvey(w, http.StatusOK, s, nil)
	return nil
}

// surveyStatus: POST /surveys/{id}/activate and /close, on the version of
// If-Match or ?version=, else the current one.
func (a *API) surveyStatus(status string) func(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	return func(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
		ctx, cancel := withTimeout(r)
		defer cancel()
		svc, s, err := a.surveyFor(ctx, r, t)
		if err != nil {
			return err
		}
		version, ok, err := ifMatch(r)
		if err != nil {
			return err
		}
		if !ok {
			version = s.Version
		}
		s, err = svc.SetStatus(ctx, t.ShopID, s.ID, version, status)
		if err != nil {
			return err
		}
		writeSurvey(w, http.StatusOK, s, nil)
		return nil
	}
}

// sendSurvey: POST /surveys/{id}/send, an active NPS or custom survey's
// invites queued to its segment (customers invited before are not again)
// and their dispatch queued: {"id", "queued"}.
func (a *API) sendSurvey(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	ctx, cancel := withTimeout(r)
	defer cancel()
	_, s, err := a.surveyFor(ctx, r, t)
	if err != nil {
		return err
	}
	n, err := a.cfg.SendSurvey(ctx, t.ShopID, s.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"id": s.ID, "queued": n})
	return nil
}

type responseJSON struct {
	ID          int64          `json:"id"`
	SurveyID    int64          `json:"survey_id"`
	CustomerID  int64          `json:"customer_id"`
	Kind        string         `json:"kind"`
	Score       *int           `json:"score"`
	Answers     map[string]any `json:"answers"`
	Comment     string         `json:"comment"`
	TicketID    *int64         `json:"ticket_id"`
	AgentID     *int64         `json:"agent_id"`
	Segment     string         `json:"segment"`
	RespondedAt time.Time      `json:"responded_at"`
}

// surveyResponses: GET /surveys/{id}/responses?limit=, newest first.
func (a *API) surveyResponses(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	limit, err := queryInt(r, "limit", 200, 1, 1000)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	svc, s, err := a.surveyFor(ctx, r, t)
	if err != nil {
		return err
	}
	rs, err := svc.Responses(ctx, t.ShopID, s.ID, 0, limit)
	if err != nil {
		return err
	}
	out := make([]responseJSON, len(rs))
	for i, x := range rs {
		if x.Answers == nil {
			x.Answers = map[string]any{}
		}
		out[i] = responseJSON{ID: x.ID, SurveyID: x.SurveyID, CustomerID: x.CustomerID, Kind: x.Kind, Score: x.Score, Answers: x.Answers,
			Comment: x.Comment, TicketID: idOrNil(x.TicketID), AgentID: idOrNil(x.AgentID), Segment: x.Segment, RespondedAt: x.RespondedAt.UTC()}
	}
	writeJSON(w, http.StatusOK, map[string]any{"responses": out})
	return nil
}

type scoreJSON struct {
	Key          string  `json:"key,omitempty"`
	AgentID      *int64  `json:"agent_id,omitempty"`
	Responses    int     `json:"responses"`
	NPSCount     int     `json:"nps_count"`
	Promoters    int     `json:"promoters"`
	Passives     int     `json:"passives"`
	Detractors   int     `json:"detractors"`
	NPS          *num    `json:"nps"`
	CSATCount    int     `json:"csat_count"`
	Satisfied    int     `json:"satisfied"`
	CSAT         *num    `json:"csat"`
	CSATMean     *num    `json:"csat_mean"`
	Invited      int     `json:"invited"`
	ResponseRate *num    `json:"response_rate"`
	Name         *string `json:"agent_name,omitempty"`
}

func scoreOf(g survey.Group) scoreJSON {
	s := scoreJSON{Key: g.Key, Responses: g.Responses, NPSCount: g.NPSCount, Promoters: g.Promoters, Passives: g.Passives,
		Detractors: g.Detractors, CSATCount: g.CSATCount, Satisfied: g.Satisfied, Invited: g.Invited}
	f := func(ok bool, x float64) *num {
		if !ok {
			return nil
		}
		n := num(x)
		return &n
	}
	s.NPS, s.CSAT, s.CSATMean = f(g.NPSCount > 0, g.NPS), f(g.CSATCount > 0, g.CSAT), f(g.CSATCount > 0, g.CSATMean)
	s.ResponseRate = f(g.Invited > 0, g.ResponseRate)
	if g.AgentID != 0 {
		s.AgentID, s.Name = &g.AgentID, &g.AgentName
	}
	return s
}

// results answers a Results: total, months, segments, agents.
func writeResults(w http.ResponseWriter, res *survey.Results) {
	list := func(gs []survey.Group) []scoreJSON {
		out := make([]scoreJSON, len(gs))
		for i, g := range gs {
			out[i] = scoreOf(g)
		}
		return out
	}
	writeJSON(w, http.StatusOK, map[string]any{"from": res.From.UTC(), "to": res.To.UTC(), "total": scoreOf(survey.Group{Score: res.Total}),
		"months": list(res.Months), "segments": list(res.Segments), "agents": list(res.Agents)})
}

// period reads ?from=2025-01&to=2025-06 (months in shop time, both
// included); by default the last twelve months up to this one.
func (a *API) period(ctx context.Context, r *http.Request, t *auth.Token) (time.Time, time.Time, error) {
	sh, err := a.cfg.Shops.ByID(ctx, t.ShopID)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	loc := sh.Location()
	now := a.cfg.Clock.Now().In(loc)
	to := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, loc)
	if s := r.URL.Query().Get("to"); s != "" {
		m, err := time.ParseInLocation("2006-01", s, loc)
		if err != nil {
			return time.Time{}, time.Time{}, guanxi.Errorf(guanxi.EINVALID, "to %q: expected a month, e.g. 2025-06", s)
		}
		to = m.AddDate(0, 1, 0)
	}
	from := to.AddDate(-1, 0, 0)
	if s := r.URL.Query().Get("from"); s != "" {
		m, err := time.ParseInLocation("2006-01", s, loc)
		if err != nil || !m.Before(to) {
			return time.Time{}, time.Time{}, guanxi.Errorf(guanxi.EINVALID, "from %q: expected a month, e.g. 2025-01, not after to", s)
		}
		from = m
	}
	if to.Sub(from) > 5*366*24*time.Hour {
		return time.Time{}, time.Time{}, guanxi.Errorf(guanxi.EINVALID, "from: at most five years before to")
	}
	return from, to, nil
}

// surveyResults: GET /surveys/{id}/results?from=&to=.
func (a *API) surveyResults(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	ctx, cancel := withTimeout(r)
	defer cancel()
	svc, s, err := a.surveyFor(ctx, r, t)
	if err != nil {
		return err
	}
	from, to, err := a.period(ctx, r, t)
	if err != nil {
		return err
	}
	res, err := svc.SurveyResults(ctx, t.ShopID, s.ID, from, to)
	if err != nil {
		return err
	}
	writeResults(w, res)
	return nil
}

// shopSurveyResults: GET /survey-results?from=&to=, every survey's.
func (a *API) shopSurveyResults(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.surveys()
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	from, to, err := a.period(ctx, r, t)
	if err != nil {
		return err
	}
	res, err := svc.Results(ctx, t.ShopID, from, to)
	if err != nil {
		return err
	}
	writeResults(w, res)
	return nil
}
