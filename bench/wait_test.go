package bench

import (
	"context"
	"testing"

	"github.com/geventgo/geventgo/gevent"
)

// BenchmarkIWait measures the fan-in of 1,000 green threads, per item:
// each is spawned with a trivial body and the caller takes the results in
// the order the green threads finish. geventgo ranges over gevent.IWait
// (one registration an object, no goroutine) and reads each Value; chan
// spawns the same green threads, whose bodies send their result on a
// buffered channel that the caller receives from. CPython: gevent.spawn +
// gevent.iwait. The -gated pair has the bodies wait for an Event that is
// set just before the fan-in starts, so that most finish while the caller
// waits (they mostly have already without it).
func BenchmarkIWait(b *testing.B) {
	const batch = 1000
	ctx := context.Background()
	b.Run("geventgo", func(b *testing.B) {
		b.ReportAllocs()
		body := func(context.Context) (int, error) { return 1, nil }
		gs := make([]*gevent.Greenlet[int], batch)
		sum := 0
		for i := 0; i < b.N; i += batch {
			for j := range gs {
				gs[j] = gevent.Spawn(ctx, body)
			}
			for g, err := range gevent.IWait(ctx, gs) {
				if err != nil {
					b.Fatal(err)
				}
				sum += g.Value()
			}
		}
		if sum < b.N {
			b.Fatal(sum)
		}
	})
	b.Run("chan", func(b *testing.B) {
		b.ReportAllocs()
		results := make(chan int, batch)
		body := func(context.Context) (int, error) {
			results <- 1
			return 1, nil
		}
		gs := make([]*gevent.Greenlet[int], batch)
		sum := 0
		for i := 0; i < b.N; i += batch {
			for j := range gs {
				gs[j] = gevent.Spawn(ctx, body)
			}
			for range batch {
				sum += <-results
			}
		}
		if sum < b.N {
			b.Fatal(sum)
		}
	})
	b.Run("geventgo-gated", func(b *testing.B) {
		b.ReportAllocs()
		gs := make([]*gevent.Greenlet[int], batch)
		sum := 0
		for i := 0; i < b.N; i += batch {
			var start gevent.Event
			body := func(ctx context.Context) (int, error) { return 1, start.Wait(ctx) }
			for j := range gs {
				gs[j] = gevent.Spawn(ctx, body)
			}
			start.Set()
			for g, err := range gevent.IWait(ctx, gs) {
				if err != nil {
					b.Fatal(err)
				}
				sum += g.Value()
			}
		}
		if sum < b.N {
			b.Fatal(sum)
		}
	})
	b.Run("chan-gated", func(b *testing.B) {
		b.ReportAllocs()
		results := make(chan int, batch)
		gs := make([]*gevent.Greenlet[int], batch)
		sum := 0
		for i := 0; i < b.N; i += batch {
			var start gevent.Event
			body := func(ctx context.Context) (int, error) {
				if err := start.Wait(ctx); err != nil {
					return 0, err
				}
				results <- 1
				return 1, nil
			}
			for j := range gs {
				gs[j] = gevent.Spawn(ctx, body)
			}
			start.Set()
			for range batch {
				sum += <-results
			}
		}
		if sum < b.N {
			b.Fatal(sum)
		}
	})
}
