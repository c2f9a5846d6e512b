package crawl

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/geventgo/geventgo/internal/natsembed"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startNATS embeds a NATS server with JetStream in a temporary store and
// connects to it; both are closed when the test ends.
func startNATS(t testing.TB, dir string) (*natsembed.Server, jetstream.JetStream) {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	srv, err := natsembed.Start("127.0.0.1:0", dir)
	require.NoError(t, err)
	t.Cleanup(srv.Shutdown)
	return srv, connectNATS(t, srv.ClientURL())
}

func connectNATS(t testing.TB, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	return js
}

// latencyServer serves "page <path>" after delay on hosts ports of
// 127.0.0.1, counting the requests per path.
type latencyServer struct {
	lns []net.Listener
	srv *http.Server
	wg  sync.WaitGroup

	mu       sync.Mutex
	requests map[string]int
}

func startLatencyServer(t testing.TB, hosts int, delay time.Duration) *latencyServer {
	t.Helper()
	s := &latencyServer{requests: make(map[string]int)}
	s.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests[r.URL.Path]++
		s.mu.Unlock()
		time.Sleep(delay)
		fmt.Fprint(w, "page ", r.URL.Path)
	})}
	for range hosts {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		s.lns = append(s.lns, ln)
		s.wg.Go(func() { _ = s.srv.Serve(ln) })
	}
	t.Cleanup(func() { _ = s.srv.Close(); s.wg.Wait() })
	return s
}

// list is n URLs spread over the server's hosts.
func (s *latencyServer) list(n int) []string {
	urls := make([]string, n)
	for i := range urls {
		urls[i] = fmt.Sprintf("http://%s/page/%d", s.lns[i%len(s.lns)].Addr(), i)
	}
	return urls
}

func (s *latencyServer) counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.requests))
	for k, v := range s.requests {
		out[k] = v
	}
	return out
}

// comparable is a result without what varies from run to run.
func comparableResult(r Result) string {
	return fmt.Sprintf("%s lines=%v status=%d bytes=%d attempts=%d redirects=%d skipped=%q error=%q",
		r.URL, r.Lines, r.Status, r.Bytes, r.Attempts, r.Redirects, r.Skipped, r.Error)
}

// collector gathers a streamed crawl's events: results by URL (a URL
// reported twice fails the test) with their duplicates' lines merged in.
type collector struct {
	t        *testing.T
	mu       sync.Mutex
	results  []Result
	byURL    map[string]bool
	dups     []Duplicate
	badLines int
}

func newCollector(t *testing.T) *collector { return &collector{t: t, byURL: make(map[string]bool)} }

func (c *collector) emit(ev Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case ev.Result != nil:
		assert.False(c.t, c.byURL[ev.Result.URL], "%s reported twice", ev.Result.URL)
		c.byURL[ev.Result.URL] = true
		c.results = append(c.results, *ev.Result)
	case ev.Duplicate != nil:
		c.dups = append(c.dups, *ev.Duplicate)
	case ev.BadLine != nil:
		c.badLines++
	}
	return nil
}

// comparable is every result, merged, without what varies between runs.
func (c *collector) comparable() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]string)
	for _, r := range mergeResults(slices.Clone(c.results), c.dups) {
		out[r.URL] = comparableResult(r)
	}
	return out
}

// Two in-process workers share a list with duplicates and bad lines: the
// same results, lines and counts as Stream, every URL once.
func TestFrontierMatchesStream(t *testing.T) {
	srv := startLatencyServer(t, 8, time.Millisecond)
	_, js := startNATS(t, "")
	urls := srv.list(300)
	lines := append(slices.Clone(urls), "not a url", urls[5], strings.ToUpper(urls[7][:4])+urls[7][4:], "ftp://x/")
	list := strings.Join(lines, "\n")
	o := Options{Concurrency: 20, RetryBackoff: 10 * time.Millisecond}

	local := newCollector(t)
	localRun, err := Stream(context.Background(), strings.NewReader(list), o, local.emit)
	require.NoError(t, err)

	f := Frontier{JetStream: js, Name: "t1", Partitions: 8, AckWait: 5 * time.Second, LeaseTTL: 2 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	stats := make([]WorkStats, 2)
	for i := range 2 {
		wg.Go(func() {
			var err error
			stats[i], err = f.Work(ctx, WorkOptions{ID: fmt.Sprint("w", i), Concurrency: 10})
			assert.NoError(t, err)
		})
	}
	dist := newCollector(t)
	run, err := f.Serve(ctx, strings.NewReader(list), o, dist.emit)
	require.NoError(t, err)
	wg.Wait()
	assert.Equal(t, local.comparable(), dist.comparable())
	assert.Len(t, dist.results, len(urls))
	assert.Equal(t, 2, dist.badLines)
	assert.Equal(t, localRun.URLs, run.URLs)
	assert.Equal(t, localRun.Duplicates, run.Duplicates)
	assert.Equal(t, localRun.BadLines, run.BadLines)
	assert.Equal(t, len(lines), run.Lines)
	assert.Equal(t, len(urls), stats[0].Published+stats[1].Published)
	// How the partitions split depends on when each worker joins: a worker
	// that starts late on a loaded machine may find the crawl done.
	t.Logf("published by worker: %d, %d", stats[0].Published, stats[1].Published)
	for path, n := range srv.counts() {
		assert.Equal(t, 2, n, "%s: once by Stream, once by the workers", path)
	}
}

// startWorkers runs n in-process workers of f until the test's crawl is
// done; the returned wait reports their stats.
func startWorkers(t *testing.T, ctx context.Context, f Frontier, n int, wo WorkOptions) func() []WorkStats {
	var wg sync.WaitGroup
	stats := make([]WorkStats, n)
	for i := range n {
		wg.Go(func() {
			o := wo
			o.ID = fmt.Sprint("w", i)
			var err error
			stats[i], err = f.Work(ctx, o)
			if ctx.Err() == nil {
				assert.NoError(t, err)
			}
		})
	}
	return func() []WorkStats { wg.Wait(); return stats }
}

// The bad cases give the same per-URL errors through the frontier as in
// a local crawl, and the sentinels still match at the coordinator.
func TestFrontierBadCasesMatchLocal(t *testing.T) {
	srv, _ := badServer(t)
	_, js := startNATS(t, "")
	urls := []string{
		srv.URL + "/ok",
		"http://" + closedPort(t) + "/", // dead host
		srv.URL + "/slow",               // timeout
		srv.URL + "/huge",               // body over the limit
		srv.URL + "/loop",               // redirect loop
		srv.URL + "/cut",                // closed mid-body
		srv.URL + "/hop",                // one redirect
	}
	list := strings.Join(urls, "\n") + "\nnot a url\nhttp://\n" + urls[0] + "\n"
	o := Options{Timeout: 300 * time.Millisecond, MaxBody: 10000, MaxRedirects: 3, RetryBackoff: 10 * time.Millisecond, Retries: 1}
	local := newCollector(t)
	_, err := Stream(context.Background(), strings.NewReader(list), o, local.emit)
	require.NoError(t, err)

	f := Frontier{JetStream: js, Name: "bad", Partitions: 4, AckWait: 5 * time.Second, LeaseTTL: 2 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wait := startWorkers(t, ctx, f, 2, WorkOptions{})
	rep, err := f.Crawl(ctx, strings.NewReader(list), Options{Mode: Concurrent, Timeout: o.Timeout, MaxBody: o.MaxBody,
		MaxRedirects: o.MaxRedirects, RetryBackoff: o.RetryBackoff, Retries: o.Retries})
	require.NoError(t, err)
	wait()
	dist := newCollector(t)
	for _, r := range rep.Concurrent.Results {
		require.NoError(t, dist.emit(Event{Result: &r}))
	}
	assert.Equal(t, local.comparable(), dist.comparable())
	require.Len(t, rep.Problems, 2, "the malformed lines")
	assert.Equal(t, 8, rep.Problems[0].Line)
	r := rep.Concurrent.Results
	require.Len(t, r, len(urls))
	assert.Equal(t, []int{1, 10}, r[0].Lines)
	assert.ErrorIs(t, r[2].Err, ErrTimeout)
	assert.ErrorIs(t, r[2].Err, context.DeadlineExceeded)
	assert.ErrorIs(t, r[3].Err, ErrBodyTooLarge)
	assert.ErrorIs(t, r[4].Err, ErrTooManyRedirects)
	assert.Equal(t, 2, r[1].Attempts, "the dead host was retried once")
	assert.Equal(t, 1, rep.Concurrent.Duplicates)
	assert.Equal(t, 5, rep.Concurrent.Errors)
}

// A coordinator stopped midway and started again on the same store
// reports every URL once, and fetches none of those already reported.
func TestFrontierServeResumes(t *testing.T) {
	srv := startLatencyServer(t, 4, 2*time.Millisecond)
	_, js := startNATS(t, "")
	urls := srv.list(400)
	list := strings.Join(urls, "\n")
	f := Frontier{JetStream: js, Name: "resume", Partitions: 8, AckWait: 2 * time.Second, LeaseTTL: time.Second, Window: 150}
	o := Options{Concurrency: 4, HostConcurrency: 1}

	wctx, stopWorkers := context.WithCancel(context.Background())
	defer stopWorkers()
	wait := startWorkers(t, wctx, f, 2, WorkOptions{})
	first := newCollector(t)
	ctx, cancel := context.WithCancel(context.Background())
	run, err := f.Serve(ctx, strings.NewReader(list), o, func(ev Event) error {
		_ = first.emit(ev)
		if len(first.results) == 100 {
			cancel() // the coordinator stops midway
		}
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	assert.True(t, run.Interrupted)
	done := make(map[string]bool)
	for _, r := range first.results {
		if r.Err == nil {
			done[r.URL] = true
		}
	}
	require.GreaterOrEqual(t, len(done), 100)
	require.Less(t, len(done), len(urls), "stopped midway")
	before := srv.counts()

	second := newCollector(t)
	run, err = f.Serve(context.Background(), strings.NewReader(list), o, second.emit)
	require.NoError(t, err)
	wait()
	assert.Len(t, second.results, len(urls), "every URL once")
	assert.Equal(t, len(urls), run.OK)
	after := srv.counts()
	for _, u := range urls {
		path := u[strings.Index(u[7:], "/")+7:]
		if done[u] {
			assert.Equal(t, before[path], after[path], "%s was done before the restart: not fetched again", u)
		}
		assert.Positive(t, after[path], u)
	}
}
