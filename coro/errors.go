package coro

import (
	"errors"

	"github.com/geventgo/geventgo/panics"
)

// ErrStopIteration is Python's StopIteration: Next and Send return it when
// the body has returned without an error, and on every later call. The
// body's return value is then available from Result.
var ErrStopIteration = errors.New("coro: stop iteration")

// ErrGeneratorExit is Python's GeneratorExit: Yield returns it when the
// generator is being closed (Close, or an early break out of a range over
// All). The body must then return; returning ErrGeneratorExit itself, or
// an error wrapping it, counts as a clean exit.
var ErrGeneratorExit = errors.New("coro: generator exit")

// ErrIgnoredExit is returned by Close when the body yielded again instead of
// returning after its Yield reported ErrGeneratorExit: Python's
// RuntimeError("generator ignored GeneratorExit").
var ErrIgnoredExit = errors.New("coro: generator ignored GeneratorExit")

// ErrRunning is returned by a step (Next, Send, Throw, Close) while another
// step of the same generator is executing: from inside the body itself, or
// from a second goroutine at the same time. Python's ValueError("generator
// already executing"). The generator is not affected.
var ErrRunning = errors.New("coro: generator already executing")

// ErrSendUnstarted is returned by Send with a non-zero value to a generator
// whose body has not started: there is no Yield yet to receive it. Python's
// TypeError("can't send non-None value to a just-started generator").
var ErrSendUnstarted = errors.New("coro: can't send a non-zero value to a just-started generator")

// ErrGeneratorRaisedStop is PEP 479's RuntimeError("generator raised
// StopIteration"): the body ended with an error that is, or wraps,
// ErrStopIteration (its own, or one a sub-generator's step returned to
// it), or panicked with one. Since Python 3.7 such a StopIteration does not
// end the generator quietly; it becomes a RuntimeError, so that a stray
// StopIteration cannot pass for the generator's normal end.
//
// The generator records a *RaisedStopError, which matches
// ErrGeneratorRaisedStop with errors.Is, as its body error (Result) and
// returns it from the step that ran the end (or from Close). It does not
// match ErrStopIteration: a loop that stops on errors.Is(err,
// ErrStopIteration) must not take it for a normal end.
var ErrGeneratorRaisedStop = errors.New("coro: generator raised StopIteration")

// RaisedStopError is the error a generator ends with when its body let
// ErrStopIteration escape (see ErrGeneratorRaisedStop). Cause is the
// body's original error, Python's __cause__ of the RuntimeError.
//
// Unwrap returns ErrGeneratorRaisedStop only, never Cause: errors.Is and
// errors.As do not see through to the StopIteration, so the error cannot
// pass for a normal end. Reach the original through Cause:
//
//	var rs *coro.RaisedStopError
//	if errors.As(err, &rs) { cause := rs.Cause; ... }
type RaisedStopError struct {
	Cause error // the error the body ended with; errors.Is(Cause, ErrStopIteration)
}

// Error returns Python's message followed by the cause's.
func (e *RaisedStopError) Error() string {
	if e.Cause == nil {
		return ErrGeneratorRaisedStop.Error()
	}
	return ErrGeneratorRaisedStop.Error() + ": " + e.Cause.Error()
}

// Unwrap returns ErrGeneratorRaisedStop, and not Cause (see the type's
// doc).
func (e *RaisedStopError) Unwrap() error { return ErrGeneratorRaisedStop }

// PanicError is the error a step returns when the body panicked (and the
// body error Result reports): Value is what was passed to panic, Stack the
// panicking goroutine's stack. It is an alias of panics.Error, the type
// greenlet.PanicError and gevent.PanicError name too, so
// errors.As(err, new(*coro.PanicError)) finds a panic whichever package
// recovered it. A panic(err) unwraps to err.
type PanicError = panics.Error
