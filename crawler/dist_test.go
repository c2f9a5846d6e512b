package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/geventgo/geventgo/internal/natsembed"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fasthttp"
)

// countingServer is a fasthttp server on hosts ports of 127.0.0.1 that
// answers "page <path>" after delay and counts the requests per path.
type countingServer struct {
	lns []net.Listener
	srv *fasthttp.Server
	wg  sync.WaitGroup

	mu       sync.Mutex
	requests map[string]int
}

func startCountingServer(t *testing.T, hosts int, delay time.Duration) *countingServer {
	s := &countingServer{requests: make(map[string]int)}
	s.srv = &fasthttp.Server{Handler: func(c *fasthttp.RequestCtx) {
		s.mu.Lock()
		s.requests[string(c.Path())]++
		s.mu.Unlock()
		time.Sleep(delay)
		c.WriteString("page ")
		c.Write(c.Path())
	}, Concurrency: 1 << 16}
	for range hosts {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		s.lns = append(s.lns, ln)
		s.wg.Go(func() { _ = s.srv.Serve(ln) })
	}
	t.Cleanup(func() { _ = s.srv.Shutdown(); s.wg.Wait() })
	return s
}

// listFile writes n URLs spread over the hosts, with a duplicate and a
// malformed line, and returns its path and the URLs.
func (s *countingServer) listFile(t *testing.T, n int) (string, []string) {
	var b strings.Builder
	urls := make([]string, n)
	for i := range urls {
		urls[i] = fmt.Sprintf("http://%s/page/%d", s.lns[i%len(s.lns)].Addr(), i)
		fmt.Fprintln(&b, urls[i])
	}
	fmt.Fprintln(&b, "not a url")
	fmt.Fprintln(&b, urls[3])
	path := filepath.Join(t.TempDir(), "urls.txt")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	return path, urls
}

func (s *countingServer) snapshot() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.requests))
	for k, v := range s.requests {
		out[k] = v
	}
	return out
}

// jsonlLines reads -jsonl output: the results by URL (a URL twice fails
// the test), and the other objects.
type jsonlOutput struct {
	results map[string]map[string]any
	others  []map[string]any
}

func parseJSONL(t *testing.T, out string) jsonlOutput {
	o := jsonlOutput{results: make(map[string]map[string]any)}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), sc.Text())
		if m["type"] == "result" {
			u := m["url"].(string)
			assert.NotContains(t, o.results, u, "reported twice")
			o.results[u] = m
		} else {
			o.others = append(o.others, m)
		}
	}
	// A repeat written after its URL's result is that result's line too.
	for _, m := range o.others {
		if r := o.results[fmt.Sprint(m["url"])]; m["type"] == "duplicate" && r != nil {
			r["lines"] = append(r["lines"].([]any), m["line"])
		}
	}
	return o
}

// same is what must match between two crawls of a URL.
func same(m map[string]any) string {
	return fmt.Sprint(m["url"], m["lines"], m["status"], m["bytes"], m["attempts"], m["error"])
}

// childCmd is the command itself (the test binary as CRAWLER_CHILD).
func childCmd(args ...string) *exec.Cmd {
	exe, _ := os.Executable()
	c := exec.Command(exe, args...)
	c.Env = append(os.Environ(), "CRAWLER_CHILD=1")
	return c
}

// lineWriter passes what it is given to w and calls at(n) after each
// complete line.
type lineWriter struct {
	mu sync.Mutex
	b  strings.Builder
	n  int
	at func(n int)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	for _, c := range p {
		if c == '\n' {
			w.n++
			if w.at != nil {
				w.at(w.n)
			}
		}
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// Three worker processes share 2,000 URLs of a latency server through
// the embedded NATS server; one is SIGKILLed midway. Every URL is
// reported exactly once, and the results are those of a single-process
// crawl of the same list.
func TestWorkersSurviveSIGKILL(t *testing.T) {
	srv := startCountingServer(t, 8, 10*time.Millisecond)
	list, urls := srv.listFile(t, 2000)
	flags := []string{"-jsonl", "-host-concurrency", "2", "-c", "20", "-retries", "0"}

	var local strings.Builder
	var errb strings.Builder
	require.Equal(t, 0, run(context.Background(), append(flags, list), nil, &local, &errb), errb.String())
	want := parseJSONL(t, local.String())
	require.Len(t, want.results, len(urls))

	nsrv, err := natsembed.Start("127.0.0.1:0", t.TempDir())
	require.NoError(t, err)
	defer nsrv.Shutdown()
	url := nsrv.ClientURL()
	var workers []*exec.Cmd
	var werr [3]strings.Builder
	for i := range 3 {
		c := childCmd("work", "-nats", url, "-name", "kill", "-id", fmt.Sprint("w", i))
		c.Stderr = &werr[i]
		require.NoError(t, c.Start())
		workers = append(workers, c)
	}
	killed := make(chan struct{})
	out := &lineWriter{at: func(n int) {
		if n == 600 {
			assert.NoError(t, workers[0].Process.Signal(syscall.SIGKILL))
			close(killed)
		}
	}}
	code := run(context.Background(), append([]string{"serve", "-nats", url, "-name", "kill", "-ack-wait", "2s", "-lease-ttl", "1s", "-partitions", "16"}, append(flags, list)...), nil, out, &errb)
	require.Equal(t, 0, code, errb.String())
	<-killed
	for i, c := range workers {
		err := c.Wait()
		if i == 0 {
			assert.Error(t, err, "killed")
		} else {
			assert.NoError(t, err, "a worker returns once the crawl is done: %s", werr[i].String())
		}
	}
	got := parseJSONL(t, out.String())
	require.Len(t, got.results, len(urls), "every URL reported")
	for u, m := range want.results {
		assert.Equal(t, same(m), same(got.results[u]))
	}
	summary := got.others[len(got.others)-1]
	assert.Equal(t, "summary", summary["type"])
	assert.EqualValues(t, len(urls), summary["ok"])
	assert.EqualValues(t, 1, summary["duplicates"])
	assert.EqualValues(t, 1, summary["bad_lines"])
	for _, u := range urls {
		path := u[strings.Index(u[7:], "/")+7:]
		assert.GreaterOrEqual(t, srv.snapshot()[path], 2, "%s: fetched by the local crawl and the shared one", u)
	}
}

// `crawler -workers 2 -store DIR` SIGKILLed midway (its workers die with
// it) and run again with the same store resumes: every URL once in the
// second report, and no URL the first run reported is fetched again.
func TestCoordinatorRestartResumes(t *testing.T) {
	srv := startCountingServer(t, 8, 10*time.Millisecond)
	list, urls := srv.listFile(t, 1000)
	store := t.TempDir()
	args := []string{"-workers", "2", "-store", store, "-ack-wait", "2s", "-lease-ttl", "1s", "-partitions", "16",
		"-jsonl", "-host-concurrency", "1", "-c", "8", "-retries", "0", list}

	first := childCmd(args...)
	stdout, err := first.StdoutPipe()
	require.NoError(t, err)
	var errb strings.Builder
	first.Stderr = &errb
	require.NoError(t, first.Start())
	var firstOut strings.Builder
	sc := bufio.NewScanner(stdout)
	for n := 0; n < 300 && sc.Scan(); n++ {
		firstOut.WriteString(sc.Text() + "\n")
	}
	require.NoError(t, first.Process.Signal(syscall.SIGKILL))
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	_ = first.Wait()
	before := parseJSONL(t, firstOut.String())
	require.NotEmpty(t, before.results, errb.String())
	require.Less(t, len(before.results), len(urls), "killed midway")
	// The killed run's workers die with it (parent-death signal): wait
	// until nothing more reaches the server before taking the counts.
	require.Eventually(t, func() bool {
		a := srv.snapshot()
		time.Sleep(100 * time.Millisecond)
		b := srv.snapshot()
		return fmt.Sprint(a) == fmt.Sprint(b)
	}, 10*time.Second, 10*time.Millisecond)
	counts := srv.snapshot()

	t.Setenv("CRAWLER_CHILD", "1") // the workers of the in-process run are the command
	var out strings.Builder
	code := run(context.Background(), args, nil, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	got := parseJSONL(t, out.String())
	require.Len(t, got.results, len(urls), "every URL once")
	after := srv.snapshot()
	for u, m := range before.results {
		path := u[strings.Index(u[7:], "/")+7:]
		assert.Equal(t, counts[path], after[path], "%s was reported before the kill: not fetched again", u)
		assert.Equal(t, same(m), same(got.results[u]))
	}
	for _, u := range urls {
		assert.Contains(t, got.results, u)
	}
	summary := got.others[len(got.others)-1]
	assert.EqualValues(t, len(urls), summary["ok"])
}

func TestDistUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"serve"},
		{"-workers", "2", "-mode", "serial", "x.txt"},
		{"-workers", "-1"},
		{"serve", "-nats", "nats://127.0.0.1:1", "-store", "d", "x.txt"},
		{"work", "x.txt"},
	} {
		var out, errb strings.Builder
		assert.Equal(t, 2, run(context.Background(), args, nil, &out, &errb), args)
		assert.Contains(t, errb.String(), "usage:", args)
	}
}
