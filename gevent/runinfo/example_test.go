package runinfo_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"

	"github.com/geventgo/geventgo/gevent"
	"github.com/geventgo/geventgo/gevent/runinfo"
)

// gevent.util.format_run_info for a whole process: what runinfo.Handler
// serves and runinfo.Notify prints on a signal. Here one free-mode green
// thread waits on an Event while the dump is taken.
func ExampleWrite() {
	var b strings.Builder
	runinfo.Write(&b)
	fmt.Print(b.String())

	gevent.SetRunInfo(true)
	defer gevent.SetRunInfo(false)
	ctx := context.Background()
	var ready gevent.Event
	w := gevent.Go(ctx, func(ctx context.Context) error { return ready.Wait(ctx) }, gevent.WithName("worker"))
	for {
		b.Reset()
		runinfo.Write(&b)
		if strings.Contains(b.String(), "blocked") {
			break
		}
		runtime.Gosched() // until the worker has parked
	}
	lines := strings.Split(b.String(), "\n")
	fmt.Println(lines[0])
	name, rest, _ := strings.Cut(lines[1], " #") // then the id, which varies
	fmt.Println(name, strings.Contains(rest, " blocked for "), strings.Contains(rest, " in Event.Wait at example_test.go:"))
	ready.Set()
	w.Join(ctx)
	// Output:
	// no hub made WithRunInfo has live green threads, and gevent.SetRunInfo is off
	// Free mode: 1 green thread(s)
	// worker true true
}
