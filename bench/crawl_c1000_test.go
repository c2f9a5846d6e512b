package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gocolly/colly/v2"

	"github.com/geventgo/geventgo/crawler/crawl"
)

// BenchmarkCrawlC1000: the same list of 5,000 URLs on one local server
// answering after 10ms, 1,000 requests at once, crawled by our crawler as the command's -jsonl
// does (Stream, every result encoded as a JSON line) and by colly: async
// with a LimitRule of parallelism 1000 as its docs write it ("colly"), and
// with a transport tuned to keep 1,000 idle connections ("colly-tuned").
// All are held to the same per-host limit (1,000: the crawler's
// -host-concurrency 0); none retries or reads robots.txt. The goal set for
// the crawler: >= 5x colly's req/s.
func BenchmarkCrawlC1000(b *testing.B) {
	addr, stop := startPageServer(b, latency)
	defer stop()
	const n, conc = 5000, 1000
	var list strings.Builder
	urls := make([]string, n)
	for i := range urls {
		urls[i] = fmt.Sprintf("http://%s/page/%d", addr, i)
		list.WriteString(urls[i] + "\n")
	}
	ctx := context.Background()

	b.Run("geventgo", func(b *testing.B) {
		for b.Loop() {
			enc := json.NewEncoder(io.Discard)
			run, err := crawl.Stream(ctx, strings.NewReader(list.String()),
				crawl.Options{Mode: crawl.Concurrent, Concurrency: conc, HostConcurrency: -1, Retries: -1, PerHost: conc},
				func(ev crawl.Event) error { return enc.Encode(ev) })
			if err != nil || run.OK != n {
				b.Fatal(err, run.Errors)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "req/s")
	})

	for _, tuned := range []bool{false, true} {
		name := "colly"
		if tuned {
			name = "colly-tuned"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				c := colly.NewCollector(colly.Async(true))
				if err := c.Limit(&colly.LimitRule{DomainGlob: "*", Parallelism: conc}); err != nil {
					b.Fatal(err)
				}
				tr := http.DefaultTransport.(*http.Transport) // colly's default
				if tuned {
					tr = &http.Transport{MaxIdleConns: conc, MaxIdleConnsPerHost: conc, IdleConnTimeout: 10 * time.Second}
					c.WithTransport(tr)
				}
				var ok, failed atomic.Int64
				c.OnResponse(func(*colly.Response) { ok.Add(1) })
				c.OnError(func(*colly.Response, error) { failed.Add(1) })
				for _, u := range urls {
					if err := c.Visit(u); err != nil {
						b.Fatal(err)
					}
				}
				c.Wait()
				tr.CloseIdleConnections()
				if ok.Load() != n {
					b.Fatal("colly: ok", ok.Load(), "failed", failed.Load())
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}

// startPageServer serves a fixed small HTML page to every GET after
// latency, keeping connections alive: a server cheap enough that the clients' costs show
// (the clients and the server share the machine's cores). net/http's
// server costs more per request than either client measured here, and a
// fasthttp server leaves a process-wide goroutine behind (goleak). stop
// closes the listener and every connection and waits for their goroutines.
// latency is the server's simulated think time per response: a crawl's
// requests wait on the network, which is where 1,000 at once pay off.
const latency = 10 * time.Millisecond

func startPageServer(b *testing.B, latency time.Duration) (addr string, stop func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	body := "<html><body>a page of the benchmark</body></html>"
	resp := []byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
	var mu sync.Mutex
	conns := make(map[net.Conn]struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = struct{}{}
			mu.Unlock()
			wg.Go(func() {
				defer func() {
					mu.Lock()
					delete(conns, c)
					mu.Unlock()
					c.Close()
				}()
				r := bufio.NewReader(c)
				for {
					// A request is its lines up to a blank one (GETs: no body).
					for {
						line, err := r.ReadSlice('\n')
						if err != nil {
							return
						}
						if len(line) <= 2 {
							break
						}
					}
					time.Sleep(latency)
					if _, err := c.Write(resp); err != nil {
						return
					}
				}
			})
		}
	})
	return ln.Addr().String(), func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}
}
