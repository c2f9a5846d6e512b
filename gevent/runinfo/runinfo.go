// Package runinfo serves gevent's run-info dump (gevent.util.format_run_info)
// the way net/http/pprof serves profiles: over HTTP from a handler a
// program mounts, and on a signal. It dumps every reachable hub made with
// gevent.WithRunInfo that has live green threads: each green thread as a
// tree under the one that spawned it, with its ID, state, spawn site and
// what it is blocked in, for how long (see gevent.Hub.WriteRunInfo).
//
//	mux.Handle("/debug/gevent/runinfo", runinfo.Handler())
//	go runinfo.Notify(ctx, os.Stderr, syscall.SIGUSR1)
//
// Nothing here costs anything until a dump is asked for; the recording
// cost is WithRunInfo's.
package runinfo

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"

	"github.com/geventgo/geventgo/gevent"
)

// Handler returns an http.Handler that writes the dump as text/plain, or
// a line saying that there is nothing to list.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		Write(w)
	})
}

// Write writes the dump to w (see the package doc): the free-mode green
// threads when gevent.SetRunInfo is on, then every hub made WithRunInfo
// with live green threads; it returns the number of trees written, and
// writes one line saying so when there is none.
func Write(w io.Writer) (int, error) {
	n, err := gevent.WriteAllRunInfo(w)
	if err == nil && n == 0 {
		_, err = io.WriteString(w, "no hub made WithRunInfo has live green threads, and gevent.SetRunInfo is off\n")
	}
	return n, err
}

// Notify writes the dump to w each time the process receives one of sigs,
// until ctx is done, then stops relaying them and returns ctx's error. Run
// it on a goroutine of its own. With no sigs it returns at once with an
// error: a dump on every signal (os/signal's default) would swallow
// SIGINT.
func Notify(ctx context.Context, w io.Writer, sigs ...os.Signal) error {
	if len(sigs) == 0 {
		return fmt.Errorf("runinfo.Notify: no signal given")
	}
	c := make(chan os.Signal, 1)
	signal.Notify(c, sigs...)
	defer signal.Stop(c)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c:
			Write(w)
		}
	}
}
