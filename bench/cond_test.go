package bench

import (
	"context"
	"sync"
	"testing"

	"github.com/geventgo/geventgo/gevent"
)

// BenchmarkCondition measures one Notify + Wait round trip between two
// goroutines: the main goroutine hands the turn over (turn = 1, Notify)
// and waits for it back; the other waits for its turn, hands it back and
// notifies. geventgo is a gevent.Condition over a gevent.Lock, synccond a
// sync.Cond over a sync.Mutex, with the same protocol.
func BenchmarkCondition(b *testing.B) {
	ctx := context.Background()
	b.Run("geventgo", func(b *testing.B) {
		b.ReportAllocs()
		c := gevent.NewCondition(new(gevent.Lock))
		turn := 0
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.Acquire(ctx)
			for i := 0; i < b.N; i++ {
				for turn != 1 {
					c.Wait(ctx)
				}
				turn = 0
				c.Notify(ctx, 1)
			}
			c.Release(ctx)
		}()
		c.Acquire(ctx)
		for i := 0; i < b.N; i++ {
			turn = 1
			c.Notify(ctx, 1)
			for turn != 0 {
				c.Wait(ctx)
			}
		}
		c.Release(ctx)
		<-done
	})
	b.Run("synccond", func(b *testing.B) {
		b.ReportAllocs()
		var mu sync.Mutex
		c := sync.NewCond(&mu)
		turn := 0
		done := make(chan struct{})
		go func() {
			defer close(done)
			mu.Lock()
			for i := 0; i < b.N; i++ {
				for turn != 1 {
					c.Wait()
				}
				turn = 0
				c.Signal()
			}
			mu.Unlock()
		}()
		mu.Lock()
		for i := 0; i < b.N; i++ {
			turn = 1
			c.Signal()
			for turn != 0 {
				c.Wait()
			}
		}
		mu.Unlock()
		<-done
	})
}
