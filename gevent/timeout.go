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
//
// Context gives the Timeout as a context.Context to pass down a call chain
// (gevent's timeout.start() ... timeout.close()); WithTimeoutValue and
// WithTimeoutOr are with_timeout for functions with a result.
type Timeout struct {
	// After is how long the function may run: zero means no limit, a
	// negative duration that the time is up before the function starts.
	After time.Duration
	// Err, if not nil, is the error reported on expiry, in place of a
	// *TimeoutError: gevent's Timeout(seconds, exception).
	Err error
}

// Run calls fn with a context derived from ctx that ends, with the timeout
// error as its cause (context.Cause), once t.After has passed; the context's
// Deadline reports when (see Context). Every blocking call of this package
// made with that context then returns an error matching the timeout error.
//
// Run returns fn's error when the time did not run out. When it ran out
// before fn returned an error, Run returns the timeout error (t.Err, or a
// *TimeoutError), as gevent raises the Timeout: the very value if fn's
// error already matches it (fn returned what a blocking call gave it), or
// else an error that matches both the timeout error and fn's own error
// with errors.Is and errors.As, so that neither is lost (a net/http call
// cut short, for one, reports context.DeadlineExceeded, not the Timeout).
// A fn that returns nil succeeded, even if the time ran out just as it
// returned. Run never leaves a timer behind.
//
// Expiry cancels fn's context, so everything started with that context ends
// with it: green threads spawned under it, a pool's tasks submitted with it.
// gevent's Timeout interrupts only the greenlet that set it; to get that,
// spawn what must outlive the scope with context.WithoutCancel(ctx).
func (t Timeout) Run(ctx context.Context, fn func(ctx context.Context) error) error {
	if t.After == 0 {
		return fn(ctx)
	}
	expired := t.expired()
	tctx, cancel := withTimeout(ctx, t.After, expired)
	defer cancel()
	err := fn(tctx)
	if err == nil || context.Cause(tctx) != expired {
		return err
	}
	if errors.Is(err, expired) {
		return expired
	}
	return &expiredError{expired, err}
}

// Context returns a context derived from ctx that ends once t.After has
// passed on ctx's clock, with the timeout error (t.Err, or a *TimeoutError)
// as its cause, and the CancelFunc that releases its timer: a Timeout to
// pass down a call chain, gevent's Timeout started with start().
// Call cancel as soon as the work is done.
//
// In free mode the context is a deadline context (context.WithTimeoutCause):
// Deadline reports when it expires and Err is context.DeadlineExceeded, so
// net/http, database drivers and every API that honours a deadline see it.
// On a Hub it runs on the hub's clock, virtual or wall: Deadline reports
// the deadline on that clock, and once expired, Err is context.Canceled
// (the hub's timer cancels it); on either, context.Cause is the timeout
// error, and the blocking calls of this package return an error matching
// it. As for Run, After == 0 means no limit (the context ends only with ctx
// or cancel) and a negative After that the context is done already.
func (t Timeout) Context(ctx context.Context) (context.Context, context.CancelFunc) {
	if t.After == 0 {
		return context.WithCancel(ctx)
	}
	return withTimeout(ctx, t.After, t.expired())
}

// expired is the error t reports on expiry.
func (t Timeout) expired() error {
	if t.Err != nil {
		return t.Err
	}
	return &TimeoutError{After: t.After}
}

// expiredError is the error of a Timeout.Run whose time ran out while fn
// failed with an error of its own: it matches both.
type expiredError struct{ timeout, err error }

func (e *expiredError) Error() string {
	return e.timeout.Error() + " (the function returned: " + e.err.Error() + ")"
}

func (e *expiredError) Unwrap() []error { return []error{e.timeout, e.err} }

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

// WithTimeoutValue runs fn under a Timeout of d and returns its value:
// gevent's with_timeout(d, fn) for a function with a result. The error is
// Timeout.Run's: fn's own, or, when the time ran out before fn returned an
// error, one matching ErrTimeout (a *TimeoutError). On an error the value
// is T's zero value. As for Timeout, d == 0 means no limit and a negative d
// that the time is already up.
func WithTimeoutValue[T any](ctx context.Context, d time.Duration, fn func(ctx context.Context) (T, error)) (T, error) {
	var v T
	err := Timeout{After: d}.Run(ctx, func(ctx context.Context) error {
		var err error
		v, err = fn(ctx)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}

// WithTimeoutOr is WithTimeoutValue that returns timeoutValue and a nil
// error when the time runs out: gevent's with_timeout(d, fn,
// timeout_value=timeoutValue). It does so whenever the time ran out before
// fn returned an error, whatever that error (an error fn made of the
// expiry, as net/http does, included). Only this call's own expiry is
// replaced: fn's errors in time, and the expiry of an outer Timeout or the
// end of ctx, are returned as they are, with T's zero value.
func WithTimeoutOr[T any](ctx context.Context, d time.Duration, timeoutValue T, fn func(ctx context.Context) (T, error)) (T, error) {
	if d == 0 {
		return fn(ctx)
	}
	expired := &TimeoutError{After: d}
	var v T
	err := Timeout{After: d, Err: expired}.Run(ctx, func(ctx context.Context) error {
		var err error
		v, err = fn(ctx)
		return err
	})
	switch {
	case err == nil:
		return v, nil
	case errors.Is(err, expired):
		return timeoutValue, nil
	default:
		var zero T
		return zero, err
	}
}

// TimeoutContext returns Timeout{After: d}.Context(ctx): a context that
// ends d from now on ctx's clock (the hub's, on a Hub) with a
// *TimeoutError as its cause, and reports that deadline: a Timeout scope
// to pass down (a Queue's Get it cuts short reports ErrTimeout, as
// `with Timeout(d): q.get()` raises Timeout). For Python's timeout
// argument, use ContextWithTimeout.
func TimeoutContext(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return Timeout{After: d}.Context(ctx)
}

// ContextWithTimeout is context.WithTimeout on ctx's clock: the hub's on a
// Hub, virtual or not, and the wall clock elsewhere, where it is
// context.WithTimeout itself. Its end is a plain deadline, Python's
// timeout argument: a Queue's Get it cuts short reports ErrEmpty, a Put
// ErrFull, a Greenlet's or AsyncResult's Get ErrTimeout, each also
// matching context.DeadlineExceeded, as q.get(timeout=d) raises Empty.
// d <= 0 is a deadline already passed. On a Hub its Err is
// context.Canceled and its cause context.DeadlineExceeded (the package's
// hub contexts are cancel contexts that report a deadline); a
// context.WithTimeout there would keep the wall clock, which a virtual hub
// does not wait for.
func ContextWithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		d = -1 // passed already, as context.WithTimeout's
	}
	return withTimeout(ctx, d, context.DeadlineExceeded) // as JoinTimeout's
}
