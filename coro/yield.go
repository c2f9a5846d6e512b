package coro

import "errors"

// Yielder is the body's side of a generator: what Python writes as the
// yield expression. The body receives it from New and must not use it
// after returning or from another goroutine.
type Yielder[Y, S any] struct {
	// emit hands a value over: the range's loop body in push mode,
	// iter.Pull's yield in pull mode, nil once the body has returned.
	emit    func(Y) bool
	sent    S     // pull mode: the value of the pending Yield
	thrown  error // pull mode: the error of the pending Yield
	pushing bool  // the body runs inside a range over All
	// exits counts the Yields that reported ErrGeneratorExit, or were
	// refused because the body should have returned: 0 while running, 1
	// once the body was told to exit, more if it yielded again (it
	// ignored the exit). Close sets it to 1 before resuming the body.
	exits int
}

// Yield hands v to the caller and suspends the body until the generator is
// resumed: Python's x = yield v. It returns the value passed to Send (S's
// zero value after Next, and always when ranging) and a nil error, or the
// error passed to Throw, or ErrGeneratorExit when the generator is being
// closed (Close, or a break out of the range): the body should then clean
// up and return. Once it has reported ErrGeneratorExit, every later Yield
// reports it at once, without handing its value over, and the generator
// records that the body ignored the exit.
//
// Yield is small enough to be inlined into the body, so that the body calls
// the range's loop body (push mode) or iter.Pull's yield (pull mode)
// directly: a frame of ours between the body and a coroutine switch would
// cost a mispredicted return, several ns, on every switch.
func (y *Yielder[Y, S]) Yield(v Y) (s S, err error) {
	if y.exits == 0 && y.emit(v) {
		return y.sent, y.thrown
	}
	y.exits++ // the range broke (emit returned false), or the body ignores an exit
	return s, ErrGeneratorExit
}

// YieldFrom delegates to sub until it ends and returns sub's result:
// Python's r = yield from sub. Every value sub yields is yielded by y's
// generator; what is sent to y's generator is sent on to sub, what is thrown
// into it is thrown into sub, and closing it closes sub (YieldFrom then
// returns ErrGeneratorExit, or sub's error from closing). When sub ends with
// an error, YieldFrom returns sub's result with that error.
//
// A sub that had already finished before YieldFrom (it ran to its end,
// failed, or was closed) yields nothing, and YieldFrom returns R's zero
// value and a nil error: Python's yield from on an exhausted generator
// evaluates to None, as its later steps' StopIteration carries no value.
// sub's Result still holds what it ended with.
//
// When y's generator is being ranged over and sub has not started, sub is
// ranged over too: the delegation costs no coroutine switch.
func YieldFrom[Y, S, R any](y *Yielder[Y, S], sub *Gen[Y, S, R]) (R, error) {
	var zero R
	if sub.state == finished {
		return zero, nil
	}
	if y.pushing && sub.state == unstarted {
		for v := range sub.All() {
			if _, err := y.Yield(v); err != nil {
				break // closes sub with ErrGeneratorExit
			}
		}
		if y.exits > 0 {
			return zero, ErrGeneratorExit
		}
		return sub.Result()
	}
	v, err := sub.Next()
	for {
		if err != nil {
			if sub.Done() {
				return sub.Result()
			}
			return zero, err
		}
		s, yerr := y.Yield(v)
		switch {
		case yerr == nil:
			v, err = sub.Send(s)
		case errors.Is(yerr, ErrGeneratorExit):
			if cerr := sub.Close(); cerr != nil {
				return zero, cerr
			}
			return zero, yerr
		default:
			v, err = sub.Throw(yerr)
		}
	}
}
