package gevent_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"

	"github.com/geventgo/geventgo/gevent"
)

// gevent.util.format_run_info for free-mode green threads: with
// SetRunInfo on, every green thread spawned is listed until it ends, with
// what it is blocked in. (A hub lists its own: Hub.RunInfo.)
func ExampleSetRunInfo() {
	gevent.SetRunInfo(true)
	defer gevent.SetRunInfo(false)
	ctx := context.Background()
	var ready gevent.Event
	worker := gevent.Go(ctx, func(ctx context.Context) error { return ready.Wait(ctx) }, gevent.WithName("worker"))
	for !blockedIn(gevent.RunInfo(), "worker", "Event.Wait") {
		runtime.Gosched() // until the worker has parked
	}
	for _, in := range gevent.RunInfo() {
		fmt.Println(in.Name, in.State, strings.SplitN(in.BlockedOn, " at ", 2)[0])
	}
	ready.Set()
	worker.Join(ctx)
	fmt.Println(len(gevent.RunInfo()), "listed once it has ended")
	// Output:
	// worker blocked Event.Wait
	// 0 listed once it has ended
}

func blockedIn(infos []gevent.ThreadInfo, name, call string) bool {
	for _, in := range infos {
		if in.Name == name && strings.HasPrefix(in.BlockedOn, call) {
			return true
		}
	}
	return false
}
