package runinfo_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/geventgo/geventgo/gevent"
	"github.com/geventgo/geventgo/gevent/runinfo"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m, goleak.IgnoreCurrent()) }

// hubWithWaiter runs, on a wall-clock hub made WithRunInfo, a green thread
// blocked on an Event until the returned function sets it and waits for
// the hub to end.
func hubWithWaiter(t *testing.T) (end func()) {
	h := gevent.NewHub(gevent.WithRunInfo())
	var stop gevent.Event
	parked := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- h.Run(context.Background(), func(ctx context.Context) error {
			w := gevent.Go(ctx, stop.Wait, gevent.WithName("stuck"))
			gevent.Sleep(ctx, time.Millisecond) // stuck parks
			close(parked)
			return w.Join(ctx)
		})
	}()
	<-parked
	return func() {
		stop.Set()
		require.NoError(t, <-done)
	}
}

func TestHandler(t *testing.T) {
	rec := httptest.NewRecorder()
	runinfo.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/debug/gevent/runinfo", nil))
	assert.Equal(t, "no hub made WithRunInfo has live green threads, and gevent.SetRunInfo is off\n", rec.Body.String())

	end := hubWithWaiter(t)
	defer end()
	srv := httptest.NewServer(runinfo.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Contains(t, string(body), "(wall clock): 2 green thread(s)")
	assert.Regexp(t, `└── stuck #\d+ blocked for \S+ in Event.Wait; spawned by main #\d+ at runinfo_test.go:\d+`, string(body))
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestNotify(t *testing.T) {
	end := hubWithWaiter(t)
	defer end()
	var out syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runinfo.Notify(ctx, &out, syscall.SIGUSR1) }()
	// Signal until the dump shows: Notify may not have registered yet.
	for i := 0; !bytes.Contains([]byte(out.String()), []byte("stuck #")); i++ {
		require.Less(t, i, 500, "no dump after 5s of signals")
		syscall.Kill(syscall.Getpid(), syscall.SIGUSR1)
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
	assert.Error(t, runinfo.Notify(context.Background(), &out))
}
