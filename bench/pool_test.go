package bench

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/geventgo/geventgo/gevent"
	"github.com/panjf2000/ants/v2"
	"golang.org/x/sync/errgroup"
)

const poolSize = 100

// mapBatch is how many items one op of BenchmarkPoolMap hands to the pool;
// the figure reported is per item.
const mapBatch = 10_000

func square(_ context.Context, x int) (int, error) { return x * x, nil }

// antsBatches runs submit for batches of batch tasks on an ants pool of
// poolSize, each batch waited for with the WaitGroup submit's tasks call
// Done on.
func antsBatches(b *testing.B, batch int, submit func(p *ants.Pool, wg *sync.WaitGroup, j int)) {
	b.ReportAllocs()
	p, err := ants.NewPool(poolSize)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Release()
	for i := 0; i < b.N; i += batch {
		var wg sync.WaitGroup
		wg.Add(batch)
		for j := range batch {
			submit(p, &wg, j)
		}
		wg.Wait()
	}
}

// BenchmarkPoolMap measures one item of a map over a pool of 100 workers
// with a trivial function, results in input order: geventgo is gevent.Map
// (Size workers taking items one at a time), ants a Submit per item with a
// sync.WaitGroup, errgroup a Go per item with SetLimit(100), and
// errgroup-workers the like-for-like hand-written Go of Map's scheduling
// (100 goroutines taking items from an atomic counter; see workersMap). CPython: gevent.pool.Pool(100).map and
// multiprocessing.Pool(2).map.
func BenchmarkPoolMap(b *testing.B) { mapVariants(b, mapBatch, square) }

// BenchmarkPoolApplyAsync measures one task submitted to a pool of 100 and
// waited for in batches of 100: geventgo is gevent.ApplyAsync with a
// callback, ants a Submit with a WaitGroup, ants+future the same carrying a
// future of a pool task's size (176 B) per task (the floor of any pool
// whose submit returns a future: see floor_test.go), errgroup a Go with
// SetLimit.
func BenchmarkPoolApplyAsync(b *testing.B) {
	ctx := context.Background()
	const batch = 100
	b.Run("geventgo", func(b *testing.B) {
		b.ReportAllocs()
		p := gevent.NewPool(poolSize)
		defer func() { p.Close(); p.Join(ctx) }()
		for i := 0; i < b.N; i += batch {
			var wg sync.WaitGroup
			wg.Add(batch)
			for j := range batch {
				gevent.ApplyAsync(ctx, p, func(ctx context.Context) (int, error) { return square(ctx, j) },
					func(int) { wg.Done() }, func(error) { wg.Done() })
			}
			wg.Wait()
		}
	})
	b.Run("ants", func(b *testing.B) {
		antsBatches(b, batch, func(p *ants.Pool, wg *sync.WaitGroup, j int) {
			p.Submit(func() { defer wg.Done(); square(ctx, j) })
		})
	})
	b.Run("ants+future", func(b *testing.B) {
		antsBatches(b, batch, func(p *ants.Pool, wg *sync.WaitGroup, j int) {
			f := &future176{}
			p.Submit(func() { defer wg.Done(); f.value, f.err = square(ctx, j) })
		})
	})
	b.Run("errgroup", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i += batch {
			var g errgroup.Group
			g.SetLimit(poolSize)
			for j := range batch {
				g.Go(func() error { _, err := square(ctx, j); return err })
			}
			g.Wait()
		}
	})
}

// BenchmarkScalePoolMap measures gevent.Map over n items on a pool of 100
// (ns/task, B/task), beside errgroup with SetLimit(100) (a goroutine per
// item) and errgroup-workers (Map's scheduling by hand, like for like):
// flat figures mean the cost of an item does not grow with the size of the
// map.
func BenchmarkScalePoolMap(b *testing.B) {
	ctx := context.Background()
	for _, n := range scaleSizes {
		items := make([]int, n)
		b.Run(fmt.Sprintf("n=%d/geventgo", n), func(b *testing.B) {
			p := gevent.NewPool(poolSize)
			defer func() { p.Close(); p.Join(ctx) }()
			perTask(b, n, func() { gevent.Map(ctx, p, items, square) })
		})
		b.Run(fmt.Sprintf("n=%d/errgroup", n), func(b *testing.B) {
			results := make([]int, n)
			perTask(b, n, func() {
				var g errgroup.Group
				g.SetLimit(poolSize)
				for i, x := range items {
					g.Go(func() (err error) { results[i], err = square(ctx, x); return err })
				}
				g.Wait()
			})
		})
		b.Run(fmt.Sprintf("n=%d/errgroup-workers", n), func(b *testing.B) {
			perTask(b, n, func() { workersMap(ctx, items, poolSize, square) })
		})
	}
}

// ioItems is how many items one op of BenchmarkPoolMapIO maps.
const ioItems = 1_000

// ioWait is how long item x blocks: 50µs to 200µs, spread evenly over the
// items, so that some tasks are slower than others, as I/O calls are.
func ioWait(x int) time.Duration {
	return 50*time.Microsecond + time.Duration(x*7919%151)*time.Microsecond
}

// ioCall stands for an I/O call: it blocks on a timer for ioWait(x).
func ioCall(ctx context.Context, x int) (int, error) { return timerCall(ctx, ioWait(x), x) }

// timerCall waits d, or until ctx ends, and returns x: an I/O call's stand-in.
func timerCall(ctx context.Context, d time.Duration, x int) (int, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return x, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// BenchmarkPoolMapIO measures one item of a map over a pool of 100 whose
// function blocks for 50µs to 200µs (a timer standing for an I/O call),
// 1,000 items an op: what matters is how well the slots are kept busy, so
// the ideal is about 125µs (the mean wait) per 100 items. geventgo is
// gevent.Map, ants a Submit per item with a sync.WaitGroup, errgroup a Go
// per item with SetLimit(100), errgroup-workers Map's scheduling written by
// hand (see workersMap).
func BenchmarkPoolMapIO(b *testing.B) { mapVariants(b, ioItems, ioCall) }

// mapVariants runs the map benchmarks' sub-benchmarks side by side: a
// batch of n items through fn on a pool of poolSize, reported per item.
func mapVariants(b *testing.B, n int, fn func(context.Context, int) (int, error)) {
	ctx := context.Background()
	items := make([]int, n)
	for i := range items {
		items[i] = i
	}
	b.Run("geventgo", func(b *testing.B) {
		p := gevent.NewPool(poolSize)
		defer func() { p.Close(); p.Join(ctx) }()
		perItem(b, n, func() {
			if _, err := gevent.Map(ctx, p, items, fn); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("ants", func(b *testing.B) {
		p, err := ants.NewPool(poolSize)
		if err != nil {
			b.Fatal(err)
		}
		defer p.Release()
		results := make([]int, len(items))
		perItem(b, n, func() {
			var wg sync.WaitGroup
			for i, x := range items {
				wg.Add(1)
				p.Submit(func() {
					defer wg.Done()
					results[i], _ = fn(ctx, x)
				})
			}
			wg.Wait()
		})
	})
	b.Run("errgroup", func(b *testing.B) {
		results := make([]int, len(items))
		perItem(b, n, func() {
			var g errgroup.Group
			g.SetLimit(poolSize)
			for i, x := range items {
				g.Go(func() (err error) {
					results[i], err = fn(ctx, x)
					return err
				})
			}
			g.Wait()
		})
	})
	b.Run("errgroup-workers", func(b *testing.B) {
		perItem(b, n, func() {
			if _, err := workersMap(ctx, items, poolSize, fn); err != nil {
				b.Fatal(err)
			}
		})
	})
}
