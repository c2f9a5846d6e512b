package crawl

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingHost is a local server (one host to the crawler: its own port)
// that records what it received: requests in flight (and the most at
// once), arrival times and hits per path.
type countingHost struct {
	*httptest.Server
	inflight, maxInflight, done atomic.Int64
	mu                          sync.Mutex
	arrivals                    []time.Time
	hits                        map[string]int
}

func newCountingHost(t *testing.T, handler func(w http.ResponseWriter, r *http.Request, hit int)) *countingHost {
	h := &countingHost{hits: make(map[string]int)}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := h.inflight.Add(1)
		defer h.inflight.Add(-1)
		defer h.done.Add(1)
		for m := h.maxInflight.Load(); n > m && !h.maxInflight.CompareAndSwap(m, n); m = h.maxInflight.Load() {
		}
		h.mu.Lock()
		h.arrivals = append(h.arrivals, time.Now())
		h.hits[r.URL.RequestURI()]++
		hit := h.hits[r.URL.RequestURI()]
		h.mu.Unlock()
		if handler != nil {
			handler(w, r, hit)
		}
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *countingHost) hitsOf(path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hits[path]
}

func (h *countingHost) gaps() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	var g []time.Duration
	for i := 1; i < len(h.arrivals); i++ {
		g = append(g, h.arrivals[i].Sub(h.arrivals[i-1]))
	}
	return g
}

// One big host first in the list and small hosts after it: each host has
// at most HostConcurrency requests in flight, the big one reaches it, and
// the small hosts are served at once, not after the big one's queue.
func TestHostConcurrencyAndSmallHostsNotSerialised(t *testing.T) {
	slow := func(w http.ResponseWriter, r *http.Request, _ int) {
		time.Sleep(10 * time.Millisecond) // simulated latency, not synchronisation
	}
	big := newCountingHost(t, slow)
	var bigDoneAtSmall []int64
	var mu sync.Mutex
	small := make([]*countingHost, 3)
	for i := range small {
		small[i] = newCountingHost(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			mu.Lock()
			bigDoneAtSmall = append(bigDoneAtSmall, big.done.Load())
			mu.Unlock()
			slow(w, r, 0)
		})
	}
	var urls []string
	for i := range 100 {
		urls = append(urls, fmt.Sprintf("%s/%d", big.URL, i))
	}
	for _, s := range small {
		for i := range 4 {
			urls = append(urls, fmt.Sprintf("%s/%d", s.URL, i))
		}
	}
	rep, err := Crawl(context.Background(), urls, Options{Mode: Concurrent, Concurrency: 50, HostConcurrency: 3})
	require.NoError(t, err)
	assert.Equal(t, len(urls), rep.Concurrent.OK)
	assert.Equal(t, int64(3), big.maxInflight.Load(), "the big host is held at HostConcurrency and reaches it")
	for _, s := range small {
		assert.LessOrEqual(t, s.maxInflight.Load(), int64(3))
	}
	require.Len(t, bigDoneAtSmall, 12)
	for _, n := range bigDoneAtSmall {
		// Generous: had the small hosts waited behind the big one, the big
		// host would have answered all 100 first.
		assert.Less(t, n, int64(50), "a small host's request waited for the big host's queue")
	}
}

// HostDelay (and HostRate) space the starts of requests to one host;
// another host is not held back by it.
func TestHostDelayAndRate(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		gap  time.Duration
	}{
		{"delay", Options{HostDelay: 40 * time.Millisecond, Jitter: -1}, 40 * time.Millisecond},
		{"rate", Options{HostRate: 25, Jitter: -1}, 40 * time.Millisecond},
		{"delay+jitter", Options{HostDelay: 20 * time.Millisecond, Jitter: 1}, 20 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			polite := newCountingHost(t, nil)
			other := newCountingHost(t, nil)
			var urls []string
			for i := range 5 {
				urls = append(urls, fmt.Sprintf("%s/%d", polite.URL, i), fmt.Sprintf("%s/%d", other.URL, i))
			}
			o := tc.o
			o.Mode, o.Concurrency = Concurrent, 10
			// the other host gets no delay: it is the same crawl, so this
			// checks only that its requests are not spaced by polite's.
			rep, err := Crawl(context.Background(), urls, o)
			require.NoError(t, err)
			assert.Equal(t, 10, rep.Concurrent.OK)
			assert.Equal(t, int64(1), polite.maxInflight.Load(), "a delay longer than a request leaves one in flight")
			for _, g := range polite.gaps() {
				// A quarter of slack: arrival times are the server's, not
				// the starts, on a loaded machine.
				assert.GreaterOrEqual(t, g, tc.gap*3/4)
				assert.Less(t, g, 10*time.Second)
			}
		})
	}
}

// scaledClock runs scale times faster than real time: a test of waits of
// seconds takes milliseconds. It records every wait asked for.
type scaledClock struct {
	start time.Time
	scale float64
}

func newScaledClock(scale float64) *scaledClock {
	return &scaledClock{start: time.Now(), scale: scale}
}

func (c *scaledClock) Now() time.Time {
	return c.start.Add(time.Duration(float64(time.Since(c.start)) * c.scale))
}

func (c *scaledClock) AfterFunc(d time.Duration, f func()) stopper {
	return time.AfterFunc(time.Duration(float64(d)/c.scale), f)
}

// virtual converts a real duration to the clock's.
func (c *scaledClock) virtual(d time.Duration) time.Duration {
	return time.Duration(float64(d) * c.scale)
}

// Retries: 503s and connection cuts are retried with growing backoff, a
// 429's Retry-After is honoured, a 404 is not retried, a Retry-After past
// MaxBackoff ends the retries, and each result says how many attempts it
// took. Waits are checked on a clock 10 times faster than real time.
func TestRetriesBackoffAndRetryAfter(t *testing.T) {
	clk := newScaledClock(10)
	var mu sync.Mutex
	arrivals := make(map[string][]time.Time)
	srv := newCountingHost(t, func(w http.ResponseWriter, r *http.Request, hit int) {
		mu.Lock()
		arrivals[r.URL.Path] = append(arrivals[r.URL.Path], time.Now())
		mu.Unlock()
		switch r.URL.Path {
		case "/flaky": // 503, 503, 200
			if hit <= 2 {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		case "/busy": // 429 asking for 5s, then 200
			if hit == 1 {
				w.Header().Set("Retry-After", "5")
				w.WriteHeader(http.StatusTooManyRequests)
			}
		case "/down":
			w.WriteHeader(http.StatusInternalServerError)
		case "/gone":
			http.NotFound(w, r)
		case "/later": // asks for an hour: past MaxBackoff
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/cut": // the connection drops once
			if hit == 1 {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
				}
			}
		}
	})
	paths := []string{"/flaky", "/busy", "/down", "/gone", "/later", "/cut"}
	var urls []string
	for _, p := range paths {
		urls = append(urls, srv.URL+p)
	}
	o := Options{Mode: Concurrent, HostConcurrency: -1, RetryBackoff: time.Second, MaxBackoff: 30 * time.Second, Jitter: 0.5, clock: clk}
	start := time.Now()
	rep, err := Crawl(context.Background(), urls, o)
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 30*time.Second, "generous: the waits are scaled down 10x")
	byPath := make(map[string]Result)
	for _, r := range rep.Concurrent.Results {
		byPath[strings.TrimPrefix(r.URL, srv.URL)] = r
	}
	want := map[string]struct{ status, attempts int }{
		"/flaky": {200, 3}, "/busy": {200, 2}, "/down": {500, 3}, "/gone": {404, 1}, "/later": {503, 1}, "/cut": {200, 2},
	}
	for p, w := range want {
		assert.Equal(t, w.status, byPath[p].Status, p)
		assert.Equal(t, w.attempts, byPath[p].Attempts, p)
		assert.Equal(t, w.attempts, srv.hitsOf(p), p+": what the server received")
	}
	assert.Equal(t, 4, rep.Concurrent.Retried)
	assert.Equal(t, 3+2+3+1+1+2, rep.Concurrent.Attempts)

	mu.Lock()
	defer mu.Unlock()
	gap := func(p string, i int) time.Duration { return clk.virtual(arrivals[p][i+1].Sub(arrivals[p][i])) }
	// Backoff: 1s, then 2s (each plus up to 50% jitter), never less.
	// Lower bounds with 300ms (30ms real) of slack: the server sees
	// arrivals, not starts, on a loaded machine.
	assert.GreaterOrEqual(t, gap("/flaky", 0), 700*time.Millisecond)
	assert.GreaterOrEqual(t, gap("/flaky", 1), 1700*time.Millisecond)
	assert.GreaterOrEqual(t, gap("/down", 1), 1700*time.Millisecond)
	assert.GreaterOrEqual(t, gap("/busy", 0), 4700*time.Millisecond, "Retry-After: 5 is honoured")
	for p, a := range arrivals {
		for i := 1; i < len(a); i++ {
			assert.Less(t, a[i].Sub(a[i-1]), 10*time.Second, p) // generous: bounded
		}
	}
}

func TestRetryAfterAndBackoffUnits(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	assert.Equal(t, 7*time.Second, parseRetryAfter([]byte(" 7 "), clock))
	assert.Equal(t, 90*time.Second, parseRetryAfter([]byte(now.Add(90*time.Second).Format(http.TimeFormat)), clock))
	assert.Zero(t, parseRetryAfter([]byte(now.Add(-time.Hour).Format(http.TimeFormat)), clock))
	assert.Zero(t, parseRetryAfter([]byte("soon"), clock))
	assert.Zero(t, parseRetryAfter(nil, clock))
	assert.Positive(t, parseRetryAfter([]byte("99999999999999"), clock), "no overflow")

	assert.Equal(t, time.Second, backoff(1, time.Second, time.Minute, 0))
	assert.Equal(t, 4*time.Second, backoff(3, time.Second, time.Minute, 0))
	assert.Equal(t, time.Minute, backoff(30, time.Second, time.Minute, 0.5), "capped")
	for range 100 {
		d := backoff(2, time.Second, time.Minute, 0.5)
		assert.GreaterOrEqual(t, d, 2*time.Second)
		assert.LessOrEqual(t, d, 3*time.Second)
	}
}

// robots.txt is fetched once per host however many requests wait for it;
// what it disallows is reported as skipped and never requested; a 5xx
// robots.txt disallows everything, a 404 nothing; Crawl-delay spaces the
// host's requests.
func TestRobots(t *testing.T) {
	clk := newScaledClock(10)
	robotsBody := "User-agent: *\nDisallow: /private\n\nUser-agent: geventgo-crawler\nDisallow: /private\nDisallow: /secret\nCrawl-delay: 1\n"
	polite := newCountingHost(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.URL.Path == "/robots.txt" {
			fmt.Fprint(w, robotsBody)
		}
	})
	broken := newCountingHost(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.URL.Path == "/robots.txt" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	none := newCountingHost(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
		}
	})
	var urls []string
	for i := range 4 {
		urls = append(urls, fmt.Sprintf("%s/public/%d", polite.URL, i), fmt.Sprintf("%s/private/%d", polite.URL, i),
			fmt.Sprintf("%s/secret?%d", polite.URL, i), fmt.Sprintf("%s/page/%d", broken.URL, i), fmt.Sprintf("%s/page/%d", none.URL, i))
	}
	o := Options{Mode: Concurrent, Concurrency: 20, Robots: true, Retries: -1, Jitter: -1, clock: clk}
	rep, err := Crawl(context.Background(), urls, o)
	require.NoError(t, err)
	run := rep.Concurrent
	assert.Equal(t, 1, polite.hitsOf("/robots.txt"), "fetched once, cached")
	assert.Equal(t, 1, broken.hitsOf("/robots.txt"))
	assert.Equal(t, 1, none.hitsOf("/robots.txt"))
	assert.Equal(t, 3, run.RobotsFetches)
	assert.Equal(t, 12, run.Skipped)
	assert.Equal(t, 8, run.OK)
	for _, r := range run.Results {
		switch {
		case strings.Contains(r.URL, "/private/"), strings.Contains(r.URL, "/secret"):
			assert.Equal(t, "disallowed by robots.txt", r.Skipped, r.URL)
			assert.Zero(t, r.Attempts)
			assert.False(t, r.OK())
			assert.NoError(t, r.Err)
		case strings.HasPrefix(r.URL, broken.URL):
			assert.Equal(t, "robots.txt answered 503", r.Skipped)
		default:
			assert.Equal(t, 200, r.Status, r.URL)
		}
	}
	for i := range 4 {
		assert.Zero(t, polite.hitsOf(fmt.Sprintf("/private/%d", i)))
		assert.Zero(t, polite.hitsOf(fmt.Sprintf("/secret?%d", i)))
		assert.Zero(t, broken.hitsOf(fmt.Sprintf("/page/%d", i)))
	}
	// Crawl-delay: 1 (for our agent's group) spaces polite's requests,
	// robots.txt's own included; 300ms (30ms real) of slack.
	require.Len(t, polite.gaps(), 4)
	for _, g := range polite.gaps() {
		assert.GreaterOrEqual(t, clk.virtual(g), 700*time.Millisecond)
	}
	assert.Contains(t, run.summaryLine(), "3 robots.txt fetches")
}

// The same URL in several spellings is fetched once and reported once,
// with every line it was on; every line of the list is in the report
// exactly once.
func TestDuplicatesFetchedOnce(t *testing.T) {
	srv := newCountingHost(t, nil)
	upper := strings.Replace(srv.URL, "http://", "HTTP://", 1)
	list := strings.Join([]string{
		srv.URL + "/a",      // 1
		upper + "/a",        // 2: scheme case
		srv.URL + "/a#part", // 3: fragment
		srv.URL + "/b",      // 4
		"",                  // 5
		"ftp://x/",          // 6: bad line
		srv.URL + "/a",      // 7
		srv.URL + "/A",      // 8: a different path
		srv.URL,             // 9: empty path is /
		srv.URL + "/",       // 10
	}, "\n")
	rep, err := CrawlReader(context.Background(), strings.NewReader(list), Options{Mode: Concurrent})
	require.NoError(t, err)
	run := rep.Concurrent
	assert.Equal(t, 1, srv.hitsOf("/a"))
	assert.Equal(t, 1, srv.hitsOf("/"))
	require.Len(t, run.Results, 4)
	assert.Equal(t, []int{1, 2, 3, 7}, run.Results[0].Lines)
	assert.Equal(t, []int{4}, run.Results[1].Lines)
	assert.Equal(t, []int{8}, run.Results[2].Lines)
	assert.Equal(t, []int{9, 10}, run.Results[3].Lines)
	assert.Equal(t, 4, run.Duplicates)
	assert.Equal(t, 1, run.BadLines)
	require.Len(t, rep.Problems, 1)
	assert.Equal(t, 6, rep.Problems[0].Line)
	assert.Equal(t, 8, rep.URLs, "lines holding a URL")
}

func TestNormalize(t *testing.T) {
	same := [][2]string{
		{"http://Example.COM/x", "http://example.com/x"},
		{"http://example.com:80/x", "http://example.com/x"},
		{"https://example.com:443/x?q=1", "HTTPS://example.com/x?q=1"},
		{"http://example.com", "http://example.com/"},
		{"http://example.com/x#a", "http://example.com/x#b"},
		{"http://[::1]:80/", "http://[::1]/"},
	}
	for _, p := range same {
		a, oa := normalize(p[0])
		b, ob := normalize(p[1])
		assert.Equal(t, a, b, p)
		assert.Equal(t, oa, ob, p)
		assert.Equal(t, keyOf(a), keyOf(b))
	}
	differ := [][2]string{
		{"http://example.com/x", "https://example.com/x"},
		{"http://example.com:8080/x", "http://example.com/x"},
		{"http://example.com/X", "http://example.com/x"},
		{"http://example.com/x?a=1", "http://example.com/x?a=2"},
		{"http://u@example.com/x", "http://example.com/x"},
	}
	for _, p := range differ {
		a, _ := normalize(p[0])
		b, _ := normalize(p[1])
		assert.NotEqual(t, keyOf(a), keyOf(b), p)
	}
	_, origin := normalize("http://Example.com/x")
	assert.Equal(t, "http://example.com:80", origin)
}

func TestStatusSet(t *testing.T) {
	s, err := ParseStatusSet(" 5xx, 429 ,4XX")
	require.NoError(t, err)
	for _, code := range []int{500, 503, 599, 429, 404, 400} {
		assert.True(t, s.Has(code), code)
	}
	for _, code := range []int{200, 301, 600, 0, 99} {
		assert.False(t, s.Has(code), code)
	}
	assert.Equal(t, "4xx,5xx,429", s.String())
	empty, err := ParseStatusSet("")
	require.NoError(t, err)
	assert.False(t, empty.Has(500))
	for _, bad := range []string{"6xx", "5x", "abc", "99", "600", "0xx"} {
		_, err := ParseStatusSet(bad)
		assert.Error(t, err, bad)
	}
	srv := newCountingHost(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.URL.Path == "/err" {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	rep, err := Crawl(context.Background(), []string{srv.URL + "/ok", srv.URL + "/err"}, Options{Mode: Concurrent, FailStatus: s, Retries: -1})
	require.NoError(t, err)
	run := rep.Concurrent
	assert.Equal(t, 2, run.OK, "fetched, both")
	assert.Equal(t, 1, run.FailedStatus)
	assert.Equal(t, 1, run.Failed)
	assert.Equal(t, 1, rep.Failed())
	assert.Equal(t, map[string]int{"2xx": 1, "5xx": 1}, run.StatusClasses)
}

func TestIdealSpeedup(t *testing.T) {
	x, why := ideal(2400*time.Millisecond, 300*time.Millisecond, 0, 50)
	assert.InDelta(t, 8.0, x, 0.01)
	assert.Contains(t, why, "slowest URL 300ms")
	x, why = ideal(10*time.Second, 100*time.Millisecond, 0, 10)
	assert.InDelta(t, 10.0, x, 0.01)
	assert.Contains(t, why, "10 requests at once")
	x, why = ideal(10*time.Second, 100*time.Millisecond, 5*time.Second, 50)
	assert.InDelta(t, 2.0, x, 0.01)
	assert.Contains(t, why, "per-host")
	x, _ = ideal(0, 0, 0, 10)
	assert.Zero(t, x)
}

func TestLatencyHistogram(t *testing.T) {
	var h latencyHist
	assert.Zero(t, h.percentile(50))
	for i := 1; i <= 1000; i++ {
		h.add(time.Duration(i) * time.Millisecond)
	}
	for _, p := range []int{50, 95, 100} {
		want := time.Duration(p*10) * time.Millisecond
		got := h.percentile(p)
		assert.InEpsilon(t, float64(want), float64(got), 0.02, "p%d: %v", p, got)
	}
	h.add(time.Duration(1 << 62)) // clamped into the last bucket
	h.add(-time.Second)
	assert.Equal(t, time.Duration(0), histValue(histBucket(0)))
	for _, d := range []time.Duration{63 * time.Microsecond, 64 * time.Microsecond, 3 * time.Second, time.Hour} {
		assert.InEpsilon(t, float64(d), float64(histValue(histBucket(d))), 0.02, d)
	}
}
