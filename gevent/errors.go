package gevent

import (
	"context"
	"errors"

	"github.com/geventgo/geventgo/greenlet"
	"github.com/geventgo/geventgo/panics"
)

// ErrGreenletExit is gevent's GreenletExit: the reason a killed green thread
// stops. A blocking call of this package interrupted by Kill returns an error
// that is both errors.Is(err, ErrGreenletExit) and
// errors.Is(err, context.Canceled); so does Get on a killed green thread
// whose body ended with its context's error.
//
// It is the same value as greenlet.ErrGreenletExit, as gevent.GreenletExit
// is greenlet.GreenletExit in Python: errors.Is matches either sentinel
// against the other's errors. It does not match coro.ErrGeneratorExit
// (Python's GeneratorExit is another exception).
var ErrGreenletExit = greenlet.ErrGreenletExit

// ErrJoinSelf is returned by Join, Get or Kill called by a green thread on
// itself: waiting for its own end would block forever.
var ErrJoinSelf = errors.New("gevent: a green thread cannot wait for itself")

// ErrLoopExit is gevent's LoopExit: on a Hub with a virtual clock, the
// main green thread (the one Run runs) was blocked while nothing else of the
// hub could ever run: every other green thread was blocked too, none was
// inside Blocking, and no timer was left. The blocking call returns it
// instead of hanging; the wait is over, and the main green thread may go
// on (blocking again with nothing to run returns it again).
var ErrLoopExit = errors.New("gevent: this operation would block forever (LoopExit)")

// ErrNotLocked is the value Lock.Release, RLock.Release and Condition's
// Release, Wait and Notify panic with when the lock is not held (by the
// caller, for an RLock): a programming error, as unlocking an unlocked
// sync.Mutex is (Python's RuntimeError "release unlocked lock" / "cannot
// release un-acquired lock"). A green thread that does it ends with a
// *PanicError that matches ErrNotLocked with errors.Is.
var ErrNotLocked = errors.New("gevent: release of a lock that is not held")

// ErrOverRelease is the value BoundedSemaphore.Release panics with when the
// release would raise the counter above its initial value: a programming
// error (Python's ValueError "Semaphore released too many times"; see
// ErrNotLocked).
var ErrOverRelease = errors.New("gevent: semaphore released too many times")

// PanicError is the error of a green thread whose body panicked: Value is
// what was passed to panic and Stack the panicking goroutine's stack.
// errors.As(err, new(*PanicError)) finds it. It is an alias of
// panics.Error, the type coro.PanicError and greenlet.PanicError name too:
// one errors.As finds a panic whichever package recovered it. A green
// thread that panicked and whose error nobody read is reported (see
// SetFailureHandler).
type PanicError = panics.Error

// canceledError is a context error that also carries its cause (a kill's
// ErrGreenletExit, a context.WithCancelCause cause, a Timeout's error).
type canceledError struct{ err, cause error }

func (e *canceledError) Error() string   { return e.err.Error() + ": " + e.cause.Error() }
func (e *canceledError) Unwrap() []error { return []error{e.err, e.cause} }

// deadlineAs is the error of a blocking call whose wait ended with err.
// When what ended it is ctx's own deadline (context.WithTimeout or
// WithDeadline, or ContextWithTimeout on a Hub, whose Err is Canceled:
// Python's timeout argument), the error also matches sentinel, the
// exception Python raises for that timeout: ErrEmpty for a Queue's get,
// ErrFull for its put, ErrTimeout for a Greenlet's or AsyncResult's get.
// Any other end keeps its error: a kill's ErrGreenletExit, and a Timeout
// scope's error (Python's `with Timeout(1): q.get()` raises Timeout, not
// Empty).
func deadlineAs(ctx context.Context, err, sentinel error) error {
	if err == nil || context.Cause(ctx) != context.DeadlineExceeded {
		return err
	}
	if e := ctx.Err(); e == context.DeadlineExceeded || e == context.Canceled {
		return &canceledError{err, sentinel}
	}
	return err
}

// errKilledUnstarted is the error of a green thread killed before its body
// ran: like every kill's, it matches ErrGreenletExit and context.Canceled.
var errKilledUnstarted error = &canceledError{context.Canceled, ErrGreenletExit}

// waitError is the error of a wait that ended without a wake: ctx's (see
// ctxError) if ctx is done, else the scheduler's reason (ErrLoopExit).
func waitError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctxError(ctx)
	}
	return err
}

// ctxError is the error a blocking call returns when ctx ended its wait:
// ctx.Err(), joined with the cause when there is one.
func ctxError(ctx context.Context) error {
	err := ctx.Err()
	if err == nil {
		return nil
	}
	if cause := context.Cause(ctx); cause != nil && cause != err {
		return &canceledError{err, cause}
	}
	if t := threadFrom(ctx); t != nil && t.killed.Load() && errors.Is(err, context.Canceled) {
		return &canceledError{err, t.killReason()}
	}
	return err
}
