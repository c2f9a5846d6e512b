package gevent_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/geventgo/geventgo/gevent"
)

// gevent.with_timeout with a timeout_value: the value in place of the
// Timeout.
//
//	result = gevent.with_timeout(0.01, slow_lookup, "key", timeout_value="default")
//	print(result)
func ExampleWithTimeoutOr() {
	slowLookup := func(ctx context.Context, key string) (string, error) {
		if err := gevent.Sleep(ctx, 10*time.Second); err != nil {
			return "", err
		}
		return "value of " + key, nil
	}
	result, err := gevent.WithTimeoutOr(context.Background(), 10*time.Millisecond, "default",
		func(ctx context.Context) (string, error) { return slowLookup(ctx, "key") })
	fmt.Println(result, err)
	// Output:
	// default <nil>
}

// gevent.with_timeout for a function with a result, on a virtual clock:
// the first call finishes in time, the second raises the Timeout.
//
//	def compute(n):
//	    gevent.sleep(n)
//	    return n * n
//	print(gevent.with_timeout(5, compute, 3))
//	try:
//	    gevent.with_timeout(5, compute, 7)
//	except gevent.Timeout as t:
//	    print("timed out:", t)
func ExampleWithTimeoutValue() {
	compute := func(n int) func(ctx context.Context) (int, error) {
		return func(ctx context.Context) (int, error) {
			if err := gevent.Sleep(ctx, time.Duration(n)*time.Second); err != nil {
				return 0, err
			}
			return n * n, nil
		}
	}
	_ = gevent.RunHub(context.Background(), func(ctx context.Context) error {
		fmt.Println(gevent.WithTimeoutValue(ctx, 5*time.Second, compute(3)))
		_, err := gevent.WithTimeoutValue(ctx, 5*time.Second, compute(7))
		if errors.Is(err, gevent.ErrTimeout) {
			fmt.Println("timed out:", err)
		}
		return nil
	}, gevent.WithVirtualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	// Output:
	// 9 <nil>
	// timed out: gevent: timeout after 5s
}

// A Timeout started around a call chain, as a context: every function down
// the chain sees the deadline (here on a hub's virtual clock), and the
// package's blocking calls end with the Timeout when it passes.
//
//	timeout = gevent.Timeout(2)
//	timeout.start()
//	try:
//	    handle(request)        # deep down: gevent.sleep(5)
//	except gevent.Timeout as t:
//	    print("timed out:", t)
//	finally:
//	    timeout.close()
func ExampleTimeoutContext() {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := gevent.NewHub(gevent.WithVirtualClock(start))
	query := func(ctx context.Context) error {
		if dl, ok := ctx.Deadline(); ok {
			fmt.Println("query: time left", dl.Sub(h.Now()))
		}
		return gevent.Sleep(ctx, 5*time.Second)
	}
	handle := func(ctx context.Context) error {
		if err := gevent.Sleep(ctx, 500*time.Millisecond); err != nil {
			return err
		}
		return query(ctx)
	}
	_ = h.Run(context.Background(), func(ctx context.Context) error {
		tctx, cancel := gevent.TimeoutContext(ctx, 2*time.Second)
		defer cancel()
		err := handle(tctx)
		if errors.Is(err, gevent.ErrTimeout) {
			fmt.Println("timed out:", context.Cause(tctx), "at", h.Now().Sub(start))
		}
		return nil
	})
	// Output:
	// query: time left 1.5s
	// timed out: gevent: timeout after 2s at 2s
}

// Python's timeout argument on a virtual clock: q.get(timeout=1) raises
// Empty after one second of the hub's time, which takes no real time.
//
//	try:
//	    item = q.get(timeout=1)
//	except gevent.queue.Empty:
//	    print("nothing after 1s")
func ExampleContextWithTimeout() {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := gevent.NewHub(gevent.WithVirtualClock(start))
	_ = h.Run(context.Background(), func(ctx context.Context) error {
		var q gevent.Queue[string]
		dctx, cancel := gevent.ContextWithTimeout(ctx, time.Second)
		defer cancel()
		if _, err := q.Get(dctx); errors.Is(err, gevent.ErrEmpty) {
			fmt.Println("nothing after", h.Now().Sub(start))
		}
		return nil
	})
	// Output:
	// nothing after 1s
}

// Greenlet.kill(exception=...): the body's blocking call fails with the
// given error, and the greenlet is not successful.
//
//	class Shutdown(Exception): pass
//	def worker():
//	    try:
//	        gevent.sleep(60)
//	    except Shutdown as e:
//	        print("worker:", e)
//	        raise
//	g = gevent.spawn(worker)
//	gevent.sleep(0)
//	g.kill(exception=Shutdown("maintenance"))
//	print(g.successful(), repr(g.exception))
func ExampleGreenThread_KillWith() {
	errShutdown := errors.New("maintenance")
	_ = gevent.RunHub(context.Background(), func(ctx context.Context) error {
		g := gevent.Go(ctx, func(ctx context.Context) error {
			err := gevent.Sleep(ctx, time.Minute)
			if errors.Is(err, errShutdown) {
				fmt.Println("worker:", err)
			}
			return err
		})
		if err := gevent.Sleep(ctx, 0); err != nil {
			return err
		}
		if err := g.KillWith(ctx, errShutdown); err != nil {
			return err
		}
		fmt.Println(g.Successful(), errors.Is(g.Err(), errShutdown))
		return nil
	}, gevent.WithVirtualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	// Output:
	// worker: context canceled: maintenance
	// false true
}

// gevent.killall(greenlets, exception=...).
//
//	gs = [gevent.spawn(gevent.sleep, 60) for _ in range(3)]
//	gevent.sleep(0)
//	gevent.killall(gs, exception=Shutdown("maintenance"))
//	print([g.successful() for g in gs])
func ExampleKillAllWith() {
	errShutdown := errors.New("maintenance")
	ctx := context.Background()
	var gs []*gevent.Greenlet[struct{}]
	for range 3 {
		gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error { return gevent.Sleep(ctx, time.Minute) }))
	}
	if err := gevent.KillAllWith(ctx, gs, errShutdown); err != nil {
		fmt.Println(err)
	}
	for _, g := range gs {
		fmt.Println(g.Successful(), errors.Is(g.Err(), errShutdown))
	}
	// Output:
	// false true
	// false true
	// false true
}
