package gevent_test

import (
	"context"
	"fmt"
	"time"

	"github.com/geventgo/geventgo/gevent"
)

// The classic gevent program: two green threads that sleep 1s each switch
// at every sleep, in gevent's order. On a virtual clock it runs at once.
//
//	def test1(): print("test1"); gevent.sleep(1); print("test11")
//	def test2(): print("tets2"); gevent.sleep(1); print("test22")
//	gevent.joinall([gevent.spawn(test1), gevent.spawn(test2)])
func ExampleHub() {
	err := gevent.RunHub(context.Background(), func(ctx context.Context) error {
		test1 := gevent.Go(ctx, func(ctx context.Context) error {
			fmt.Println("test1")
			gevent.Sleep(ctx, time.Second)
			fmt.Println("test11")
			return nil
		})
		test2 := gevent.Go(ctx, func(ctx context.Context) error {
			fmt.Println("tets2")
			gevent.Sleep(ctx, time.Second)
			fmt.Println("test22")
			return nil
		})
		_, err := gevent.JoinAll(ctx, []*gevent.Greenlet[struct{}]{test1, test2})
		return err
	}, gevent.WithVirtualClock(time.Time{}))
	fmt.Println("err:", err)
	// Output:
	// test1
	// tets2
	// test11
	// test22
	// err: <nil>
}

// The same program with sleeps of 3s and 1s: test2 wakes first, as the
// Python program's output shows.
func ExampleRunHub() {
	start := time.Date(2017, 7, 17, 15, 27, 0, 0, time.UTC)
	hub := gevent.NewHub(gevent.WithVirtualClock(start))
	hub.Run(context.Background(), func(ctx context.Context) error {
		test1 := gevent.Go(ctx, func(ctx context.Context) error {
			fmt.Println("test1")
			gevent.Sleep(ctx, 3*time.Second)
			fmt.Println("test11")
			return nil
		})
		test2 := gevent.Go(ctx, func(ctx context.Context) error {
			fmt.Println("tets2")
			gevent.Sleep(ctx, time.Second)
			fmt.Println("test22")
			return nil
		})
		_, err := gevent.JoinAll(ctx, []*gevent.Greenlet[struct{}]{test1, test2})
		return err
	})
	fmt.Println("virtual time passed:", hub.Now().Sub(start))
	// Output:
	// test1
	// tets2
	// test22
	// test11
	// virtual time passed: 3s
}

// Shared state without locks: on a hub only one green thread runs at a
// time and switches happen only in blocking calls, so a read-modify-write
// with no blocking call inside is atomic, as under gevent.
func ExampleHub_sharedState() {
	counter := 0
	gevent.RunHub(context.Background(), func(ctx context.Context) error {
		var gs []*gevent.Greenlet[struct{}]
		for range 100 {
			gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
				for range 100 {
					v := counter
					counter = v + 1
					gevent.Sleep(ctx, 0) // a switch point, outside the update
				}
				return nil
			}))
		}
		_, err := gevent.JoinAll(ctx, gs)
		return err
	})
	fmt.Println(counter)
	// Output:
	// 10000
}

// gevent.wait() with no objects runs the hub until it has nothing left to
// do; WaitIdle is its port.
//
//	for i in range(3):
//	    gevent.spawn(lambda i=i: (gevent.sleep(i), print("done", i)))
//	gevent.wait()
//	print("idle")
func ExampleWaitIdle() {
	gevent.RunHub(context.Background(), func(ctx context.Context) error {
		for i := range 3 {
			gevent.Go(ctx, func(ctx context.Context) error {
				err := gevent.Sleep(ctx, time.Duration(i)*time.Second)
				fmt.Println("done", i)
				return err
			})
		}
		if err := gevent.WaitIdle(ctx); err != nil {
			return err
		}
		fmt.Println("idle")
		return nil
	}, gevent.WithVirtualClock(time.Unix(0, 0)))
	// Output:
	// done 0
	// done 1
	// done 2
	// idle
}

// On a Hub a green thread's Links run in gevent's place: from a turn of
// their own behind the green threads that were ready when it ended, so two
// that end one after the other both end before either's links run, and a
// link made after the end is scheduled, not run inside Link.
//
//	g1 = gevent.spawn(f, 1); g1.link(lambda g: print("link 1"))
//	g2 = gevent.spawn(f, 2); g2.link(lambda g: print("link 2"))
//	gevent.joinall([g1, g2])
//	g1.link(lambda g: print("late link")); print("after link"); gevent.sleep(0)
func ExampleGreenlet_Link_hub() {
	gevent.RunHub(context.Background(), func(ctx context.Context) error {
		f := func(i int) func(context.Context) (int, error) {
			return func(context.Context) (int, error) { fmt.Println("end", i); return i, nil }
		}
		g1 := gevent.Spawn(ctx, f(1))
		g1.Link(func(*gevent.Greenlet[int]) { fmt.Println("link 1") })
		g2 := gevent.Spawn(ctx, f(2))
		g2.Link(func(*gevent.Greenlet[int]) { fmt.Println("link 2") })
		gevent.JoinAll(ctx, []*gevent.Greenlet[int]{g1, g2})
		g1.Link(func(*gevent.Greenlet[int]) { fmt.Println("late link") })
		fmt.Println("after link")
		return gevent.Sleep(ctx, 0)
	}, gevent.WithVirtualClock(time.Time{}))
	// Output:
	// end 1
	// end 2
	// link 1
	// link 2
	// after link
	// late link
}
