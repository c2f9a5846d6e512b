package greenlet_test

import (
	"errors"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geventgo/geventgo/greenlet"
)

// test_dealloc: dropping the tree kills its suspended greenlets with
// GreenletExit; goleak (TestMain) proves their coroutines are gone.
func TestCloseKillsSuspendedGreenletsWithGreenletExit(t *testing.T) {
	var seen []error
	tree := greenlet.NewTree[any]()
	main := tree.Main()
	g1, g2 := greenlet.New(main, fmain(&seen)), greenlet.New(main, fmain(&seen))
	_, _ = main.Switch(g1, nil)
	_, _ = main.Switch(g2, nil)
	unstarted := greenlet.New(main, fmain(&seen))
	assert.Empty(t, seen)

	require.NoError(t, tree.Close())
	require.Len(t, seen, 2)
	assert.ErrorIs(t, seen[0], greenlet.ErrGreenletExit)
	assert.ErrorIs(t, seen[1], greenlet.ErrGreenletExit)
	assert.True(t, g1.Dead())
	assert.True(t, g2.Dead())
	assert.False(t, unstarted.Started(), "an unstarted greenlet is just dropped")
	assert.True(t, tree.Closed())
	assert.Nil(t, tree.Current())
	require.NoError(t, tree.Close(), "Close is idempotent")
}

func TestRunReturningKillsSuspendedGreenletsRunningCleanup(t *testing.T) {
	var order []string
	err := greenlet.Run(func(main *G) error {
		for _, name := range []string{"a", "b", "c"} {
			g := greenlet.New(main, func(self *G, _ any) (any, error) {
				defer func() { order = append(order, name) }()
				return toParent(self, nil)
			})
			_, _ = main.Switch(g, nil)
		}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"c", "b", "a"}, order, "most recently started first")
}

// test_dealloc_catches_GreenletExit_throws_other
func TestCloseReportsErrorRaisedByKilledGreenlet(t *testing.T) {
	err := greenlet.Run(func(main *G) error {
		g := greenlet.New(main, func(self *G, _ any) (any, error) {
			if _, err := toParent(self, nil); errors.Is(err, greenlet.ErrGreenletExit) {
				return nil, errSome
			}
			return nil, nil
		})
		_, _ = main.Switch(g, nil)
		return nil
	})
	assert.ErrorIs(t, err, errSome)
}

// test_parent_restored_on_kill
func TestCloseKillsWithMainAsParentAndRestoresIt(t *testing.T) {
	var duringKill *G
	var worker, hub *G
	tree := greenlet.NewTree[any]()
	main := tree.Main()
	hubRan := false
	hub = greenlet.New(main, func(*G, any) (any, error) { hubRan = true; return nil, nil })
	worker = greenlet.New(hub, func(self *G, _ any) (any, error) {
		if _, err := self.Switch(main, nil); errors.Is(err, greenlet.ErrGreenletExit) {
			duringKill = self.Parent()
			// Resurrect: switch away instead of dying.
			return self.Switch(hub, nil)
		}
		return nil, nil
	})
	_, _ = main.Switch(worker, nil)

	err := tree.Close()
	assert.ErrorIs(t, err, greenlet.ErrIgnoredExit)
	assert.Same(t, main, duringKill)
	assert.Same(t, hub, worker.Parent(), "the parent is restored after the kill")
	assert.True(t, hubRan)
	assert.True(t, worker.Dead(), "the ignoring greenlet was stopped")
}

func TestStoppedGreenletCannotSwitchAnymore(t *testing.T) {
	var afterStop []error
	err := greenlet.Run(func(main *G) error {
		g := greenlet.New(main, func(self *G, _ any) (any, error) {
			for range 3 {
				_, err := toParent(self, nil)
				afterStop = append(afterStop, err)
			}
			return nil, nil
		})
		_, _ = main.Switch(g, nil)
		return nil
	})
	assert.ErrorIs(t, err, greenlet.ErrIgnoredExit)
	require.Len(t, afterStop, 3)
	for _, e := range afterStop {
		assert.ErrorIs(t, e, greenlet.ErrGreenletExit)
	}
}

func TestSwitchAfterCloseIsErrClosed(t *testing.T) {
	var main, g *G
	require.NoError(t, greenlet.Run(func(m *G) error {
		main = m
		g = greenlet.New(main, func(*G, any) (any, error) { return nil, nil })
		return nil
	}))
	_, err := main.Switch(g, nil)
	assert.ErrorIs(t, err, greenlet.ErrClosed)
	_, err = main.Throw(g, nil)
	assert.ErrorIs(t, err, greenlet.ErrClosed)
	assert.True(t, main.Dead())
}

func TestCloseFromNonMainGreenletIsRefused(t *testing.T) {
	tree := greenlet.NewTree[any]()
	main := tree.Main()
	g := greenlet.New(main, func(self *G, _ any) (any, error) {
		return tree.Close(), nil
	})
	v, err := main.Switch(g, nil)
	require.NoError(t, err)
	assert.ErrorIs(t, v.(error), greenlet.ErrNotCurrent)
	assert.False(t, tree.Closed())
	require.NoError(t, tree.Close())
}

func TestSwitchFromOtherGoroutineIsError(t *testing.T) {
	run(t, func(main *G) error {
		g := greenlet.New(main, func(self *G, _ any) (any, error) { return toParent(self, nil) })
		_, _ = main.Switch(g, nil)
		errc := make(chan error, 2)
		go func() {
			// g is suspended: only the running greenlet (main) may switch.
			_, err := g.Switch(main, nil)
			errc <- err
			_, err = g.Throw(main, errSome)
			errc <- err
		}()
		assert.ErrorIs(t, <-errc, greenlet.ErrNotCurrent)
		assert.ErrorIs(t, <-errc, greenlet.ErrNotCurrent)
		assert.True(t, g.Active(), "nothing was switched")
		return nil
	})
}

func TestSwitchFromGoroutineAfterTreeClosedIsError(t *testing.T) {
	var main *G
	require.NoError(t, greenlet.Run(func(m *G) error { main = m; return nil }))
	errc := make(chan error)
	go func() {
		_, err := main.Switch(main, nil)
		errc <- err
	}()
	assert.ErrorIs(t, <-errc, greenlet.ErrClosed)
}

// test_switch_to_another_thread
func TestSwitchIntoAnotherTreeIsError(t *testing.T) {
	run(t, func(mainA *G) error {
		ga := greenlet.New(mainA, func(self *G, _ any) (any, error) { return toParent(self, "a") })
		// Another tree on another goroutine, running at the same time.
		started, done := make(chan *G), make(chan struct{})
		go func() {
			_ = greenlet.Run(func(mainB *G) error {
				gb := greenlet.New(mainB, func(self *G, _ any) (any, error) { return toParent(self, "b") })
				_, _ = mainB.Switch(gb, nil)
				started <- gb
				<-done
				return nil
			})
			close(started)
		}()
		gb := <-started
		_, err := mainA.Switch(gb, nil)
		assert.ErrorIs(t, err, greenlet.ErrOtherTree)
		_, err = mainA.Throw(gb, nil)
		assert.ErrorIs(t, err, greenlet.ErrOtherTree)
		_, err = gb.Switch(ga, nil)
		assert.ErrorIs(t, err, greenlet.ErrOtherTree)
		close(done)
		<-started

		v, err := mainA.Switch(ga, nil)
		require.NoError(t, err, "tree A is unaffected")
		assert.Equal(t, "a", v)
		return nil
	})
}

func TestNilGreenletIsError(t *testing.T) {
	run(t, func(main *G) error {
		_, err := main.Switch(nil, 1)
		assert.ErrorIs(t, err, greenlet.ErrNilGreenlet)
		orphan := greenlet.New[any](nil, func(*G, any) (any, error) { return nil, nil })
		_, err = main.Switch(orphan, nil)
		assert.ErrorIs(t, err, greenlet.ErrNilGreenlet)
		_, err = orphan.Switch(main, nil)
		assert.ErrorIs(t, err, greenlet.ErrNilGreenlet)
		return nil
	})
}

// runtime.Goexit in a greenlet (t.FailNow in a test) ends the goroutine that
// runs the tree, as it would without greenlets; Run's Close still kills the
// other suspended greenlets, so nothing is left behind.
func TestGoexitInGreenletStillClosesTree(t *testing.T) {
	var cleaned, afterSwitch bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = greenlet.Run(func(main *G) error {
			waiting := greenlet.New(main, func(self *G, _ any) (any, error) {
				defer func() { cleaned = true }()
				return toParent(self, nil)
			})
			_, _ = main.Switch(waiting, nil)
			quitter := greenlet.New(main, func(*G, any) (any, error) {
				runtime.Goexit()
				return nil, nil
			})
			_, _ = main.Switch(quitter, nil)
			afterSwitch = true
			return nil
		})
	}()
	<-done
	assert.False(t, afterSwitch, "Goexit ended the tree's goroutine")
	assert.True(t, cleaned, "the suspended greenlet was killed on the way out")
}
