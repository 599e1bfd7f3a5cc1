package customer

import (
	"cmp"
	"encoding/json"
	"slices"
	"time"

	"github.com/guanxi-crm/guanxi"
)

// Profile is the part of a customer that a merge decides field by field.
type Profile struct {
	Name, Gender, Birthday string
	Phone, Email           string
	Province, City         string
	Address                string
	Tags                   []string
	CreatedAt, UpdatedAt   int64 // Unix seconds
}

// Which side a merged field came from.
const (
	FromSurvivor = "survivor"
	FromMerged   = "merged"
	FromBoth     = "both" // tags: the union
)

// Survivorship rules, as FieldChoice.Rule names them.
const (
	RuleSurvivorUnlessBlank = "survivor_unless_blank" // name, gender, birthday
	RuleRecentNonEmpty      = "recent_non_empty"      // phone, e-mail, address: the most recently updated customer's non-empty value
	RuleWholeOverMasked     = "whole_over_masked"     // phone, e-mail: a whole value beats a platform-masked one, however recent
	RuleUnion               = "union"                 // tags
	RuleEarliest            = "earliest"              // created_at
	RuleRecentDecision      = "recent_decision"       // consent: the latest decision; a refusal wins a tie
)

// FieldChoice explains one field of a merge: both values, the result and
// the rule that chose it. Conflict is set when both customers have a value
// and they differ, so a person should look.
type FieldChoice struct {
	Field    string // name, gender, birthday, phone, email, province, city, address, tags, created_at
	Survivor string
	Merged   string
	Result   string
	Winner   string // FromSurvivor, FromMerged, FromBoth, or "" when both are blank
	Rule     string
	Conflict bool
}

// Survive applies the survivorship rules to the survivor s and the merged
// customer m: the survivor's name, gender and birthday unless blank; for
// phone, e-mail and the address (province, city and street as one unit,
// so a street never lands in another customer's city) the non-empty value
// of the most recently updated customer, a whole value always beating a
// masked one; the union of tags, the survivor's first; the earliest
// creation time. Ties go to the survivor.
func Survive(s, m Profile) (Profile, []FieldChoice) {
	out := s
	var fields []FieldChoice
	mNewer := m.UpdatedAt > s.UpdatedAt
	keep := func(field string, sv, mv string, dst *string) {
		fc := FieldChoice{Field: field, Survivor: sv, Merged: mv, Rule: RuleSurvivorUnlessBlank, Conflict: sv != "" && mv != "" && sv != mv}
		switch {
		case sv != "":
			fc.Result, fc.Winner = sv, FromSurvivor
		case mv != "":
			fc.Result, fc.Winner = mv, FromMerged
		}
		*dst = fc.Result
		fields = append(fields, fc)
	}
	contact := func(field string, sv, mv string, norm func(string) string, dst *string) {
		fc := FieldChoice{Field: field, Survivor: sv, Merged: mv, Rule: RuleRecentNonEmpty}
		ns, nm := norm(sv), norm(mv)
		fc.Conflict = sv != "" && mv != "" && cmp.Or(ns, sv) != cmp.Or(nm, mv)
		switch {
		case sv == "" && mv == "":
		case mv == "":
			fc.Winner = FromSurvivor
		case sv == "":
			fc.Winner = FromMerged
		case (ns == "") != (nm == ""):
			fc.Rule = RuleWholeOverMasked
			fc.Winner = FromSurvivor
			if nm != "" {
				fc.Winner = FromMerged
			}
		case mNewer:
			fc.Winner = FromMerged
		default:
			fc.Winner = FromSurvivor
		}
		fc.Result = sv
		if fc.Winner == FromMerged {
			fc.Result = mv
		}
		*dst = fc.Result
		fields = append(fields, fc)
	}
	keep("name", s.Name, m.Name, &out.Name)
	keep("gender", s.Gender, m.Gender, &out.Gender)
	keep("birthday", s.Birthday, m.Birthday, &out.Birthday)
	contact("phone", s.Phone, m.Phone, guanxi.NormalizePhone, &out.Phone)
	contact("email", s.Email, m.Email, guanxi.NormalizeEmail, &out.Email)

	// The address: decided on the street when either has one, else on the
	// province and city; the three travel together.
	winner := ""
	sHas, mHas := s.Address != "", m.Address != ""
	if !sHas && !mHas {
		sHas, mHas = s.Province != "" || s.City != "", m.Province != "" || m.City != ""
	}
	switch {
	case !sHas && !mHas:
	case !mHas:
		winner = FromSurvivor
	case !sHas, mNewer:
		winner = FromMerged
	default:
		winner = FromSurvivor
	}
	if winner == FromMerged {
		out.Province, out.City, out.Address = m.Province, m.City, m.Address
	}
	for _, f := range []struct{ name, sv, mv, res string }{
		{"province", s.Province, m.Province, out.Province},
		{"city", s.City, m.City, out.City},
		{"address", s.Address, m.Address, out.Address},
	} {
		fields = append(fields, FieldChoice{Field: f.name, Survivor: f.sv, Merged: f.mv, Result: f.res, Winner: winner,
			Rule: RuleRecentNonEmpty, Conflict: f.sv != "" && f.mv != "" && normName(f.sv) != normName(f.mv)})
	}

	out.Tags = slices.Clone(s.Tags)
	for _, t := range m.Tags {
		if !slices.Contains(out.Tags, t) {
			out.Tags = append(out.Tags, t)
		}
	}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	tw := ""
	switch {
	case len(s.Tags) > 0 && len(m.Tags) > 0:
		tw = FromBoth
	case len(s.Tags) > 0:
		tw = FromSurvivor
	case len(m.Tags) > 0:
		tw = FromMerged
	}
	fields = append(fields, FieldChoice{Field: "tags", Survivor: joinTags(s.Tags), Merged: joinTags(m.Tags), Result: joinTags(out.Tags),
		Winner: tw, Rule: RuleUnion})

	fc := FieldChoice{Field: "created_at", Survivor: unixText(s.CreatedAt), Merged: unixText(m.CreatedAt), Rule: RuleEarliest, Winner: FromSurvivor}
	if m.CreatedAt != 0 && (s.CreatedAt == 0 || m.CreatedAt < s.CreatedAt) {
		out.CreatedAt, fc.Winner = m.CreatedAt, FromMerged
	}
	fc.Result = unixText(out.CreatedAt)
	fields = append(fields, fc)
	out.UpdatedAt = max(s.UpdatedAt, m.UpdatedAt)
	return out, fields
}

func joinTags(tags []string) string {
	b, _ := json.Marshal(tags) // strings always marshal
	if len(tags) == 0 {
		return ""
	}
	return string(b)
}

// unixText shows Unix seconds as a UTC time; pages format the time in the
// shop's zone from the customers themselves.
func unixText(t int64) string {
	if t == 0 {
		return ""
	}
	return time.Unix(t, 0).UTC().Format(time.RFC3339)
}

// ConsentChoice explains the merged answer for one channel and purpose.
type ConsentChoice struct {
	Channel, Purpose string
	Survivor, Merged *Consent // nil when that customer never answered
	Result           Consent
	Winner           string
	Conflict         bool // both answered, differently
}

// SurviveConsents merges two customers' consent answers: for each channel
// and purpose the most recent decision wins, and a refusal wins a tie, so
// a withdrawal is never overridden by an older (or simultaneous) grant.
func SurviveConsents(s, m []Consent) []ConsentChoice {
	type key struct{ ch, p string }
	byKey := map[key]*ConsentChoice{}
	var order []key
	get := func(c Consent) *ConsentChoice {
		k := key{c.Channel, c.Purpose}
		if cc, ok := byKey[k]; ok {
			return cc
		}
		order = append(order, k)
		cc := &ConsentChoice{Channel: c.Channel, Purpose: c.Purpose}
		byKey[k] = cc
		return cc
	}
	for _, c := range s {
		get(c).Survivor = &c
	}
	for _, c := range m {
		get(c).Merged = &c
	}
	slices.SortFunc(order, func(a, b key) int { return cmp.Or(cmp.Compare(a.ch, b.ch), cmp.Compare(a.p, b.p)) })
	out := make([]ConsentChoice, 0, len(order))
	for _, k := range order {
		cc := byKey[k]
		switch sv, mv := cc.Survivor, cc.Merged; {
		case mv == nil:
			cc.Result, cc.Winner = *sv, FromSurvivor
		case sv == nil:
			cc.Result, cc.Winner = *mv, FromMerged
		default:
			cc.Conflict = sv.Granted != mv.Granted
			switch {
			case mv.At.After(sv.At), mv.At.Equal(sv.At) && sv.Granted && !mv.Granted:
				cc.Result, cc.Winner = *mv, FromMerged
			default:
				cc.Result, cc.Winner = *sv, FromSurvivor
			}
		}
		out = append(out, *cc)
	}
	return out
}

// mergeAttrs adds the merged customer's custom attributes the survivor
// lacks; the survivor's value wins a shared key. A document that does not
// parse is kept as the survivor has it.
func mergeAttrs(s, m string) string {
	var sa, ma map[string]json.RawMessage
	if json.Unmarshal([]byte(s), &sa) != nil || json.Unmarshal([]byte(m), &ma) != nil || len(ma) == 0 {
		return s
	}
	if sa == nil {
		sa = map[string]json.RawMessage{}
	}
	changed := false
	for k, v := range ma {
		if _, ok := sa[k]; !ok {
			sa[k], changed = v, true
		}
	}
	if !changed {
		return s
	}
	b, err := json.Marshal(sa)
	if err != nil {
		return s
	}
	return string(b)
}
