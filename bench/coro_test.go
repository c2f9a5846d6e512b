package bench

import (
	"iter"
	"testing"

	"github.com/geventgo/geventgo/coro"
)

// BenchmarkGeneratorSend measures one send step into a suspended body that
// adds what it receives: geventgo is coro's Send, iterpull a hand-written
// iter.Pull whose body reads the sent value from a shared variable, chan a
// goroutine with one channel each way.
//
// The CPython figure (bench/python/pybench.py, GeneratorSend) is
// consumer.send(i) on a generator doing total += (yield total).
func BenchmarkGeneratorSend(b *testing.B) {
	b.Run("geventgo", func(b *testing.B) {
		b.ReportAllocs()
		g := coro.New(accumulate)
		defer g.Close()
		g.Next()
		for i := 0; b.Loop(); i++ {
			if _, err := g.Send(i); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("iterpull", func(b *testing.B) {
		b.ReportAllocs()
		var sent int
		next, stop := iter.Pull(func(yield func(int) bool) {
			total := 0
			for yield(total) {
				total += sent
			}
		})
		defer stop()
		next()
		for i := 0; b.Loop(); i++ {
			sent = i
			if _, ok := next(); !ok {
				b.Fatal("ended")
			}
		}
	})
	b.Run("chan", func(b *testing.B) {
		b.ReportAllocs()
		in, out := make(chan int), make(chan int)
		go func() {
			defer close(out)
			total := 0
			for s := range in {
				total += s
				out <- total
			}
		}()
		for i := 0; b.Loop(); i++ {
			in <- i
			<-out
		}
		close(in)
		for range out {
		}
	})
}

// accumulate is the body the send benchmarks drive: it adds what it
// receives and yields the running total (the classic consumer).
func accumulate(y *coro.Yielder[int, int]) (struct{}, error) {
	total := 0
	for {
		s, err := y.Yield(total)
		if err != nil {
			return struct{}{}, err
		}
		total += s
	}
}

// BenchmarkGeneratorRange measures one value consumed by a for range, no
// send: geventgo ranges over a coro generator (push mode), seq over a plain
// iter.Seq that the compiler does not inline into the loop (as with an
// iterator from another package; an iterator inlined into its loop costs
// a fraction of a nanosecond, the loop alone), iterpull steps an iter.Pull.
// CPython: for v in gen().
func BenchmarkGeneratorRange(b *testing.B) {
	b.Run("geventgo", func(b *testing.B) {
		b.ReportAllocs()
		g := coro.New(func(y *coro.Yielder[int, struct{}]) (struct{}, error) {
			for i := 0; i < b.N; i++ {
				if _, err := y.Yield(i); err != nil {
					return struct{}{}, err
				}
			}
			return struct{}{}, nil
		})
		sum := 0
		for v := range g.All() {
			sum += v
		}
		sink = sum
	})
	b.Run("seq", func(b *testing.B) {
		b.ReportAllocs()
		sum := 0
		for v := range countSeq(b.N) {
			sum += v
		}
		sink = sum
	})
	b.Run("iterpull", func(b *testing.B) {
		b.ReportAllocs()
		next, stop := iter.Pull(func(yield func(int) bool) {
			for i := 0; i < b.N; i++ {
				if !yield(i) {
					return
				}
			}
		})
		defer stop()
		sum := 0
		for v, ok := next(); ok; v, ok = next() {
			sum += v
		}
		sink = sum
	})
}

// BenchmarkGeneratorNew measures a short generator's whole life: create it,
// take its three values, let it end. geventgo is pulled with Next (the
// generator starts a coroutine), geventgo-range is ranged over (no
// coroutine); seq and iterpull are the hand-written equivalents, and
// by-hand the floor of a generator whose body is a function taking its
// yielder (see handGen): three allocations, whatever the library.
func BenchmarkGeneratorNew(b *testing.B) {
	three := func(yield func(int) bool) {
		_ = yield(1) && yield(2) && yield(3)
	}
	newGen := func() *coro.Gen[int, struct{}, struct{}] {
		return coro.New(func(y *coro.Yielder[int, struct{}]) (struct{}, error) {
			for i := 1; i <= 3; i++ {
				if _, err := y.Yield(i); err != nil {
					return struct{}{}, err
				}
			}
			return struct{}{}, nil
		})
	}
	b.Run("geventgo", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			g := newGen()
			sum := 0
			for {
				v, err := g.Next()
				if err != nil {
					break
				}
				sum += v
			}
			sink = sum
		}
	})
	b.Run("geventgo-range", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sum := 0
			for v := range newGen().All() {
				sum += v
			}
			sink = sum
		}
	})
	b.Run("seq", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sum := 0
			for v := range three {
				sum += v
			}
			sink = sum
		}
	})
	b.Run("by-hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sum := 0
			for v := range newHandGen(func(g *handGen) { _ = g.yield(1) && g.yield(2) && g.yield(3) }).all {
				sum += v
			}
			sink = sum
		}
	})
	b.Run("iterpull", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			next, stop := iter.Pull(three)
			sum := 0
			for v, ok := next(); ok; v, ok = next() {
				sum += v
			}
			stop()
			sink = sum
		}
	})
}

// countSeq yields 0..n-1. It is kept out of line, so the range calls it,
// and it calls the loop body, through function values.
//
//go:noinline
func countSeq(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := 0; i < n; i++ {
			if !yield(i) {
				return
			}
		}
	}
}

// sink keeps results alive so the compiler cannot drop the loops.
var sink int
