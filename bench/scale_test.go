package bench

import (
	"context"
	"fmt"
	"iter"
	"sync"
	"testing"
	"time"

	"github.com/geventgo/geventgo/coro"
	"github.com/geventgo/geventgo/gevent"
	"github.com/geventgo/geventgo/greenlet"
)

// scaleSizes are the task counts of the Scale benchmarks: one op is a batch
// of n tasks, and the figures that matter are the custom metrics ns/task
// and B/task, which should stay flat as n grows.
var scaleSizes = []int{1_000, 10_000, 100_000, 1_000_000}

// perTask runs batch b.N times and reports ns/task and B/task for n tasks
// per batch.
func perTask(b *testing.B, n int, batch func()) {
	b.Helper()
	b.ReportAllocs()
	var before, after runtimeMem
	before.read()
	start := time.Now()
	for b.Loop() {
		batch()
	}
	elapsed := time.Since(start)
	after.read()
	tasks := float64(b.N) * float64(n)
	b.ReportMetric(float64(elapsed.Nanoseconds())/tasks, "ns/task")
	b.ReportMetric(float64(after.total-before.total)/tasks, "B/task")
}

func BenchmarkScaleSpawnJoinAll(b *testing.B) {
	ctx := context.Background()
	body := func(context.Context) (int, error) { return 1, nil }
	for _, n := range scaleSizes {
		b.Run(fmt.Sprintf("n=%d/geventgo", n), func(b *testing.B) {
			gs := make([]*gevent.Greenlet[int], n)
			perTask(b, n, func() {
				for i := range gs {
					gs[i] = gevent.Spawn(ctx, body)
				}
				if _, err := gevent.JoinAll(ctx, gs); err != nil {
					b.Fatal(err)
				}
			})
		})
		// The spawner is itself a green thread: every child follows its
		// context's cancellation, registering with it and unregistering
		// when it ends.
		b.Run(fmt.Sprintf("n=%d/geventgo-nested", n), func(b *testing.B) {
			gs := make([]*gevent.Greenlet[int], n)
			perTask(b, n, func() {
				parent := gevent.Go(ctx, func(ctx context.Context) error {
					for i := range gs {
						gs[i] = gevent.Spawn(ctx, body)
					}
					_, err := gevent.JoinAll(ctx, gs)
					return err
				})
				if _, err := parent.Get(ctx); err != nil {
					b.Fatal(err)
				}
			})
		})
		b.Run(fmt.Sprintf("n=%d/waitgroup", n), func(b *testing.B) {
			results := make([]int, n)
			perTask(b, n, func() {
				var wg sync.WaitGroup
				for i := range results {
					wg.Go(func() { results[i], _ = body(ctx) })
				}
				wg.Wait()
			})
		})
	}
}

// BenchmarkScaleGreenletSwitch measures one switch per op while n greenlets
// are alive: main switches to each of them in turn (round robin), so with
// 10,000 live greenlets every switch resumes a different stack. Flat growth
// means a switch does not get slower with the number of live coroutines.
func BenchmarkScaleGreenletSwitch(b *testing.B) {
	for _, n := range []int{1, 10_000} {
		b.Run(fmt.Sprintf("n=%d/geventgo", n), func(b *testing.B) {
			b.ReportAllocs()
			err := greenlet.Run(func(main *greenlet.Greenlet[int]) error {
				gs := make([]*greenlet.Greenlet[int], n)
				for i := range gs {
					gs[i] = greenlet.New(main, func(self *greenlet.Greenlet[int], v int) (int, error) {
						var err error
						for err == nil {
							v, err = self.Switch(main, v+1)
						}
						return v, err
					})
					if _, err := main.Switch(gs[i], 0); err != nil { // start it: it parks in Switch
						return err
					}
				}
				b.ResetTimer()
				for i := 0; i < b.N; i += 2 {
					if _, err := main.Switch(gs[(i/2)%n], i); err != nil {
						return err
					}
				}
				b.StopTimer()
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkScaleGeneratorSend measures one Send per op while n generators
// are suspended in pull mode: the caller sends to each in turn (round
// robin), so with 10,000 live generators every step resumes a different
// coroutine stack. iterpull is the same with hand-written iter.Pull
// coroutines. Flat growth means a step does not get slower with the number
// of live generators.
func BenchmarkScaleGeneratorSend(b *testing.B) {
	for _, n := range []int{1, 10_000} {
		b.Run(fmt.Sprintf("n=%d/geventgo", n), func(b *testing.B) {
			b.ReportAllocs()
			gs := make([]*coro.Gen[int, int, struct{}], n)
			for i := range gs {
				gs[i] = coro.New(accumulate)
				if _, err := gs[i].Next(); err != nil {
					b.Fatal(err)
				}
			}
			defer func() {
				for _, g := range gs {
					g.Close()
				}
			}()
			for i := 0; b.Loop(); i++ {
				if _, err := gs[i%n].Send(i); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("n=%d/iterpull", n), func(b *testing.B) {
			b.ReportAllocs()
			sent := make([]int, n)
			nexts := make([]func() (int, bool), n)
			stops := make([]func(), n)
			for i := range nexts {
				nexts[i], stops[i] = iter.Pull(func(yield func(int) bool) {
					total := 0
					for yield(total) {
						total += sent[i]
					}
				})
				nexts[i]()
			}
			defer func() {
				for _, stop := range stops {
					stop()
				}
			}()
			for i := 0; b.Loop(); i++ {
				sent[i%n] = i
				if _, ok := nexts[i%n](); !ok {
					b.Fatal("ended")
				}
			}
		})
	}
}
