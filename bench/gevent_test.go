package bench

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/geventgo/geventgo/gevent"
)

// BenchmarkSpawnJoinAll measures one green thread with a trivial body,
// spawned and joined in batches of 100: geventgo is Spawn + JoinAll,
// waitgroup a go statement per task and a sync.WaitGroup, waitgroup+future
// the same carrying a future of a Greenlet[int]'s size (128 B) per task,
// the floor of any spawn that returns a future (see floor_test.go).
// CPython: gevent.spawn + gevent.joinall.
func BenchmarkSpawnJoinAll(b *testing.B) {
	const batch = 100
	body := func(context.Context) (int, error) { return 1, nil }
	b.Run("geventgo", func(b *testing.B) { spawnJoinAllBatches(b, batch, body) })
	// labels is geventgo with gevent.SetProfileLabels on: each green
	// thread runs with its pprof labels (off by default: see its doc).
	b.Run("labels", func(b *testing.B) {
		gevent.SetProfileLabels(true)
		defer gevent.SetProfileLabels(false)
		spawnJoinAllBatches(b, batch, body)
	})
	b.Run("waitgroup", func(b *testing.B) { waitgroupBatches(b, batch, body) })
	b.Run("waitgroup+future", func(b *testing.B) { waitgroupFutureBatches(b, batch, body) })
}

// spawnJoinAllBatches spawns body on batches of free-mode green threads,
// each batch joined with JoinAll: the spawn + joinall being measured.
func spawnJoinAllBatches(b *testing.B, batch int, body func(context.Context) (int, error)) {
	b.ReportAllocs()
	ctx := context.Background()
	gs := make([]*gevent.Greenlet[int], batch)
	for i := 0; i < b.N; i += batch {
		for j := range gs {
			gs[j] = gevent.Spawn(ctx, body)
		}
		if _, err := gevent.JoinAll(ctx, gs); err != nil {
			b.Fatal(err)
		}
	}
}

// waitgroupBatches is the hand-written spawn + join the green thread
// benchmarks compare with: body on batches of plain goroutines joined with
// a sync.WaitGroup.
func waitgroupBatches(b *testing.B, batch int, body func(context.Context) (int, error)) {
	b.ReportAllocs()
	ctx := context.Background()
	results := make([]int, batch)
	for i := 0; i < b.N; i += batch {
		var wg sync.WaitGroup
		for j := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[j], _ = body(ctx)
			}()
		}
		wg.Wait()
	}
}

// BenchmarkEventWait measures one set-and-wait round trip between two
// goroutines: the waiter waits, the setter sets, the roles swap through a
// second event. geventgo uses two gevent.Events (Set, Wait, Clear), chan
// two unbuffered channels. CPython: gevent.event.Event set/wait between
// two greenlets.
func BenchmarkEventWait(b *testing.B) {
	ctx := context.Background()
	b.Run("geventgo", func(b *testing.B) {
		b.ReportAllocs()
		var ping, pong gevent.Event
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := 0; i < b.N; i++ {
				ping.Wait(ctx)
				ping.Clear()
				pong.Set()
			}
		}()
		for i := 0; i < b.N; i++ {
			ping.Set()
			pong.Wait(ctx)
			pong.Clear()
		}
		<-done
	})
	b.Run("chan", func(b *testing.B) {
		b.ReportAllocs()
		ping, pong := make(chan struct{}), make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := 0; i < b.N; i++ {
				<-ping
				pong <- struct{}{}
			}
		}()
		for i := 0; i < b.N; i++ {
			ping <- struct{}{}
			<-pong
		}
		<-done
	})
}

// BenchmarkLock measures one acquire and release by goroutines taking
// turns on all cores: geventgo is gevent.Lock, mutex sync.Mutex.
func BenchmarkLock(b *testing.B) {
	ctx := context.Background()
	b.Run("geventgo", func(b *testing.B) {
		b.ReportAllocs()
		var l gevent.Lock
		n := 0
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l.Acquire(ctx)
				n++
				l.Release()
			}
		})
	})
	b.Run("mutex", func(b *testing.B) {
		b.ReportAllocs()
		var l sync.Mutex
		n := 0
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l.Lock()
				n++
				l.Unlock()
			}
		})
	})
}

// BenchmarkQueuePutGet measures one item through a queue of capacity 100
// from a producer goroutine to a consumer: geventgo is gevent.Queue, chan a
// buffered channel. CPython: gevent.queue.Queue(100) between two greenlets.
func BenchmarkQueuePutGet(b *testing.B) {
	ctx := context.Background()
	b.Run("geventgo", func(b *testing.B) {
		b.ReportAllocs()
		q := gevent.NewQueue[int](100)
		go func() {
			for i := 0; i < b.N; i++ {
				q.Put(ctx, i)
			}
		}()
		for i := 0; i < b.N; i++ {
			if _, err := q.Get(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("chan", func(b *testing.B) {
		b.ReportAllocs()
		c := make(chan int, 100)
		go func() {
			for i := 0; i < b.N; i++ {
				c <- i
			}
		}()
		for i := 0; i < b.N; i++ {
			<-c
		}
	})
}

// BenchmarkIdleGreenlet measures green threads that wait: n of them are
// spawned and block in Event.Wait, then all are killed. It reports the
// memory each one holds while idle (B/greenlet: goroutine stack and
// objects, from the runtime's heap and stack figures) and the time to
// start and kill them all (ms/100k, scaled to 100,000).
func BenchmarkIdleGreenlet(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	for b.Loop() {
		var stop gevent.Event
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		gs := make([]*gevent.Greenlet[struct{}], n)
		for i := range gs {
			gs[i] = gevent.Go(ctx, stop.Wait)
		}
		for _, g := range gs {
			for !g.Started() {
				runtime.Gosched()
			}
		}
		runtime.ReadMemStats(&after)
		used := (after.HeapAlloc + after.StackInuse) - (before.HeapAlloc + before.StackInuse)
		if err := gevent.KillAll(ctx, gs); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		b.ReportMetric(float64(used)/n, "B/greenlet")
		b.ReportMetric(float64(elapsed.Milliseconds()), "ms/100k")
	}
}
