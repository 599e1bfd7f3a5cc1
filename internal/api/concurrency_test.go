package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// TestConcurrentEdits runs 50 clients against the real API over HTTP for a
// fixed time (20 s, or GUANXI_CONCURRENCY_SECONDS), all editing the same
// three customers and three tickets: each reads, changes and writes with
// the version it read, and on 409 reads again and retries. Each client
// records what the server acknowledged; at the end every acknowledged
// write must be there and nothing else (no lost update), no request may
// have answered 5xx (a deadlock or a busy database surfaces as one) or
// hung past the client's timeout.
//
// The customers' city is a counter edited by read-modify-write and their
// tags a window of the last 30 unique tags appended, so the final state
// names every acknowledged write in order. A ticket's version counts its
// versioned changes (priority, assignment, status), and every acknowledged
// note must be in its history exactly once.
func TestConcurrentEdits(t *testing.T) {
	const clients = 50
	seconds := 20
	if s := os.Getenv("GUANXI_CONCURRENCY_SECONDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("GUANXI_CONCURRENCY_SECONDS=%q: expected a positive whole number", s)
		}
		seconds = n
	}
	if testing.Short() {
		seconds = 3
	}
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e, desk, _ := deskEnv(t, db)
		sh := e.shopA
		// Three customers, with a counter at 0 and no tags.
		var custs []int64
		rows, err := db.Query(ctx, `SELECT id FROM customers WHERE shop_id = ? AND merged_into IS NULL ORDER BY id LIMIT 5`, sh.ID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			custs = append(custs, id)
		}
		rows.Close()
		if _, err := db.Exec(ctx, `UPDATE customers SET city = '0', tags = '[]' WHERE shop_id = ? AND id IN (?, ?, ?, ?, ?)`, sh.ID, custs[0], custs[1], custs[2], custs[3], custs[4]); err != nil {
			t.Fatal(err)
		}
		// The first three are edited with versions, the other two only by
		// adding and removing tags, which commute and take no version.
		tagged := custs[3:]
		custs = custs[:3]
		// Two agents to assign tickets to.
		var agents []int64
		for i := range 2 {
			var uid int64
			if err := db.Update(ctx, func(tx *store.Tx) error {
				if err := tx.QueryRow(ctx, `INSERT INTO users (username, password_hash, disabled, created_at, updated_at) VALUES (?, '', ?, 1, 1) RETURNING id`,
					fmt.Sprintf("agent%d", i), false).Scan(&uid); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, `INSERT INTO shop_members (shop_id, user_id, role, created_at) VALUES (?, ?, 'agent', 1)`, sh.ID, uid)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			agents = append(agents, uid)
		}
		// Three tickets, their versions and histories as they start.
		var tickets []int64
		initVersion, initEvents := map[int64]int64{}, map[int64]int{}
		for i := range 3 {
			tk := &service.Ticket{Kind: "consultation", Subject: fmt.Sprintf("并发 %d", i), CustomerID: custs[i], Priority: "normal", Channel: "api"}
			if err := desk.Create(ctx, sh.ID, tk); err != nil {
				t.Fatal(err)
			}
			evs, err := desk.Events(ctx, sh.ID, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			tickets = append(tickets, tk.ID)
			initVersion[tk.ID], initEvents[tk.ID] = tk.Version, len(evs)
		}
		if _, err := db.Exec(ctx, `INSERT INTO service_settings (shop_id, assign_mode, updated_at) VALUES (?, 'round_robin', 1)`, sh.ID); err != nil {
			t.Fatal(err)
		}
		initCustVersion := map[int64]int64{}
		for _, id := range append(slices.Clone(custs), tagged...) {
			var c custState
			if code := call(t, e, e.token(t, sh, "customers:read"), "GET", fmt.Sprintf("/customers/%d", id), "", nil, &c); code != 200 {
				t.Fatalf("customer %d: %d", id, code)
			}
			initCustVersion[id] = c.Version
		}

		deadline := time.Now().Add(time.Duration(seconds) * time.Second)
		results := make([]*clientLog, clients)
		var wg sync.WaitGroup
		for i := range clients {
			cl := &clientLog{id: i, token: e.token(t, sh, "customers:read", "customers:write", "tickets:read", "tickets:write"),
				http: &http.Client{Timeout: 15 * time.Second}, rnd: rand.New(rand.NewPCG(uint64(i), 7))}
			results[i] = cl
			wg.Add(1)
			go func() {
				defer wg.Done()
				cl.run(e.srv.URL+"/api/v1", deadline, custs, tagged, tickets, agents)
			}()
		}
		wg.Wait()

		// Figures.
		var all []time.Duration
		var requests, conflicts, retried, ops, tagConflicts int
		var created []int64
		tagOps := map[int64]int{}
		var failures []string
		custAcks := map[int64][]custAck{}
		verAcks := map[int64][]tickAck{}
		noteAcks := map[int64][]string{}
		for _, cl := range results {
			all = append(all, cl.latencies...)
			requests += len(cl.latencies)
			conflicts += cl.conflicts
			retried += cl.retried
			tagConflicts += cl.tagConflicts
			created = append(created, cl.created...)
			for id, n := range cl.tagOps {
				tagOps[id] += n
			}
			ops += cl.ops
			failures = append(failures, cl.failures...)
			for _, a := range cl.custAcks {
				custAcks[a.customer] = append(custAcks[a.customer], a)
			}
			for _, a := range cl.tickAcks {
				if a.note != "" {
					noteAcks[a.ticket] = append(noteAcks[a.ticket], a.note)
				} else {
					verAcks[a.ticket] = append(verAcks[a.ticket], a)
				}
			}
		}
		slices.Sort(all)
		pct := func(p float64) time.Duration {
			if len(all) == 0 {
				return 0
			}
			return all[min(len(all)-1, int(p*float64(len(all))))]
		}
		t.Logf("%s: %d clients for %d s: %d requests (%.0f/s), %d writes acknowledged, %d answered 409 and retried (%d writes needed a retry), latency p50 %v p99 %v max %v",
			db.Dialect, clients, seconds, requests, float64(requests)/float64(seconds), ops, conflicts, retried,
			pct(0.50).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), pct(1).Round(time.Microsecond))
		for i, f := range failures {
			if i == 10 {
				t.Errorf("… and %d more failures", len(failures)-10)
				break
			}
			t.Error(f)
		}
		if ops == 0 || conflicts == 0 {
			t.Errorf("%d writes, %d conflicts: the clients did not contend", ops, conflicts)
		}

		// Every acknowledged customer edit is there, in one chain.
		rd := e.token(t, sh, "customers:read", "tickets:read")
		for _, id := range custs {
			acks := custAcks[id]
			slices.SortFunc(acks, func(a, b custAck) int { return a.counter - b.counter })
			var c custState
			if code := call(t, e, rd, "GET", fmt.Sprintf("/customers/%d", id), "", nil, &c); code != 200 {
				t.Fatalf("customer %d: %d", id, code)
			}
			if c.City != strconv.Itoa(len(acks)) {
				t.Errorf("customer %d: counter %s after %d acknowledged increments: an update was lost", id, c.City, len(acks))
			}
			if c.Version != initCustVersion[id]+int64(len(acks)) {
				t.Errorf("customer %d: version %d, want %d + %d acknowledged edits", id, c.Version, initCustVersion[id], len(acks))
			}
			for i, a := range acks {
				if a.counter != i+1 {
					t.Errorf("customer %d: two clients were told they set the counter to %d: one update was lost", id, a.counter)
					break
				}
			}
			var want []string
			for _, a := range acks[max(0, len(acks)-30):] {
				want = append(want, a.tag)
			}
			if !slices.Equal(c.Tags, want) && !(len(c.Tags) == 0 && len(want) == 0) {
				t.Errorf("customer %d: tags %v, want the last acknowledged %v", id, c.Tags, want)
			}
		}
		// Adding and removing tags commute: they never conflict, and each
		// client removed what it added.
		if tagConflicts != 0 {
			t.Errorf("%d tag additions or removals answered 409: they take no version and must not conflict", tagConflicts)
		}
		for _, id := range tagged {
			var c custState
			if code := call(t, e, rd, "GET", fmt.Sprintf("/customers/%d", id), "", nil, &c); code != 200 {
				t.Fatalf("customer %d: %d", id, code)
			}
			if len(c.Tags) != 0 || c.Version != initCustVersion[id]+2*int64(tagOps[id]) {
				t.Errorf("customer %d: tags %v at version %d after %d additions and removals from version %d", id, c.Tags, c.Version, tagOps[id], initCustVersion[id])
			}
		}
		// Every ticket opened is there once, with its own id, assigned.
		var opened int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM tickets WHERE shop_id = ? AND subject LIKE '新工单 %' AND assignee_id IS NOT NULL`, sh.ID).Scan(&opened); err != nil {
			t.Fatal(err)
		}
		slices.Sort(created)
		if opened != len(created) || len(slices.Compact(slices.Clone(created))) != len(created) {
			t.Errorf("%d tickets opened and assigned, %d acknowledged (ids %v)", opened, len(created), created)
		}
		// Every acknowledged ticket change is there, once.
		for _, id := range tickets {
			var tk ticketOut
			if code := call(t, e, rd, "GET", fmt.Sprintf("/tickets/%d", id), "", nil, &tk); code != 200 {
				t.Fatalf("ticket %d: %d", id, code)
			}
			acks := verAcks[id]
			slices.SortFunc(acks, func(a, b tickAck) int { return int(a.version - b.version) })
			if tk.Version != initVersion[id]+int64(len(acks)) {
				t.Errorf("ticket %d: version %d, want %d + %d acknowledged changes: one was lost", id, tk.Version, initVersion[id], len(acks))
			}
			for i, a := range acks {
				if a.version != initVersion[id]+int64(i)+1 {
					t.Errorf("ticket %d: two clients were told they made version %d: one change was lost", id, a.version)
					break
				}
			}
			if n := len(acks); n > 0 {
				last := acks[n-1]
				if tk.Priority != last.priority || tk.Status != last.status {
					t.Errorf("ticket %d: %s/%s, but the last acknowledged change left it %s/%s", id, tk.Priority, tk.Status, last.priority, last.status)
				}
			}
			if want := initEvents[id] + len(acks) + len(noteAcks[id]); len(tk.Events) != want {
				t.Errorf("ticket %d: %d events, want %d at the start + %d changes + %d notes", id, len(tk.Events), initEvents[id], len(acks), len(noteAcks[id]))
			}
			notes := map[string]int{}
			for _, ev := range tk.Events {
				if ev.Kind == "note" {
					notes[ev.Body]++
				}
			}
			for _, n := range noteAcks[id] {
				if notes[n] != 1 {
					t.Errorf("ticket %d: acknowledged note %q is in its history %d times", id, n, notes[n])
				}
			}
		}
	})
}

type custState struct {
	City    string   `json:"city"`
	Tags    []string `json:"tags"`
	Version int64    `json:"version"`
}

type custAck struct {
	customer int64
	counter  int
	tag      string
}

type tickAck struct {
	ticket           int64
	version          int64 // after a versioned change
	priority, status string
	note             string // a note's body; no version
}

// clientLog is one client and what it saw.
type clientLog struct {
	id        int
	token     string
	http      *http.Client
	rnd       *rand.Rand
	latencies []time.Duration
	conflicts int // 409 answers
	retried   int // writes that needed at least one retry
	// tagConflicts are 409s of tag additions and removals; tagOps counts
	// each customer's completed addition-and-removal pairs.
	tagConflicts int
	tagOps       map[int64]int
	created      []int64 // tickets opened
	ops          int     // writes acknowledged
	custAcks     []custAck
	tickAcks     []tickAck
	failures     []string
	seq          int
}

// do sends one request and decodes a 2xx answer into out. Any 5xx, any
// transport error (a request hung for 15 s times out; the API itself gives
// up on a request after 10 s with a 503) is recorded as a failure.
func (c *clientLog) do(base, method, path string, hdr map[string]string, body any, out any) int {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, rd)
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.latencies = append(c.latencies, time.Since(start))
		c.failures = append(c.failures, fmt.Sprintf("client %d: %s %s: %v", c.id, method, path, err))
		return 0
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	c.latencies = append(c.latencies, time.Since(start))
	switch {
	case err != nil:
		c.failures = append(c.failures, fmt.Sprintf("client %d: %s %s: reading the answer: %v", c.id, method, path, err))
		return 0
	case resp.StatusCode >= 500:
		c.failures = append(c.failures, fmt.Sprintf("client %d: %s %s: %d %s", c.id, method, path, resp.StatusCode, b))
	case resp.StatusCode == http.StatusConflict:
		c.conflicts++
	case resp.StatusCode < 300 && out != nil:
		if err := json.Unmarshal(b, out); err != nil {
			c.failures = append(c.failures, fmt.Sprintf("client %d: %s %s: %v", c.id, method, path, err))
			return 0
		}
	case resp.StatusCode >= 300:
		c.failures = append(c.failures, fmt.Sprintf("client %d: %s %s: unexpected %d %s", c.id, method, path, resp.StatusCode, b))
	}
	return resp.StatusCode
}

// run makes changes until the deadline. A change under way when it passes
// is finished, so that every write the server made is one the client knows
// of.
func (c *clientLog) run(base string, deadline time.Time, custs, tagged, tickets, agents []int64) {
	for time.Now().Before(deadline) && len(c.failures) == 0 {
		c.seq++
		switch p := c.rnd.IntN(100); {
		case p < 40:
			c.editCustomer(base, custs[c.rnd.IntN(len(custs))])
		case p < 50:
			c.tagCustomer(base, tagged[c.rnd.IntN(len(tagged))])
		case p < 82:
			c.changeTicket(base, tickets[c.rnd.IntN(len(tickets))], agents)
		case p < 85:
			c.createTicket(base, custs[c.rnd.IntN(len(custs))])
		default:
			c.noteTicket(base, tickets[c.rnd.IntN(len(tickets))])
		}
	}
}

// retry runs one read-change-write until it is acknowledged (true), or
// fails with anything but a 409 (false).
func (c *clientLog) retry(step func() int) bool {
	for attempt := 0; attempt < 10000; attempt++ {
		switch code := step(); {
		case code == http.StatusConflict:
			if attempt == 0 {
				c.retried++
			}
		case code >= 200 && code < 300:
			c.ops++
			return true
		default:
			return false
		}
	}
	c.failures = append(c.failures, fmt.Sprintf("client %d: 10000 conflicts in a row", c.id))
	return false
}

func (c *clientLog) editCustomer(base string, id int64) {
	tag := fmt.Sprintf("c%d-%d", c.id, c.seq)
	var counter int
	ok := c.retry(func() int {
		var cur custState
		path := fmt.Sprintf("/customers/%d", id)
		if code := c.do(base, "GET", path, nil, nil, &cur); code != 200 {
			return code
		}
		n, err := strconv.Atoi(cur.City)
		if err != nil {
			c.failures = append(c.failures, fmt.Sprintf("client %d: customer %d: city %q is not the counter", c.id, id, cur.City))
			return 0
		}
		counter = n + 1
		tags := append(slices.Clone(cur.Tags[max(0, len(cur.Tags)-29):]), tag)
		var after custState
		code := c.do(base, "PATCH", path, map[string]string{"If-Match": strconv.Quote(strconv.FormatInt(cur.Version, 10))},
			map[string]any{"city": strconv.Itoa(counter), "tags": tags}, &after)
		// The answer is the customer read after the write: this write's
		// state, or a later one when another client wrote in between.
		if code == 200 && (after.Version <= cur.Version || after.Version == cur.Version+1 && after.City != strconv.Itoa(counter)) {
			c.failures = append(c.failures, fmt.Sprintf("client %d: customer %d: wrote counter %d on version %d, answered %s at version %d",
				c.id, id, counter, cur.Version, after.City, after.Version))
		}
		return code
	})
	if ok {
		c.custAcks = append(c.custAcks, custAck{customer: id, counter: counter, tag: tag})
	}
}

// tagCustomer adds a tag of its own to a customer, then removes it, with
// the endpoints that take no version.
func (c *clientLog) tagCustomer(base string, id int64) {
	tag := fmt.Sprintf("t%d-%d", c.id, c.seq)
	path := fmt.Sprintf("/customers/%d/tags", id)
	before := c.conflicts
	defer func() { c.tagConflicts += c.conflicts - before }()
	var after custState
	if !c.retry(func() int { return c.do(base, "POST", path, nil, map[string]any{"tags": []string{tag}}, &after) }) {
		return
	}
	if !slices.Contains(after.Tags, tag) {
		c.failures = append(c.failures, fmt.Sprintf("client %d: customer %d: tag %s added, answered tags %v", c.id, id, tag, after.Tags))
	}
	after = custState{}
	if !c.retry(func() int { return c.do(base, "DELETE", path+"/"+tag, nil, nil, &after) }) {
		return
	}
	if slices.Contains(after.Tags, tag) {
		c.failures = append(c.failures, fmt.Sprintf("client %d: customer %d: tag %s removed, answered tags %v", c.id, id, tag, after.Tags))
	}
	if c.tagOps == nil {
		c.tagOps = map[int64]int{}
	}
	c.tagOps[id]++
}

// changeTicket makes one versioned change: a new priority, an assignment,
// or a status step between open and pending.
func (c *clientLog) changeTicket(base string, id int64, agents []int64) {
	kind := c.rnd.IntN(3)
	var after ticketOut
	ok := c.retry(func() int {
		var cur struct {
			ticketOut
			AssigneeID *int64 `json:"assignee_id"`
		}
		path := fmt.Sprintf("/tickets/%d", id)
		if code := c.do(base, "GET", path, nil, nil, &cur); code != 200 {
			return code
		}
		ifm := map[string]string{"If-Match": strconv.Quote(strconv.FormatInt(cur.Version, 10))}
		after = ticketOut{}
		switch kind {
		case 0:
			ps := slices.DeleteFunc(slices.Clone(service.Priorities), func(p string) bool { return p == cur.Priority })
			return c.do(base, "POST", path+"/priority", ifm, map[string]any{"priority": ps[c.rnd.IntN(len(ps))]}, &after)
		case 1:
			// The shop assigns round robin: an unassigned ticket is
			// given automatically (its cursor is shared by every client),
			// an assigned one to an agent or to nobody.
			in := map[string]any{"assignee_id": agents[c.rnd.IntN(len(agents))]}
			switch {
			case cur.AssigneeID == nil:
				in = map[string]any{"auto": true}
			case c.rnd.IntN(3) == 0:
				in = map[string]any{"assignee_id": 0}
			}
			return c.do(base, "POST", path+"/assign", ifm, in, &after)
		default:
			to := "pending"
			if cur.Status == "pending" {
				to = "open"
			}
			return c.do(base, "POST", path+"/transition", ifm, map[string]any{"to": to}, &after)
		}
	})
	if ok {
		c.tickAcks = append(c.tickAcks, tickAck{ticket: id, version: after.Version, priority: after.Priority, status: after.Status})
	}
}

// createTicket opens a ticket, which the shop's round robin assigns.
func (c *clientLog) createTicket(base string, customer int64) {
	var tk struct {
		ID         int64  `json:"id"`
		AssigneeID *int64 `json:"assignee_id"`
		Version    int64  `json:"version"`
	}
	subject := fmt.Sprintf("新工单 %d-%d", c.id, c.seq)
	if c.retry(func() int {
		return c.do(base, "POST", "/tickets", nil, map[string]any{"kind": "consultation", "subject": subject, "customer_id": customer}, &tk)
	}) {
		if tk.ID == 0 || tk.AssigneeID == nil {
			c.failures = append(c.failures, fmt.Sprintf("client %d: ticket %q opened as %d, assigned to %v", c.id, subject, tk.ID, tk.AssigneeID))
		}
		c.created = append(c.created, tk.ID)
	}
}

// noteTicket adds a note (no version: notes only append).
func (c *clientLog) noteTicket(base string, id int64) {
	body := fmt.Sprintf("客户 %d 的第 %d 条备注", c.id, c.seq)
	if c.retry(func() int {
		return c.do(base, "POST", fmt.Sprintf("/tickets/%d/notes", id), nil, map[string]any{"body": body}, nil)
	}) {
		c.tickAcks = append(c.tickAcks, tickAck{ticket: id, note: body})
	}
}

// call is one request of the test itself.
func call(t *testing.T, e *env, token, method, path, body string, hdr map[string]string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+"/api/v1"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == 200 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	return resp.StatusCode
}
