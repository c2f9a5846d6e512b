package explorehook_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/geventgo/geventgo/gevent"
	"github.com/geventgo/geventgo/gevent/internal/explorehook"
)

// What geventtest.Explore does with a hub it runs: an Observer counts the
// turns, hears of every panicking green thread, and stops a run that
// would never end (here a loop of Sleep(0), on a virtual clock).
func ExampleObserver() {
	o := &explorehook.Observer{
		MaxTurns: 100,
		Failed:   func(name string, err error) { fmt.Println("failed:", name) },
	}
	err := gevent.RunHub(context.Background(), func(ctx context.Context) error {
		_ = gevent.Go(ctx, func(context.Context) error { panic("boom") }, gevent.WithName("bad")).Join(ctx)
		for {
			if err := gevent.Sleep(ctx, 0); err != nil {
				return err
			}
		}
	}, gevent.WithVirtualClock(time.Time{}), explorehook.WithObserver(o).(gevent.HubOption))
	fmt.Println("stopped:", errors.Is(err, gevent.ErrGreenletExit), o.Exceeded.Load())
	// Output:
	// failed: bad
	// stopped: true true
}
