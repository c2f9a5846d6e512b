package gevent

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// In free mode the package's waits and timeouts run on Go's timers, so a
// synctest bubble's fake clock checks their durations exactly, with no
// real waiting.
func TestFreeModeTimesAreExact(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		start := time.Now()
		since := func() time.Duration { return time.Since(start) }

		g := SpawnLater(ctx, 5*time.Second, func(context.Context) (time.Duration, error) { return since(), nil })
		at, err := g.Get(ctx)
		require.NoError(t, err)
		assert.Equal(t, 5*time.Second, at, "SpawnLater starts the body after its delay")

		start = time.Now()
		require.NoError(t, Sleep(ctx, 3*time.Second))
		assert.Equal(t, 3*time.Second, since())

		start = time.Now()
		err = Timeout{After: 2 * time.Second}.Run(ctx, func(ctx context.Context) error {
			return Sleep(ctx, time.Hour)
		})
		assert.ErrorIs(t, err, ErrTimeout)
		assert.Equal(t, 2*time.Second, since(), "the timeout cut the sleep at 2s")

		start = time.Now()
		slow := Spawn(ctx, func(ctx context.Context) (int, error) { return 0, Sleep(ctx, time.Hour) })
		done, err := JoinAll(ctx, []*Greenlet[int]{slow}, JoinTimeout(time.Second))
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Empty(t, done)
		assert.Equal(t, time.Second, since())
		require.NoError(t, slow.Kill(ctx))
		assert.Equal(t, time.Second, since(), "Kill wakes the sleeper at once")

		var q Queue[int]
		start = time.Now()
		qctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		_, err = q.Get(qctx)
		cancel()
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, 500*time.Millisecond, since())
	})
}
