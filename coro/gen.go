package coro

import (
	"errors"
	"iter"
	"reflect"
	"sync/atomic"

	"github.com/geventgo/geventgo/panics"
)

// Gen is a generator: a body that yields values of type Y, receives values
// of type S from Send, and ends with a result of type R and an error.
// Python's generator object. Create one with New.
//
// A Gen is driven either by ranging over All (push mode: the body runs on
// the caller's stack and each Yield calls the loop body directly, about the
// cost of a plain iter.Seq) or step by step with Next, Send, Throw and
// Close (pull mode: the body runs on a runtime coroutine, as with
// iter.Pull, and each step costs about one iter.Pull step, with no
// allocation). A generator started in pull mode can still be ranged over
// afterwards; the range then pulls.
//
// A generator is meant to be driven by one goroutine at a time. A step
// attempted while another step of the same generator is executing (from
// the body itself, or from another goroutine at the same moment) is refused
// with ErrRunning and changes nothing. Done, Result and State must not be
// called from another goroutine concurrently with a step.
//
// A generator suspended in pull mode holds a coroutine, like an iter.Pull
// whose stop was never called: drive it to its end or call Close (defer
// g.Close() is the idiom). Ranging over All never leaves one behind.
type Gen[Y, S, R any] struct {
	// A step touches y, busy, state and next: they come first, so that
	// for small Y and S they share a cache line.
	y     Yielder[Y, S]
	busy  atomic.Bool // a step or a push-mode range is executing
	state genState
	next  func() (Y, bool) // iter.Pull's, while suspended; nil in every other state
	body  func(*Yielder[Y, S]) (R, error)
	ret   R
	err   error
	// endErr is what a step that found no value reports: ErrStopIteration,
	// the body's error, ErrSendUnstarted or a thrown error.
	endErr error
}

type genState uint8

const (
	unstarted genState = iota
	suspended          // pull mode, parked at a Yield (or about to start)
	pushing            // push mode: the body runs inside a range over All
	finished
)

// New returns a generator that will run body. Creating it runs nothing:
// the body starts at the first Next, Send or range, like calling a Python
// generator function.
//
// The body yields with y.Yield and ends by returning: its result and error
// are what Result reports once the generator is done, and a non-nil error
// is also what the step that ran the end returns (the exception propagating
// out of next/send). A panic in the body is recovered and becomes that
// error, a *PanicError with the stack. An error that is, or wraps,
// ErrStopIteration (a panic with one included) is recorded as a
// *RaisedStopError instead, PEP 479's RuntimeError: see
// ErrGeneratorRaisedStop.
func New[Y, S, R any](body func(y *Yielder[Y, S]) (R, error)) *Gen[Y, S, R] {
	return &Gen[Y, S, R]{body: body}
}

// Next resumes the body until its next Yield and returns the yielded value:
// Python's next(g), which is Send with S's zero value. At the end it returns
// ErrStopIteration if the body returned a nil error, or the body's error
// (a *RaisedStopError if that error is, or wraps, ErrStopIteration: PEP
// 479); every later call returns ErrStopIteration.
func (g *Gen[Y, S, R]) Next() (Y, error) {
	var zero S
	return g.step(zero, nil)
}

// Send resumes the body with v as the result of its pending Yield and
// returns the next yielded value: Python's g.send(v). On a generator that
// has not started, only S's zero value may be sent (it starts the body);
// any other value returns ErrSendUnstarted and starts nothing. The end is
// reported as by Next.
func (g *Gen[Y, S, R]) Send(v S) (Y, error) { return g.step(v, nil) }

// Throw resumes the body with err as the error of its pending Yield:
// Python's g.throw(err). If the body handles it and yields again, Throw
// returns that value; if the body returns, Throw reports the end as Next
// does (so a body that returns err unchanged makes Throw return err). On a
// generator that has not started, the body never runs: the generator is
// finished with err, which Throw returns. On a finished generator Throw
// returns err, as Python re-raises the thrown exception. A nil err throws
// ErrGeneratorExit. A thrown ErrStopIteration that ends the generator,
// started or not, ends it as a body that returned it does: with a
// *RaisedStopError (PEP 479), which Throw returns; thrown into a finished
// generator it comes back unchanged, as in Python.
func (g *Gen[Y, S, R]) Throw(err error) (Y, error) {
	if err == nil {
		err = ErrGeneratorExit
	}
	var zero S
	return g.step(zero, err)
}

// step runs one pull-mode step: it sends s, or throws thrown, into the
// body. It is small enough to be inlined into Next and Send, and so into
// their callers: on a suspended generator it calls iter.Pull's next
// directly, leaving no frame of ours between the caller and the coroutine
// switch (each such frame costs a mispredicted return, several ns, on every
// switch). Every other state goes through resume, with the same call.
func (g *Gen[Y, S, R]) step(s S, thrown error) (v Y, err error) {
	if !g.busy.CompareAndSwap(false, true) {
		return v, ErrRunning
	}
	g.y.sent, g.y.thrown = s, thrown
	var ok bool
	if g.next != nil {
		v, ok = g.next()
	} else {
		v, ok = g.resume()
	}
	if !ok {
		err = g.endErr
	}
	g.busy.Store(false)
	return v, err
}

// resume answers a step on a generator that is not suspended, with the
// step's value and error in g.y: it starts an unstarted generator in pull
// mode and runs the step, or reports (in endErr) why there is no value.
func (g *Gen[Y, S, R]) resume() (v Y, ok bool) {
	thrown := g.y.thrown
	switch {
	case g.state == finished && thrown != nil:
		g.endErr = thrown
		return v, false
	case g.state == finished:
		g.endErr = ErrStopIteration
		return v, false
	case thrown != nil:
		g.state, g.err = finished, raisedStop(thrown)
		g.endErr = g.err
		return v, false
	case !isZero(g.y.sent):
		g.endErr = ErrSendUnstarted
		return v, false
	}
	g.next, _ = iter.Pull(g.pullBody) // the body always runs to its end: Close resumes it
	g.state = suspended
	return g.next()
}

// Close ends the generator: Python's g.close(). A suspended body's pending
// Yield returns ErrGeneratorExit and the body must return; Close then
// returns nil, or the error the body returned if it is not
// ErrGeneratorExit. A body that yields again instead makes Close return
// ErrIgnoredExit; unlike Python, which leaves such a generator suspended,
// Close then finishes it: every further Yield returns ErrGeneratorExit at
// once, and Close waits for the body to return. Closing a generator that has
// not started or has finished does nothing and returns nil.
func (g *Gen[Y, S, R]) Close() error {
	if !g.busy.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer g.busy.Store(false)
	switch g.state {
	case unstarted:
		g.state = finished
		return nil
	case finished:
		return nil
	}
	// The pending Yield returns ErrGeneratorExit, and so does every
	// later one at once, without handing its value over: the body runs
	// until it returns, and pullBody settles how the close went.
	var zero S
	g.y.exits = 1
	g.y.sent, g.y.thrown = zero, ErrGeneratorExit
	g.next()
	if g.y.exits > 1 {
		return ErrIgnoredExit
	}
	return g.err
}

// Done reports whether the generator has finished: its body returned, or it
// was closed or thrown into before it started.
func (g *Gen[Y, S, R]) Done() bool { return g.state == finished }

// Result returns the body's return value and error once the generator is
// done: Python's StopIteration.value (and the exception that ended it).
// Before that it returns R's zero value and a nil error. After Close the
// error is nil unless the body failed while closing (or ignored the exit:
// ErrIgnoredExit). After a range over All, Result is where the body's error
// is found, a *RaisedStopError included.
//
// Result keeps the return value for as long as the generator lives, where
// Python hands it over once, in the StopIteration of the step that ran the
// end, and every later step's StopIteration carries None. This is on
// purpose: Result is an accessor, not a step. The steps follow Python:
// every Next or Send after the end returns ErrStopIteration and no value,
// and YieldFrom on a finished generator returns R's zero value.
func (g *Gen[Y, S, R]) Result() (R, error) { return g.ret, g.err }

// All returns the generator's values as an iter.Seq, for range: Python's
// for v in g. On a generator that has not started, the body runs on the
// ranging goroutine, each Yield calling the loop body directly: no
// coroutine, no switch. A break out of the loop closes the generator: the
// pending Yield returns ErrGeneratorExit. On a started generator the range
// pulls with Next, and a break calls Close. The body's error, if any, is
// available from Result after the loop. A panic in the loop body propagates
// to the ranging code as usual. Ranging over a generator that is executing
// (from its own body) or done yields nothing.
func (g *Gen[Y, S, R]) All() iter.Seq[Y] {
	return func(yield func(Y) bool) {
		if !g.busy.CompareAndSwap(false, true) {
			return
		}
		if g.state == unstarted {
			g.push(yield)
			return
		}
		g.busy.Store(false)
		for {
			v, err := g.Next()
			if err != nil {
				return
			}
			if !yield(v) {
				g.Close()
				return
			}
		}
	}
}

// push runs the whole body in push mode, with busy held.
func (g *Gen[Y, S, R]) push(yield func(Y) bool) {
	defer func() {
		g.y.emit, g.y.pushing = nil, false
		g.y.exits = max(g.y.exits, 1)
		g.state = finished
		g.busy.Store(false)
	}()
	var zero S
	g.state = pushing
	g.y.emit, g.y.pushing = yield, true
	g.y.sent, g.y.thrown = zero, nil // a refused Send may have left a value
	g.run()
	g.end()
}

// pullBody is the iter.Seq that iter.Pull runs on its coroutine.
// When the body returns it settles the end there, on the coroutine, so that
// the step that ran it only has to read endErr.
func (g *Gen[Y, S, R]) pullBody(yield func(Y) bool) {
	g.y.emit = yield
	g.run()
	g.end()
	g.y.emit = nil
	g.y.exits = max(g.y.exits, 1)
	g.endErr = ErrStopIteration
	if g.err != nil {
		g.endErr = g.err
	}
}

// run calls the body, turning its panic into its error. A panic raised by
// the loop body of a push-mode range is not the generator's: it goes on.
func (g *Gen[Y, S, R]) run() {
	defer func() {
		if r := recover(); r != nil {
			if g.y.pushing && fromLoopBody(g.y.emit) {
				panic(r)
			}
			var zero R
			g.ret, g.err = zero, panics.New(r)
		}
	}()
	g.ret, g.err = g.body(&g.y)
}

// end marks the generator finished and settles how a close went: a body
// that returned ErrGeneratorExit after being closed ended cleanly; one that
// yielded again ignored the exit.
func (g *Gen[Y, S, R]) end() {
	g.state = finished
	g.next = nil
	g.err = raisedStop(g.err)
	if g.y.exits == 0 {
		return
	}
	switch {
	case g.y.exits > 1 && (g.err == nil || errors.Is(g.err, ErrGeneratorExit)):
		g.err = ErrIgnoredExit
	case errors.Is(g.err, ErrGeneratorExit):
		g.err = nil
	}
}

// raisedStop applies PEP 479 to the error a body ended with: one that is,
// or wraps, ErrStopIteration becomes a *RaisedStopError, so that it does
// not pass for a normal end. Any other error, and nil, is returned as is.
func raisedStop(err error) error {
	if err != nil && errors.Is(err, ErrStopIteration) {
		return &RaisedStopError{Cause: err}
	}
	return err
}

// isZero reports whether v is its type's zero value. It is only called
// when a generator starts, so reflection's cost does not matter.
func isZero[S any](v S) bool { return reflect.ValueOf(&v).Elem().IsZero() }
