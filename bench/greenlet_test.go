package bench

import (
	"iter"
	"testing"

	"github.com/geventgo/geventgo/greenlet"
)

// BenchmarkGreenletSwitch measures one greenlet switch per op: a ping-pong
// round of two greenlets counts as two switches. geventgo is main <-> child,
// geventgo-siblings two non-main greenlets, chan two goroutines over
// unbuffered channels, iterpull one iter.Pull step (two coroutine switches).
//
// The CPython figure comes from Debian's python3-greenlet, in the same
// sitting (/usr/bin/python3, not another python3 on PATH), halving the
// round trip:
//
//	from greenlet import greenlet, getcurrent
//	import timeit
//	main = getcurrent()
//	def child(v):
//	    while True:
//	        v = main.switch(v + 1)
//	g = greenlet(child); g.switch(0); n = 1000000
//	best = min(timeit.repeat("g.switch(1)", globals=globals(), number=n, repeat=5))
//	print(best / n / 2 * 1e9, "ns per switch")
func BenchmarkGreenletSwitch(b *testing.B) {
	b.Run("geventgo", func(b *testing.B) {
		b.ReportAllocs()
		err := greenlet.Run(func(main *greenlet.Greenlet[int]) error {
			child := greenlet.New(main, func(self *greenlet.Greenlet[int], v int) (int, error) {
				var err error
				for err == nil {
					v, err = self.Switch(main, v+1)
				}
				return v, err
			})
			v := 0
			b.ResetTimer()
			for i := 0; i < b.N; i += 2 {
				var err error
				if v, err = main.Switch(child, v); err != nil {
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
	b.Run("geventgo-siblings", func(b *testing.B) {
		b.ReportAllocs()
		err := greenlet.Run(func(main *greenlet.Greenlet[int]) error {
			n := b.N
			var ping, pong *greenlet.Greenlet[int]
			ping = greenlet.New(main, func(self *greenlet.Greenlet[int], v int) (int, error) {
				var err error
				for v < n && err == nil {
					v, err = self.Switch(pong, v+1)
				}
				return v, err
			})
			pong = greenlet.New(main, func(self *greenlet.Greenlet[int], v int) (int, error) {
				var err error
				for v < n && err == nil {
					v, err = self.Switch(ping, v+1)
				}
				return v, err
			})
			b.ResetTimer()
			_, err := main.Switch(ping, 0)
			b.StopTimer()
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	})
	b.Run("chan", func(b *testing.B) {
		b.ReportAllocs()
		ping, pong := make(chan int), make(chan int)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for v := range ping {
				pong <- v + 1
			}
		}()
		v := 0
		for i := 0; i < b.N; i += 2 {
			ping <- v
			v = <-pong
		}
		b.StopTimer()
		close(ping)
		<-done
	})
	b.Run("iterpull", func(b *testing.B) {
		b.ReportAllocs()
		next, stop := iter.Pull(func(yield func(int) bool) {
			for i := 0; yield(i); i++ {
			}
		})
		defer stop()
		b.ResetTimer()
		for range b.N {
			next()
		}
	})
}

// BenchmarkGreenletStart measures the life of a greenlet that runs to the
// end at once: created, switched to, returning its value to main.
func BenchmarkGreenletStart(b *testing.B) {
	b.Run("geventgo", func(b *testing.B) {
		b.ReportAllocs()
		err := greenlet.Run(func(main *greenlet.Greenlet[int]) error {
			run := func(_ *greenlet.Greenlet[int], v int) (int, error) { return v + 1, nil }
			for i := range b.N {
				if _, err := main.Switch(greenlet.New(main, run), i); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	})
	b.Run("iterpull", func(b *testing.B) {
		b.ReportAllocs()
		for i := range b.N {
			next, stop := iter.Pull(func(yield func(int) bool) { yield(i + 1) })
			next()
			stop()
		}
	})
	b.Run("goroutine", func(b *testing.B) {
		b.ReportAllocs()
		for i := range b.N {
			c := make(chan int)
			go func() { c <- i + 1 }()
			<-c
		}
	})
}
