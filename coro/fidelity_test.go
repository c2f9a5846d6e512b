package coro_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/geventgo/geventgo/coro"
	"github.com/geventgo/geventgo/panics"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestYieldFromFinishedSub: yield from a generator that has already
// finished yields nothing and evaluates to None, however the sub ended.
// CPython 3.11.7:
//
//	>>> def sub():
//	...     yield 1
//	...     return 42
//	>>> s = sub(); list(s)
//	[1]
//	>>> def outer():
//	...     r = yield from s
//	...     print("yield from finished sub ->", r)
//	>>> list(outer())
//	yield from finished sub -> None
//	[]
//	>>> next(s)                         # StopIteration.value is None
//	>>> def bad():
//	...     yield 1
//	...     raise ValueError("x")
//	>>> b = bad(); next(b); next(b)     # ValueError: x
//	>>> next(b)                         # StopIteration, value None
//	>>> list(outer2())                  # r = yield from b
//	yield from failed sub -> None
//	[]
//	>>> g = sub(); g.close()            # closed before it started
//	>>> list(o2())                      # r = yield from g
//	yield from closed-unstarted -> None
func TestYieldFromFinishedSub(t *testing.T) {
	subs := map[string]func() *coro.Gen[int, struct{}, int]{
		"returned": func() *coro.Gen[int, struct{}, int] {
			g := countTo(2)
			for range g.All() {
			}
			return g
		},
		"failed": func() *coro.Gen[int, struct{}, int] {
			g := coro.New(func(y *coro.Yielder[int, struct{}]) (int, error) {
				y.Yield(1)
				return 5, errBoom
			})
			_, _ = g.Next()
			_, err := g.Next()
			require.ErrorIs(t, err, errBoom)
			return g
		},
		"closed before starting": func() *coro.Gen[int, struct{}, int] {
			g := countTo(2)
			require.NoError(t, g.Close())
			return g
		},
		"thrown into before starting": func() *coro.Gen[int, struct{}, int] {
			g := countTo(2)
			_, _ = g.Throw(errBoom)
			return g
		},
	}
	for name, mk := range subs {
		for _, mode := range []string{"pull", "push"} {
			t.Run(name+"/"+mode, func(t *testing.T) {
				sub := mk()
				wantR, wantErr := sub.Result()
				var r int
				var err error
				outer := coro.New(func(y *coro.Yielder[int, struct{}]) (int, error) {
					r, err = coro.YieldFrom(y, sub)
					return r, err
				})
				var got []int
				if mode == "push" {
					for v := range outer.All() {
						got = append(got, v)
					}
				} else {
					for v, verr := outer.Next(); verr == nil; v, verr = outer.Next() {
						got = append(got, v)
					}
				}
				assert.Empty(t, got, "a finished sub yields nothing")
				assert.Zero(t, r, "Python: yield from a finished generator is None")
				require.NoError(t, err)
				_, oerr := outer.Result()
				require.NoError(t, oerr)
				r2, err2 := sub.Result()
				assert.Equal(t, wantR, r2, "the sub's own Result is untouched")
				assert.Equal(t, wantErr, err2)
			})
		}
	}
}

// TestNextAfterEndCarriesNoValue: every step after the end reports
// ErrStopIteration and a zero value, as Python's StopIteration.value is
// None after the first; Result keeps the return value (a documented
// difference: Result is an accessor, not a step).
func TestNextAfterEndCarriesNoValue(t *testing.T) {
	g := coro.New(func(y *coro.Yielder[int, struct{}]) (int, error) {
		y.Yield(1)
		return 42, nil
	})
	_, _ = g.Next()
	for range 3 {
		v, err := g.Next()
		require.ErrorIs(t, err, coro.ErrStopIteration)
		assert.Zero(t, v)
	}
	r, err := g.Result()
	require.NoError(t, err)
	assert.Equal(t, 42, r, "Result keeps the return value")
}

// requireRaisedStop checks that err is PEP 479's error, whose cause
// matches cause, and that it does not pass for a normal end.
func requireRaisedStop(t *testing.T, err, cause error) *coro.RaisedStopError {
	t.Helper()
	require.ErrorIs(t, err, coro.ErrGeneratorRaisedStop)
	require.NotErrorIs(t, err, coro.ErrStopIteration, "it must not look like a normal end")
	var rs *coro.RaisedStopError
	require.ErrorAs(t, err, &rs)
	require.ErrorIs(t, rs.Cause, coro.ErrStopIteration)
	require.ErrorIs(t, rs.Cause, cause)
	return rs
}

// TestPEP479 runs bodies that let a StopIteration escape. CPython 3.11.7:
//
//	>>> def g479():
//	...     yield 1
//	...     raise StopIteration("mine")
//	>>> g = g479(); next(g)
//	1
//	>>> next(g)
//	RuntimeError: generator raised StopIteration   (__cause__: StopIteration('mine'))
//	>>> inspect.getgeneratorstate(g)
//	'GEN_CLOSED'
//	>>> next(g)                                     # StopIteration, value None
//	>>> for v in g479(): print(v)
//	1
//	RuntimeError: generator raised StopIteration
//	>>> def g479b():
//	...     yield next(iter([]))                    # a sub-iterator's StopIteration
//	>>> next(g479b())
//	RuntimeError: generator raised StopIteration   (__cause__: StopIteration())
func TestPEP479(t *testing.T) {
	errWrapped := fmt.Errorf("reading the header: %w", coro.ErrStopIteration)
	bodies := map[string]struct {
		body  func(y *coro.Yielder[int, struct{}]) (int, error)
		cause error
	}{
		"own": {func(y *coro.Yielder[int, struct{}]) (int, error) {
			y.Yield(1)
			return 7, coro.ErrStopIteration
		}, coro.ErrStopIteration},
		"wrapped": {func(y *coro.Yielder[int, struct{}]) (int, error) {
			y.Yield(1)
			return 7, errWrapped
		}, errWrapped},
		"a sub's step": {func(y *coro.Yielder[int, struct{}]) (int, error) {
			sub := countTo(0)
			y.Yield(1)
			_, err := sub.Next() // exhausted: ErrStopIteration, returned unchecked
			return 7, err
		}, coro.ErrStopIteration},
		"panic": {func(y *coro.Yielder[int, struct{}]) (int, error) {
			y.Yield(1)
			panic(coro.ErrStopIteration)
		}, coro.ErrStopIteration},
	}
	for name, tc := range bodies {
		t.Run(name+"/pull", func(t *testing.T) {
			g := coro.New(tc.body)
			v, err := g.Next()
			require.NoError(t, err)
			assert.Equal(t, 1, v)
			_, err = g.Next()
			rs := requireRaisedStop(t, err, tc.cause)
			if name == "panic" {
				var pe *panics.Error
				assert.ErrorAs(t, rs.Cause, &pe, "the panic's stack is kept in the cause")
			}
			assert.True(t, g.Done())
			assert.Equal(t, coro.Closed, g.State())
			_, rerr := g.Result()
			assert.Same(t, rs, requireRaisedStop(t, rerr, tc.cause), "Result records the same error")
			_, err = g.Next()
			assert.ErrorIs(t, err, coro.ErrStopIteration, "later steps: StopIteration, as in Python")
		})
		t.Run(name+"/push", func(t *testing.T) {
			g := coro.New(tc.body)
			var got []int
			for v := range g.All() {
				got = append(got, v)
			}
			assert.Equal(t, []int{1}, got)
			_, err := g.Result()
			requireRaisedStop(t, err, tc.cause)
			assert.Equal(t, coro.Closed, g.State())
		})
	}
}

// TestPEP479StopLoop: the usual Go loop over steps stops at the PEP 479
// error without taking it for a normal end.
func TestPEP479StopLoop(t *testing.T) {
	g := coro.New(func(y *coro.Yielder[int, struct{}]) (int, error) {
		y.Yield(1)
		return 0, coro.ErrStopIteration
	})
	var err error
	for {
		if _, err = g.Next(); err != nil {
			break
		}
	}
	assert.False(t, errors.Is(err, coro.ErrStopIteration), "not a normal end")
	assert.EqualError(t, err, "coro: generator raised StopIteration: coro: stop iteration")
}

// TestPEP479Throw: a thrown StopIteration that ends the generator becomes
// the RuntimeError too; thrown into a finished generator it comes back as
// is. CPython 3.11.7:
//
//	>>> g = st(); g.throw(StopIteration("t"))           # not started
//	RuntimeError: generator raised StopIteration   (__cause__: StopIteration('t'))
//	>>> g = st(); next(g); g.throw(StopIteration("t"))  # suspended
//	RuntimeError: generator raised StopIteration   (__cause__: StopIteration('t'))
//	>>> g = st(); list(g); g.throw(StopIteration("t"))  # finished
//	StopIteration: t
func TestPEP479Throw(t *testing.T) {
	g := countTo(3)
	_, err := g.Throw(coro.ErrStopIteration)
	requireRaisedStop(t, err, coro.ErrStopIteration)
	_, rerr := g.Result()
	requireRaisedStop(t, rerr, coro.ErrStopIteration)
	assert.Equal(t, coro.Closed, g.State())

	g = countTo(3)
	_, _ = g.Next()
	_, err = g.Throw(coro.ErrStopIteration)
	requireRaisedStop(t, err, coro.ErrStopIteration)
	_, rerr = g.Result()
	requireRaisedStop(t, rerr, coro.ErrStopIteration)

	_, err = g.Throw(coro.ErrStopIteration)
	assert.Same(t, coro.ErrStopIteration, err, "a finished generator re-raises the thrown error unchanged")
}

// TestPEP479Close: a body that ends with StopIteration while being closed
// makes Close report the RuntimeError. CPython 3.11.7:
//
//	>>> def c():
//	...     try: yield 1
//	...     except GeneratorExit: raise StopIteration("c")
//	>>> g = c(); next(g); g.close()
//	RuntimeError: generator raised StopIteration
func TestPEP479Close(t *testing.T) {
	body := func(y *coro.Yielder[int, struct{}]) (int, error) {
		if _, err := y.Yield(1); err != nil {
			return 0, coro.ErrStopIteration
		}
		return 0, nil
	}
	g := coro.New(body)
	_, _ = g.Next()
	requireRaisedStop(t, g.Close(), coro.ErrStopIteration)
	assert.Equal(t, coro.Closed, g.State())

	h := coro.New(body)
	for range h.All() {
		break
	}
	_, err := h.Result()
	requireRaisedStop(t, err, coro.ErrStopIteration)
}

// TestPEP479YieldFrom: the sub's RuntimeError propagates through yield
// from, where the delegator may handle it. CPython 3.11.7:
//
//	>>> def sub():
//	...     yield 1
//	...     raise StopIteration("s")
//	>>> def outer():
//	...     try: r = yield from sub()
//	...     except RuntimeError as e:
//	...         print("outer caught", e); return "x"
//	>>> list(outer())
//	outer caught generator raised StopIteration
//	[1]
func TestPEP479YieldFrom(t *testing.T) {
	sub := func() *coro.Gen[int, struct{}, string] {
		return coro.New(func(y *coro.Yielder[int, struct{}]) (string, error) {
			y.Yield(1)
			return "", coro.ErrStopIteration
		})
	}
	for _, mode := range []string{"pull", "push"} {
		t.Run(mode, func(t *testing.T) {
			var caught error
			outer := coro.New(func(y *coro.Yielder[int, struct{}]) (string, error) {
				if _, err := coro.YieldFrom(y, sub()); err != nil {
					if errors.Is(err, coro.ErrGeneratorRaisedStop) {
						caught = err
						return "x", nil
					}
					return "", err
				}
				return "", nil
			})
			var got []int
			if mode == "push" {
				for v := range outer.All() {
					got = append(got, v)
				}
			} else {
				for v, err := outer.Next(); err == nil; v, err = outer.Next() {
					got = append(got, v)
				}
			}
			assert.Equal(t, []int{1}, got)
			requireRaisedStop(t, caught, coro.ErrStopIteration)
			r, err := outer.Result()
			require.NoError(t, err)
			assert.Equal(t, "x", r)
		})
	}
}

func TestRaisedStopErrorZeroValue(t *testing.T) {
	var rs coro.RaisedStopError
	assert.Equal(t, "coro: generator raised StopIteration", rs.Error())
	assert.ErrorIs(t, &rs, coro.ErrGeneratorRaisedStop)
}

func TestStateString(t *testing.T) {
	// inspect.GEN_CREATED etc.
	assert.Equal(t, "GEN_CREATED", coro.Created.String())
	assert.Equal(t, "GEN_RUNNING", coro.Running.String())
	assert.Equal(t, "GEN_SUSPENDED", coro.Suspended.String())
	assert.Equal(t, "GEN_CLOSED", coro.Closed.String())
	assert.Equal(t, "State(9)", coro.State(9).String())
}

// TestStatePull follows a generator through its states step by step.
// CPython 3.11.7:
//
//	>>> def st():
//	...     print(" inside:", inspect.getgeneratorstate(gg))
//	...     x = yield 1
//	...     yield 2
//	>>> gg = st(); inspect.getgeneratorstate(gg)
//	'GEN_CREATED'
//	>>> next(gg)
//	 inside: GEN_RUNNING
//	>>> inspect.getgeneratorstate(gg)
//	'GEN_SUSPENDED'
//	>>> gg.close(); inspect.getgeneratorstate(gg)
//	'GEN_CLOSED'
func TestStatePull(t *testing.T) {
	var g *coro.Gen[int, int, int]
	var inside []coro.State
	g = coro.New(func(y *coro.Yielder[int, int]) (int, error) {
		inside = append(inside, g.State())
		for {
			if _, err := y.Yield(1); err != nil {
				inside = append(inside, g.State()) // cleaning up after Close
				return 0, err
			}
			inside = append(inside, g.State())
		}
	})
	assert.Equal(t, coro.Created, g.State())
	_, err := g.Send(5)
	require.ErrorIs(t, err, coro.ErrSendUnstarted)
	assert.Equal(t, coro.Created, g.State(), "a refused send starts nothing")
	_, err = g.Next()
	require.NoError(t, err)
	assert.Equal(t, coro.Suspended, g.State())
	_, err = g.Send(3)
	require.NoError(t, err)
	assert.Equal(t, coro.Suspended, g.State())
	require.NoError(t, g.Close())
	assert.Equal(t, coro.Closed, g.State())
	assert.Equal(t, []coro.State{coro.Running, coro.Running, coro.Running}, inside)
	_, _ = g.Next()
	assert.Equal(t, coro.Closed, g.State())
}

func TestStateEnds(t *testing.T) {
	t.Run("returned", func(t *testing.T) {
		g := countTo(1)
		_, _ = g.Next()
		_, err := g.Next()
		require.ErrorIs(t, err, coro.ErrStopIteration)
		assert.Equal(t, coro.Closed, g.State())
	})
	t.Run("closed before starting", func(t *testing.T) {
		g := countTo(1)
		require.NoError(t, g.Close())
		assert.Equal(t, coro.Closed, g.State())
	})
	t.Run("thrown into before starting", func(t *testing.T) {
		g := countTo(1)
		_, _ = g.Throw(errBoom)
		assert.Equal(t, coro.Closed, g.State())
	})
	t.Run("throw handled", func(t *testing.T) {
		g := coro.New(func(y *coro.Yielder[int, struct{}]) (int, error) {
			for {
				if _, err := y.Yield(1); errors.Is(err, coro.ErrGeneratorExit) {
					return 0, err
				}
			}
		})
		_, _ = g.Next()
		_, err := g.Throw(errBoom)
		require.NoError(t, err)
		assert.Equal(t, coro.Suspended, g.State())
		require.NoError(t, g.Close())
	})
	t.Run("throw unhandled", func(t *testing.T) {
		g := countTo(3)
		_, _ = g.Next()
		_, _ = g.Throw(errBoom)
		assert.Equal(t, coro.Closed, g.State())
	})
	t.Run("panic", func(t *testing.T) {
		g := coro.New(func(y *coro.Yielder[int, struct{}]) (int, error) {
			y.Yield(1)
			panic("kaboom")
		})
		_, _ = g.Next()
		_, err := g.Next()
		require.Error(t, err)
		assert.Equal(t, coro.Closed, g.State())
	})
	t.Run("ignored exit", func(t *testing.T) {
		g := coro.New(func(y *coro.Yielder[int, struct{}]) (int, error) {
			y.Yield(1)
			y.Yield(2)
			return 0, nil
		})
		_, _ = g.Next()
		require.ErrorIs(t, g.Close(), coro.ErrIgnoredExit)
		assert.Equal(t, coro.Closed, g.State())
	})
}

// TestStatePush: in a range that runs the body push-style, the body and
// the loop body both see Running (Python's for loop sees GEN_SUSPENDED:
// a documented difference); after the loop, or a break, it is Closed.
// A range over a generator started in pull mode sees Suspended, as
// Python does. CPython 3.11.7:
//
//	>>> gg = st()
//	>>> for v in gg:
//	...     print(" in for:", inspect.getgeneratorstate(gg)); break
//	 inside: GEN_RUNNING
//	 in for: GEN_SUSPENDED
//	>>> inspect.getgeneratorstate(gg)     # Python waits for the GC; Go closes it at the break
//	'GEN_SUSPENDED'
func TestStatePush(t *testing.T) {
	var g *coro.Gen[int, struct{}, int]
	var body []coro.State
	g = coro.New(func(y *coro.Yielder[int, struct{}]) (int, error) {
		for i := range 3 {
			body = append(body, g.State())
			if _, err := y.Yield(i); err != nil {
				body = append(body, g.State())
				return i, err
			}
		}
		return 3, nil
	})
	var loop []coro.State
	for range g.All() {
		loop = append(loop, g.State())
	}
	assert.Equal(t, []coro.State{coro.Running, coro.Running, coro.Running}, body)
	assert.Equal(t, []coro.State{coro.Running, coro.Running, coro.Running}, loop)
	assert.Equal(t, coro.Closed, g.State())

	t.Run("break", func(t *testing.T) {
		body = nil
		g = coro.New(func(y *coro.Yielder[int, struct{}]) (int, error) {
			for i := 0; ; i++ {
				if _, err := y.Yield(i); err != nil {
					body = append(body, g.State())
					return i, err
				}
			}
		})
		for v := range g.All() {
			if v == 1 {
				break
			}
		}
		assert.Equal(t, []coro.State{coro.Running}, body, "the body's cleanup after the break runs in the generator")
		assert.Equal(t, coro.Closed, g.State())
	})
	t.Run("loop body panics", func(t *testing.T) {
		g := countTo(3)
		assert.Panics(t, func() {
			for range g.All() {
				panic("loop")
			}
		})
		assert.Equal(t, coro.Closed, g.State())
	})
	t.Run("pull-mode range", func(t *testing.T) {
		g := countTo(4)
		_, _ = g.Next()
		var loop []coro.State
		for v := range g.All() {
			loop = append(loop, g.State())
			if v == 2 {
				break
			}
		}
		assert.Equal(t, []coro.State{coro.Suspended, coro.Suspended}, loop)
		assert.Equal(t, coro.Closed, g.State())
	})
}
