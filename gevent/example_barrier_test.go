package gevent_test

import (
	"context"
	"fmt"
	"time"

	"github.com/geventgo/geventgo/gevent"
)

// Three workers start a phase together; the action runs once, in the last
// to arrive, before any is released. On a hub the output order is fixed.
//
//	b = threading.Barrier(3, action=lambda: print("all ready"))
//
//	def worker(i):
//	    time.sleep(i)              # arrive at different times
//	    print("worker", i, "ready")
//	    if b.wait() == 0:          # one of them is elected
//	        print("first in, elected")
func ExampleBarrier() {
	gevent.RunHub(context.Background(), func(ctx context.Context) error {
		b := gevent.NewBarrier(3, func(context.Context) error {
			fmt.Println("all ready")
			return nil
		}, 0)
		var gs []*gevent.Greenlet[struct{}]
		for i := range 3 {
			gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
				gevent.Sleep(ctx, time.Duration(i)*time.Second)
				fmt.Println("worker", i, "ready")
				idx, err := b.Wait(ctx)
				if err != nil {
					return err
				}
				if idx == 0 {
					fmt.Println("first in, elected")
				}
				return nil
			}))
		}
		_, err := gevent.JoinAll(ctx, gs, gevent.RaiseError())
		return err
	}, gevent.WithVirtualClock(time.Unix(0, 0)))
	// Output:
	// worker 0 ready
	// worker 1 ready
	// worker 2 ready
	// all ready
	// first in, elected
}
