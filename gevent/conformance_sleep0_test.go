package gevent_test

// Conformance: gevent's src/gevent/tests/test__sleep0.py, ported.

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/geventgo/geventgo/gevent"
)

func TestConformance_Sleep0(t *testing.T) {
	// with gevent.Timeout(0.01, False): while True: gevent.sleep(0)
	// A loop of zero sleeps is still interrupted by a Timeout: sleep(0)
	// lets the timer fire. (Go has no silent Timeout: the caller drops
	// ErrTimeout.)
	spin := func(ctx context.Context) error {
		for {
			if err := gevent.Sleep(ctx, 0); err != nil {
				return err
			}
		}
	}
	// On the wall clock: a hub, and free mode (Sleep(ctx, 0) is
	// runtime.Gosched there). Bounds are generous; the timeout is 10ms.
	t.Run("module(hub)", func(t *testing.T) {
		start := time.Now()
		err := gevent.RunHub(context.Background(), func(ctx context.Context) error {
			return gevent.WithTimeout(ctx, 10*time.Millisecond, spin)
		})
		assert.ErrorIs(t, err, gevent.ErrTimeout)
		assert.Less(t, time.Since(start), 3*time.Second, "upstream's alarm(3)")
	})
	t.Run("module(free)", func(t *testing.T) {
		start := time.Now()
		err := gevent.WithTimeout(context.Background(), 10*time.Millisecond, spin)
		assert.ErrorIs(t, err, gevent.ErrTimeout)
		assert.Less(t, time.Since(start), 3*time.Second, "upstream's alarm(3)")
	})
	// Go difference: on a virtual-clock hub, time moves only when every green
	// thread is blocked, and a green thread looping on Sleep(ctx, 0) never
	// is: the clock stands still and the Timeout never fires (upstream's loop
	// would spin for ever there). What a zero sleep does give is the turn to
	// every other ready green thread.
	t.Run("module(virtual)", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			start := h.Now()
			turns := 0
			other := gevent.Go(ctx, func(ctx context.Context) error {
				for range 1000 {
					turns++
					if err := gevent.Sleep(ctx, 0); err != nil {
						return err
					}
				}
				return nil
			})
			err := gevent.WithTimeout(ctx, 10*time.Millisecond, func(ctx context.Context) error {
				for i := range 1000 {
					assert.Equal(t, i, turns, "the other green thread ran once per zero sleep")
					if err := gevent.Sleep(ctx, 0); err != nil {
						return err
					}
				}
				return nil
			})
			assert.NoError(t, err, "no virtual time passed: the Timeout did not fire")
			assert.Equal(t, time.Duration(0), confSince(h, start))
			return other.Join(ctx)
		})
	})
}
