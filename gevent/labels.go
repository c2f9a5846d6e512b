package gevent

import (
	"context"
	"runtime/pprof"
	"strconv"
	"sync/atomic"
)

// SetProfileLabels turns profiler labels on or off for the green threads
// that start from then on: with it on, each green thread's body runs with
// the pprof labels greenlet=<name> and greenlet_id=<id>
// (runtime/pprof.SetGoroutineLabels), so that CPU profiles and goroutine
// dumps (go tool pprof -tagfocus, /debug/pprof/goroutine?debug=1) group by
// green thread. The goroutines a green thread starts inherit its labels,
// as with pprof.Do. The setting is process-wide and safe for concurrent
// use.
//
// Off by default: labelling a green thread allocates its label set (six
// allocations, about 250 ns), which made a free-mode spawn and join 1.8x
// slower here (BenchmarkSpawnJoinAll/labels: 617 against 347 ns), far
// over the 5% it would have to stay under to be on by default. When off
// it costs one atomic load per green thread.
func SetProfileLabels(on bool) { profileLabels.Store(on) }

// ProfileLabels reports whether SetProfileLabels is on.
func ProfileLabels() bool { return profileLabels.Load() }

var profileLabels atomic.Bool

// labelThread sets t's profiler labels on the calling goroutine (t's
// goroutine or coroutine) and returns what takes them off again: a hub's
// coroutine runs other green threads after t.
func labelThread(t *GreenThread) (restore func()) {
	ctx := pprof.WithLabels(context.Background(), pprof.Labels(
		"greenlet", t.Name(), "greenlet_id", strconv.FormatUint(t.id, 10)))
	pprof.SetGoroutineLabels(ctx)
	return func() { pprof.SetGoroutineLabels(context.Background()) }
}
