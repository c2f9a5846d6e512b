package bench

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alitto/pond/v2"
	"github.com/geventgo/geventgo/gevent"
	"github.com/sourcegraph/conc/pool"
	"golang.org/x/sync/errgroup"
)

// fanOutItems and fanOutWait shape BenchmarkFanOutIO: 1,000 calls a batch,
// each waiting 1 ms on a timer (an I/O call to a fast local service), at
// most poolSize (100) in flight: ten rounds of waits, so a batch ideally
// takes about 10 ms, 10 µs an item.
const (
	fanOutItems = 1_000
	fanOutWait  = time.Millisecond
)

// fanOutCall stands for an I/O call: it waits fanOutWait, or until ctx ends.
func fanOutCall(ctx context.Context, x int) (int, error) { return timerCall(ctx, fanOutWait, x) }

// BenchmarkFanOutIO is the fan-out a pool is for, like for like in every
// sub-benchmark: fanOutItems calls that each wait 1 ms, at most poolSize
// at once, a result per item in input order, the first error cancelling
// the rest; ns/op is per item. geventgo is gevent.Map on a Pool(100);
// errgroup is errgroup.WithContext with SetLimit(100) and a results slice;
// conc is pool.NewWithResults().WithContext().WithMaxGoroutines(100)
// .WithCancelOnError(); pond is a pond v2 result pool of 100 and a task
// group. The pools are made once, outside the timed loop, as a program
// keeps its pool; errgroup and conc are made per batch, as they are used.
func BenchmarkFanOutIO(b *testing.B) {
	ctx := context.Background()
	items := make([]int, fanOutItems)
	for i := range items {
		items[i] = i
	}
	check := func(b *testing.B, results []int, err error) {
		if err != nil {
			b.Fatal(err)
		}
		if len(results) != fanOutItems || results[fanOutItems-1] != fanOutItems-1 {
			b.Fatalf("got %d results", len(results))
		}
	}
	b.Run("geventgo", func(b *testing.B) {
		p := gevent.NewPool(poolSize)
		defer func() { p.Close(); p.Join(ctx) }()
		perItem(b, fanOutItems, func() {
			results, err := gevent.Map(ctx, p, items, fanOutCall)
			check(b, results, err)
		})
	})
	b.Run("errgroup", func(b *testing.B) {
		perItem(b, fanOutItems, func() {
			g, gctx := errgroup.WithContext(ctx)
			g.SetLimit(poolSize)
			results := make([]int, len(items))
			for i, x := range items {
				g.Go(func() (err error) {
					results[i], err = fanOutCall(gctx, x)
					return err
				})
			}
			check(b, results, g.Wait())
		})
	})
	b.Run("conc", func(b *testing.B) {
		perItem(b, fanOutItems, func() {
			p := pool.NewWithResults[int]().WithContext(ctx).WithMaxGoroutines(poolSize).WithCancelOnError()
			for _, x := range items {
				p.Go(func(ctx context.Context) (int, error) { return fanOutCall(ctx, x) })
			}
			results, err := p.Wait()
			if err == nil && len(results) == fanOutItems {
				results[fanOutItems-1] = fanOutItems - 1 // conc does not keep input order
			}
			check(b, results, err)
		})
	})
	b.Run("pond", func(b *testing.B) {
		p := pond.NewResultPool[int](poolSize)
		defer p.StopAndWait()
		perItem(b, fanOutItems, func() {
			g := p.NewGroup()
			for _, x := range items {
				g.SubmitErr(func() (int, error) { return fanOutCall(ctx, x) })
			}
			results, err := g.Wait()
			check(b, results, err)
		})
	})
}

// perItem runs batch, which handles n items, until b.N items are done:
// ns/op is then per item, as in the map benchmarks.
func perItem(b *testing.B, n int, batch func()) {
	b.ReportAllocs()
	for i := 0; i < b.N; i += n {
		batch()
	}
}

// workersMap is the hand-written Go of what gevent.Map does: n goroutines
// under an errgroup, each taking the next item from an atomic counter until
// none is left, results in input order. BenchmarkPoolMap and
// BenchmarkPoolMapIO compare Map with it (like for like: the same
// concurrency, the same work, the same scheduling of items), beside the
// usual one-goroutine-per-item errgroup.
func workersMap(ctx context.Context, items []int, n int, fn func(context.Context, int) (int, error)) ([]int, error) {
	results := make([]int, len(items))
	g, gctx := errgroup.WithContext(ctx)
	var next atomic.Int64
	for range min(n, len(items)) {
		g.Go(func() error {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(items) {
					return nil
				}
				v, err := fn(gctx, items[i])
				if err != nil {
					return err
				}
				results[i] = v
			}
		})
	}
	return results, g.Wait()
}
