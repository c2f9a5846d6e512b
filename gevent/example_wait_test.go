package gevent_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/geventgo/geventgo/gevent"
)

// worker sleeps n seconds (of the hub's clock) and returns n.
func worker(n int) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		return n, gevent.Sleep(ctx, time.Duration(n)*time.Second)
	}
}

// gevent.iwait: results in the order the green threads finish. On a
// virtual clock the three seconds take no time.
//
//	def worker(n):
//	    gevent.sleep(n)
//	    return n
//	gs = [gevent.spawn(worker, n) for n in (3, 1, 2)]
//	for g in gevent.iwait(gs):
//	    print(g.value)
func ExampleIWait() {
	gevent.RunHub(context.Background(), func(ctx context.Context) error {
		var gs []*gevent.Greenlet[int]
		for _, n := range []int{3, 1, 2} {
			gs = append(gs, gevent.Spawn(ctx, worker(n)))
		}
		for g, err := range gevent.IWait(ctx, gs) {
			if err != nil {
				return err
			}
			fmt.Println(g.Value())
		}
		return nil
	}, gevent.WithVirtualClock(time.Time{}))
	// Output:
	// 1
	// 2
	// 3
}

// gevent.wait over a green thread and an Event, with count and timeout.
//
//	evt = Event()
//	g = gevent.spawn(worker, 2)
//	gevent.spawn_later(1, evt.set)
//	print(gevent.wait([g, evt], count=1) == [evt])
//	print(gevent.wait([g], timeout=0.5))
//	print(gevent.wait([g, evt]) == [evt, g])
func ExampleWait() {
	gevent.RunHub(context.Background(), func(ctx context.Context) error {
		var evt gevent.Event
		g := gevent.Spawn(ctx, worker(2))
		gevent.SpawnLater(ctx, time.Second, func(context.Context) (struct{}, error) {
			evt.Set()
			return struct{}{}, nil
		})
		objs := []gevent.Waitable{g, &evt}
		ready, _ := gevent.Wait(ctx, objs, gevent.JoinCount(1))
		fmt.Println(len(ready) == 1 && ready[0] == &evt)
		ready2, err := gevent.Wait(ctx, []*gevent.Greenlet[int]{g}, gevent.JoinTimeout(500*time.Millisecond))
		fmt.Println(ready2, errors.Is(err, context.DeadlineExceeded))
		ready, _ = gevent.Wait(ctx, objs)
		fmt.Println(len(ready) == 2 && ready[0] == &evt && ready[1] == g)
		return nil
	}, gevent.WithVirtualClock(time.Time{}))
	// Output:
	// true
	// [] true
	// true
}

// concurrent.futures.as_completed over a pool's tasks: a Pool's task is
// its future.
//
//	with ThreadPoolExecutor(max_workers=3) as ex:
//	    fs = [ex.submit(worker, n) for n in (3, 1, 2)]
//	    for f in as_completed(fs, timeout=10):
//	        print(f.result())
func ExampleAsCompleted() {
	gevent.RunHub(context.Background(), func(ctx context.Context) error {
		pool := gevent.NewPool(3)
		defer pool.Kill(ctx)
		var fs []*gevent.Greenlet[int]
		for _, n := range []int{3, 1, 2} {
			f := gevent.Submit(ctx, pool, worker(n))
			fs = append(fs, f)
		}
		// timeout=10 on the hub's clock (context.WithTimeout would use
		// the wall clock).
		return gevent.Timeout{After: 10 * time.Second}.Run(ctx, func(ctx context.Context) error {
			for f, err := range gevent.AsCompleted(ctx, fs) {
				if err != nil {
					return err // matches gevent.ErrTimeout after 10s
				}
				fmt.Println(f.Get(ctx))
			}
			return nil
		})
	}, gevent.WithVirtualClock(time.Time{}))
	// Output:
	// 1 <nil>
	// 2 <nil>
	// 3 <nil>
}

// concurrent.futures.wait with FIRST_EXCEPTION: it returns at the first
// future that fails, with the split into done and not done.
//
//	def fail():
//	    time.sleep(1)
//	    raise ValueError("boom")
//	fs = [ex.submit(worker, 3), ex.submit(fail), ex.submit(worker, 0)]
//	done, not_done = wait(fs, return_when=FIRST_EXCEPTION)
//	print(len(done), len(not_done), fs[1].exception())
func ExampleWaitFutures() {
	gevent.RunHub(context.Background(), func(ctx context.Context) error {
		fail := func(ctx context.Context) (int, error) {
			if err := gevent.Sleep(ctx, time.Second); err != nil {
				return 0, err
			}
			return 0, errors.New("boom")
		}
		fs := []*gevent.Greenlet[int]{gevent.Spawn(ctx, worker(3)), gevent.Spawn(ctx, fail), gevent.Spawn(ctx, worker(0))}
		done, notDone, err := gevent.WaitFutures(ctx, fs, gevent.FirstException)
		fmt.Println(len(done), len(notDone), fs[1].Err(), err)
		return gevent.KillAll(ctx, notDone)
	}, gevent.WithVirtualClock(time.Time{}))
	// Output:
	// 2 1 boom <nil>
}

// Done puts a green thread (or an Event, AsyncResult, Group or Pool) in a
// select, beside channels and timers: here in free mode, where blocking on
// a channel is fine.
//
//	g = gevent.spawn(lambda: 42)
//	g.join(timeout=1)
//	print(g.value if g.ready() else "timeout")
func ExampleGreenThread_Done() {
	ctx := context.Background()
	g := gevent.Spawn(ctx, func(context.Context) (int, error) { return 42, nil })
	select {
	case <-g.Done():
		fmt.Println(g.Value())
	case <-time.After(time.Second):
		fmt.Println("timeout")
	}
	// Output:
	// 42
}
