package bench

import (
	"context"
	"testing"

	"github.com/geventgo/geventgo/gevent"
)

// BenchmarkHubSwitch measures one switch between two green threads of a
// Hub that take turns with Sleep(0): each Sleep(0) hands the turn to the
// other. CPython: two greenlets alternating with gevent.sleep(0).
func BenchmarkHubSwitch(b *testing.B) {
	b.Run("geventgo", func(b *testing.B) {
		b.ReportAllocs()
		err := gevent.RunHub(context.Background(), func(ctx context.Context) error {
			n := b.N / 2
			pinger := func(ctx context.Context) error {
				for range n {
					if err := gevent.Sleep(ctx, 0); err != nil {
						return err
					}
				}
				return nil
			}
			b.ResetTimer()
			a, c := gevent.Go(ctx, pinger), gevent.Go(ctx, pinger)
			_, err := gevent.JoinAll(ctx, []*gevent.Greenlet[struct{}]{a, c}, gevent.RaiseError())
			b.StopTimer()
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkHubSpawnJoinAll measures one green thread with a trivial body
// spawned on a Hub and joined, in batches of 100. CPython: gevent.spawn +
// gevent.joinall.
func BenchmarkHubSpawnJoinAll(b *testing.B) {
	const batch = 100
	body := func(context.Context) (int, error) { return 1, nil }
	b.Run("geventgo", func(b *testing.B) {
		b.ReportAllocs()
		err := gevent.RunHub(context.Background(), func(ctx context.Context) error {
			gs := make([]*gevent.Greenlet[int], batch)
			for i := 0; i < b.N; i += batch {
				for j := range gs {
					gs[j] = gevent.Spawn(ctx, body)
				}
				if _, err := gevent.JoinAll(ctx, gs); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	})
}
