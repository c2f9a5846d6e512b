package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/geventgo/geventgo/crawler/crawl"
)

// BenchmarkCrawl: 200 URLs of 2ms simulated latency on one local server,
// 50 at a time, by our crawler (fasthttp on green threads) and by plain
// net/http with a goroutine per URL bounded by a semaphore.
func BenchmarkCrawl(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * time.Millisecond) // simulated latency
		fmt.Fprint(w, "page ", r.URL.Path)
	}))
	defer srv.Close()
	const n, workers = 200, 50
	urls := make([]string, n)
	for i := range urls {
		urls[i] = fmt.Sprintf("%s/%d", srv.URL, i)
	}
	ctx := context.Background()

	b.Run("geventgo", func(b *testing.B) {
		for b.Loop() {
			rep, err := crawl.Crawl(ctx, urls, crawl.Options{Mode: crawl.Concurrent, Concurrency: workers})
			if err != nil || rep.Concurrent.OK != n {
				b.Fatal(err, rep.Concurrent.Failed)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "req/s")
	})

	b.Run("nethttp", func(b *testing.B) {
		for b.Loop() {
			// A fresh client per crawl, as Crawl makes a fresh fasthttp client.
			client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
			sem := make(chan struct{}, workers)
			errs := make(chan error, n)
			for _, u := range urls {
				sem <- struct{}{}
				go func() {
					defer func() { <-sem }()
					resp, err := client.Get(u)
					if err == nil {
						_, err = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
					errs <- err
				}()
			}
			for range n {
				if err := <-errs; err != nil {
					b.Fatal(err)
				}
			}
			client.CloseIdleConnections()
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "req/s")
	})
}
