package gevent_test

// Conformance: gevent's src/gevent/tests/test__timeout.py, ported.
//
// gevent's Timeout is an object started and cancelled around a block of
// code; Go's is a scope, Timeout{After, Err}.Run(ctx, fn): started when Run
// starts fn, cancelled when fn returns. Restarting is running again.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geventgo/geventgo/gevent"
)

const (
	confShouldExpire    = 10 * time.Millisecond
	confShouldNotExpire = 20 * time.Millisecond
)

func TestConformance_Timeout(t *testing.T) {
	// TestDirectRaise: raise gevent.Timeout as an exception, not pending.
	// Go: a *TimeoutError is an ordinary error value matching ErrTimeout;
	// making one starts nothing.
	t.Run("TestDirectRaise.test_direct_raise_class", func(t *testing.T) {
		var err error = &gevent.TimeoutError{}
		assert.ErrorIs(t, err, gevent.ErrTimeout)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
	t.Run("TestDirectRaise.test_direct_raise_instance", func(t *testing.T) {
		timeout := &gevent.TimeoutError{After: time.Second}
		var err error = timeout
		var got *gevent.TimeoutError
		require.ErrorAs(t, err, &got)
		assert.Same(t, timeout, got)
	})

	// hubSwitch is get_hub().switch(): block until something else wakes the
	// caller (here, only its context).
	hubSwitch := func(ctx context.Context) error {
		var never gevent.Event
		return never.Wait(ctx)
	}
	expires := func(t *testing.T, timeout gevent.Timeout, check func(err error)) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			for range 2 { // start, expire; restart, expire again
				start := h.Now()
				err := timeout.Run(ctx, hubSwitch)
				assert.Equal(t, timeout.After, confSince(h, start))
				check(err)
			}
			return nil
		})
	}
	isTimeout := func(t *testing.T, after time.Duration) func(error) {
		return func(err error) {
			var te *gevent.TimeoutError
			if assert.ErrorAs(t, err, &te, "Must raise Timeout") {
				assert.Equal(t, after, te.After)
			}
			assert.ErrorIs(t, err, gevent.ErrTimeout)
		}
	}
	t.Run("Test.test_expires", func(t *testing.T) {
		expires(t, gevent.Timeout{After: confShouldExpire}, isTimeout(t, confShouldExpire))
	})
	// Test.test_expires_false: Timeout(s, False) is silent only as a context
	// manager; Go has no silent Timeout (see test_context_manager_false).
	t.Run("Test.test_expires_str", func(t *testing.T) {
		xxx := errors.New("XXX")
		timeout := gevent.Timeout{After: confShouldExpire, Err: xxx}
		expires(t, timeout, func(err error) {
			confSameErr(t, xxx, err)
			assert.True(t, strings.HasSuffix(err.Error(), "XXX"), err.Error())
		})
		assert.Equal(t, `Timeout(10ms, "XXX")`, timeout.String())
	})
	// Test.test_expires_non_exception: a non-exception Timeout value raising
	// TypeError is Python's typing; Go's Err is an error by type.

	t.Run("Test.test_context_manager", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			err := gevent.Timeout{After: confShouldExpire}.Run(ctx, hubSwitch)
			isTimeout(t, confShouldExpire)(err)
			return nil
		})
	})
	// Timeout(s, False) swallows its own expiry; in Go the caller drops
	// ErrTimeout. (str() ending in "(silent)" is repr, not ported.)
	t.Run("Test.test_context_manager_false", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			err := gevent.Timeout{After: confShouldExpire}.Run(ctx, hubSwitch)
			if errors.Is(err, gevent.ErrTimeout) {
				err = nil
			}
			assert.NoError(t, err)
			assert.Equal(t, confShouldExpire, confSince(h, confEpoch))
			return nil
		})
	})
	t.Run("Test.test_context_manager_str", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			xxx := errors.New("XXX")
			err := gevent.Timeout{After: confShouldExpire, Err: xxx}.Run(ctx, hubSwitch)
			confSameErr(t, xxx, err)
			return nil
		})
	})
	t.Run("Test.test_cancel", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			var inner context.Context
			err := gevent.Timeout{After: confShouldExpire}.Run(ctx, func(ctx context.Context) error {
				inner = ctx
				return nil // the scope ends at once: the Timeout is cancelled
			})
			assert.NoError(t, err)
			assert.NoError(t, gevent.Sleep(ctx, confShouldNotExpire))
			assert.ErrorIs(t, context.Cause(inner), context.Canceled, "cancelled, never expired")
			assert.NotErrorIs(t, context.Cause(inner), gevent.ErrTimeout)
			return nil
		})
	})
	// with_timeout(s, f, timeout_value=X) returns X on expiry: the Go caller
	// maps ErrTimeout to its value.
	t.Run("Test.test_with_timeout", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			sleep := func(d time.Duration) func(context.Context) error {
				return func(ctx context.Context) error { return gevent.Sleep(ctx, d) }
			}
			start := h.Now()
			assert.ErrorIs(t, gevent.WithTimeout(ctx, confShouldExpire, sleep(confShouldNotExpire)), gevent.ErrTimeout)
			assert.Equal(t, confShouldExpire, confSince(h, start))
			start = h.Now()
			assert.NoError(t, gevent.WithTimeout(ctx, confShouldNotExpire, sleep(confShouldExpire)))
			assert.Equal(t, confShouldExpire, confSince(h, start))
			return nil
		})
	})

	// Go: Timeout(0) and Timeout(-1) expire at the next turn of gevent's
	// loop, Timeout(None) never. Go's zero Timeout{} (After 0) is "no limit"
	// (the Go zero value, like http.Client.Timeout); a negative After is the
	// port of gevent's expire-at-once: fn's context is done when fn starts.
	t.Run("Go.zero_After_never_expires", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			err := gevent.Timeout{}.Run(ctx, func(ctx context.Context) error {
				assert.NoError(t, ctx.Err())
				return gevent.Sleep(ctx, time.Hour)
			})
			assert.NoError(t, err)
			assert.Equal(t, time.Hour, confSince(h, confEpoch))
			return nil
		})
	})
	for _, mode := range []string{"hub", "free"} {
		t.Run("Go.negative_After_expires_at_once("+mode+")", func(t *testing.T) {
			run := func(ctx context.Context) error {
				err := gevent.Timeout{After: -1}.Run(ctx, func(ctx context.Context) error {
					assert.Error(t, ctx.Err(), "fn's context is already done")
					err := gevent.Sleep(ctx, time.Hour)
					assert.ErrorIs(t, err, gevent.ErrTimeout, "the first blocking call fails")
					return err
				})
				assert.ErrorIs(t, err, gevent.ErrTimeout)
				xxx := errors.New("XXX")
				err = gevent.Timeout{After: -time.Second, Err: xxx}.Run(ctx, func(ctx context.Context) error {
					var never gevent.Event
					return never.Wait(ctx)
				})
				confSameErr(t, xxx, err)
				return nil
			}
			if mode == "free" {
				// Bounded so that a Timeout that never fires fails the test
				// instead of hanging it.
				ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
				defer cancel()
				assert.NoError(t, run(ctx))
				return
			}
			confHub(t, func(ctx context.Context, h *gevent.Hub) error {
				// on the virtual clock, a Timeout that never fires leaves the
				// Sleep of an hour: the clock shows it.
				err := run(ctx)
				assert.Equal(t, time.Duration(0), confSince(h, confEpoch), "no time passed")
				return err
			})
		})
	}
}
