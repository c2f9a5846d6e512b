package gevent_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/geventgo/geventgo/gevent"
)

// The classic Lock program: two processes append lines to one file, one
// with "with lock:", one with acquire/try/finally release.
func ExampleLock() {
	ctx := context.Background()
	var (
		lock gevent.Lock
		file strings.Builder
	)
	write := func(line string) func(context.Context) error {
		return func(ctx context.Context) error {
			if err := lock.Acquire(ctx); err != nil {
				return err
			}
			defer lock.Release()
			for range 9 {
				file.WriteString(line + "\n")
			}
			return nil
		}
	}
	w := gevent.Go(ctx, write("Lockd acquired via with"))
	nw := gevent.Go(ctx, write("Lock acquired directly"))
	gevent.JoinAll(ctx, []*gevent.Greenlet[struct{}]{w, nw})
	text := file.String()
	fmt.Println(strings.Count(text, "via with"), strings.Count(text, "directly"))
	// Each writer's nine lines are contiguous: the lock kept them apart.
	fmt.Println(strings.Contains(text, strings.Repeat("Lockd acquired via with\n", 9)))
	fmt.Println("end")
	// Output:
	// 9 9
	// true
	// end
}

// The classic Semaphore(2) program: five processes, at most two inside at
// once.
func ExampleSemaphore() {
	ctx := context.Background()
	s := gevent.NewSemaphore(2)
	var inside, most atomic.Int32
	var gs []*gevent.Greenlet[struct{}]
	for i := range 5 {
		gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
			if err := s.Acquire(ctx); err != nil {
				return err
			}
			defer s.Release()
			n := inside.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			gevent.Sleep(ctx, time.Duration(i)*time.Millisecond)
			inside.Add(-1)
			return nil
		}, gevent.WithName(fmt.Sprintf("Process-%d", 11+i))))
	}
	gevent.JoinAll(ctx, gs)
	fmt.Println("at most", most.Load(), "inside at once; permits back:", s.Counter())
	// Output:
	// at most 2 inside at once; permits back: 2
}

// The classic Event program: one process waits for the event, another
// waits with a timeout and gives up; then main sets it.
//
//	e.wait(t)  # returns False on timeout
func ExampleEvent() {
	ctx := context.Background()
	var e, started gevent.Event
	w1 := gevent.Go(ctx, func(ctx context.Context) error {
		fmt.Println("wait_for_event: starting")
		started.Set()
		err := e.Wait(ctx)
		fmt.Println("wait_for_event: e.is_set()->", e.IsSet())
		return err
	}, gevent.WithName("block"))
	started.Wait(ctx)
	w2 := gevent.Go(ctx, func(ctx context.Context) error {
		fmt.Println("wait_for_event_timeout: starting")
		tctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		err := e.Wait(tctx)
		fmt.Println("wait_for_event_timeout: e.is_set->", e.IsSet(), "timed out:", errors.Is(err, context.DeadlineExceeded))
		return nil
	}, gevent.WithName("non-block"))
	w2.Join(ctx)
	e.Set()
	w1.Join(ctx)
	fmt.Println("main: event is set")
	// Output:
	// wait_for_event: starting
	// wait_for_event_timeout: starting
	// wait_for_event_timeout: e.is_set-> false timed out: true
	// wait_for_event: e.is_set()-> true
	// main: event is set
}

// gevent.Timeout as a scope:
//
//	try:
//	    with gevent.Timeout(0.01):
//	        gevent.sleep(10)
//	except gevent.Timeout:
//	    print("timed out")
func ExampleTimeout() {
	ctx := context.Background()
	err := gevent.Timeout{After: 10 * time.Millisecond}.Run(ctx, func(ctx context.Context) error {
		return gevent.Sleep(ctx, 10*time.Second)
	})
	if errors.Is(err, gevent.ErrTimeout) {
		fmt.Println("timed out:", err)
	}
	errSlow := errors.New("too slow")
	err = gevent.Timeout{After: 10 * time.Millisecond, Err: errSlow}.Run(ctx, func(ctx context.Context) error {
		return gevent.Sleep(ctx, 10*time.Second)
	})
	fmt.Println(err == errSlow)
	// Output:
	// timed out: gevent: timeout after 10ms
	// true
}

// AsyncResult as a future set by one green thread and read by another.
func ExampleAsyncResult() {
	ctx := context.Background()
	var result gevent.AsyncResult[string]
	gevent.Go(ctx, func(context.Context) error { return result.Set("hello from the setter") })
	v, err := result.Get(ctx)
	fmt.Println(v, err)
	// Output:
	// hello from the setter <nil>
}
