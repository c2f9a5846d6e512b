package greenlet_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geventgo/geventgo/greenlet"
)

type G = greenlet.Greenlet[any]

var errSome = errors.New("some error")

// run runs fn as the main greenlet of a fresh tree and requires success.
func run[V any](t *testing.T, fn func(main *greenlet.Greenlet[V]) error) {
	t.Helper()
	require.NoError(t, greenlet.Run(fn))
}

// toParent is greenlet's test helper switch(*args): getcurrent().parent.switch(v).
func toParent(self *G, v any) (any, error) { return self.Switch(self.Parent(), v) }

// test_simple
func TestSwitchResumesWhereItLeftOff(t *testing.T) {
	var lst []int
	run(t, func(main *G) error {
		g := greenlet.New(main, func(self *G, _ any) (any, error) {
			lst = append(lst, 1)
			if _, err := toParent(self, nil); err != nil {
				return nil, err
			}
			lst = append(lst, 3)
			return nil, nil
		})
		lst = append(lst, 0)
		_, err := main.Switch(g, nil)
		require.NoError(t, err)
		lst = append(lst, 2)
		_, err = main.Switch(g, nil)
		require.NoError(t, err)
		lst = append(lst, 4)
		return nil
	})
	assert.Equal(t, []int{0, 1, 2, 3, 4}, lst)
}

func TestSwitchPassesValuesBothWays(t *testing.T) {
	run(t, func(main *greenlet.Greenlet[int]) error {
		g := greenlet.New(main, func(self *greenlet.Greenlet[int], arg int) (int, error) {
			assert.Equal(t, 1, arg, "the first switch passes run's argument")
			v, err := self.Switch(main, arg*10)
			require.NoError(t, err)
			assert.Equal(t, 2, v, "a later switch becomes the return of the pending switch")
			v, err = self.Switch(main, v*10)
			require.NoError(t, err)
			return v * 100, nil
		})
		v, err := main.Switch(g, 1)
		require.NoError(t, err)
		assert.Equal(t, 10, v)
		v, err = main.Switch(g, 2)
		require.NoError(t, err)
		assert.Equal(t, 20, v)
		v, err = main.Switch(g, 3)
		require.NoError(t, err)
		assert.Equal(t, 300, v, "run's return value goes to the parent")
		assert.True(t, g.Dead())
		return nil
	})
}

// test_switch_kwargs_to_parent, with one value per switch
func TestValuesSwitchedToParentInOrder(t *testing.T) {
	run(t, func(main *G) error {
		g := greenlet.New(main, func(self *G, x any) (any, error) {
			if _, err := toParent(self, map[string]any{"x": x}); err != nil {
				return nil, err
			}
			if _, err := toParent(self, []any{2, 3}); err != nil {
				return nil, err
			}
			return []any{x, x.(int) * x.(int)}, nil
		})
		v, err := main.Switch(g, 3)
		require.NoError(t, err)
		assert.Equal(t, map[string]any{"x": 3}, v)
		v, err = main.Switch(g, nil)
		require.NoError(t, err)
		assert.Equal(t, []any{2, 3}, v)
		v, err = main.Switch(g, nil)
		require.NoError(t, err)
		assert.Equal(t, []any{3, 9}, v)
		return nil
	})
}

func TestRunErrorGoesToParentsPendingSwitch(t *testing.T) {
	run(t, func(main *G) error {
		g := greenlet.New(main, func(self *G, _ any) (any, error) {
			if _, err := toParent(self, "ready"); err != nil {
				return nil, err
			}
			return "partial", errSome
		})
		v, err := main.Switch(g, nil)
		require.NoError(t, err)
		assert.Equal(t, "ready", v)
		v, err = main.Switch(g, nil)
		assert.ErrorIs(t, err, errSome)
		assert.Equal(t, "partial", v, "the value run returned with its error is kept")
		assert.True(t, g.Dead())
		return nil
	})
}

// test_two_children
func TestTwoChildrenRunIndependently(t *testing.T) {
	var lst []int
	run(t, func(main *G) error {
		f := func(self *G, _ any) (any, error) {
			lst = append(lst, 1)
			if _, err := toParent(self, nil); err != nil {
				return nil, err
			}
			lst = append(lst, 1, 1)
			return nil, nil
		}
		g, h := greenlet.New(main, f), greenlet.New(main, f)
		_, _ = main.Switch(g, nil)
		assert.Len(t, lst, 1)
		_, _ = main.Switch(h, nil)
		assert.Len(t, lst, 2)
		_, _ = main.Switch(h, nil)
		assert.Len(t, lst, 4)
		assert.True(t, h.Dead())
		_, _ = main.Switch(g, nil)
		assert.Len(t, lst, 6)
		assert.True(t, g.Dead())
		return nil
	})
}

// test_two_recursive_children
func TestChildCreatedInsideChildReturnsToIt(t *testing.T) {
	var lst []string
	run(t, func(main *G) error {
		g := greenlet.New(main, func(self *G, _ any) (any, error) {
			lst = append(lst, "a")
			inner := greenlet.New(self, func(self *G, _ any) (any, error) {
				lst = append(lst, "b")
				return toParent(self, nil)
			})
			assert.Same(t, self, inner.Parent(), "the parent defaults to the creating greenlet")
			if _, err := self.Switch(inner, nil); err != nil {
				return nil, err
			}
			lst = append(lst, "c")
			return nil, nil
		})
		_, err := main.Switch(g, nil)
		return err
	})
	assert.Equal(t, []string{"a", "b", "c"}, lst)
}

// fmain is greenlet's test helper: wait in the parent, record the error the
// wait reports and pass it on, or else fail with errSome.
func fmain(seen *[]error) func(self *G, _ any) (any, error) {
	return func(self *G, _ any) (any, error) {
		if _, err := toParent(self, nil); err != nil {
			*seen = append(*seen, err)
			return nil, err
		}
		return nil, errSome
	}
}

// test_exception
func TestErrorFollowsReassignedParent(t *testing.T) {
	var seen []error
	run(t, func(main *G) error {
		g1, g2 := greenlet.New(main, fmain(&seen)), greenlet.New(main, fmain(&seen))
		_, _ = main.Switch(g1, nil)
		_, _ = main.Switch(g2, nil)
		require.NoError(t, g2.SetParent(g1))
		assert.Empty(t, seen)

		_, err := main.Switch(g2, nil)
		require.ErrorIs(t, err, errSome, "g2's error went to g1, which passed it on to main")
		require.Len(t, seen, 1)
		assert.ErrorIs(t, seen[0], errSome)
		assert.True(t, g1.Dead())
		assert.True(t, g2.Dead())

		v, err := main.Switch(g2, nil)
		require.NoError(t, err)
		assert.Nil(t, v)
		v, err = main.Switch(g2, 25)
		require.NoError(t, err)
		assert.Equal(t, 25, v, "switching to a dead greenlet goes to its (dead) parent's parent: main")
		assert.Len(t, seen, 1)
		return nil
	})
}

// test_send_exception
func TestErrorOfChildRaisedInParentsSwitch(t *testing.T) {
	var seen []error
	errKey := errors.New("KeyError")
	run(t, func(main *G) error {
		g1 := greenlet.New(main, fmain(&seen))
		_, _ = main.Switch(g1, nil)
		crasher := greenlet.New(g1, func(_ *G, arg any) (any, error) { return nil, arg.(error) })
		_, err := main.Switch(crasher, errKey)
		assert.ErrorIs(t, err, errKey)
		return nil
	})
	require.Len(t, seen, 1)
	assert.ErrorIs(t, seen[0], errKey)
}

func TestPanicInRunBecomesErrorWithStack(t *testing.T) {
	run(t, func(main *G) error {
		g := greenlet.New(main, func(self *G, _ any) (any, error) {
			var s []int
			i := len(s) + 1
			return s[i], nil // a runtime panic
		})
		_, err := main.Switch(g, nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "index out of range")
		assert.Contains(t, fmt.Sprintf("%+v", err), "TestPanicInRunBecomesErrorWithStack", "the error carries the stack (%+v)")
		assert.NotContains(t, err.Error(), "\n", "Error() is one line")
		assert.True(t, g.Dead())
		return nil
	})
}

func TestPanicWithErrorUnwrapsToIt(t *testing.T) {
	run(t, func(main *G) error {
		g := greenlet.New(main, func(self *G, _ any) (any, error) { panic(errSome) })
		_, err := main.Switch(g, nil)
		assert.ErrorIs(t, err, errSome)
		return nil
	})
}

func TestPanicInMainBecomesRunsError(t *testing.T) {
	var cleaned bool
	err := greenlet.Run(func(main *G) error {
		g := greenlet.New(main, func(self *G, _ any) (any, error) {
			defer func() { cleaned = true }()
			return toParent(self, nil)
		})
		_, _ = main.Switch(g, nil)
		panic("main broke")
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "main broke")
	assert.True(t, cleaned, "the suspended greenlet was still killed")
}

func TestManyGreenletsSwitchInAnyOrder(t *testing.T) {
	// Every greenlet echoes what it receives to a target chosen by the
	// value: exercises resuming down and up the chain of resumers.
	const n = 6
	run(t, func(main *greenlet.Greenlet[int]) error {
		gs := make([]*greenlet.Greenlet[int], n)
		seen := make([]int, n)
		for i := range gs {
			gs[i] = greenlet.New(main, func(self *greenlet.Greenlet[int], v int) (int, error) {
				for {
					seen[i]++
					next := gs[(v*7+3)%n]
					if v%5 == 0 {
						next = main
					}
					var err error
					if v, err = self.Switch(next, v+1); err != nil {
						return 0, err
					}
				}
			})
		}
		v := 1
		for round := range 200 {
			var err error
			v, err = main.Switch(gs[round%n], v)
			require.NoError(t, err)
			assert.Equal(t, 0, (v-1)%5, "only values that are multiples of 5 come back to main")
			assert.Same(t, main, main.Tree().Current())
		}
		for i := range n {
			assert.Positive(t, seen[i], "greenlet %d ran", i)
		}
		return nil
	})
}

func TestSwitchToSelfReturnsValue(t *testing.T) {
	run(t, func(main *G) error {
		v, err := main.Switch(main, 7)
		require.NoError(t, err)
		assert.Equal(t, 7, v)
		g := greenlet.New(main, func(self *G, _ any) (any, error) {
			v, err := self.Switch(self, 8)
			assert.Equal(t, 8, v)
			return v, err
		})
		v, err = main.Switch(g, nil)
		require.NoError(t, err)
		assert.Equal(t, 8, v)
		return nil
	})
}
