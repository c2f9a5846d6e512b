package crawl

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"
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

// Options configure Crawl, CrawlReader and Stream. The zero value is
// usable: zero fields take the defaults listed on each.
type Options struct {
	Mode         Mode          // default Both (Stream: Concurrent)
	Concurrency  int           // requests in flight in concurrent mode (green threads); default 50
	Timeout      time.Duration // per request, including redirects, DNS and connect; default 10s
	MaxBody      int64         // bigger bodies are ErrBodyTooLarge; default 10 MiB
	MaxRedirects int           // longer chains are ErrTooManyRedirects; default 10; <0 means none followed
	PerHost      int           // connections per host; default 512
	UserAgent    string        // default "geventgo-crawler/1"; also the agent robots.txt groups are matched against
	TLSConfig    *tls.Config   // default: system roots, TLS 1.2+

	// Politeness, per host (an origin: scheme, host and port). Other hosts
	// proceed while one waits: a host at its limit holds no green thread.

	// HostConcurrency is the most requests in flight to one host; default
	// 4; <0 means no limit but Concurrency.
	HostConcurrency int
	// HostDelay is the least time between the starts of two requests to
	// one host; default 0. HostRate is the most requests a second to one
	// host (a delay of 1/HostRate); 0 means no limit. With both, the
	// longer delay holds. A robots.txt Crawl-delay (with Robots) raises
	// the delay of its host, up to MaxBackoff.
	HostDelay time.Duration
	HostRate  float64
	// Jitter adds a random extra of up to Jitter times each host delay
	// and each retry backoff (0.5: up to 50% more), so that waits never
	// fall below what was asked for; default 0.5; <0 means none.
	Jitter float64

	// Retries is how many times a URL is tried again after a timeout, a
	// connection error, a 429 or a 5xx status; default 2; <0 means none.
	// A 404, a certificate error, a body over MaxBody or a redirect loop
	// is not retried.
	Retries int
	// RetryBackoff is the wait before the first retry, doubled for each
	// next one (plus Jitter); default 500ms. A Retry-After header on a 429
	// or 503 raises the wait to what the server asked and holds the whole
	// host back that long.
	RetryBackoff time.Duration
	// MaxBackoff caps a retry's wait; a Retry-After longer than it ends
	// the retries (the URL is reported with its last status); default 30s.
	MaxBackoff time.Duration

	// Robots fetches /robots.txt once per host before its first URL
	// (cached for the crawl: up to 10,000 hosts at once) and reports the
	// URLs it disallows for UserAgent as skipped, never fetching them. As
	// RFC 9309 says, a 4xx robots.txt allows everything, a 5xx or an
	// unreachable one disallows everything.
	Robots bool

	// FailStatus is the HTTP statuses counted as failures in Run.Failed
	// (see ParseStatusSet); default none: a status is a fetched page.
	FailStatus StatusSet

	// Lookahead is how many URLs are read from the list ahead of the
	// requests, so that hosts other than a busy one find work; memory
	// grows with it, not with the list; default max(1000, 16*Concurrency).
	Lookahead int

	// Dial replaces the dialer (tests inject resolvers this way); it is
	// called with a context bounded by Timeout. Without it, HTTP_PROXY,
	// HTTPS_PROXY and NO_PROXY from the environment are honoured.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Progress, if set, is called after each URL of each mode; it must be
	// safe for concurrent use. total is 0 when the list is streamed.
	Progress func(mode Mode, done, total int)

	clock clock // tests scale time; nil is the real clock
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
	if o.HostConcurrency == 0 {
		o.HostConcurrency = 4
	} else if o.HostConcurrency < 0 {
		o.HostConcurrency = o.Concurrency
	}
	if o.HostDelay < 0 {
		o.HostDelay = 0
	}
	if o.HostRate > 0 {
		o.HostDelay = max(o.HostDelay, time.Duration(float64(time.Second)/o.HostRate))
	}
	if o.Jitter == 0 {
		o.Jitter = 0.5
	} else if o.Jitter < 0 {
		o.Jitter = 0
	}
	if o.Retries == 0 {
		o.Retries = 2
	} else if o.Retries < 0 {
		o.Retries = 0
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = 500 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.Lookahead <= 0 {
		o.Lookahead = max(1000, 16*o.Concurrency)
	}
	if o.clock == nil {
		o.clock = realClock{}
	}
	return o
}

// Crawl fetches every distinct URL of urls in the ways o.Mode says and
// returns the report. Duplicates (after normalising scheme and host case,
// the default port and the fragment) are fetched once: each Result lists
// the 1-based positions in urls where its URL appeared, and Results are
// in the order of first appearance. It blocks until done or ctx is
// cancelled; on cancellation it returns the report of what was done (URLs
// not fetched carry ctx's error) together with ctx's error. Per-URL
// failures are in the report, never the returned error. Safe to call
// concurrently. Every green thread it starts is gone and idle connections
// are closed when it returns; fasthttp's idle cleaner goroutines exit
// within 100ms after.
//
// Cancelling ctx stops new requests at once, and cuts the requests in
// flight: fasthttp requests take deadlines, not contexts, so the crawl
// expires the deadline of every connection it opened.
//
// Memory: Crawl keeps every result; for long lists use Stream.
func Crawl(ctx context.Context, urls []string, o Options) (*Report, error) {
	o = o.withDefaults()
	if _, err := ParseMode(string(o.Mode)); err != nil {
		return nil, err
	}
	src := func(yield func(item) bool) error {
		for i, u := range urls {
			if !yield(item{line: i + 1, url: u}) {
				break
			}
		}
		return nil
	}
	rep, err := crawlSource(ctx, src, o, true)
	rep.URLs = len(urls)
	return rep, err
}
