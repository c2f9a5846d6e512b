package bench

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/geventgo/geventgo/gevent"
	"github.com/geventgo/geventgo/greenlet"
)

// BenchmarkHubSwitch measures one switch between two green threads of a
// Hub that take turns with Sleep(0): each Sleep(0) hands the turn to the
// other. greenlet is the same ping-pong between two greenlets of package
// greenlet (one runtime coroutine switch each), the floor a hub switch
// builds on. CPython: two greenlets alternating with gevent.sleep(0).
func BenchmarkHubSwitch(b *testing.B) {
	b.Run("greenlet", func(b *testing.B) {
		b.ReportAllocs()
		err := greenlet.Run(func(main *greenlet.Greenlet[int]) error {
			n := b.N
			var ping, pong *greenlet.Greenlet[int]
			turn := func(other **greenlet.Greenlet[int]) func(*greenlet.Greenlet[int], int) (int, error) {
				return func(self *greenlet.Greenlet[int], v int) (int, error) {
					var err error
					for v < n && err == nil {
						v, err = self.Switch(*other, v+1)
					}
					return v, err
				}
			}
			ping, pong = greenlet.New(main, turn(&pong)), greenlet.New(main, turn(&ping))
			b.ResetTimer()
			_, err := main.Switch(ping, 0)
			b.StopTimer()
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	})
	b.Run("geventgo", func(b *testing.B) { hubPingPong(b) })
	// explore is the switch under a seeded schedule (a random walk, as
	// geventtest runs every other schedule; explore-pct the PCT ones):
	// the goal is <= 1.3x geventgo.
	b.Run("explore", func(b *testing.B) { hubPingPong(b, gevent.WithSchedule(gevent.RandomSchedule(1))) })
	b.Run("explore-pct", func(b *testing.B) { hubPingPong(b, gevent.WithSchedule(gevent.PCTSchedule(1, 3, 1000))) })
	// monitor is the switch with the blocking monitor on.
	b.Run("monitor", func(b *testing.B) { hubPingPong(b, gevent.WithBlockingMonitor(0, nil)) })
}

// hubPingPong is BenchmarkHubSwitch's hub case on a hub made with opts.
func hubPingPong(b *testing.B, opts ...gevent.HubOption) {
	b.ReportAllocs()
	err := gevent.RunHub(context.Background(), func(ctx context.Context) error {
		n := b.N / 2
		pinger := func(ctx context.Context) error {
			for range n {
				if err := gevent.Sleep(ctx, 0); err != nil {
					return err
				}
			}
			return nil
		}
		b.ResetTimer()
		a, c := gevent.Go(ctx, pinger), gevent.Go(ctx, pinger)
		_, err := gevent.JoinAll(ctx, []*gevent.Greenlet[struct{}]{a, c}, gevent.RaiseError())
		b.StopTimer()
		return err
	}, opts...)
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkHubSpawnJoinAll measures one green thread with a trivial body
// spawned on a Hub and joined, in batches of 100. CPython: gevent.spawn +
// gevent.joinall.
func BenchmarkHubSpawnJoinAll(b *testing.B) {
	const batch = 100
	body := func(context.Context) (int, error) { return 1, nil }
	b.Run("geventgo", func(b *testing.B) { hubSpawnJoin(b, batch, body) })
	// runinfo is the same with WithRunInfo: a stack capture per spawn
	// and per wait (JoinAll's).
	b.Run("runinfo", func(b *testing.B) { hubSpawnJoin(b, batch, body, gevent.WithRunInfo()) })
	b.Run("waitgroup", func(b *testing.B) { waitgroupBatches(b, batch, body) })
}

// hubSpawnJoin is BenchmarkHubSpawnJoinAll's hub case on a hub made with
// opts.
func hubSpawnJoin(b *testing.B, batch int, body func(context.Context) (int, error), opts ...gevent.HubOption) {
	b.ReportAllocs()
	err := gevent.RunHub(context.Background(), func(ctx context.Context) error {
		gs := make([]*gevent.Greenlet[int], batch)
		for i := 0; i < b.N; i += batch {
			for j := range gs {
				gs[j] = gevent.Spawn(ctx, body)
			}
			if _, err := gevent.JoinAll(ctx, gs); err != nil {
				return err
			}
		}
		return nil
	}, opts...)
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkIdleHubGreenlet is BenchmarkIdleGreenlet on a Hub: 100,000 hub
// green threads spawned that block in Event.Wait, then all killed. It
// reports the memory each holds while idle (B/greenlet: its coroutine's
// stack and its objects) and the time to start and kill them all
// (ms/100k).
func BenchmarkIdleHubGreenlet(b *testing.B) {
	const n = 100_000
	for b.Loop() {
		var used uint64
		start := time.Now()
		err := gevent.RunHub(context.Background(), func(ctx context.Context) error {
			var stop gevent.Event
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			gs := make([]*gevent.Greenlet[struct{}], n)
			for i := range gs {
				gs[i] = gevent.Go(ctx, stop.Wait)
			}
			if err := gevent.Sleep(ctx, 0); err != nil { // every one runs and parks
				return err
			}
			runtime.ReadMemStats(&after)
			used = (after.HeapAlloc + after.StackInuse) - (before.HeapAlloc + before.StackInuse)
			return gevent.KillAll(ctx, gs)
		})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(used)/n, "B/greenlet")
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms/100k")
	}
}
