package crawl

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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Stream reads the list as it comes and emits each result as it is done:
// the result of line 1 is out before line 2 is written; a repeat of an
// emitted URL is a Duplicate event pointing at its first line.
func TestStreamIsStreaming(t *testing.T) {
	srv := newCountingHost(t, nil)
	pr, pw := io.Pipe()
	events := make(chan Event, 10)
	done := make(chan struct{})
	var run *Run
	var err error
	go func() {
		defer close(done)
		run, err = Stream(context.Background(), pr, Options{}, func(ev Event) error {
			events <- ev
			return nil
		})
	}()
	fmt.Fprintf(pw, "%s/a\n", srv.URL)
	ev := <-events
	require.NotNil(t, ev.Result, "line 1's result came before line 2 was written")
	assert.Equal(t, []int{1}, ev.Result.Lines)
	fmt.Fprintf(pw, "nonsense\n%s/A\n%s/a\n", srv.URL, srv.URL)
	require.NoError(t, pw.Close())
	<-done
	require.NoError(t, err)
	close(events)
	var got []string
	for ev := range events {
		b, err := json.Marshal(ev)
		require.NoError(t, err)
		got = append(got, string(b))
	}
	require.Len(t, got, 3)
	assert.Contains(t, got[0], `{"type":"bad_line","line":2,"text":"nonsense"`)
	assert.Contains(t, strings.Join(got[1:], "\n"), `"type":"result","url":"`+srv.URL+`/A","lines":[3]`)
	assert.Contains(t, strings.Join(got[1:], "\n"), `{"type":"duplicate","line":4,"url":"`+srv.URL+`/a","first_line":1}`)
	assert.Equal(t, 4, run.Lines)
	assert.Equal(t, 2, run.URLs)
	assert.Equal(t, 1, run.Duplicates)
	assert.Equal(t, 1, run.BadLines)
	assert.Equal(t, 1, srv.hitsOf("/a"))
}

// genList yields n URL lines spread over hosts, made on the fly: the test
// holds no list.
type genList struct {
	n, i  int
	hosts []string
	buf   []byte
}

func (g *genList) Read(p []byte) (int, error) {
	for len(g.buf) < len(p) && g.i < g.n {
		g.buf = fmt.Appendf(g.buf, "%s/page/%d\n", g.hosts[g.i%len(g.hosts)], g.i)
		g.i++
	}
	if len(g.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	return n, nil
}

// The memory a streamed crawl holds is bounded by the lookahead and the
// concurrency, not by the list: on 20,000 URLs with a lookahead of 256,
// the URLs held at once never pass 256 + the requests in flight, and
// every URL is emitted exactly once. (The 1,000,000-URL RSS figure is
// measured by bench/crawl_scale_test.go and the command's tests.)
func TestStreamHoldsBoundedState(t *testing.T) {
	var hits atomic.Int64
	var hosts []string
	for range 4 {
		hosts = append(hosts, newCountingHost(t, func(http.ResponseWriter, *http.Request, int) { hits.Add(1) }).URL)
	}
	const n, lookahead, conc = 20000, 256, 32
	o := Options{Mode: Concurrent, Concurrency: conc, HostConcurrency: -1, Lookahead: lookahead}.withDefaults()
	f := newFetcher(context.Background(), o)
	defer f.close()
	seen := make(map[int]int)
	e := newEngine(o, Concurrent, f, func(ev Event) error {
		for _, l := range ev.Result.Lines {
			seen[l]++
		}
		return nil
	})
	run, err := e.run(context.Background(), func(yield func(item) bool) error {
		return readList(&genList{n: n, hosts: hosts}, yield)
	})
	require.NoError(t, err)
	assert.Equal(t, n, run.OK)
	assert.Equal(t, int64(n), hits.Load())
	assert.Len(t, seen, n)
	for l, c := range seen {
		if c != 1 {
			t.Fatalf("line %d reported %d times", l, c)
		}
	}
	assert.LessOrEqual(t, e.maxOpen, lookahead+conc+1)
	assert.Empty(t, e.open)
	assert.Empty(t, e.hosts, "idle hosts are forgotten")
}

// An emit error stops the crawl and is returned; so is a panic in emit.
func TestStreamEmitErrorStops(t *testing.T) {
	srv := newCountingHost(t, nil)
	list := strings.Repeat(srv.URL+"/x\n", 1) + srv.URL + "/y\n" + srv.URL + "/z\n"
	boom := fmt.Errorf("disk full")
	_, err := Stream(context.Background(), strings.NewReader(list), Options{Mode: Serial}, func(Event) error { return boom })
	assert.ErrorIs(t, err, boom)
	_, err = Stream(context.Background(), strings.NewReader(list), Options{Mode: Serial}, func(Event) error { panic("oops") })
	assert.ErrorContains(t, err, "panic in a callback: oops")
	_, err = Stream(context.Background(), strings.NewReader(list), Options{Mode: Both}, func(Event) error { return nil })
	assert.Error(t, err)
}

// A cancelled stream stops reading; the URLs read are all reported, the
// summary says where reading stopped.
func TestStreamCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := newCountingHost(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.URL.Path == "/stop" {
			cancel()
		}
	})
	list := &genList{n: 100000, hosts: []string{srv.URL}}
	var results atomic.Int64
	run, err := Stream(ctx, io.MultiReader(strings.NewReader(srv.URL+"/stop\n"), list), Options{Concurrency: 4, Lookahead: 10},
		func(ev Event) error { results.Add(1); return nil })
	require.ErrorIs(t, err, context.Canceled)
	assert.True(t, run.Interrupted)
	assert.Less(t, run.Lines, 1000, "reading stopped")
	assert.Equal(t, int64(run.URLs), results.Load())
	assert.Equal(t, run.Lines, run.URLs, "every line read is reported")
}

// connectProxy is an HTTP proxy that serves CONNECT only, sending every
// tunnel to target whatever host was asked, and counts the requests.
func connectProxy(t *testing.T, target string) (addr string, asked *sync.Map, wait func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	asked = &sync.Map{}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil || req.Method != http.MethodConnect {
					return
				}
				n, _ := asked.LoadOrStore(req.Host, new(atomic.Int64))
				n.(*atomic.Int64).Add(1)
				up, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer up.Close()
				_, _ = io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
				go func() { _, _ = io.Copy(up, c); up.Close() }()
				_, _ = io.Copy(c, up)
			})
		}
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String(), asked, wg.Wait
}

// HTTP_PROXY is honoured (the request goes through the proxy's tunnel),
// and NO_PROXY excludes a host from it.
func TestProxyFromEnvironment(t *testing.T) {
	srv := newCountingHost(t, nil)
	proxyAddr, asked, _ := connectProxy(t, strings.TrimPrefix(srv.URL, "http://"))
	t.Setenv("HTTP_PROXY", "http://"+proxyAddr)
	t.Setenv("HTTPS_PROXY", "")
	t.Setenv("NO_PROXY", "direct.test")
	// .test names never resolve: only the proxy can reach them.
	rep, err := Crawl(context.Background(), []string{"http://via-proxy.test/page", "http://direct.test/page"},
		Options{Mode: Concurrent, Retries: -1, Timeout: 5 * time.Second})
	require.NoError(t, err)
	r := rep.Concurrent.Results
	require.Len(t, r, 2)
	assert.Equal(t, 200, r[0].Status, r[0].Error)
	assert.Equal(t, 1, srv.hitsOf("/page"))
	n, ok := asked.Load("via-proxy.test:80")
	require.True(t, ok, "the proxy was asked for the host")
	assert.Equal(t, int64(1), n.(*atomic.Int64).Load())
	assert.Error(t, r[1].Err, "NO_PROXY: dialled directly, and .test does not resolve")
	_, ok = asked.Load("direct.test:80")
	assert.False(t, ok)
}
