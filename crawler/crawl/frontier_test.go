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

	"github.com/geventgo/geventgo/crawler/internal/natsembed"
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
	assert.Positive(t, stats[0].Published, "both workers got partitions")
	assert.Positive(t, stats[1].Published, "both workers got partitions")
	for path, n := range srv.counts() {
		assert.Equal(t, 2, n, "%s: once by Stream, once by the workers", path)
	}
}
