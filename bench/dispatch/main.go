// Command dispatch measures campaign dispatch (issue 5): a shop of N
// customers, each with a mobile, an email and consent to both; a campaign
// to all of them with a 10% holdout is launched (the audience built with
// every exclusion: consent, holds, frequency caps) and dispatched to a
// loopback provider — an SMS gateway over HTTP with connection reuse, or an
// SMTP sink over parallel connections — in this process. It prints the
// time to build the audience and the messages sent per second.
//
//	go run ./bench/dispatch -n 1000000 -channel sms
//	go run ./bench/dispatch -n 1000000 -channel email -db postgres://…
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/campaign/campaigntest"
	"github.com/guanxi-crm/guanxi/internal/channel/channeltest"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
)

func main() {
	n := flag.Int("n", 1_000_000, "customers (the audience)")
	ch := flag.String("channel", "sms", "sms or email")
	dsn := flag.String("db", "", "database (default: a new SQLite file in a temporary folder)")
	conns := flag.Int("smtp-conns", 8, "parallel SMTP connections")
	flag.Parse()
	if err := run(*n, *ch, *dsn, *conns); err != nil {
		log.Fatal(err)
	}
}

func run(n int, ch, dsn string, conns int) error {
	ctx := context.Background()
	if dsn == "" {
		dir, err := os.MkdirTemp("", "guanxi-dispatch-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dsn = "sqlite:" + filepath.Join(dir, "dispatch.db")
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	clock := guanxi.SystemClock{}
	code := fmt.Sprintf("bench%d", time.Now().UnixNano()%1_000_000)
	sh := &shop.Shop{Code: code, Name: "压测店", Timezone: "Asia/Shanghai"}
	if err := shop.NewService(db, clock).Create(ctx, sh); err != nil {
		return err
	}
	start := time.Now()
	if err := campaigntest.BulkCustomers(ctx, db, sh.ID, n); err != nil {
		return err
	}
	if err := db.Analyze(ctx); err != nil {
		return err
	}
	load := time.Since(start)

	segs := segment.NewService(db, clock)
	svc := campaign.NewService(db, clock, segs, nil)
	// No quiet hours: the benchmark runs at any hour.
	if err := svc.SetPolicy(ctx, sh.ID, campaign.Policy{CapMessages: 2, CapDays: 7}); err != nil {
		return err
	}
	var received func() int
	switch ch {
	case campaign.SMS:
		g := channeltest.NewSMSGateway(false)
		defer g.Close()
		received = func() int { return len(g.Delivered()) }
		err = svc.SetChannelSettings(ctx, sh.ID, &campaign.ChannelSettings{AllowPrivateNetwork: true, Channel: campaign.SMS,
			SMS: &campaign.SMSSettings{Endpoint: g.URL, AppKey: g.AppKey, AppSecret: g.Secret, SignName: "压测店"}})
	case campaign.Email:
		sink, serr := channeltest.NewSMTPSink(false)
		if serr != nil {
			return serr
		}
		defer sink.Close()
		received = sink.Count
		err = svc.SetChannelSettings(ctx, sh.ID, &campaign.ChannelSettings{AllowPrivateNetwork: true, Channel: campaign.Email,
			Email: &campaign.EmailSettings{Addr: sink.Addr(), From: "shop@example.com", FromName: "压测店", Connections: conns}})
	default:
		return fmt.Errorf("-channel %q: sms or email", ch)
	}
	if err != nil {
		return err
	}
	rule, err := segment.ParseRule([]byte(`{"field":"province","op":"eq","value":"广东"}`))
	if err != nil {
		return err
	}
	c := &campaign.Campaign{Name: "百万" + ch, Channel: ch, Rule: rule, Subject: "{{name}}，大促开始", Body: "{{name|亲}}，大促开始，全场八折", HoldoutShare: 0.1}
	if err := svc.Create(ctx, sh.ID, c); err != nil {
		return err
	}
	start = time.Now()
	c, err = svc.Launch(ctx, sh.ID, c.ID)
	if err != nil {
		return err
	}
	build := time.Since(start)

	d := campaign.NewDispatcher(svc, nil, "https://crm.example.com")
	defer d.Close()
	start = time.Now()
	out, err := d.Run(ctx, sh.ID, c.ID, nil)
	if err != nil {
		return err
	}
	send := time.Since(start)
	if got := received(); got != c.Counts.Target || out.Sent != c.Counts.Target {
		return fmt.Errorf("sent %d, provider received %d, target %d (%v)", out.Sent, got, c.Counts.Target, out)
	}
	fmt.Printf("engine %s, %d customers (loaded in %.1f s), %d CPUs\n", db.Dialect, n, load.Seconds(), runtime.NumCPU())
	fmt.Printf("audience build with exclusions and holdout: %.2f s (%d in the segment, %d held out, %d to send)\n",
		build.Seconds(), c.Counts.Audience, c.Counts.Holdout, c.Counts.Target)
	fmt.Printf("dispatch %s: %d messages in %.1f s = %.0f messages/s\n", ch, out.Sent, send.Seconds(), float64(out.Sent)/send.Seconds())
	return nil
}
