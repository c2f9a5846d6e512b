package coro

import "errors"

// Yielder is the body's side of a generator: what Python writes as the
// yield expression. The body receives it from New and must not use it
// after returning or from another goroutine.
type Yielder[Y, S any] struct {
	push    func(Y) bool // push mode: the range's loop body
	pull    func(Y) bool // pull mode: iter.Pull's yield
	sent    S            // pull mode: the value of the pending Yield
	thrown  error        // pull mode: the error of the pending Yield
	inLoop  bool         // push mode: the loop body is running
	exiting bool         // closing: Yield reports ErrGeneratorExit
	ignored bool         // the body yielded again while closing
}

// Yield hands v to the caller and suspends the body until the generator is
// resumed: Python's x = yield v. It returns the value passed to Send (S's
// zero value after Next, and always when ranging) and a nil error, or the
// error passed to Throw, or ErrGeneratorExit when the generator is being
// closed (Close, or a break out of the range): the body should then clean
// up and return.
func (y *Yielder[Y, S]) Yield(v Y) (s S, err error) {
	if !y.exiting {
		if y.pull != nil {
			if y.pull(v) {
				s, err = y.sent, y.thrown
				if err != nil {
					y.thrown = nil
				}
				return s, err
			}
			y.exiting = true
			return s, ErrGeneratorExit
		}
		if y.push != nil {
			y.inLoop = true
			more := y.push(v)
			y.inLoop = false
			if more {
				return s, nil
			}
			y.exiting = true
			return s, ErrGeneratorExit
		}
	}
	// Closing (or used after the body should have ended): report the
	// exit, and that the body ignored it. In pull mode v is still handed
	// over, so that Close sees the body yielded.
	y.ignored = true
	if y.pull != nil {
		y.pull(v) // false after Close's stop; true while Close is watching
	}
	return s, ErrGeneratorExit
}

// YieldFrom delegates to sub until it ends and returns sub's result:
// Python's r = yield from sub. Every value sub yields is yielded by y's
// generator; what is sent to y's generator is sent on to sub, what is thrown
// into it is thrown into sub, and closing it closes sub (YieldFrom then
// returns ErrGeneratorExit, or sub's error from closing). When sub ends with
// an error, YieldFrom returns sub's result with that error.
//
// When y's generator is being ranged over and sub has not started, sub is
// ranged over too: the delegation costs no coroutine switch.
func YieldFrom[Y, S, R any](y *Yielder[Y, S], sub *Gen[Y, S, R]) (R, error) {
	var zero R
	if y.push != nil && sub.state == unstarted {
		for v := range sub.All() {
			if _, err := y.Yield(v); err != nil {
				break // closes sub with ErrGeneratorExit
			}
		}
		if y.exiting {
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
