package crawl

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// fasthttp's Client.mCleaner removes idle host clients on a fixed 1s sleep
// and exits at its next wake-up once none is left: after Crawl it finds none,
// but the wake-up can come after the last test. Likewise the DNS cache
// cleaner of the proxy dialer (TestProxyFromEnvironment) exits once its
// entries expire, 10s after the crawl. Only those goroutines are ignored;
// everything else must be gone.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreCurrent(), goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*Client).mCleaner"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*TCPDialer).tcpAddrsClean"))
}

// badServer serves every bad case the crawler must survive.
func badServer(t *testing.T) (*httptest.Server, chan struct{}) {
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select { // blocks until the client gives up or the test ends
		case <-r.Context().Done():
		case <-release:
		}
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000")
		_, _ = w.Write([]byte(strings.Repeat("x", 100000)))
	})
	mux.HandleFunc("/huge-chunked", func(w http.ResponseWriter, r *http.Request) {
		for range 100 {
			_, _ = w.Write([]byte(strings.Repeat("x", 1000)))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/hop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusMovedPermanently) })
	mux.HandleFunc("/cut", func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly ten b")
		_ = buf.Flush()
		_ = conn.Close()
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { close(release); srv.Close() })
	return srv, release
}

func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func TestBadCasesAreErrorsAndTheRunFinishes(t *testing.T) {
	srv, _ := badServer(t)
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer tlsSrv.Close()
	urls := []string{
		srv.URL + "/ok",
		"http://" + closedPort(t) + "/", // dead host
		"http://no-such-host.invalid/",  // unresolvable
		srv.URL + "/slow",               // timeout
		srv.URL + "/huge",               // body over the limit (Content-Length)
		srv.URL + "/huge-chunked",       // body over the limit (streamed)
		srv.URL + "/loop",               // redirect loop
		tlsSrv.URL + "/",                // self-signed cert
		srv.URL + "/cut",                // server closes mid-body
		srv.URL + "/hop",                // one redirect: followed (fasthttp's Do would not)
	}
	timeout := 500 * time.Millisecond
	for _, mode := range []Mode{Serial, Concurrent} {
		t.Run(string(mode), func(t *testing.T) {
			start := time.Now()
			rep, err := Crawl(context.Background(), urls, Options{Mode: mode, Timeout: timeout, MaxBody: 10000, MaxRedirects: 3, RetryBackoff: 10 * time.Millisecond})
			require.NoError(t, err)
			// Generous bound: nothing hangs past its per-request timeout.
			assert.Less(t, time.Since(start), time.Duration(len(urls))*timeout+10*time.Second)
			run := rep.Serial
			if mode == Concurrent {
				run = rep.Concurrent
			}
			require.Len(t, run.Results, len(urls))
			r := run.Results
			for i, x := range r {
				assert.Equal(t, urls[i], x.URL)
			}
			assert.NoError(t, r[0].Err)
			assert.Equal(t, 200, r[0].Status)
			assert.ErrorContains(t, r[1].Err, "refused")
			assert.Error(t, r[2].Err)
			assert.ErrorIs(t, r[3].Err, ErrTimeout)
			assert.ErrorIs(t, r[4].Err, ErrBodyTooLarge)
			assert.ErrorIs(t, r[5].Err, ErrBodyTooLarge)
			assert.ErrorIs(t, r[6].Err, ErrTooManyRedirects)
			assert.ErrorContains(t, r[7].Err, "certificate")
			assert.Error(t, r[8].Err)
			assert.NoError(t, r[9].Err)
			assert.Equal(t, 200, r[9].Status)
			assert.Equal(t, 1, r[9].Redirects)
			assert.Equal(t, 8, run.Failed)
			assert.Equal(t, 2, run.OK)
			// Transient failures are tried 1+2 times, final ones once.
			attempts := make([]int, len(r))
			for i, x := range r {
				attempts[i] = x.Attempts
				assert.Equal(t, []int{i + 1}, x.Lines)
			}
			assert.Equal(t, []int{1, 3, 1, 3, 1, 1, 1, 1, 3, 1}, attempts,
				"ok, refused, no such host, timeout, too large x2, loop, bad cert, cut mid-body, redirect")
		})
	}
}

// MaxConnsPerHost without MaxConnWaitTimeout makes fasthttp fail with
// ErrNoFreeConns; with PerHost 1 and 20 concurrent requests every one
// must still succeed, one connection at a time.
func TestPerHostLimitWaitsInsteadOfFailing(t *testing.T) {
	var inflight, maxInflight atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for m := maxInflight.Load(); n > m && !maxInflight.CompareAndSwap(m, n); m = maxInflight.Load() {
		}
		time.Sleep(2 * time.Millisecond) // simulated work, not synchronisation
	}))
	defer srv.Close()
	urls := make([]string, 20)
	for i := range urls {
		urls[i] = fmt.Sprintf("%s/%d", srv.URL, i)
	}
	rep, err := Crawl(context.Background(), urls, Options{Mode: Concurrent, Concurrency: 20, HostConcurrency: -1, PerHost: 1, Timeout: 10 * time.Second})
	require.NoError(t, err)
	assert.Equal(t, 20, rep.Concurrent.OK)
	assert.Equal(t, int64(1), maxInflight.Load())
}

func TestTenThousandURLsAllAccountedFor(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, r.URL.Path)
	}))
	defer srv.Close()
	const n = 10000
	urls := make([]string, n)
	for i := range urls {
		urls[i] = fmt.Sprintf("%s/%d", srv.URL, i)
	}
	rep, err := Crawl(context.Background(), urls, Options{Mode: Concurrent, Concurrency: 64, HostConcurrency: -1})
	require.NoError(t, err)
	require.Len(t, rep.Concurrent.Results, n)
	assert.Equal(t, n, rep.Concurrent.OK)
	assert.Equal(t, int64(n), hits.Load())
	var bytes int64
	for i, x := range rep.Concurrent.Results {
		bytes += int64(len(fmt.Sprintf("/%d", i)))
		assert.Equal(t, urls[i], x.URL)
	}
	assert.Equal(t, bytes, rep.Concurrent.Bytes)
}

// The speed-up on a latency-bound crawl, measured on the server: with 50
// workers and 200 URLs of 50ms the server must see at least 0.9*50
// requests in flight at once.
func TestConcurrentSpeedupFromServerOverlap(t *testing.T) {
	var inflight, maxInflight atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for m := maxInflight.Load(); n > m && !maxInflight.CompareAndSwap(m, n); m = maxInflight.Load() {
		}
		time.Sleep(50 * time.Millisecond) // the simulated latency under test
	}))
	defer srv.Close()
	urls := make([]string, 200)
	for i := range urls {
		urls[i] = fmt.Sprintf("%s/%d", srv.URL, i)
	}
	rep, err := Crawl(context.Background(), urls, Options{Mode: Concurrent, Concurrency: 50, HostConcurrency: -1})
	require.NoError(t, err)
	assert.Equal(t, 200, rep.Concurrent.OK)
	assert.GreaterOrEqual(t, maxInflight.Load(), int64(45))
	assert.LessOrEqual(t, maxInflight.Load(), int64(50))
}

func TestCancelledCrawlReportsEveryURL(t *testing.T) {
	srv, _ := badServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	urls := []string{srv.URL + "/ok", srv.URL + "/ok?2", srv.URL + "/ok"}
	rep, err := Crawl(ctx, urls, Options{Mode: Both})
	require.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, rep)
	assert.True(t, rep.Interrupted)
	require.Len(t, rep.Serial.Results, 2, "the repeated URL is one result")
	assert.Equal(t, []int{1, 3}, rep.Serial.Results[0].Lines)
	assert.Equal(t, []int{2}, rep.Serial.Results[1].Lines)
	for _, x := range rep.Serial.Results {
		assert.ErrorIs(t, x.Err, context.Canceled)
		assert.Zero(t, x.Attempts)
	}
}

func TestReportRendering(t *testing.T) {
	srv, _ := badServer(t)
	rep, err := Crawl(context.Background(), []string{srv.URL + "/ok", srv.URL + "/loop"}, Options{MaxRedirects: 2})
	require.NoError(t, err)
	var text, js strings.Builder
	require.NoError(t, rep.WriteText(&text))
	require.NoError(t, rep.WriteJSON(&js))
	assert.Contains(t, text.String(), "speed-up")
	assert.Contains(t, text.String(), "too many redirects")
	assert.Contains(t, js.String(), `"requests_per_second"`)
	assert.Equal(t, 1, rep.Failed())
	assert.Greater(t, rep.Speedup, 0.0)
}

func TestParseMode(t *testing.T) {
	_, err := ParseMode("sideways")
	assert.Error(t, err)
	m, err := ParseMode("both")
	require.NoError(t, err)
	assert.Equal(t, Both, m)
	assert.False(t, errors.Is(err, ErrTimeout))
}

// A resolver that never answers must not hang the crawl: resolution and
// connect share the per-request timeout (the injected Dial stands for a
// resolver stuck on a dead DNS server).
func TestHangingResolutionIsBoundedByTimeout(t *testing.T) {
	var dials atomic.Int64
	hang := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		<-ctx.Done()
		return nil, &net.DNSError{Err: "lookup timed out", Name: addr, IsTimeout: true}
	}
	urls := []string{"http://stuck.invalid/a", "http://stuck.invalid/b"}
	rep, err := Crawl(context.Background(), urls, Options{Mode: Concurrent, Timeout: 100 * time.Millisecond, Dial: hang})
	require.NoError(t, err)
	require.Len(t, rep.Concurrent.Results, 2)
	for _, x := range rep.Concurrent.Results {
		assert.ErrorIs(t, x.Err, ErrTimeout)
		assert.Less(t, x.Duration, 10*time.Second) // generous: bounded, not hung
	}
	assert.GreaterOrEqual(t, dials.Load(), int64(2))
}

func TestCancelCutsRequestsInFlight(t *testing.T) {
	for _, mode := range []Mode{Serial, Concurrent} {
		t.Run(string(mode), func(t *testing.T) {
			const n = 4
			arrived := make(chan struct{}, n)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				arrived <- struct{}{}
				<-r.Context().Done() // answers only when the client goes away
			}))
			defer srv.Close()
			urls := make([]string, n)
			for i := range urls {
				urls[i] = fmt.Sprintf("%s/slow/%d", srv.URL, i)
			}
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				<-arrived // a request is in flight (all of them, concurrently: no matter)
				cancel()
			}()
			start := time.Now()
			rep, err := Crawl(ctx, urls, Options{Mode: mode, Concurrency: n, Timeout: 10 * time.Minute})
			require.ErrorIs(t, err, context.Canceled)
			assert.Less(t, time.Since(start), time.Minute, "the request in flight was cut, not left to its 10-minute timeout")
			run := rep.Serial
			if mode == Concurrent {
				run = rep.Concurrent
			}
			require.Len(t, run.Results, n)
			for _, r := range run.Results {
				assert.ErrorIs(t, r.Err, context.Canceled, r.URL)
			}
		})
	}
}
