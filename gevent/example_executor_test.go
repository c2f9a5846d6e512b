package gevent_test

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/geventgo/geventgo/gevent"
)

// A ThreadPoolExecutor: every submit returns a future at once, the tasks
// queue behind the pool's 4 slots, and as_completed hands back each future
// as it finishes. WithQueue(-1) gives Submit the executor's unbounded
// queue.
//
//	with ThreadPoolExecutor(max_workers=4) as ex:
//	    futures = [ex.submit(pow, i, 2) for i in range(10)]
//	    squares = sorted(f.result() for f in as_completed(futures))
//	print(squares)
func ExampleWithQueue() {
	ctx := context.Background()
	pool := gevent.NewPool(4, gevent.WithQueue(-1))
	var futures []*gevent.Greenlet[int]
	for i := range 10 {
		f := gevent.Submit(ctx, pool, func(context.Context) (int, error) { return i * i, nil })
		futures = append(futures, f)
	}
	var squares []int
	for f, err := range gevent.AsCompleted(ctx, futures) {
		if err != nil {
			panic(err)
		}
		v, _ := f.Get(ctx)
		squares = append(squares, v)
	}
	pool.Close() // shutdown(wait=True)
	pool.Join(ctx)
	slices.Sort(squares)
	fmt.Println(squares)
	fmt.Printf("%+v\n", pool.Stats())
	// Output:
	// [0 1 4 9 16 25 36 49 64 81]
	// {Waiting:0 Running:0 Completed:10 Failed:0 Cancelled:0}
}

// shutdown(cancel_futures=True): Kill kills the running task and cancels
// the queued ones, whose futures report the cancellation.
//
//	ex = ThreadPoolExecutor(max_workers=1)
//	started = threading.Event()
//	first = ex.submit(lambda: (started.set(), time.sleep(3600)))
//	rest = [ex.submit(print, i) for i in range(3)]
//	started.wait()
//	ex.shutdown(cancel_futures=True)
//	print([f.cancelled() for f in rest])
func ExamplePool_Kill_cancelFutures() {
	ctx := context.Background()
	pool := gevent.NewPool(1, gevent.WithQueue(-1))
	var started gevent.Event
	first := pool.Go(ctx, func(ctx context.Context) error {
		started.Set()
		<-ctx.Done() // runs until killed
		return ctx.Err()
	})
	var rest []*gevent.Greenlet[struct{}]
	for i := range 3 {
		f := pool.Go(ctx, func(context.Context) error { fmt.Println(i); return nil })
		rest = append(rest, f)
	}
	started.Wait(ctx)
	pool.Kill(ctx)
	for _, f := range rest {
		fmt.Println(errors.Is(f.Err(), gevent.ErrGreenletExit), errors.Is(f.Err(), context.Canceled), f.Started())
	}
	fmt.Println(first.Successful(), pool.Stats().Cancelled)
	// Output:
	// true true false
	// true true false
	// true true false
	// true 3
}

// Resizing a pool at run time (ants' Tune): growing starts queued tasks at
// once.
func ExamplePool_Resize() {
	ctx := context.Background()
	pool := gevent.NewPool(1, gevent.WithQueue(-1))
	gate := make(chan struct{})
	for range 3 {
		pool.Go(ctx, func(context.Context) error { <-gate; return nil })
	}
	fmt.Printf("%+v\n", pool.Stats())
	pool.Resize(3)
	fmt.Printf("%+v\n", pool.Stats())
	close(gate)
	pool.Close()
	pool.Join(ctx)
	fmt.Printf("%+v\n", pool.Stats())
	// Output:
	// {Waiting:2 Running:1 Completed:0 Failed:0 Cancelled:0}
	// {Waiting:0 Running:3 Completed:0 Failed:0 Cancelled:0}
	// {Waiting:0 Running:0 Completed:3 Failed:0 Cancelled:0}
}
