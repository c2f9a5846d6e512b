package greenlet_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geventgo/geventgo/greenlet"
)

var errRuntime = errors.New("RuntimeError: ciao")

// test_class, test_val
func TestThrowRaisesAtTargetsSwitchPoint(t *testing.T) {
	run(t, func(main *G) error {
		g := greenlet.New(main, func(self *G, _ any) (any, error) {
			if _, err := toParent(self, "ok"); err != nil {
				if errors.Is(err, errRuntime) && err.Error() == "RuntimeError: ciao" {
					return toParent(self, "ok")
				}
				return nil, err
			}
			return toParent(self, "fail")
		})
		v, err := main.Switch(g, nil)
		require.NoError(t, err)
		assert.Equal(t, "ok", v)
		v, err = main.Throw(g, errRuntime)
		require.NoError(t, err)
		assert.Equal(t, "ok", v, "the greenlet caught the error at its switch and switched back")
		return nil
	})
}

// test_kill
func TestThrowGreenletExitKillsQuietly(t *testing.T) {
	run(t, func(main *G) error {
		var cleaned bool
		g := greenlet.New(main, func(self *G, _ any) (any, error) {
			defer func() { cleaned = true }()
			if _, err := toParent(self, "ok"); err != nil {
				return nil, err
			}
			return toParent(self, "fail")
		})
		v, err := main.Switch(g, nil)
		require.NoError(t, err)
		assert.Equal(t, "ok", v)

		v, err = main.Throw(g, nil) // nil means GreenletExit
		require.NoError(t, err, "GreenletExit returns quietly to the parent")
		assert.Nil(t, v)
		assert.True(t, g.Dead())
		assert.True(t, cleaned)

		v, err = main.Throw(g, greenlet.ErrGreenletExit)
		require.NoError(t, err, "immediately eaten by the already-dead greenlet")
		assert.Nil(t, v)
		return nil
	})
}

func TestThrowIntoDeadGreenletRaisesInParent(t *testing.T) {
	run(t, func(main *G) error {
		g := greenlet.New(main, func(*G, any) (any, error) { return "done", nil })
		v, err := main.Switch(g, nil)
		require.NoError(t, err)
		assert.Equal(t, "done", v)
		_, err = main.Throw(g, errRuntime)
		assert.ErrorIs(t, err, errRuntime)
		return nil
	})
}

func TestThrowIntoUnstartedKillsWithoutRunning(t *testing.T) {
	run(t, func(main *G) error {
		ran := false
		g := greenlet.New(main, func(*G, any) (any, error) { ran = true; return nil, nil })
		v, err := main.Throw(g, nil)
		require.NoError(t, err)
		assert.Nil(t, v)
		assert.False(t, ran)
		assert.True(t, g.Dead())
		assert.False(t, g.Started())

		h := greenlet.New(main, func(*G, any) (any, error) { ran = true; return nil, nil })
		_, err = main.Throw(h, errRuntime)
		assert.ErrorIs(t, err, errRuntime, "the error goes on to the parent")
		assert.False(t, ran)
		assert.True(t, h.Dead())
		return nil
	})
}

func TestThrowToSelfReturnsError(t *testing.T) {
	run(t, func(main *G) error {
		_, err := main.Throw(main, errRuntime)
		assert.ErrorIs(t, err, errRuntime)
		_, err = main.Throw(main, nil)
		assert.ErrorIs(t, err, greenlet.ErrGreenletExit)
		return nil
	})
}

// test_throw_goes_to_original_parent
func TestThrowGoesToOriginalParent(t *testing.T) {
	errIndex := errors.New("IndexError")
	f1 := func(main *G) func(self *G, _ any) (any, error) {
		return func(self *G, _ any) (any, error) {
			if _, err := self.Switch(main, "f1 ready to catch"); errors.Is(err, errIndex) {
				return "caught", nil
			}
			return "normal exit", nil
		}
	}
	f2 := func(main *G) func(self *G, _ any) (any, error) {
		return func(self *G, _ any) (any, error) { return self.Switch(main, "from f2") }
	}
	run(t, func(main *G) error {
		// Neither started: both die unrun and the error reaches main.
		g1 := greenlet.New(main, f1(main))
		g2 := greenlet.New(g1, f2(main))
		_, err := main.Throw(g2, errIndex)
		assert.ErrorIs(t, err, errIndex)
		assert.True(t, g2.Dead())
		assert.True(t, g1.Dead())

		// g1 waiting, g2 unstarted: g2 dies unrun, g1 catches.
		g1 = greenlet.New(main, f1(main))
		g2 = greenlet.New(g1, f2(main))
		v, err := main.Switch(g1, nil)
		require.NoError(t, err)
		assert.Equal(t, "f1 ready to catch", v)
		v, err = main.Throw(g2, errIndex)
		require.NoError(t, err)
		assert.Equal(t, "caught", v)
		assert.True(t, g2.Dead())
		assert.True(t, g1.Dead())

		// Both waiting: g2 does not catch, its parent g1 does.
		g1 = greenlet.New(main, f1(main))
		g2 = greenlet.New(g1, f2(main))
		v, err = main.Switch(g1, nil)
		require.NoError(t, err)
		assert.Equal(t, "f1 ready to catch", v)
		v, err = main.Switch(g2, nil)
		require.NoError(t, err)
		assert.Equal(t, "from f2", v)
		v, err = main.Throw(g2, errIndex)
		require.NoError(t, err)
		assert.Equal(t, "caught", v)
		assert.True(t, g2.Dead())
		assert.True(t, g1.Dead())
		return nil
	})
}

func TestThrowBetweenSiblings(t *testing.T) {
	run(t, func(main *G) error {
		var a, b *G
		a = greenlet.New(main, func(self *G, _ any) (any, error) {
			_, err := toParent(self, "a waits")
			return "a got " + err.Error(), nil
		})
		b = greenlet.New(main, func(self *G, _ any) (any, error) {
			return self.Throw(a, errRuntime)
		})
		_, _ = main.Switch(a, nil)
		v, err := main.Switch(b, nil)
		require.NoError(t, err)
		assert.Equal(t, "a got RuntimeError: ciao", v, "a's result went to its parent, main")
		assert.True(t, a.Dead())
		assert.True(t, b.Active(), "b is still waiting in its Throw")
		return nil
	})
}
