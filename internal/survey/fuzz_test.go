package survey_test

import (
	"encoding/base64"
	"errors"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
	"github.com/guanxi-crm/guanxi/internal/survey"
)

// FuzzSurveyToken: a survey link is a bearer credential for one customer's
// answer, so no string but the real link may open it. Random strings (and
// random bytes, base64-encoded as a link would be) never open a form; the
// real link with any byte changed (raw or as a link character) never opens
// one either, and nothing panics.
func FuzzSurveyToken(f *testing.F) {
	fx := newFixture(f, storetest.SQLite(f))
	sv := fx.active(f, &survey.Survey{Kind: survey.NPS, Title: "推荐度", Channel: campaign.SMS, SegmentID: fx.segment(f, "浙江"), ExpiresDays: 3})
	if _, err := fx.svc.Send(fx.asAgent, fx.shop.ID, sv.ID); err != nil {
		f.Fatal(err)
	}
	inv := fx.invites(f, sv.ID)[fx.c["C1"]]
	token, err := fx.svc.Token(bg, fx.shop.ID, &inv)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := fx.svc.Open(bg, token); err != nil {
		f.Fatalf("the real link: %v", err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(token), uint(0), byte(1))
	f.Add(raw, uint(5), byte(0x80))
	f.Add([]byte(""), uint(39), byte(0xff))
	f.Add([]byte("not a token!"), uint(0), byte(0))
	f.Fuzz(func(t *testing.T, b []byte, at uint, flip byte) {
		// The fuzzer's bytes as a link, and as the bytes inside a link.
		for _, forged := range []string{string(b), base64.RawURLEncoding.EncodeToString(b)} {
			if forged == token {
				continue
			}
			if _, err := fx.svc.Open(bg, forged); !errors.Is(err, survey.ErrLinkInvalid) {
				t.Fatalf("Open(%q): %v, want an invalid link", forged, err)
			}
		}
		if flip == 0 {
			return
		}
		// The real link with one byte changed.
		r := append([]byte(nil), raw...)
		r[at%uint(len(r))] ^= flip
		if _, err := fx.svc.Open(bg, base64.RawURLEncoding.EncodeToString(r)); !errors.Is(err, survey.ErrLinkInvalid) {
			t.Fatalf("byte %d ^ %#x: %v, want an invalid link", at%uint(len(r)), flip, err)
		}
		tk := []byte(token)
		i := at % uint(len(tk))
		tk[i] ^= flip
		if string(tk) != token {
			if _, err := fx.svc.Open(bg, string(tk)); !errors.Is(err, survey.ErrLinkInvalid) {
				t.Fatalf("character %d ^ %#x (%q): %v, want an invalid link", i, flip, tk, err)
			}
		}
	})
}
