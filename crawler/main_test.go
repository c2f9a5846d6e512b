package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// The demo's fasthttp server adds two: its worker-pool cleaner (exits after
// its sleep once Shutdown stopped the pool) and fasthttp's process-wide
// server-date ticker, started once and never stopped by fasthttp itself.
//
// With CRAWLER_CHILD=1 the test binary is the command itself: the worker
// processes of -workers N (os.Executable) and the children the tests
// start are the real command, built once with the tests.
func TestMain(m *testing.M) {
	if os.Getenv("CRAWLER_CHILD") == "1" {
		main()
	}
	goleak.VerifyTestMain(m, goleak.IgnoreCurrent(),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*Client).mCleaner"), // see crawl's TestMain
	)
}

func TestRunListFileAndExitCodes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/404" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "hello")
	}))
	defer srv.Close()
	list := fmt.Sprintf("# list\n%s/a\n\nftp://x/\n%s/404\n", srv.URL, srv.URL)
	path := filepath.Join(t.TempDir(), "urls.txt")
	require.NoError(t, os.WriteFile(path, []byte(list), 0o600))

	var out, errb strings.Builder
	code := run(context.Background(), []string{"-c", "4", path}, nil, &out, &errb)
	assert.Equal(t, 0, code, errb.String()) // a 404 is a status, not a failure
	assert.Contains(t, out.String(), "skipped line 4")
	assert.Contains(t, out.String(), "speed-up")

	out.Reset()
	code = run(context.Background(), []string{"-json", "-mode", "concurrent", "-"}, strings.NewReader(list+"http://127.0.0.1:1/\n"), &out, &errb)
	assert.Equal(t, 1, code) // a failed URL with -fail-on-error (default true)
	var rep map[string]any
	require.NoError(t, json.Unmarshal([]byte(out.String()), &rep))
	assert.EqualValues(t, 3, rep["urls"])

	code = run(context.Background(), []string{"-fail-on-error=false", "-mode", "serial", "-"}, strings.NewReader("http://127.0.0.1:1/\n"), &out, &errb)
	assert.Equal(t, 0, code)
	assert.Equal(t, 2, run(context.Background(), []string{"-mode", "sideways"}, nil, &out, &errb))
}

func TestDemo(t *testing.T) {
	var out, errb strings.Builder
	code := run(context.Background(), []string{"-mode", "concurrent"}, nil, &out, &errb)
	assert.Equal(t, 0, code, errb.String())
	assert.Contains(t, out.String(), "/redirect")
	assert.Contains(t, out.String(), "404")
	assert.Contains(t, out.String(), "1.0MiB")
}

func TestInterruptReportsWhatWasDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) == 2 {
			cancel() // Ctrl-C while the second URL is being fetched
		}
		fmt.Fprint(w, "hello")
	}))
	defer srv.Close()
	var list strings.Builder
	for i := range 5 {
		fmt.Fprintf(&list, "%s/%d\n", srv.URL, i)
	}
	var out, errb strings.Builder
	code := run(ctx, []string{"-mode", "serial", "-"}, strings.NewReader(list.String()), &out, &errb)
	assert.Equal(t, 130, code, errb.String())
	assert.Contains(t, out.String(), "interrupted")
	assert.LessOrEqual(t, requests.Load(), int32(2), "no URL is fetched after the interrupt")
	assert.Contains(t, out.String(), "/0", "the URL fetched before the interrupt is reported")
	assert.Contains(t, out.String(), "/4: context canceled", "every URL not fetched is reported as cancelled")
}
