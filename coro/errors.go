package coro

import "errors"

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
