package gevent

import (
	"context"
	"runtime"
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

// sharedQueue is a package-level primitive used by several tests, in and
// out of synctest bubbles, as a package-level Go channel may be.
var sharedQueue Queue[int]

// A primitive used in one bubble, then outside any, then in another bubble
// must not hand a channel made in one of them to the others: that was a
// fatal "receive on synctest channel from outside bubble" (the waiter the
// primitive cached for plain goroutines), which kills the test binary. And
// inside a bubble the waits stay durably blocking, so the fake clock moves.
func TestPrimitiveSharedAcrossBubbles(t *testing.T) {
	use := func(t *testing.T) {
		ctx := context.Background()
		got := make(chan int)
		go func() {
			v, err := sharedQueue.Get(ctx) // blocks: a plain goroutine's waiter
			assert.NoError(t, err)
			got <- v
		}()
		for queued(&sharedQueue.mu, &sharedQueue.getters) == 0 {
			runtime.Gosched()
		}
		require.NoError(t, sharedQueue.Put(ctx, 7))
		assert.Equal(t, 7, <-got)
	}
	timed := func(t *testing.T) {
		start := time.Now()
		qctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err := sharedQueue.Get(qctx)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, time.Minute, time.Since(start), "fake time moved: the wait was durably blocking")
	}
	synctest.Test(t, use)
	synctest.Test(t, timed)
	use(t) // outside any bubble: caches a waiter for plain goroutines
	synctest.Test(t, timed)
	synctest.Test(t, use)
	use(t)
}
