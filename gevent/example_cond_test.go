package gevent_test

import (
	"context"
	"fmt"

	"github.com/geventgo/geventgo/gevent"
)

// The producer/consumer idiom of threading.Condition, on a hub (one green
// thread runs at a time, so the output order is fixed):
//
//	cv = threading.Condition()
//	items = []
//
//	def consumer(name):
//	    with cv:
//	        cv.wait_for(lambda: items)
//	        print(name, "got", items.pop(0))
//
//	def producer():
//	    for i in range(3):
//	        with cv:
//	            items.append(i)
//	            cv.notify()
func ExampleCondition() {
	gevent.RunHub(context.Background(), func(ctx context.Context) error {
		var cv gevent.Condition // like Condition(): over an RLock of its own
		var items []int
		consumer := func(name string) func(context.Context) error {
			return func(ctx context.Context) error {
				if err := cv.Acquire(ctx); err != nil {
					return err
				}
				defer cv.Release(ctx)
				if _, err := cv.WaitFor(ctx, func() bool { return len(items) > 0 }); err != nil {
					return err
				}
				fmt.Println(name, "got", items[0])
				items = items[1:]
				return nil
			}
		}
		gs := []*gevent.Greenlet[struct{}]{
			gevent.Go(ctx, consumer("a")),
			gevent.Go(ctx, consumer("b")),
			gevent.Go(ctx, consumer("c")),
		}
		gevent.Sleep(ctx, 0) // let the consumers wait
		for i := range 3 {
			cv.Acquire(ctx)
			items = append(items, i)
			cv.Notify(ctx, 1)
			cv.Release(ctx)
		}
		_, err := gevent.JoinAll(ctx, gs, gevent.RaiseError())
		return err
	})
	// Output:
	// a got 0
	// b got 1
	// c got 2
}
