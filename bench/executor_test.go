package bench

import (
	"context"
	"sync"
	"testing"

	"github.com/alitto/pond/v2"
	"github.com/geventgo/geventgo/gevent"
	"github.com/panjf2000/ants/v2"
)

// queuedTasks is how many tasks one op of BenchmarkPoolSubmitQueued submits.
const queuedTasks = 10_000

// queuedSize is the size of the pools of BenchmarkPoolSubmitQueued.
const queuedSize = 8

// BenchmarkPoolSubmitQueued measures an executor with a queue: one op
// submits 10,000 trivial tasks to a pool of 8, each submission returning at
// once with a future (the tasks queue), then waits for them all.
// geventgo is gevent.Submit on a Pool WithQueue(-1), then Join; pond is
// pond v2's Submit through a task group (its queue is unbounded), then the
// group's Wait; pond+future the same carrying a future of a pool task's
// size (176 B) per task, the floor of a queue whose submit returns a future
// (see floor_test.go; geventgo's queued task is that and its 128-byte
// claim); ants is a blocking ants pool of 8 (Submit waits for a
// worker: ants has no queue of tasks) with a sync.WaitGroup. CPython:
// ThreadPoolExecutor(8).submit 10,000 times, then wait.
func BenchmarkPoolSubmitQueued(b *testing.B) {
	ctx := context.Background()
	b.Run("geventgo", func(b *testing.B) {
		b.ReportAllocs()
		p := gevent.NewPool(queuedSize, gevent.WithQueue(-1))
		defer func() { p.Close(); p.Join(ctx) }()
		for b.Loop() {
			for i := range queuedTasks {
				gevent.Submit(ctx, p, func(ctx context.Context) (int, error) { return square(ctx, i) })
			}
			if err := p.Join(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pond", func(b *testing.B) {
		pondQueued(b, func(g pond.TaskGroup, i int) { g.Submit(func() { square(ctx, i) }) })
	})
	b.Run("pond+future", func(b *testing.B) {
		pondQueued(b, func(g pond.TaskGroup, i int) {
			f := &future176{}
			g.Submit(func() { f.value, f.err = square(ctx, i) })
		})
	})
	b.Run("ants", func(b *testing.B) {
		b.ReportAllocs()
		p, err := ants.NewPool(queuedSize)
		if err != nil {
			b.Fatal(err)
		}
		defer p.Release()
		for b.Loop() {
			var wg sync.WaitGroup
			wg.Add(queuedTasks)
			for i := range queuedTasks {
				if err := p.Submit(func() { defer wg.Done(); square(ctx, i) }); err != nil {
					b.Fatal(err)
				}
			}
			wg.Wait()
		}
	})
}

// pondQueued submits queuedTasks tasks with submit through a task group of
// a pond pool of queuedSize, then waits for the group, once an op.
func pondQueued(b *testing.B, submit func(g pond.TaskGroup, i int)) {
	b.ReportAllocs()
	p := pond.NewPool(queuedSize)
	defer p.StopAndWait()
	for b.Loop() {
		g := p.NewGroup()
		for i := range queuedTasks {
			submit(g, i)
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
	}
}
