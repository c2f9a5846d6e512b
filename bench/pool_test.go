package bench

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/geventgo/geventgo/gevent"
	"github.com/panjf2000/ants/v2"
	"golang.org/x/sync/errgroup"
)

const poolSize = 100

// mapBatch is how many items one op of BenchmarkPoolMap hands to the pool;
// the figure reported is per item.
const mapBatch = 10_000

func square(_ context.Context, x int) (int, error) { return x * x, nil }

// BenchmarkPoolMap measures one item of a map over a pool of 100 workers
// with a trivial function, results in input order: geventgo is gevent.Map
// (chunked), ants a Submit per item with a sync.WaitGroup, errgroup a Go
// per item with SetLimit(100). CPython: gevent.pool.Pool(100).map and
// multiprocessing.Pool(2).map.
func BenchmarkPoolMap(b *testing.B) {
	ctx := context.Background()
	items := make([]int, mapBatch)
	for i := range items {
		items[i] = i
	}
	perItem := func(b *testing.B, batch func()) {
		b.ReportAllocs()
		for i := 0; i < b.N; i += mapBatch {
			batch()
		}
	}
	b.Run("geventgo", func(b *testing.B) {
		p, err := gevent.NewPool(poolSize)
		if err != nil {
			b.Fatal(err)
		}
		defer func() { p.Close(); p.Join(ctx) }()
		perItem(b, func() {
			if _, err := gevent.Map(ctx, p, items, square); err != nil {
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
		perItem(b, func() {
			var wg sync.WaitGroup
			for i, x := range items {
				wg.Add(1)
				p.Submit(func() {
					defer wg.Done()
					results[i], _ = square(ctx, x)
				})
			}
			wg.Wait()
		})
	})
	b.Run("errgroup", func(b *testing.B) {
		results := make([]int, len(items))
		perItem(b, func() {
			var g errgroup.Group
			g.SetLimit(poolSize)
			for i, x := range items {
				g.Go(func() (err error) {
					results[i], err = square(ctx, x)
					return err
				})
			}
			g.Wait()
		})
	})
}

// BenchmarkPoolApplyAsync measures one task submitted to a pool of 100 and
// waited for in batches of 100: geventgo is gevent.ApplyAsync with a
// callback, ants a Submit with a WaitGroup, errgroup a Go with SetLimit.
func BenchmarkPoolApplyAsync(b *testing.B) {
	ctx := context.Background()
	const batch = 100
	b.Run("geventgo", func(b *testing.B) {
		b.ReportAllocs()
		p, err := gevent.NewPool(poolSize)
		if err != nil {
			b.Fatal(err)
		}
		defer func() { p.Close(); p.Join(ctx) }()
		for i := 0; i < b.N; i += batch {
			var wg sync.WaitGroup
			wg.Add(batch)
			for j := range batch {
				if _, err := gevent.ApplyAsync(ctx, p, func(ctx context.Context) (int, error) { return square(ctx, j) },
					func(int) { wg.Done() }, func(error) { wg.Done() }); err != nil {
					b.Fatal(err)
				}
			}
			wg.Wait()
		}
	})
	b.Run("ants", func(b *testing.B) {
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
				p.Submit(func() { defer wg.Done(); square(ctx, j) })
			}
			wg.Wait()
		}
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
// (ns/task, B/task), beside errgroup with SetLimit(100): flat figures mean
// the cost of an item does not grow with the size of the map.
func BenchmarkScalePoolMap(b *testing.B) {
	ctx := context.Background()
	for _, n := range scaleSizes {
		items := make([]int, n)
		b.Run(fmt.Sprintf("n=%d/geventgo", n), func(b *testing.B) {
			p, err := gevent.NewPool(poolSize)
			if err != nil {
				b.Fatal(err)
			}
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
	}
}
