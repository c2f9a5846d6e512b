package bench

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/geventgo/geventgo/crawler/crawl"
	"github.com/geventgo/geventgo/internal/natsembed"
)

// BenchmarkCrawlDist: the cost of the shared frontier. 20,000
// URLs on 16 local hosts answering after 1ms, crawled in one process
// ("single": Stream at c=100) and by two workers sharing the list through
// an embedded NATS server with JetStream on a file store ("workers2":
// Frontier.Serve, two Frontier.Work at c=50 each, all in this process so
// the machine's two cores are shared the same way). No per-host limit
// but -c, no retries. The goal: workers2 at >= 50% of single's req/s.
// The per-URL overhead in µs is 1e6/workers2 - 1e6/single; workers2 also
// reports its set-up (ms-to-first: Serve's start to the first result) and
// its rate after it (steady-req/s). Each iteration is a new crawl (name)
// on the same server.
func BenchmarkCrawlDist(b *testing.B) {
	const n, hosts, conc = 20000, 64, 100
	var list strings.Builder
	for i := range n {
		if i < hosts {
			addr, stop := startPageServer(b, time.Millisecond)
			defer stop()
			hostsAddr = append(hostsAddr, addr)
		}
		fmt.Fprintf(&list, "http://%s/page/%d\n", hostsAddr[i%hosts], i)
	}
	defer func() { hostsAddr = nil }()
	o := crawl.Options{Mode: crawl.Concurrent, Concurrency: conc, HostConcurrency: -1, Retries: -1, PerHost: conc}
	ctx := context.Background()

	b.Run("single", func(b *testing.B) {
		for b.Loop() {
			run, err := crawl.Stream(ctx, strings.NewReader(list.String()), o, func(crawl.Event) error { return nil })
			if err != nil || run.OK != n {
				b.Fatal(err, run.Errors)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "req/s")
	})

	b.Run("workers2", func(b *testing.B) {
		dir, err := os.MkdirTemp("", "bench-jetstream-")
		if err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(dir)
		srv, err := natsembed.Start("127.0.0.1:0", dir)
		if err != nil {
			b.Fatal(err)
		}
		defer srv.Shutdown()
		iter := 0
		var firstSum, steadySum time.Duration
		var published [2]int
		for b.Loop() {
			iter++
			b.StopTimer()
			f := crawl.Frontier{Name: fmt.Sprint("bench", iter), Partitions: 16, LeaseTTL: 2 * time.Second}
			var conns []*nats.Conn
			connect := func() jetstream.JetStream {
				nc, err := nats.Connect(srv.ClientURL())
				if err != nil {
					b.Fatal(err)
				}
				conns = append(conns, nc)
				js, err := jetstream.New(nc)
				if err != nil {
					b.Fatal(err)
				}
				return js
			}
			f.JetStream = connect()
			var wg sync.WaitGroup
			for w := range 2 {
				wf := f
				wf.JetStream = connect() // a worker has its own connection, as on its own machine
				wg.Go(func() {
					st, err := wf.Work(ctx, crawl.WorkOptions{ID: fmt.Sprint("w", w), Concurrency: conc / 2})
					if err != nil {
						b.Error(err)
					}
					published[w] += st.Published
				})
			}
			b.StartTimer()
			wo := o
			wo.Concurrency = conc / 2
			start, first := time.Now(), time.Duration(0)
			run, err := f.Serve(ctx, strings.NewReader(list.String()), wo, func(crawl.Event) error {
				if first == 0 {
					first = time.Since(start)
				}
				return nil
			})
			b.StopTimer()
			firstSum += first
			steadySum += time.Since(start) - first
			if err != nil || run.OK != n {
				b.Fatal(err, run.Errors)
			}
			wg.Wait()
			for _, nc := range conns {
				nc.Close()
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "req/s")
		// The crawl's set-up (streams, consumers, leases) until the first
		// result, and the rate after it.
		b.ReportMetric(float64(firstSum.Milliseconds())/float64(b.N), "ms-to-first")
		b.ReportMetric(float64((n-1)*b.N)/steadySum.Seconds(), "steady-req/s")
		// The busier worker's share of the URLs (0.5: even).
		b.ReportMetric(float64(max(published[0], published[1]))/float64(published[0]+published[1]), "busiest-share")
	})
}

// hostsAddr holds BenchmarkCrawlDist's server addresses.
var hostsAddr []string
