package gevent_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/geventgo/geventgo/gevent"
)

// A killed greenlet may block in its cleanup in gevent; here the killed
// green thread's context stays cancelled, so the cleanup runs with
// context.WithoutCancel (bounded by a Timeout). A kill counts as success.
//
//	def worker():
//	    try:
//	        gevent.sleep(3600)
//	    except GreenletExit:
//	        gevent.sleep(0.01)         # cleanup that blocks: flush, say goodbye
//	        print("cleaned up")
//	        raise
//	g = gevent.spawn(worker); gevent.sleep(0)
//	g.kill()
//	print(g.successful(), g.exception)  # True None
func Example_killCleanup() {
	ctx := context.Background()
	var started gevent.Event
	g := gevent.Go(ctx, func(ctx context.Context) error {
		started.Set()
		err := gevent.Sleep(ctx, time.Hour)
		if errors.Is(err, gevent.ErrGreenletExit) {
			cleanup := context.WithoutCancel(ctx) // ctx itself stays cancelled
			gevent.WithTimeout(cleanup, time.Second, func(ctx context.Context) error {
				if err := gevent.Sleep(ctx, 10*time.Millisecond); err != nil {
					return err
				}
				fmt.Println("cleaned up")
				return nil
			})
		}
		return err
	})
	started.Wait(ctx)
	g.Kill(ctx)
	fmt.Println(g.Successful(), errors.Is(g.Err(), gevent.ErrGreenletExit))
	// Output:
	// cleaned up
	// true true
}

// Killing a green thread kills what it spawned with its context; gevent
// leaves those running. Spawning with context.WithoutCancel gets gevent's
// behaviour.
//
//	def parent():
//	    gevent.spawn(child)    # keeps running after parent is killed
//	    gevent.sleep(3600)
func Example_killChildren() {
	ctx := context.Background()
	children := make(chan *gevent.Greenlet[struct{}], 2)
	parent := gevent.Go(ctx, func(ctx context.Context) error {
		children <- gevent.Go(ctx, func(ctx context.Context) error { return gevent.Sleep(ctx, time.Hour) })
		children <- gevent.Go(context.WithoutCancel(ctx), func(ctx context.Context) error { return gevent.Sleep(ctx, time.Hour) })
		return gevent.Sleep(ctx, time.Hour)
	})
	tied, free := <-children, <-children
	parent.Kill(ctx)
	tied.Join(ctx)
	fmt.Println("tied child killed:", errors.Is(tied.Err(), gevent.ErrGreenletExit))
	fmt.Println("WithoutCancel child alive:", free.Alive())
	free.Kill(ctx)
	// Output:
	// tied child killed: true
	// WithoutCancel child alive: true
}
