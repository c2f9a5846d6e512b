package coro_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/geventgo/geventgo/coro"
	"github.com/geventgo/geventgo/panics"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countTo yields 0..n-1 and returns n.
func countTo(n int) *coro.Gen[int, struct{}, int] {
	return coro.New(func(y *coro.Yielder[int, struct{}]) (int, error) {
		for i := range n {
			if _, err := y.Yield(i); err != nil {
				return i, err
			}
		}
		return n, nil
	})
}

func TestCreatingRunsNothing(t *testing.T) {
	ran := false
	g := coro.New(func(y *coro.Yielder[int, int]) (int, error) { ran = true; return 0, nil })
	assert.False(t, ran)
	assert.False(t, g.Done())
	require.NoError(t, g.Close())
	assert.False(t, ran, "closing an unstarted generator does not run it")
	assert.True(t, g.Done())
}

func TestNextToTheEnd(t *testing.T) {
	g := countTo(3)
	for want := range 3 {
		v, err := g.Next()
		require.NoError(t, err)
		assert.Equal(t, want, v)
	}
	_, err := g.Next()
	assert.ErrorIs(t, err, coro.ErrStopIteration)
	assert.True(t, g.Done())
	r, err := g.Result()
	require.NoError(t, err)
	assert.Equal(t, 3, r, "the return value is StopIteration.value")
	_, err = g.Next()
	assert.ErrorIs(t, err, coro.ErrStopIteration, "a finished generator keeps answering StopIteration")
	_, err = g.Send(struct{}{})
	assert.ErrorIs(t, err, coro.ErrStopIteration)
}

func TestRangePushMode(t *testing.T) {
	g := countTo(5)
	var got []int
	for v := range g.All() {
		got = append(got, v)
	}
	assert.Equal(t, []int{0, 1, 2, 3, 4}, got)
	r, err := g.Result()
	require.NoError(t, err)
	assert.Equal(t, 5, r)
	assert.True(t, g.Done())
	for range g.All() {
		t.Fatal("a finished generator yields nothing")
	}
}

func TestRangeEarlyBreakCloses(t *testing.T) {
	cleaned := false
	g := coro.New(func(y *coro.Yielder[int, struct{}]) (string, error) {
		defer func() { cleaned = true }()
		for i := 0; ; i++ {
			if _, err := y.Yield(i); err != nil {
				return "closed", err
			}
		}
	})
	for v := range g.All() {
		if v == 2 {
			break
		}
	}
	assert.True(t, cleaned, "break runs the body's cleanup")
	assert.True(t, g.Done())
	r, err := g.Result()
	require.NoError(t, err, "returning ErrGeneratorExit after close is a clean exit")
	assert.Equal(t, "closed", r)
}

func TestRangeBreakIgnoredExit(t *testing.T) {
	g := coro.New(func(y *coro.Yielder[int, struct{}]) (int, error) {
		y.Yield(1)
		y.Yield(2) // ignores the exit
		return 0, nil
	})
	for range g.All() {
		break
	}
	_, err := g.Result()
	assert.ErrorIs(t, err, coro.ErrIgnoredExit)
}

func TestRangeAfterNextPulls(t *testing.T) {
	g := countTo(4)
	v, err := g.Next()
	require.NoError(t, err)
	require.Equal(t, 0, v)
	var got []int
	for v := range g.All() {
		got = append(got, v)
	}
	assert.Equal(t, []int{1, 2, 3}, got)
	r, err := g.Result()
	require.NoError(t, err)
	assert.Equal(t, 4, r)

	g = countTo(10)
	_, _ = g.Next()
	for v := range g.All() {
		if v == 3 {
			break
		}
	}
	assert.True(t, g.Done(), "a break in pull mode closes the generator")
}

func TestRangeLoopPanicPropagates(t *testing.T) {
	cleaned := false
	g := coro.New(func(y *coro.Yielder[int, struct{}]) (int, error) {
		defer func() { cleaned = true }()
		y.Yield(1)
		return 0, nil
	})
	assert.PanicsWithValue(t, "loop body", func() {
		for range g.All() {
			panic("loop body")
		}
	})
	assert.True(t, cleaned)
	assert.True(t, g.Done())
}

func TestSendAndNextValues(t *testing.T) {
	// def echo():
	//     received = yield "ready"
	//     while True: received = yield received * 2
	g := coro.New(func(y *coro.Yielder[int, int]) (struct{}, error) {
		got, err := y.Yield(-1)
		for err == nil {
			got, err = y.Yield(got * 2)
		}
		return struct{}{}, err
	})
	defer g.Close()
	v, err := g.Next()
	require.NoError(t, err)
	assert.Equal(t, -1, v)
	v, err = g.Send(21)
	require.NoError(t, err)
	assert.Equal(t, 42, v)
	v, err = g.Next()
	require.NoError(t, err)
	assert.Equal(t, 0, v, "next sends the zero value, Python's None")
}

func TestSendNonZeroToUnstarted(t *testing.T) {
	ran := false
	g := coro.New(func(y *coro.Yielder[int, string]) (int, error) { ran = true; return 0, nil })
	_, err := g.Send("x")
	assert.ErrorIs(t, err, coro.ErrSendUnstarted)
	assert.False(t, ran)
	assert.False(t, g.Done(), "the refused send changes nothing")
	_, err = g.Send("")
	assert.ErrorIs(t, err, coro.ErrStopIteration, "the zero value starts it")
	assert.True(t, ran)

	// Non-comparable sent types work too.
	h := coro.New(func(y *coro.Yielder[int, []int]) (int, error) { _, err := y.Yield(1); return 0, err })
	_, err = h.Send([]int{1})
	assert.ErrorIs(t, err, coro.ErrSendUnstarted)
	v, err := h.Send(nil)
	require.NoError(t, err)
	assert.Equal(t, 1, v)
	require.NoError(t, h.Close())
}

var errBoom = errors.New("boom")

func TestThrowHandledYieldsAgain(t *testing.T) {
	g := coro.New(func(y *coro.Yielder[string, struct{}]) (int, error) {
		for {
			if _, err := y.Yield("ok"); err != nil {
				if errors.Is(err, errBoom) {
					if _, err := y.Yield("handled"); err != nil {
						return 0, err
					}
					continue
				}
				return 0, err
			}
		}
	})
	_, err := g.Next()
	require.NoError(t, err)
	v, err := g.Throw(errBoom)
	require.NoError(t, err)
	assert.Equal(t, "handled", v, "a handled throw returns the next yielded value")
	require.NoError(t, g.Close())
}

func TestThrowUnhandledEnds(t *testing.T) {
	g := countTo(10)
	_, _ = g.Next()
	_, err := g.Throw(errBoom)
	assert.ErrorIs(t, err, errBoom, "the body returned the thrown error: it propagates out of Throw")
	assert.True(t, g.Done())
	r, rerr := g.Result()
	assert.ErrorIs(t, rerr, errBoom)
	assert.Equal(t, 0, r, "countTo returns how far it got")
	_, err = g.Next()
	assert.ErrorIs(t, err, coro.ErrStopIteration)
	_, err = g.Throw(errBoom)
	assert.ErrorIs(t, err, errBoom, "throw into a finished generator re-raises")
}

func TestThrowCaughtThenReturn(t *testing.T) {
	g := coro.New(func(y *coro.Yielder[int, struct{}]) (string, error) {
		if _, err := y.Yield(1); err != nil {
			return "caught " + err.Error(), nil
		}
		return "no", nil
	})
	_, _ = g.Next()
	_, err := g.Throw(errBoom)
	assert.ErrorIs(t, err, coro.ErrStopIteration, "the body returned: Throw reports the end")
	r, err := g.Result()
	require.NoError(t, err)
	assert.Equal(t, "caught boom", r)
}

func TestThrowUnstartedNeverRuns(t *testing.T) {
	ran := false
	g := coro.New(func(y *coro.Yielder[int, struct{}]) (int, error) { ran = true; return 0, nil })
	_, err := g.Throw(errBoom)
	assert.ErrorIs(t, err, errBoom)
	assert.False(t, ran)
	assert.True(t, g.Done())
	_, err = g.Throw(nil)
	assert.ErrorIs(t, err, coro.ErrGeneratorExit, "a nil throw is GeneratorExit")
}

func TestCloseSuspended(t *testing.T) {
	var seen error
	g := coro.New(func(y *coro.Yielder[int, struct{}]) (int, error) {
		_, err := y.Yield(1)
		seen = err
		return 7, err
	})
	_, _ = g.Next()
	require.NoError(t, g.Close())
	assert.ErrorIs(t, seen, coro.ErrGeneratorExit)
	assert.True(t, g.Done())
	_, err := g.Result()
	require.NoError(t, err)
	require.NoError(t, g.Close(), "closing twice is a no-op")
	_, err = g.Next()
	assert.ErrorIs(t, err, coro.ErrStopIteration)
}

func TestCloseReportsOtherError(t *testing.T) {
	g := coro.New(func(y *coro.Yielder[int, struct{}]) (int, error) {
		if _, err := y.Yield(1); err != nil {
			return 0, errBoom
		}
		return 0, nil
	})
	_, _ = g.Next()
	assert.ErrorIs(t, g.Close(), errBoom)
}

func TestCloseIgnoredExit(t *testing.T) {
	yields := 0
	g := coro.New(func(y *coro.Yielder[int, struct{}]) (int, error) {
		for i := 0; i < 5; i++ { // ignores every error, but is bounded
			y.Yield(i)
			yields++
		}
		return 0, nil
	})
	_, _ = g.Next()
	assert.ErrorIs(t, g.Close(), coro.ErrIgnoredExit)
	assert.True(t, g.Done(), "unlike Python, the ignored close still finishes the body: nothing leaks")
	assert.Equal(t, 5, yields)
	_, err := g.Result()
	assert.ErrorIs(t, err, coro.ErrIgnoredExit)
}

func TestPanicBecomesError(t *testing.T) {
	g := coro.New(func(y *coro.Yielder[int, struct{}]) (int, error) {
		y.Yield(1)
		panic("kaboom")
	})
	_, err := g.Next()
	require.NoError(t, err)
	_, err = g.Next()
	var pe *panics.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "kaboom", pe.Value)
	assert.Contains(t, string(pe.Stack()), "gen_test.go", "the stack shows the panic site")
	assert.True(t, g.Done())
	_, err = g.Next()
	assert.ErrorIs(t, err, coro.ErrStopIteration)

	// In push mode the panic is the generator's error, not the range's.
	h := coro.New(func(y *coro.Yielder[int, struct{}]) (int, error) {
		y.Yield(1)
		panic(errBoom)
	})
	n := 0
	for range h.All() {
		n++
	}
	assert.Equal(t, 1, n)
	_, err = h.Result()
	assert.ErrorIs(t, err, errBoom, "panic(err) unwraps to err")
}

func TestReentrantStepRefused(t *testing.T) {
	var g *coro.Gen[int, struct{}, int]
	var inner error
	g = coro.New(func(y *coro.Yielder[int, struct{}]) (int, error) {
		_, inner = g.Next()
		return 0, nil
	})
	_, err := g.Next()
	assert.ErrorIs(t, err, coro.ErrStopIteration)
	assert.ErrorIs(t, inner, coro.ErrRunning, "Python's ValueError: generator already executing")

	var h *coro.Gen[int, struct{}, int]
	h = coro.New(func(y *coro.Yielder[int, struct{}]) (int, error) {
		inner = h.Close()
		return 0, nil
	})
	for range h.All() {
	}
	assert.ErrorIs(t, inner, coro.ErrRunning)
}

// TestConcurrentStepsRefused shows what happens when two goroutines drive
// one generator at once: the step that overlaps another is refused with
// ErrRunning; every value is still delivered exactly once.
func TestConcurrentStepsRefused(t *testing.T) {
	const n = 2000
	g := countTo(n)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		seen    = make(map[int]int)
		refused int
	)
	for range 2 {
		wg.Go(func() {
			for {
				v, err := g.Next()
				mu.Lock()
				switch {
				case err == nil:
					seen[v]++
				case errors.Is(err, coro.ErrRunning):
					refused++
				default:
					mu.Unlock()
					return
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Len(t, seen, n)
	for v, c := range seen {
		require.Equal(t, 1, c, "value %d delivered %d times", v, c)
	}
	t.Logf("%d overlapping steps refused", refused)
}

func TestYieldFromDelegates(t *testing.T) {
	// def inner():
	//     total = 0
	//     while True:
	//         x = yield total
	//         if x is None: return total
	//         total += x
	inner := func() *coro.Gen[int, int, int] {
		return coro.New(func(y *coro.Yielder[int, int]) (int, error) {
			total := 0
			for {
				x, err := y.Yield(total)
				if err != nil {
					return total, err
				}
				if x == 0 {
					return total, nil
				}
				total += x
			}
		})
	}
	var got []int
	outer := coro.New(func(y *coro.Yielder[int, int]) (int, error) {
		r, err := coro.YieldFrom(y, inner())
		got = append(got, r)
		if err != nil {
			return 0, err
		}
		r2, err := coro.YieldFrom(y, inner())
		got = append(got, r2)
		return r + r2, err
	})
	v, err := outer.Next()
	require.NoError(t, err)
	assert.Equal(t, 0, v)
	for _, x := range []int{1, 2, 3} {
		v, err = outer.Send(x)
		require.NoError(t, err)
	}
	assert.Equal(t, 6, v, "sends go through to the sub-generator")
	v, err = outer.Send(0) // ends the first inner: its return value comes back
	require.NoError(t, err)
	assert.Equal(t, 0, v, "the second inner's first yield")
	_, err = outer.Send(10)
	require.NoError(t, err)
	_, err = outer.Send(0)
	assert.ErrorIs(t, err, coro.ErrStopIteration)
	r, err := outer.Result()
	require.NoError(t, err)
	assert.Equal(t, 16, r)
	assert.Equal(t, []int{6, 10}, got)
}

func TestYieldFromThrowAndClose(t *testing.T) {
	var innerSaw []error
	inner := coro.New(func(y *coro.Yielder[string, struct{}]) (string, error) {
		for {
			_, err := y.Yield("in")
			if err != nil {
				innerSaw = append(innerSaw, err)
				if errors.Is(err, errBoom) {
					continue // handles boom, yields again
				}
				return "", err
			}
		}
	})
	outer := coro.New(func(y *coro.Yielder[string, struct{}]) (string, error) {
		return coro.YieldFrom(y, inner)
	})
	v, err := outer.Next()
	require.NoError(t, err)
	assert.Equal(t, "in", v)
	v, err = outer.Throw(errBoom)
	require.NoError(t, err, "the throw went to inner, which handled it")
	assert.Equal(t, "in", v)
	require.NoError(t, outer.Close())
	assert.True(t, inner.Done(), "closing the delegator closes the sub-generator")
	require.Len(t, innerSaw, 2)
	assert.ErrorIs(t, innerSaw[0], errBoom)
	assert.ErrorIs(t, innerSaw[1], coro.ErrGeneratorExit)
}

func TestYieldFromSubError(t *testing.T) {
	inner := coro.New(func(y *coro.Yielder[int, struct{}]) (int, error) {
		y.Yield(1)
		return 5, errBoom
	})
	outer := coro.New(func(y *coro.Yielder[int, struct{}]) (int, error) {
		r, err := coro.YieldFrom(y, inner)
		assert.Equal(t, 5, r)
		return r, err
	})
	var got []int
	for v := range outer.All() {
		got = append(got, v)
	}
	assert.Equal(t, []int{1}, got)
	_, err := outer.Result()
	assert.ErrorIs(t, err, errBoom)
}

func TestYieldFromPushBreak(t *testing.T) {
	inner := countTo(100)
	outer := coro.New(func(y *coro.Yielder[int, struct{}]) (int, error) {
		return coro.YieldFrom(y, inner)
	})
	for v := range outer.All() {
		if v == 3 {
			break
		}
	}
	assert.True(t, inner.Done())
	assert.True(t, outer.Done())
	_, err := outer.Result()
	require.NoError(t, err)
}

// panicker's method is used as a loop body given as a method value.
type panicker struct{ at int }

func (p *panicker) take(v int) bool {
	if v == p.at {
		panic("method loop body")
	}
	return true
}

func TestRangeLoopPanicOrigins(t *testing.T) {
	t.Run("deep in the loop body", func(t *testing.T) {
		deep := func(v int) {
			if v == 2 {
				panic("deep")
			}
		}
		assert.PanicsWithValue(t, "deep", func() {
			for v := range countTo(5).All() {
				deep(v)
			}
		})
	})
	t.Run("method value as loop body", func(t *testing.T) {
		g := countTo(5)
		assert.PanicsWithValue(t, "method loop body", func() {
			g.All()((&panicker{at: 3}).take)
		})
		assert.True(t, g.Done())
	})
	t.Run("inner range's loop body is the outer body's", func(t *testing.T) {
		// The inner range's loop body is code of the outer generator's
		// body: its panic leaves the inner range and becomes the outer
		// generator's error, not a panic of the outer range.
		outer := coro.New(func(y *coro.Yielder[int, struct{}]) (int, error) {
			for v := range countTo(5).All() {
				if v == 2 {
					panic("outer body")
				}
				if _, err := y.Yield(v); err != nil {
					return 0, err
				}
			}
			return 0, nil
		})
		var got []int
		for v := range outer.All() {
			got = append(got, v)
		}
		assert.Equal(t, []int{0, 1}, got)
		_, err := outer.Result()
		var pe *panics.Error
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, "outer body", pe.Value)
	})
	t.Run("same loop body code further out", func(t *testing.T) {
		// walk's loop body ranges over a generator whose body panics; the
		// same loop body code is on the stack further out (recursion), but
		// the panic is the inner generator's.
		var walk func(depth int) error
		walk = func(depth int) error {
			g := coro.New(func(y *coro.Yielder[int, struct{}]) (int, error) {
				if depth == 2 {
					panic("generator body")
				}
				y.Yield(depth)
				return 0, nil
			})
			for range g.All() {
				if err := walk(depth + 1); err != nil {
					return err
				}
			}
			_, err := g.Result()
			return err
		}
		err := walk(0)
		var pe *panics.Error
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, "generator body", pe.Value)
	})
}
