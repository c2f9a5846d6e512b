package geventtest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/geventgo/geventgo/gevent"
	"github.com/geventgo/geventgo/gevent/geventtest"
)

// report prints what a search found, and checks that its schedule replays
// the failure.
func report(name string, fn geventtest.Func) {
	fmt.Println("FIFO fails:", geventtest.Replay(name, gevent.Schedule{}, fn) != nil)
	r := geventtest.Search(name, fn)
	if r.Failure == nil {
		fmt.Println("not found in", r.Schedules, "schedules")
		return
	}
	f := r.Failure
	fmt.Printf("found at schedule %d: %v\n%s\n", r.Schedules, f.Schedule, f.Reason)
	again := geventtest.Replay(name, f.Schedule, fn)
	fmt.Println("replayed:", again != nil && again.Reason == f.Reason)
}

// A lost update across Sleep(ctx, 0): two deposits read the balance,
// yield (an audit log), and write it back (see lostUpdate in
// planted_test.go). Under the Hub's FIFO schedule the second deposit,
// which yields once more first, reads after the first has written; the
// explorer finds the schedule where both read 0.
func ExampleSearch_lostUpdate() {
	report("lostUpdate", lostUpdate(false))
	// Output:
	// FIFO fails: false
	// found at schedule 2: pct:2:11:1610207427243655543
	// t.Error or t.Fatal
	// replayed: true
}

// An ABBA deadlock: two transfers take two Locks in opposite orders with
// a yield in between (see abba in planted_test.go). FIFO lets the first
// finish before the second takes a lock; the explorer finds the schedule
// where each holds one lock and waits for the other, and the hub reports
// the deadlock as gevent.ErrLoopExit.
func ExampleSearch_abba() {
	report("abba", abba(false))
	// Output:
	// FIFO fails: false
	// found at schedule 5: random:5317780708384442584
	// deadlock: a wait ended with gevent.ErrLoopExit; 2 green thread(s) left blocked
	// replayed: true
}

// A missed Event wake: the consumer checks the inbox, handles what it
// took, and then clears the Event and waits again (see missedWake in
// planted_test.go); a message posted in between set an Event that was
// still set, and the Clear loses it. FIFO has both producers post before
// the consumer looks.
func ExampleSearch_missedWake() {
	report("missedWake", missedWake(false))
	// Output:
	// FIFO fails: false
	// found at schedule 1: random:13555942094614704829
	// deadlock: a wait ended with gevent.ErrLoopExit; 1 green thread(s) left blocked
	// replayed: true
}

// A correct program passes every schedule: the read and the write of the
// counter are in one turn. In a test, geventtest.Explore(t, fn) runs the
// same search and fails t with the report of the first failing schedule.
func ExampleSearch() {
	r := geventtest.Search("counter", func(ctx context.Context, t testing.TB) error {
		n := 0
		var gs []*gevent.Greenlet[struct{}]
		for range 3 {
			gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
				n++ // no blocking call between the read and the write
				return gevent.Sleep(ctx, 0)
			}))
		}
		if _, err := gevent.JoinAll(ctx, gs, gevent.RaiseError()); err != nil {
			return err
		}
		if n != 3 {
			t.Errorf("n = %d, want 3", n)
		}
		return nil
	})
	fmt.Println(r.Schedules, "schedules, failure:", r.Failure)
	// Output: 500 schedules, failure: <nil>
}
