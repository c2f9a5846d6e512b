// Package coro brings Python's generators to Go: a function body that runs
// in step with its caller, yielding values out and receiving values (send),
// errors (throw) and a request to stop (close) back in, and ending with a
// return value.
//
// # From Python to Go
//
//	Python                               Go
//	def gen(): ... x = yield v ...       g := coro.New(func(y *coro.Yielder[Y, S]) (R, error) { ...; x, err := y.Yield(v); ... })
//	g = gen()                            g := coro.New(body)            // runs nothing yet
//	next(g)                              v, err := g.Next()
//	for v in g: ...                      for v := range g.All() { ... }
//	g.send(x)                            v, err := g.Send(x)
//	g.throw(E)                           v, err := g.Throw(err)
//	g.close()                            err := g.Close()
//	return x  /  StopIteration.value     return x, nil  /  r, err := g.Result()
//	except StopIteration                 errors.Is(err, coro.ErrStopIteration)
//	except GeneratorExit                 errors.Is(err, coro.ErrGeneratorExit)
//	r = yield from sub                   r, err := coro.YieldFrom(y, sub)
//	raise E in the body                  return r, err (or a panic: a *PanicError with the stack)
//	RuntimeError: generator raised       errors.Is(err, coro.ErrGeneratorRaisedStop)
//	  StopIteration (PEP 479)              (a *coro.RaisedStopError, Cause the original)
//	inspect.getgeneratorstate(g)         g.State()  // coro.Created, Running, Suspended, Closed
//
// A Gen is typed three ways: Y is what the body yields, S what Send passes
// in (use struct{} when nothing is sent), R what the body returns. The body
// receives a *Yielder, its handle on the yield expression.
//
// # Errors instead of exceptions
//
// Python delivers send's value and throw's exception through the same yield
// expression; Yield returns both, as (S, error). A nil error means the
// caller sent a value (S's zero value for Next, Python's None). A non-nil
// error is what was thrown in, or ErrGeneratorExit when the generator is
// being closed; the body handles it and yields again, or returns.
//
// Going the other way, a step returns the next yielded value and a nil
// error, or, when the body has ended, ErrStopIteration (it returned a nil
// error) or the body's own error (it raised). The return value is read with
// Result once Done reports true; every step after the end returns
// ErrStopIteration, as Python raises StopIteration again.
//
// A body must not end with ErrStopIteration itself (or an error wrapping
// it, such as a sub-generator's step returned unchecked): as PEP 479 has it
// in Python, that error becomes a *RaisedStopError, which matches
// ErrGeneratorRaisedStop and not ErrStopIteration, so that it cannot pass
// for a normal end. A body ends normally by returning a nil error.
//
// # Two ways to run, one cost each
//
// Ranging over All runs the body push-style, the way an iter.Seq runs: on
// the caller's stack, Yield inlined into the body and calling the loop body
// directly. That costs about 1.3x a hand-written iter.Seq that is not
// inlined (under 2ns a value here), an order of magnitude below a CPython
// generator. A break closes the generator.
//
// Next, Send, Throw and Close run the body pull-style on a runtime
// coroutine, the mechanism behind iter.Pull: one step costs about 1.1x an
// iter.Pull next (about 65ns here, no allocation), a quarter of a
// goroutine-and-channel handoff. Starting a generator in pull mode costs the
// coroutine's creation, as iter.Pull does.
//
// See BenchmarkGeneratorSend, BenchmarkGeneratorRange and
// BenchmarkGeneratorNew in package bench for the figures side by side.
//
// # Where it differs from Python, on purpose
//
//   - A break out of a range closes the generator at once. Python leaves it
//     suspended until the garbage collector closes it; Go has no such hook
//     for a suspended coroutine, so the range does it.
//   - A body that yields again while being closed makes Close return
//     ErrIgnoredExit, as Python's RuntimeError; Python then leaves the
//     generator suspended, Close here finishes it (every further Yield
//     returns ErrGeneratorExit at once) so that nothing is left behind.
//   - A generator started with Next or Send and then abandoned keeps its
//     coroutine, like an iter.Pull whose stop is never called. Drive it to
//     its end or Close it: defer g.Close() is the idiom.
//   - Result keeps the return value after the end; Python's StopIteration
//     carries it once, and None at every later step. The steps agree with
//     Python: a later Next returns ErrStopIteration and no value, and
//     YieldFrom on a finished generator returns R's zero value.
//   - Inside the loop body of a range that runs the body push-style, State
//     reports Running, not Python's GEN_SUSPENDED: the body is on the stack
//     below the loop body, and a step from there returns ErrRunning.
//   - A step made while another step of the same generator runs (from the
//     body itself, or from a second goroutine at the same moment) returns
//     ErrRunning, Python's "generator already executing"; the generator is
//     not harmed. Otherwise a generator may be handed between goroutines.
package coro
