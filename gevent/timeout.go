package gevent

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// ErrTimeout is what every error of an expired Timeout matches with
// errors.Is (unless the Timeout was given its own Err): gevent's
// gevent.Timeout exception.
var ErrTimeout = errors.New("gevent: timeout")

// TimeoutError is the error of an expired Timeout with no Err of its own.
// It matches both ErrTimeout and context.DeadlineExceeded.
type TimeoutError struct{ After time.Duration }

// Error reports the duration that ran out, like "gevent: timeout after 2s".
func (e *TimeoutError) Error() string {
	return "gevent: timeout after " + e.After.String()
}

// Is makes errors.Is(err, ErrTimeout) and
// errors.Is(err, context.DeadlineExceeded) true.
func (e *TimeoutError) Is(target error) bool {
	return target == ErrTimeout || target == context.DeadlineExceeded
}

// Timeout is gevent's Timeout as a scope: Run runs a function with a
// context that is cancelled once After has passed, and reports the expiry
// as an error the caller can tell apart from the function's own.
//
//	with gevent.Timeout(2):             err := gevent.Timeout{After: 2 * time.Second}.Run(ctx, fn)
//	with gevent.Timeout(2, MyError):    err := gevent.Timeout{After: 2 * time.Second, Err: errMine}.Run(ctx, fn)
//
// The zero Timeout never expires: After == 0 is Python's Timeout(None), as
// a zero timeout means "none" for net.Dialer and http.Client, so a
// function's optional timeout passes straight through. A negative After
// expires at once: the function's context is already done when it starts,
// so its first blocking call of this package fails with the timeout error;
// that is the port of gevent's Timeout(0), which expires as soon as control
// returns to the event loop. On a Hub, After runs on the hub's clock.
type Timeout struct {
	// After is how long the function may run: zero means no limit, a
	// negative duration that the time is up before the function starts.
	After time.Duration
	// Err, if not nil, is the error reported on expiry, in place of a
	// *TimeoutError: gevent's Timeout(seconds, exception).
	Err error
}

// Run calls fn with a context derived from ctx that is cancelled, with the
// timeout error as its cause (context.Cause), once t.After has passed.
// Every blocking call of this package made with that context then returns
// an error matching the timeout error. Run returns fn's error, except when
// the time ran out before fn returned an error: then it returns the timeout
// error (t.Err, or a *TimeoutError). A fn that returns nil succeeded, even
// if the time ran out just as it returned. Run never leaves a timer behind.
//
// Expiry cancels fn's context, so everything started with that context ends
// with it: green threads spawned under it, a pool's tasks submitted with it.
// gevent's Timeout interrupts only the greenlet that set it; to get that,
// spawn what must outlive the scope with context.WithoutCancel(ctx).
func (t Timeout) Run(ctx context.Context, fn func(ctx context.Context) error) error {
	if t.After == 0 {
		return fn(ctx)
	}
	expired := t.Err
	if expired == nil {
		expired = &TimeoutError{After: t.After}
	}
	var (
		tctx   context.Context
		cancel context.CancelFunc
	)
	if t.After < 0 {
		var cancelCause context.CancelCauseFunc
		tctx, cancelCause = context.WithCancelCause(ctx)
		cancelCause(expired) // the time is up before fn starts
		cancel = func() {}
	} else {
		tctx, cancel = withTimeout(ctx, t.After, expired)
	}
	defer cancel()
	err := fn(tctx)
	if err != nil && context.Cause(tctx) == expired {
		return expired
	}
	return err
}

// String describes the Timeout, like "Timeout(2s)".
func (t Timeout) String() string {
	s := "Timeout(" + t.After.String()
	if t.Err != nil {
		s += ", " + strconv.Quote(t.Err.Error())
	}
	return s + ")"
}

// WithTimeout runs fn under a Timeout of d: Timeout{After: d}.Run(ctx, fn),
// gevent's with_timeout for functions that return only an error. As for
// Timeout, d == 0 means no limit and a negative d that the time is already
// up (gevent's with_timeout(0, ...)).
func WithTimeout(ctx context.Context, d time.Duration, fn func(ctx context.Context) error) error {
	return Timeout{After: d}.Run(ctx, fn)
}
