package gevent

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var errKillReason = errors.New("killed for a reason")

func TestWithTimeoutValue(t *testing.T) {
	ctx := context.Background()
	v, err := WithTimeoutValue(ctx, time.Hour, func(context.Context) (int, error) { return 7, nil })
	require.NoError(t, err)
	assert.Equal(t, 7, v)

	v, err = WithTimeoutValue(ctx, 5*time.Millisecond, func(ctx context.Context) (int, error) {
		return 7, Sleep(ctx, time.Hour)
	})
	assert.Zero(t, v, "no value on a timeout")
	assert.ErrorIs(t, err, ErrTimeout)
	var te *TimeoutError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, 5*time.Millisecond, te.After)

	v, err = WithTimeoutValue(ctx, time.Hour, func(context.Context) (int, error) { return 7, errBoom })
	assert.Zero(t, v)
	assert.Same(t, errBoom, err)

	v, err = WithTimeoutValue(ctx, 0, func(ctx context.Context) (int, error) {
		_, ok := ctx.Deadline()
		assert.False(t, ok, "zero: no limit")
		return 1, nil
	})
	assert.Equal(t, 1, v)
	require.NoError(t, err)

	_, err = WithTimeoutValue(ctx, -1, func(ctx context.Context) (int, error) { return 1, Sleep(ctx, 0) })
	assert.ErrorIs(t, err, ErrTimeout, "negative: the time is up at once")
}

func TestWithTimeoutOr(t *testing.T) {
	ctx := context.Background()
	v, err := WithTimeoutOr(ctx, 5*time.Millisecond, "X", func(ctx context.Context) (string, error) {
		return "slow", Sleep(ctx, time.Hour)
	})
	require.NoError(t, err)
	assert.Equal(t, "X", v, "gevent's timeout_value")

	v, err = WithTimeoutOr(ctx, time.Hour, "X", func(ctx context.Context) (string, error) { return "fast", nil })
	require.NoError(t, err)
	assert.Equal(t, "fast", v)

	v, err = WithTimeoutOr(ctx, time.Hour, "X", func(ctx context.Context) (string, error) { return "partial", errBoom })
	assert.Same(t, errBoom, err, "fn's own error is not replaced")
	assert.Empty(t, v)

	// An outer Timeout's expiry is not this call's: it is returned as is.
	outer := errors.New("outer")
	err = Timeout{After: 5 * time.Millisecond, Err: outer}.Run(ctx, func(ctx context.Context) error {
		_, err := WithTimeoutOr(ctx, time.Hour, "X", func(ctx context.Context) (string, error) {
			return "", Sleep(ctx, 2*time.Hour)
		})
		assert.ErrorIs(t, err, outer)
		return err
	})
	assert.Same(t, outer, err)

	// The caller's own context ending is not the timeout either.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = WithTimeoutOr(cctx, time.Hour, "X", func(ctx context.Context) (string, error) { return "", Sleep(ctx, time.Hour) })
	assert.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, ErrTimeout)
}

// In free mode a Timeout's context is a real deadline context: Deadline
// reports it and Err is context.DeadlineExceeded, as net/http and
// database drivers expect, with the timeout error as its cause.
func TestTimeoutContextFree(t *testing.T) {
	ctx := context.Background()
	before := time.Now()
	tctx, cancel := TimeoutContext(ctx, 5*time.Millisecond)
	defer cancel()
	dl, ok := tctx.Deadline()
	require.True(t, ok)
	assert.WithinRange(t, dl, before.Add(5*time.Millisecond), time.Now().Add(5*time.Millisecond))
	err := Sleep(tctx, time.Hour)
	assert.ErrorIs(t, err, ErrTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, context.DeadlineExceeded, tctx.Err())
	var te *TimeoutError
	require.ErrorAs(t, context.Cause(tctx), &te)
	assert.Equal(t, 5*time.Millisecond, te.After)

	// A Queue's Get cut short by it raises the Timeout, not Empty, as
	// Python's `with Timeout(d): q.get()`.
	qctx, qcancel := TimeoutContext(ctx, time.Millisecond)
	var q Queue[int]
	_, err = q.Get(qctx)
	qcancel()
	assert.ErrorIs(t, err, ErrTimeout)
	assert.NotErrorIs(t, err, ErrEmpty)

	// cancel before expiry: Canceled, as context.WithTimeout.
	tctx, cancel = TimeoutContext(ctx, time.Hour)
	cancel()
	assert.Equal(t, context.Canceled, tctx.Err())
	assert.NotErrorIs(t, context.Cause(tctx), ErrTimeout)

	// Zero: no limit; negative: done at once.
	tctx, cancel = TimeoutContext(ctx, 0)
	_, ok = tctx.Deadline()
	assert.False(t, ok)
	assert.NoError(t, tctx.Err())
	cancel()
	tctx, cancel = Timeout{After: -1, Err: errBoom}.Context(ctx)
	defer cancel()
	assert.Equal(t, context.DeadlineExceeded, tctx.Err())
	assert.Same(t, errBoom, context.Cause(tctx))

	// Run's function gets the same kind of context.
	err = Timeout{After: 5 * time.Millisecond}.Run(ctx, func(ctx context.Context) error {
		_, ok := ctx.Deadline()
		assert.True(t, ok, "Run's context reports its deadline")
		<-ctx.Done()
		assert.Equal(t, context.DeadlineExceeded, ctx.Err())
		return ctx.Err() // a plain Go API's error: only the deadline
	})
	assert.ErrorIs(t, err, ErrTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

// On a virtual hub the deadline is on the hub's clock, and a wait parked
// with the context wakes at it.
func TestTimeoutContextHub(t *testing.T) {
	require.NoError(t, RunHub(context.Background(), func(ctx context.Context) error {
		h := schedOf(ctx).(*Hub)
		tctx, cancel := TimeoutContext(ctx, time.Second)
		defer cancel()
		dl, ok := tctx.Deadline()
		require.True(t, ok)
		assert.Equal(t, epoch.Add(time.Second), dl)

		// Nested: the inner reports the earlier deadline, and ends with
		// the outer.
		ictx, icancel := TimeoutContext(tctx, time.Hour)
		defer icancel()
		idl, _ := ictx.Deadline()
		assert.Equal(t, dl, idl)

		// A green thread spawned with it sees the deadline too.
		g := Spawn(ictx, func(ctx context.Context) (time.Time, error) {
			d, _ := ctx.Deadline()
			return d, Sleep(ctx, 2*time.Hour)
		})
		err := Sleep(ictx, 2*time.Hour)
		assert.ErrorIs(t, err, ErrTimeout)
		assert.Equal(t, epoch.Add(time.Second), h.Now(), "woken at the virtual deadline")
		var te *TimeoutError
		require.ErrorAs(t, context.Cause(tctx), &te)
		assert.Equal(t, time.Second, te.After)
		assert.Error(t, tctx.Err())
		d, gerr := g.Get(ctx)
		assert.Equal(t, dl, d)
		assert.ErrorIs(t, gerr, ErrTimeout)

		// Negative: done at once, on the hub too.
		nctx, ncancel := Timeout{After: -time.Second, Err: errBoom}.Context(ctx)
		defer ncancel()
		assert.ErrorIs(t, Sleep(nctx, time.Hour), errBoom)
		ndl, _ := nctx.Deadline()
		assert.Equal(t, h.Now().Add(-time.Second), ndl)
		return nil
	}, WithVirtualClock(epoch)))
}

// Run keeps fn's own error, joined with the timeout's, when the time ran
// out and fn failed with an error that is not the timeout's.
func TestTimeoutRunJoinsOwnError(t *testing.T) {
	ctx := context.Background()
	errMine := errors.New("too slow")
	err := Timeout{After: time.Millisecond, Err: errMine}.Run(ctx, func(ctx context.Context) error {
		<-ctx.Done()
		return errBoom
	})
	assert.ErrorIs(t, err, errMine)
	assert.ErrorIs(t, err, errBoom)
	assert.Equal(t, "too slow (the function returned: boom)", err.Error())

	err = WithTimeout(ctx, time.Millisecond, func(ctx context.Context) error {
		<-ctx.Done()
		return fmt.Errorf("query: %w", ctx.Err())
	})
	assert.ErrorIs(t, err, ErrTimeout)
	var te *TimeoutError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "gevent: timeout after 1ms (the function returned: query: context deadline exceeded)", err.Error())

	// fn returning the blocking call's error gives the timeout error itself.
	err = Timeout{After: time.Millisecond, Err: errMine}.Run(ctx, func(ctx context.Context) error {
		return Sleep(ctx, time.Hour)
	})
	assert.Same(t, errMine, err)
}

func TestKillWith(t *testing.T) {
	ctx := context.Background()
	started := make(chan struct{})
	var child *Greenlet[struct{}]
	g := Go(ctx, func(ctx context.Context) error {
		child = Go(ctx, func(ctx context.Context) error { return Sleep(ctx, time.Hour) })
		close(started)
		err := Sleep(ctx, time.Hour)
		assert.ErrorIs(t, err, errKillReason, "the body's blocking call sees the reason")
		assert.ErrorIs(t, err, context.Canceled)
		assert.NotErrorIs(t, err, ErrGreenletExit)
		return err
	})
	<-started
	require.NoError(t, g.KillWith(ctx, errKillReason))
	assert.ErrorIs(t, g.Err(), errKillReason)
	assert.ErrorIs(t, g.Err(), context.Canceled)
	assert.False(t, g.Successful(), "gevent: kill(exception=E) is not successful")
	require.NoError(t, child.Join(ctx))
	assert.ErrorIs(t, child.Err(), ErrGreenletExit, "children end with a plain kill")
	assert.True(t, child.Successful())

	// A body returning the bare context error gets the reason too.
	g = Go(ctx, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	g.CancelWith(errKillReason)
	require.NoError(t, g.Join(ctx))
	assert.ErrorIs(t, g.Err(), errKillReason)

	// Killed before it started.
	g2 := SpawnLater(ctx, time.Hour, func(ctx context.Context) (struct{}, error) { return struct{}{}, nil })
	require.NoError(t, g2.KillWith(ctx, errKillReason))
	assert.False(t, g2.Started())
	assert.ErrorIs(t, g2.Err(), errKillReason)
	assert.False(t, g2.Successful())

	// nil and ErrGreenletExit are a plain kill; the first kill's reason wins.
	for _, e := range []error{nil, ErrGreenletExit} {
		g = Go(ctx, func(ctx context.Context) error { return Sleep(ctx, time.Hour) })
		require.NoError(t, g.KillWith(ctx, e))
		assert.ErrorIs(t, g.Err(), ErrGreenletExit)
		assert.True(t, g.Successful())
	}
	g = Go(ctx, func(ctx context.Context) error { return Sleep(ctx, time.Hour) })
	g.Cancel()
	require.NoError(t, g.KillWith(ctx, errKillReason))
	assert.ErrorIs(t, g.Err(), ErrGreenletExit)
	assert.NotErrorIs(t, g.Err(), errKillReason)

	// A body that handles the kill and returns nil succeeded.
	g = Go(ctx, func(ctx context.Context) error { _ = Sleep(ctx, time.Hour); return nil })
	until(t, g.Started)
	require.NoError(t, g.KillWith(ctx, errKillReason))
	assert.NoError(t, g.Err())
	assert.True(t, g.Successful())

	// Kill of itself.
	g = Go(ctx, func(ctx context.Context) error { return Current(ctx).KillWith(ctx, errKillReason) })
	require.NoError(t, g.Join(ctx))
	assert.ErrorIs(t, g.Err(), ErrJoinSelf)
}

func TestKillAllWith(t *testing.T) {
	ctx := context.Background()
	gs := make([]*Greenlet[struct{}], 3)
	for i := range gs {
		gs[i] = Go(ctx, func(ctx context.Context) error { return Sleep(ctx, time.Hour) })
	}
	require.NoError(t, KillAllWith(ctx, gs, errKillReason))
	for _, g := range gs {
		assert.ErrorIs(t, g.Err(), errKillReason)
		assert.False(t, g.Successful())
	}
	_, err := JoinAll(ctx, gs, RaiseError())
	assert.ErrorIs(t, err, errKillReason, "a kill with a reason is a failure for raise_error")
}

// The whole toolbox of this file on a virtual hub: the same trace on
// every run.
func TestTimeoutKillWithVirtualDeterministic(t *testing.T) {
	trace := runTraces(t, 200, func(ctx context.Context, trace *[]string) error {
		h := schedOf(ctx).(*Hub)
		log := func(format string, args ...any) {
			*trace = append(*trace, fmt.Sprintf("%v ", h.Now().Sub(epoch))+fmt.Sprintf(format, args...))
		}
		var gs []*Greenlet[int]
		for i := range 4 {
			gs = append(gs, Spawn(ctx, func(ctx context.Context) (int, error) {
				v, err := WithTimeoutOr(ctx, time.Duration(i+1)*time.Second, -1, func(ctx context.Context) (int, error) {
					return i, Sleep(ctx, time.Duration(3*i+1)*time.Second/2)
				})
				log("g%d WithTimeoutOr %d %v", i, v, err)
				tctx, cancel := TimeoutContext(ctx, time.Duration(i)*time.Second)
				defer cancel()
				dl, _ := tctx.Deadline()
				err = Sleep(tctx, time.Hour)
				log("g%d deadline %v: %v", i, dl.Sub(epoch), err)
				err = Sleep(ctx, time.Hour)
				log("g%d killed: %v", i, err)
				return i, err
			}))
		}
		if err := Sleep(ctx, 10*time.Second); err != nil {
			return err
		}
		if err := gs[0].KillWith(ctx, errKillReason); err != nil {
			return err
		}
		if err := KillAllWith(ctx, gs[1:], fmt.Errorf("all: %w", errKillReason)); err != nil {
			return err
		}
		for i, g := range gs {
			log("g%d successful=%v err=%v", i, g.Successful(), g.Err())
		}
		return nil
	})
	require.Len(t, trace, 4*3+4)
	assert.Contains(t, trace, "500ms g0 WithTimeoutOr 0 <nil>")
	assert.Contains(t, trace, "2s g1 WithTimeoutOr -1 <nil>", "the timeout's timer was set first")
	assert.Contains(t, trace, "3s g2 WithTimeoutOr -1 <nil>")
	assert.Contains(t, trace, "10s g0 successful=false err=context canceled: killed for a reason")
}

// ContextWithTimeout is Python's timeout argument on the hub's clock: a
// Queue's Get it cuts short reports ErrEmpty (gevent's q.get(timeout=)
// raises Empty), a Put ErrFull, a Greenlet's or AsyncResult's Get
// ErrTimeout, all at the virtual deadline; cancelled before it, it is no
// deadline; d <= 0 has passed already. The same program gives the same
// trace every run.
func TestContextWithTimeoutHub(t *testing.T) {
	trace := runTraces(t, 300, func(ctx context.Context, trace *[]string) error {
		log := traceTo(trace)
		h := schedOf(ctx).(*Hub)
		check := func(name string, d time.Duration, call func(ctx context.Context) error, sentinel error) {
			start := h.Now()
			dctx, cancel := ContextWithTimeout(ctx, d)
			defer cancel()
			dl, ok := dctx.Deadline()
			err := call(dctx)
			log("%s: deadline %v, waited %v, sentinel %v, deadline exceeded %v", name,
				ok && dl.Equal(start.Add(max(d, 0))) || d <= 0, h.Now().Sub(start),
				errors.Is(err, sentinel), errors.Is(err, context.DeadlineExceeded))
		}
		var q Queue[int]
		check("get", 10*time.Millisecond, func(ctx context.Context) error { _, err := q.Get(ctx); return err }, ErrEmpty)
		full := NewQueue[int](1)
		if err := full.Put(ctx, 1); err != nil {
			return err
		}
		check("put", 20*time.Millisecond, func(ctx context.Context) error { return full.Put(ctx, 2) }, ErrFull)
		var ar AsyncResult[int]
		check("asyncresult", 30*time.Millisecond, func(ctx context.Context) error { _, err := ar.Get(ctx); return err }, ErrTimeout)
		g := Go(ctx, func(ctx context.Context) error { return Sleep(ctx, time.Hour) })
		check("greenlet", 40*time.Millisecond, func(ctx context.Context) error { _, err := g.Get(ctx); return err }, ErrTimeout)
		check("passed", 0, func(ctx context.Context) error { _, err := q.Get(ctx); return err }, ErrEmpty)
		if err := g.Kill(ctx); err != nil {
			return err
		}

		// Cancelled before its deadline, it is no deadline.
		cctx, cancel := ContextWithTimeout(ctx, time.Hour)
		Go(ctx, func(context.Context) error { cancel(); return nil })
		_, err := q.Get(cctx)
		log("cancelled: empty %v, deadline exceeded %v, canceled %v",
			errors.Is(err, ErrEmpty), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled))
		return nil
	})
	assert.Equal(t, []string{
		"get: deadline true, waited 10ms, sentinel true, deadline exceeded true",
		"put: deadline true, waited 20ms, sentinel true, deadline exceeded true",
		"asyncresult: deadline true, waited 30ms, sentinel true, deadline exceeded true",
		"greenlet: deadline true, waited 40ms, sentinel true, deadline exceeded true",
		"passed: deadline true, waited 0s, sentinel true, deadline exceeded true",
		"cancelled: empty false, deadline exceeded false, canceled true",
	}, trace)
}

// In free mode ContextWithTimeout is context.WithTimeout.
func TestContextWithTimeoutFree(t *testing.T) {
	dctx, cancel := ContextWithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	var q Queue[int]
	_, err := q.Get(dctx)
	assert.ErrorIs(t, err, ErrEmpty)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, context.DeadlineExceeded, dctx.Err())
	assert.Equal(t, context.DeadlineExceeded, context.Cause(dctx))
}
