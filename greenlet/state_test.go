package greenlet_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geventgo/geventgo/greenlet"
)

// test_frame: bool(g) while suspended and after
func TestStartedActiveDead(t *testing.T) {
	run(t, func(main *G) error {
		assert.True(t, main.IsMain())
		assert.True(t, main.Started())
		assert.True(t, main.Active())
		assert.Nil(t, main.Parent())

		g := greenlet.New(main, func(self *G, _ any) (any, error) {
			assert.True(t, self.Active(), "a running greenlet is active")
			assert.Same(t, self, self.Tree().Current(), "getcurrent() is the running greenlet")
			if _, err := toParent(self, nil); err != nil {
				return nil, err
			}
			return "meaning of life", nil
		})
		assert.False(t, g.IsMain())
		assert.False(t, g.Started())
		assert.False(t, g.Active())
		assert.False(t, g.Dead())
		assert.Same(t, main, g.Parent())

		_, err := main.Switch(g, nil)
		require.NoError(t, err)
		assert.True(t, g.Started())
		assert.True(t, g.Active())
		assert.False(t, g.Dead())
		assert.Same(t, main, main.Tree().Current())

		v, err := main.Switch(g, nil)
		require.NoError(t, err)
		assert.Equal(t, "meaning of life", v)
		assert.True(t, g.Started())
		assert.False(t, g.Active())
		assert.True(t, g.Dead())
		return nil
	})
}

func TestSwitchToDeadGoesToParent(t *testing.T) {
	run(t, func(main *G) error {
		var got []any
		waiter := greenlet.New(main, func(self *G, _ any) (any, error) {
			for {
				v, err := toParent(self, "waiting")
				if err != nil {
					return nil, err
				}
				got = append(got, v)
			}
		})
		_, _ = main.Switch(waiter, nil)
		dead := greenlet.New(waiter, func(*G, any) (any, error) { return "first", nil })
		_, _ = main.Switch(dead, nil) // its result goes to waiter, which switches back to main
		v, err := main.Switch(dead, "second")
		require.NoError(t, err)
		assert.Equal(t, "waiting", v)
		assert.Equal(t, []any{"first", "second"}, got, "the switch to the dead greenlet went to its parent")
		return nil
	})
}

// test_switch_to_dead_greenlet_reparent
func TestSwitchToDeadGreenletStartsUnstartedNewParent(t *testing.T) {
	var seen []int
	run(t, func(main *G) error {
		neverStarted := greenlet.New(main, func(*G, any) (any, error) { seen = append(seen, 24); return nil, nil })
		child := greenlet.New(main, func(*G, any) (any, error) { seen = append(seen, 42); return nil, nil })
		_, err := main.Switch(child, nil)
		require.NoError(t, err)
		assert.Equal(t, []int{42}, seen)
		require.NoError(t, child.SetParent(neverStarted))
		v, err := main.Switch(child, nil)
		require.NoError(t, err)
		assert.Nil(t, v)
		assert.Equal(t, []int{42, 24}, seen)
		return nil
	})
}

// test_falling_off_end_switches_to_unstarted_parent_works
func TestReturnStartsUnstartedParentWithValue(t *testing.T) {
	run(t, func(main *G) error {
		parent := greenlet.New(main, func(_ *G, x any) (any, error) { return []any{x, 24}, nil })
		child := greenlet.New(parent, func(*G, any) (any, error) { return 42, nil })
		v, err := main.Switch(child, nil)
		require.NoError(t, err)
		assert.Equal(t, []any{42, 24}, v)
		return nil
	})
}

// test_switch_no_run_raises_AttributeError, test_throw_no_run_raises_AttributeError,
// test_parent_return_failure
func TestGreenletWithoutRunFailsWhenStarted(t *testing.T) {
	run(t, func(main *G) error {
		_, err := main.Switch(greenlet.New[any](main, nil), nil)
		assert.ErrorIs(t, err, greenlet.ErrNoRun)

		_, err = main.Throw(greenlet.New[any](main, nil), errSome)
		assert.ErrorIs(t, err, errSome, "a throw kills it before run is looked at")

		g1 := greenlet.New[any](main, nil)
		g2 := greenlet.New(g1, func(*G, any) (any, error) { return nil, nil })
		_, err = main.Switch(g2, nil)
		assert.ErrorIs(t, err, greenlet.ErrNoRun, "falling off g2 into a run-less parent reports to us")
		return nil
	})
}

func TestSetParentRules(t *testing.T) {
	run(t, func(main *G) error {
		a := greenlet.New(main, func(*G, any) (any, error) { return nil, nil })
		b := greenlet.New(a, func(*G, any) (any, error) { return nil, nil })
		c := greenlet.New(b, func(*G, any) (any, error) { return nil, nil })

		assert.ErrorIs(t, a.SetParent(c), greenlet.ErrCycle)
		assert.ErrorIs(t, a.SetParent(a), greenlet.ErrCycle)
		assert.ErrorIs(t, main.SetParent(a), greenlet.ErrCycle, "main has no parent and gets none")
		assert.ErrorIs(t, a.SetParent(nil), greenlet.ErrNilGreenlet)
		assert.Same(t, main, a.Parent(), "a refused parent changes nothing")
		assert.Nil(t, main.Parent())

		require.NoError(t, c.SetParent(a))
		assert.Same(t, a, c.Parent())
		require.NoError(t, b.SetParent(c))
		assert.Same(t, c, b.Parent())

		return greenlet.Run(func(other *G) error {
			assert.ErrorIs(t, a.SetParent(other), greenlet.ErrOtherTree)
			assert.Same(t, main, a.Parent())
			return nil
		})
	})
}
