package bench

import (
	"iter"
	"testing"

	"github.com/geventgo/geventgo/greenlet"
)

// BenchmarkGreenletSwitch measures one greenlet switch per op: a ping-pong
// round of two greenlets counts as two switches.
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
