package crawl

import (
	"context"
	"crypto/tls"
	"fmt"
	"iter"
	"net"
	"time"

	"github.com/geventgo/geventgo/gevent"
)

// Mode says which ways Crawl fetches the list.
type Mode string

// The modes of Crawl.
const (
	Serial     Mode = "serial"     // one URL after the other
	Concurrent Mode = "concurrent" // up to Options.Concurrency at once on green threads
	Both       Mode = "both"       // serial, then concurrent: the comparison
)

// ParseMode accepts "serial", "concurrent" or "both".
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case Serial, Concurrent, Both:
		return m, nil
	}
	return "", fmt.Errorf("crawl: unknown mode %q (want serial, concurrent or both)", s)
}

// Options configure Crawl. The zero value is usable: zero fields take the
// defaults listed on each.
type Options struct {
	Mode         Mode          // default Both
	Concurrency  int           // green threads in concurrent mode; default 50
	Timeout      time.Duration // per request, including redirects, DNS and connect; default 10s
	MaxBody      int64         // bigger bodies are ErrBodyTooLarge; default 10 MiB
	MaxRedirects int           // longer chains are ErrTooManyRedirects; default 10; <0 means none followed
	PerHost      int           // connections per host; default 512
	UserAgent    string        // default "geventgo-crawler/1"
	TLSConfig    *tls.Config   // default: system roots, TLS 1.2+
	// Dial replaces the dialer (tests inject resolvers this way); it is
	// called with a context bounded by Timeout.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Progress, if set, is called after each URL of each mode; it must be
	// safe for concurrent use.
	Progress func(mode Mode, done, total int)
}

func (o Options) withDefaults() Options {
	if o.Mode == "" {
		o.Mode = Both
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 50
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 10 << 20
	}
	if o.MaxRedirects == 0 {
		o.MaxRedirects = 10
	} else if o.MaxRedirects < 0 {
		o.MaxRedirects = 0
	}
	if o.PerHost <= 0 {
		o.PerHost = 512
	}
	if o.UserAgent == "" {
		o.UserAgent = "geventgo-crawler/1"
	}
	return o
}

// Crawl fetches every URL of urls in the ways o.Mode says and returns the
// report. It blocks until done or ctx is cancelled; on cancellation it
// returns the report of what was done (URLs not fetched carry ctx's error)
// together with ctx's error. Per-URL failures are in the report, never the
// returned error. Safe to call concurrently. Every green thread it starts
// is gone and idle connections are closed when it returns; fasthttp's idle
// cleaner goroutines exit within 100ms after.
//
// Cancelling ctx stops new requests at once, and cuts the requests in
// flight: fasthttp requests take deadlines, not contexts, so the crawl
// expires the deadline of every connection it opened. Each URL not fetched
// has ctx's error.
func Crawl(ctx context.Context, urls []string, o Options) (*Report, error) {
	o = o.withDefaults()
	if _, err := ParseMode(string(o.Mode)); err != nil {
		return nil, err
	}
	rep := &Report{URLs: len(urls), Concurrency: o.Concurrency}
	f := newFetcher(ctx, o)
	defer f.close()
	if o.Mode == Serial || o.Mode == Both {
		rep.Serial = runSerial(ctx, f, urls, o)
	}
	if (o.Mode == Concurrent || o.Mode == Both) && ctx.Err() == nil {
		rep.Concurrent = runConcurrent(ctx, f, urls, o)
	}
	if rep.Serial != nil && rep.Concurrent != nil && rep.Concurrent.Wall > 0 {
		rep.Speedup = float64(rep.Serial.Wall) / float64(rep.Concurrent.Wall)
	}
	if err := ctx.Err(); err != nil {
		rep.Interrupted = true
		return rep, err
	}
	return rep, nil
}

func runSerial(ctx context.Context, f *fetcher, urls []string, o Options) *Run {
	start := time.Now()
	results := make([]Result, len(urls))
	for i, u := range urls {
		results[i] = f.fetch(ctx, u)
		if o.Progress != nil {
			o.Progress(Serial, i+1, len(urls))
		}
	}
	return newRun(Serial, results, time.Since(start))
}

// runConcurrent fetches on a gevent.Pool of o.Concurrency green threads,
// one task a URL, at most o.Concurrency in flight (IMapUnordered), so the
// progress callback sees each URL as it completes.
func runConcurrent(ctx context.Context, f *fetcher, urls []string, o Options) *Run {
	start := time.Now()
	results := make([]Result, len(urls))
	pool := gevent.NewPool(o.Concurrency)
	defer func() {
		pool.Close()
		pool.Join(context.WithoutCancel(ctx)) // every fetch is bounded by its timeout
	}()
	fetchOne := func(gctx context.Context, i int) (int, error) {
		results[i] = f.fetch(gctx, urls[i])
		return i, nil
	}
	done := 0
	var stopped error // why some URLs were not fetched: ctx, or a panic
	for r, err := range gevent.IMapUnordered(ctx, pool, indexes(len(urls)), fetchOne) {
		if err == nil {
			err = r.Err
		}
		if err != nil {
			if stopped == nil {
				stopped = err
			}
			continue
		}
		done++
		if o.Progress != nil {
			o.Progress(Concurrent, done, len(urls))
		}
	}
	for i := range results {
		if results[i].URL == "" { // never fetched: cancelled, or its task panicked
			err := stopped
			if err == nil {
				err = context.Cause(ctx)
			}
			results[i] = Result{URL: urls[i], Err: err, Error: err.Error()}
		}
	}
	return newRun(Concurrent, results, time.Since(start))
}

// indexes yields 0..n-1.
func indexes(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}
