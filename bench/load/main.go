// Command load drives a running Guanxi server with concurrent clients and
// reports latency percentiles and throughput, for bench/workspace.sh:
//
//	load -base http://127.0.0.1:8080 -mode search -user admin -password-env PW -terms terms.txt -shop bench
//	load -base http://127.0.0.1:8080 -mode page   -user admin -password-env PW -ids 1000000 -shop bench
//	load -base http://127.0.0.1:8080 -mode api    -token-env TOKEN -ids 1000000 -clients 50
//
// Each client sends one request at a time, as fast as answers come, for
// -duration after a -warmup whose requests are not counted. Latency is
// measured at the client (the whole HTTP round trip on loopback); for pages
// the server's own time (its Server-Timing header) is reported too. Any
// answer other than 200 counts as an error and is reported by status.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

type config struct {
	base, mode, shop, user, password, token string
	terms                                   []string
	ids                                     int
	clients                                 int
	duration, warmup                        time.Duration
}

func main() {
	var c config
	var termsFile, pwEnv, tokenEnv string
	flag.StringVar(&c.base, "base", "http://127.0.0.1:8080", "server URL")
	flag.StringVar(&c.mode, "mode", "api", "search (customer search page), page (customer page) or api (GET /api/v1/customers/{id})")
	flag.StringVar(&c.shop, "shop", "bench", "shop code")
	flag.StringVar(&c.user, "user", "admin", "user to sign in as (search, page)")
	flag.StringVar(&pwEnv, "password-env", "GUANXI_PASSWORD", "environment variable holding the user's password")
	flag.StringVar(&tokenEnv, "token-env", "GUANXI_TOKEN", "environment variable holding the API token (api)")
	flag.StringVar(&termsFile, "terms", "", "file of search terms, one a line (search)")
	flag.IntVar(&c.ids, "ids", 1000, "customer ids are drawn from 1..ids (page, api)")
	flag.IntVar(&c.clients, "clients", 50, "concurrent clients")
	flag.DurationVar(&c.duration, "duration", 20*time.Second, "measured time")
	flag.DurationVar(&c.warmup, "warmup", 3*time.Second, "unmeasured time first")
	flag.Parse()
	c.password, c.token = os.Getenv(pwEnv), os.Getenv(tokenEnv)
	if termsFile != "" {
		b, err := os.ReadFile(termsFile)
		if err != nil {
			fail(err)
		}
		for _, t := range strings.Split(string(b), "\n") {
			if t = strings.TrimSpace(t); t != "" {
				c.terms = append(c.terms, t)
				// A Chinese name's surname too: the broadest search a
				// team types, and the hardest to answer quickly.
				if r := []rune(t); len(r) > 1 && r[0] > 0x2E80 {
					c.terms = append(c.terms, string(r[0]))
				}
			}
		}
	}
	if c.mode == "search" && len(c.terms) == 0 {
		fail(fmt.Errorf("-mode search needs -terms"))
	}
	r, err := run(c)
	if err != nil {
		fail(err)
	}
	b, _ := json.Marshal(r)
	fmt.Println(string(b))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "load:", err)
	os.Exit(1)
}

// result is what one run measured; times in milliseconds.
type result struct {
	Mode      string         `json:"mode"`
	Clients   int            `json:"clients"`
	Seconds   float64        `json:"seconds"`
	Requests  int            `json:"requests"`
	PerSecond float64        `json:"per_second"`
	P50       float64        `json:"p50_ms"`
	P90       float64        `json:"p90_ms"`
	P99       float64        `json:"p99_ms"`
	Max       float64        `json:"max_ms"`
	ServerP50 float64        `json:"server_p50_ms,omitempty"`
	ServerP99 float64        `json:"server_p99_ms,omitempty"`
	Errors    map[string]int `json:"errors,omitempty"`
}

// newClient returns an HTTP client for one simulated user: its own cookie
// jar and keep-alive connection, redirects not followed (a merged customer's
// page answers 302 and counts as an answer, not an error).
func newClient(c config) (*http.Client, error) {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		Transport:     &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if c.mode == "api" {
		return hc, nil
	}
	resp, err := hc.PostForm(c.base+"/login", url.Values{"username": {c.user}, "password": {c.password}})
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("sign in as %s: status %d", c.user, resp.StatusCode)
	}
	return hc, nil
}

func run(c config) (*result, error) {
	// One session for all clients of a page run: signing in 50 times would
	// only measure argon2 and trip the sign-in throttle.
	shared, err := newClient(c)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	var lat, srv []float64
	errs := map[string]int{}
	ctx, cancel := context.WithTimeout(context.Background(), c.warmup+c.duration)
	defer cancel()
	measureFrom := time.Now().Add(c.warmup)
	var wg sync.WaitGroup
	for i := range c.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i)+1, 42))
			tr := &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}
			hc := &http.Client{Jar: shared.Jar, Timeout: 30 * time.Second, Transport: tr, CheckRedirect: shared.CheckRedirect}
			var myLat, mySrv []float64
			myErr := map[string]int{}
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.target(rng), nil)
				if c.mode == "api" {
					req.Header.Set("Authorization", "Bearer "+c.token)
				}
				t0 := time.Now()
				resp, err := hc.Do(req)
				if err != nil {
					if ctx.Err() == nil && t0.After(measureFrom) {
						myErr[errKind(err)]++
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				d := time.Since(t0)
				if t0.Before(measureFrom) || ctx.Err() != nil {
					continue
				}
				if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusFound {
					myErr[strconv.Itoa(resp.StatusCode)]++
					continue
				}
				myLat = append(myLat, float64(d.Microseconds())/1000)
				if st := serverTime(resp.Header.Get("Server-Timing")); st >= 0 {
					mySrv = append(mySrv, st)
				}
			}
			mu.Lock()
			lat, srv = append(lat, myLat...), append(srv, mySrv...)
			for k, v := range myErr {
				errs[k] += v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	r := &result{Mode: c.mode, Clients: c.clients, Seconds: c.duration.Seconds(), Requests: len(lat)}
	if len(errs) > 0 {
		r.Errors = errs
	}
	r.PerSecond = float64(len(lat)) / c.duration.Seconds()
	slices.Sort(lat)
	r.P50, r.P90, r.P99 = pct(lat, 0.50), pct(lat, 0.90), pct(lat, 0.99)
	if len(lat) > 0 {
		r.Max = lat[len(lat)-1]
	}
	if len(srv) > 0 {
		slices.Sort(srv)
		r.ServerP50, r.ServerP99 = pct(srv, 0.50), pct(srv, 0.99)
	}
	return r, nil
}

// target is the next URL a client asks for.
func (c config) target(rng *rand.Rand) string {
	id := strconv.Itoa(1 + rng.IntN(c.ids))
	switch c.mode {
	case "search":
		return c.base + "/s/" + c.shop + "/customers?q=" + url.QueryEscape(c.terms[rng.IntN(len(c.terms))])
	case "page":
		return c.base + "/s/" + c.shop + "/customers/" + id
	}
	return c.base + "/api/v1/customers/" + id
}

func pct(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

// serverTime reads "app;dur=12.3" (milliseconds), or -1.
func serverTime(h string) float64 {
	_, v, ok := strings.Cut(h, "dur=")
	if !ok {
		return -1
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(strings.Split(v, ",")[0]), 64)
	if err != nil {
		return -1
	}
	return f
}

func errKind(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return s
}
