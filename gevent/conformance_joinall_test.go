package gevent_test

// Conformance: gevent's src/gevent/tests/test__joinall.py, ported.

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geventgo/geventgo/gevent"
)

func TestConformance_Joinall(t *testing.T) {
	// joinall([a, b, a]): a green thread listed twice is joined (and
	// reported) twice, in free mode and on a hub.
	t.Run("Test.test", func(t *testing.T) {
		ctx := context.Background()
		fn := func(context.Context) error { return nil }
		a := gevent.Go(ctx, fn)
		b := gevent.Go(ctx, fn)
		done, err := gevent.JoinAll(ctx, []*gevent.Greenlet[struct{}]{a, b, a})
		require.NoError(t, err)
		assert.Equal(t, []*gevent.Greenlet[struct{}]{a, b, a}, done)
	})
	t.Run("Test.test(hub)", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			fn := func(context.Context) error { return nil }
			a := gevent.Go(ctx, fn)
			b := gevent.Go(ctx, fn)
			done, err := gevent.JoinAll(ctx, []*gevent.Greenlet[struct{}]{a, b, a}, gevent.RaiseError())
			assert.Equal(t, []*gevent.Greenlet[struct{}]{a, b, a}, done)
			return err
		})
	})
}
