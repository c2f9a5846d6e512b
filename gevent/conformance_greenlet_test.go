package gevent_test

// Conformance: gevent's src/gevent/tests/test__greenlet.py, ported.
//
// gevent's bool(g) and g.started (true from start() until the end) are
// Go's Alive(); Go's Started() reports whether the body was entered, and
// stays true after the end. g.value/g.exception are Value()/Err().
//
// Not ported: TestUnlink and the *_unlink listener cases (Go's Link has no
// unlink/has_links), TestStr (repr), TestBasic.test_spawn_non_callable and
// test_spawn_raw_kwargs (Python's call checking and spawn_raw),
// test_exc_info_no_error (exc_info), test_recursion_error (a Go stack
// overflow is fatal, not an error), test_tree_locals, test_add_spawn_callback,
// test_getframe_value_error and test_minimal_ident_parent_not_hub (gevent
// internals), TestJoinAll0 (Go has no unstarted Greenlet: Spawn starts it),
// the TestKill cases on a never-started Greenlet (same reason; Go's spawn is
// gevent's spawn+start, TestKillAfterStart) and the kill(exception=...)
// variants (Go's Kill takes no exception), TestKillallRawGreenlet
// (spawn_raw), TestContextManager (a Greenlet as a with-block; defer
// g.Join/Kill in Go), TestRef (refcounts) but for its kill cases, TestCExt
// and TestPure (build variants).

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geventgo/geventgo/gevent"
)

// confDelay is test__greenlet's DELAY.
const confDelay = confSmallTick

// confLinkFn links f to p the way gevent's link, link_value or
// link_exception does: link_value only on success, link_exception only on
// failure (a kill is a success, as in gevent).
func confLinkFn[T any](p *gevent.Greenlet[T], method string, f func(*gevent.Greenlet[T])) {
	p.Link(func(g *gevent.Greenlet[T]) {
		ok := g.Successful()
		if method == "link_value" && !ok || method == "link_exception" && ok {
			return
		}
		f(g)
	})
}

// confAttrError is test_error_exit's ExpectedError with a myattr.
type confAttrError struct{ myattr int }

func (e *confAttrError) Error() string { return "test_error_exit" }

func TestConformance_Greenlet(t *testing.T) {
	// TestLink: Python links an AsyncResult or a queue's put directly; Go
	// links a function that sets or puts.
	t.Run("TestLink.test_link_to_asyncresult", func(t *testing.T) {
		ctx := context.Background()
		p := gevent.Spawn(ctx, func(context.Context) (int, error) { return 100, nil })
		for range 4 { // the first link, then 3 on the finished green thread
			var event gevent.AsyncResult[int]
			confLink(p, "link", &event)
			v, err := event.Get(ctx)
			assert.NoError(t, err)
			assert.Equal(t, 100, v)
		}
	})
	t.Run("TestLink.test_link_to_asyncresult_exception", func(t *testing.T) {
		ctx := context.Background()
		e := errors.New("test_link_to_asyncresult_exception")
		p := gevent.Spawn(ctx, func(context.Context) (int, error) { return 0, e })
		for range 4 {
			var event gevent.AsyncResult[int]
			confLink(p, "link", &event)
			_, err := event.Get(ctx)
			confSameErr(t, e, err)
		}
	})
	t.Run("TestLink.test_link_to_queue", func(t *testing.T) {
		ctx := context.Background()
		p := gevent.Spawn(ctx, func(context.Context) (int, error) { return 100, nil })
		q := gevent.NewQueue[*gevent.Greenlet[int]](0)
		for range 4 {
			p.Link(func(g *gevent.Greenlet[int]) { q.PutNowait(g) })
			g, err := q.Get(ctx)
			require.NoError(t, err)
			v, err := g.Get(ctx)
			assert.NoError(t, err)
			assert.Equal(t, 100, v)
		}
	})
	// A Channel put blocks until taken: in a Link it holds the finishing
	// green thread's goroutine until then (free mode here; on a Hub it would
	// hold the turn).
	t.Run("TestLink.test_link_to_channel", func(t *testing.T) {
		ctx := context.Background()
		var q gevent.Channel[*gevent.Greenlet[int]]
		for _, v := range []int{101, 102, 103} {
			p := gevent.Spawn(ctx, func(context.Context) (int, error) { return v, nil })
			p.Link(func(g *gevent.Greenlet[int]) { q.Put(ctx, g) })
		}
		var results []int
		for range 3 {
			g, err := q.Get(ctx)
			require.NoError(t, err)
			v, err := g.Get(ctx)
			require.NoError(t, err)
			results = append(results, v)
		}
		assert.ElementsMatch(t, []int{101, 102, 103}, results)
	})

	// LinksTestCase: set_links links an AsyncResult, a Queue(1).put and a
	// callback (plus ten more of the first two); set_links_timeout links what
	// must never be touched: an AsyncResult and a Channel's put, here an
	// unbounded Queue's PutNowait (a Channel Put in a Link would hold the
	// hub's turn until taken).
	type links struct {
		event        *gevent.AsyncResult[int]
		queue        *gevent.Queue[*gevent.Greenlet[int]]
		callbackFlag []string
		untouched    *gevent.AsyncResult[int]
		untouchedQ   *gevent.Queue[*gevent.Greenlet[int]]
	}
	setLinks := func(p *gevent.Greenlet[int], method, other string) *links {
		l := &links{event: new(gevent.AsyncResult[int]), queue: gevent.NewQueue[*gevent.Greenlet[int]](1),
			callbackFlag: []string{"initial"}, untouched: new(gevent.AsyncResult[int]), untouchedQ: gevent.NewQueue[*gevent.Greenlet[int]](0)}
		confLink(p, method, l.event)
		confLinkFn(p, method, func(g *gevent.Greenlet[int]) { l.queue.PutNowait(g) })
		confLinkFn(p, method, func(*gevent.Greenlet[int]) { l.callbackFlag = l.callbackFlag[1:] })
		for range 10 {
			confLink(p, method, new(gevent.AsyncResult[int]))
			q := gevent.NewQueue[*gevent.Greenlet[int]](1)
			confLinkFn(p, method, func(g *gevent.Greenlet[int]) { q.PutNowait(g) })
		}
		confLink(p, other, l.untouched)
		confLinkFn(p, other, func(g *gevent.Greenlet[int]) { l.untouchedQ.PutNowait(g) })
		return l
	}
	checkTimedOut := func(ctx context.Context, l *links) {
		err := gevent.WithTimeout(ctx, confDelay, func(ctx context.Context) error { _, err := l.untouched.Get(ctx); return err })
		assert.ErrorIs(t, err, gevent.ErrTimeout)
		err = gevent.WithTimeout(ctx, confDelay, func(ctx context.Context) error { _, err := l.untouchedQ.Get(ctx); return err })
		assert.ErrorIs(t, err, gevent.ErrTimeout)
	}
	for _, method := range []string{"link", "link_value"} {
		class := map[string]string{"link": "TestReturn_link", "link_value": "TestReturn_link_value"}[method]
		t.Run(class+".test_return", func(t *testing.T) {
			confHub(t, func(ctx context.Context, h *gevent.Hub) error {
				p := gevent.Spawn(ctx, func(context.Context) (int, error) { return 25, nil })
				for range 3 {
					l := setLinks(p, method, "link_exception")
					assert.NoError(t, gevent.Sleep(ctx, 2*confDelay))
					assert.False(t, p.Alive())
					v, err := l.event.Get(ctx)
					assert.NoError(t, err)
					assert.Equal(t, 25, v)
					g, _ := l.queue.Get(ctx)
					v, err = g.Get(ctx)
					assert.NoError(t, err)
					assert.Equal(t, 25, v)
					assert.NoError(t, gevent.Sleep(ctx, confDelay))
					assert.Empty(t, l.callbackFlag)
					checkTimedOut(ctx, l)
				}
				return p.Kill(ctx)
			})
		})
		// A killed green thread is a success in gevent (its value is the
		// GreenletExit): link_value fires, link_exception does not. Go: Value
		// stays zero and Err() matches ErrGreenletExit, with Successful() true.
		t.Run(class+".test_kill", func(t *testing.T) {
			confHub(t, func(ctx context.Context, h *gevent.Hub) error {
				p := gevent.Spawn(ctx, func(ctx context.Context) (int, error) { return 0, gevent.Sleep(ctx, confDelay) })
				for range 3 {
					l := setLinks(p, method, "link_exception")
					assert.NoError(t, p.Kill(ctx))
					assert.NoError(t, gevent.Sleep(ctx, confDelay))
					assert.False(t, p.Alive())
					v, err := l.event.Get(ctx)
					assert.NoError(t, err, "a kill is a success")
					assert.Equal(t, 0, v)
					assert.ErrorIs(t, p.Err(), gevent.ErrGreenletExit)
					g, _ := l.queue.Get(ctx)
					if assert.NotNil(t, g) {
						assert.ErrorIs(t, g.Err(), gevent.ErrGreenletExit)
					}
					assert.NoError(t, gevent.Sleep(ctx, confDelay))
					assert.Empty(t, l.callbackFlag)
					checkTimedOut(ctx, l)
				}
				return nil
			})
		})
	}
	for _, method := range []string{"link", "link_exception"} {
		class := map[string]string{"link": "TestRaise_link", "link_exception": "TestRaise_link_exception"}[method]
		t.Run(class+".test_raise", func(t *testing.T) {
			confHub(t, func(ctx context.Context, h *gevent.Hub) error {
				e := errors.New("test_raise")
				p := gevent.Spawn(ctx, func(context.Context) (int, error) { return 0, e })
				for range 3 {
					l := setLinks(p, method, "link_value")
					assert.NoError(t, gevent.Sleep(ctx, confDelay))
					assert.False(t, p.Alive())
					_, err := l.event.Get(ctx)
					confSameErr(t, e, err)
					g, _ := l.queue.Get(ctx)
					assert.Same(t, p, g)
					assert.NoError(t, gevent.Sleep(ctx, confDelay))
					assert.Empty(t, l.callbackFlag)
					checkTimedOut(ctx, l)
				}
				return nil
			})
		})
	}

	// minimal_ident: Go's ID is a process-wide number from 1.
	t.Run("TestStuff.test_minimal_id", func(t *testing.T) {
		ctx := context.Background()
		g := gevent.Spawn(ctx, func(context.Context) (int, error) { return 1, nil })
		assert.Positive(t, g.ID())
		require.NoError(t, g.Join(ctx))
	})
	t.Run("TestStuff.test_wait_noerrors", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			var gs []*gevent.Greenlet[int]
			for _, v := range []int{1, 2, 3} {
				gs = append(gs, gevent.Spawn(ctx, func(context.Context) (int, error) { return v, nil }))
			}
			_, err := gevent.JoinAll(ctx, gs, gevent.RaiseError())
			assert.NoError(t, err)
			assert.Equal(t, []int{1, 2, 3}, []int{gs[0].Value(), gs[1].Value(), gs[2].Value()})
			for range 2 {
				var e gevent.AsyncResult[int]
				confLink(gs[0], "link", &e)
				v, err := e.Get(ctx)
				assert.NoError(t, err)
				assert.Equal(t, 1, v)
			}
			return nil
		})
	})
	t.Run("TestStuff.test_wait_error", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			x := gevent.Spawn(ctx, func(ctx context.Context) (int, error) { return 1, gevent.Sleep(ctx, confDelay) })
			e := errors.New("test_wait_error")
			y := gevent.Spawn(ctx, func(context.Context) (int, error) { return 0, e })
			_, err := gevent.JoinAll(ctx, []*gevent.Greenlet[int]{x, y}, gevent.RaiseError())
			confSameErr(t, e, err)
			_, err = gevent.JoinAll(ctx, []*gevent.Greenlet[int]{y}, gevent.RaiseError())
			confSameErr(t, e, err)
			return x.Join(ctx)
		})
	})
	t.Run("TestStuff.test_joinall_exception_order", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			first, second := errors.New("first"), errors.New("second")
			a := gevent.Go(ctx, func(ctx context.Context) error {
				if err := gevent.Sleep(ctx, 100*time.Millisecond); err != nil {
					return err
				}
				return first
			})
			b := gevent.Go(ctx, func(context.Context) error { return second })
			gs := []*gevent.Greenlet[struct{}]{a, b}
			_, err := gevent.JoinAll(ctx, gs, gevent.RaiseError())
			confSameErr(t, second, err, "the earliest failure")
			_, err = gevent.JoinAll(ctx, gs)
			return err
		})
	})
	t.Run("TestStuff.test_joinall_count_raise_error", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			sleeper := gevent.Go(ctx, func(ctx context.Context) error {
				for {
					if err := gevent.Sleep(ctx, 100*time.Millisecond); err != nil {
						return err
					}
				}
			})
			raiser := gevent.Go(ctx, func(context.Context) error { return errors.New("count") })
			_, err := gevent.JoinAll(ctx, []*gevent.Greenlet[struct{}]{sleeper, raiser}, gevent.JoinCount(1))
			assert.NoError(t, err)
			assert.True(t, raiser.Ready())
			assert.True(t, raiser.Dead())
			assert.False(t, raiser.Alive())
			assert.False(t, sleeper.Ready())
			assert.False(t, sleeper.Dead())
			assert.NoError(t, sleeper.Kill(ctx))
			assert.True(t, sleeper.Ready())
			return nil
		})
	})
	// A failing listener must not stop the others. A Go Link callback that
	// panics is reported on standard error, and the next ones run.
	t.Run("TestStuff.test_multiple_listeners_error", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			for _, fail := range []bool{false, true} {
				p := gevent.Spawn(ctx, func(context.Context) (int, error) {
					if fail {
						return 0, errors.New("test_multiple_listeners_error")
					}
					return 5, nil
				})
				var results []int
				p.Link(func(*gevent.Greenlet[int]) { results = append(results, 10); panic("listener1") })
				p.Link(func(*gevent.Greenlet[int]) { results = append(results, 20); panic("listener2") })
				p.Link(func(*gevent.Greenlet[int]) { panic("listener3") })
				assert.NoError(t, gevent.Sleep(ctx, 10*confDelay))
				assert.Equal(t, []int{10, 20}, results)
			}
			return nil
		})
	})

	t.Run("TestJoin", func(t *testing.T) {
		confGenericWait(t, false, func(ctx context.Context) error {
			g := gevent.Go(context.Background(), func(ctx context.Context) error { return gevent.Sleep(ctx, 10*time.Second) })
			defer g.Kill(context.Background())
			return g.Join(ctx)
		})
	})
	// Python's g.get(timeout) raises gevent.Timeout: Go's Get with a ctx
	// deadline returns an error matching ErrTimeout too.
	t.Run("TestGet", func(t *testing.T) {
		confGenericWait(t, true, func(ctx context.Context) error {
			g := gevent.Go(context.Background(), func(ctx context.Context) error { return gevent.Sleep(ctx, 10*time.Second) })
			defer g.Kill(context.Background())
			_, err := g.Get(ctx)
			return err
		}, gevent.ErrTimeout)
	})
	t.Run("TestJoinAll", func(t *testing.T) {
		confGenericWait(t, false, func(ctx context.Context) error {
			g := gevent.Go(context.Background(), func(ctx context.Context) error { return gevent.Sleep(ctx, 10*time.Second) })
			defer g.Kill(context.Background())
			_, err := gevent.JoinAll(ctx, []*gevent.Greenlet[struct{}]{g})
			return err
		})
	})

	t.Run("TestBasic.test_simple_exit", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			var linkTest []*gevent.Greenlet[int]
			g := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
				if err := gevent.Sleep(ctx, 10*time.Millisecond); err != nil {
					return 0, err
				}
				return 5, nil
			})
			g.Link(func(g *gevent.Greenlet[int]) { linkTest = append(linkTest, g) })
			// spawned (gevent: after start()), the body not run yet
			assert.True(t, g.Alive(), "alive from Spawn, before the body runs")
			assert.False(t, g.Started(), "Go: the body was not entered yet")
			assert.False(t, g.Dead())
			assert.False(t, g.Ready())
			assert.False(t, g.Successful())
			assert.Equal(t, 0, g.Value())
			assert.NoError(t, g.Err())

			assert.NoError(t, gevent.Sleep(ctx, time.Millisecond))
			assert.True(t, g.Alive())
			assert.True(t, g.Started())
			assert.False(t, g.Dead())
			assert.False(t, g.Ready())
			assert.False(t, g.Successful())
			assert.Equal(t, 0, g.Value())
			assert.NoError(t, g.Err())
			assert.Empty(t, linkTest)

			assert.NoError(t, gevent.Sleep(ctx, 20*time.Millisecond))
			assert.False(t, g.Alive())
			assert.True(t, g.Dead())
			assert.True(t, g.Started(), "Go: the body was entered (gevent's started is False again)")
			assert.True(t, g.Ready())
			assert.True(t, g.Successful())
			assert.Equal(t, 5, g.Value())
			assert.NoError(t, g.Err())
			assert.Equal(t, []*gevent.Greenlet[int]{g}, linkTest)
			return nil
		})
	})
	t.Run("TestBasic.test_error_exit", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			var linkTest []*gevent.Greenlet[int]
			g := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
				if err := gevent.Sleep(ctx, confSmallest); err != nil {
					return 0, err
				}
				return 4, &confAttrError{myattr: 5}
			})
			g.Link(func(g *gevent.Greenlet[int]) { linkTest = append(linkTest, g) })
			assert.NoError(t, gevent.Sleep(ctx, 0))
			assert.NoError(t, gevent.Sleep(ctx, confLargeTick))
			assert.False(t, g.Alive())
			assert.True(t, g.Dead())
			assert.True(t, g.Ready())
			assert.False(t, g.Successful())
			// Go: Value is what the body returned, error or not (gevent's value
			// stays None).
			assert.Equal(t, 4, g.Value())
			var ae *confAttrError
			if assert.ErrorAs(t, g.Err(), &ae) {
				assert.Equal(t, 5, ae.myattr)
			}
			assert.Equal(t, []*gevent.Greenlet[int]{g}, linkTest)
			return nil
		})
	})

	// TestKill*: kill (block or not, g.kill or killall) a green thread before
	// its body runs; it ends a success with exception None. Go: Successful(),
	// with Err() matching ErrGreenletExit for Go code; Started() false when
	// the body never ran. Non-blocking kill is Cancel; gevent's
	// killall(block=False) is Cancel on each.
	starts := []struct {
		class string
		spawn func(ctx context.Context, body func(context.Context) (int, error)) *gevent.Greenlet[int]
		ran   bool // the body was entered before the kill
	}{
		{"TestKillAfterStart", func(ctx context.Context, body func(context.Context) (int, error)) *gevent.Greenlet[int] {
			return gevent.Spawn(ctx, body)
		}, false},
		{"TestKillAfterStartLater", func(ctx context.Context, body func(context.Context) (int, error)) *gevent.Greenlet[int] {
			return gevent.SpawnLater(ctx, confLargeTick, body)
		}, false},
		// Upstream's TestKillWhileRunning never starts its greenlet (it keeps
		// TestKill's no-op start); the Go port kills it inside its sleep,
		// which is what the name says.
		{"TestKillWhileRunning", func(ctx context.Context, body func(context.Context) (int, error)) *gevent.Greenlet[int] {
			g := gevent.Spawn(ctx, body)
			gevent.Sleep(ctx, 0) // let it enter its sleep
			return g
		}, true},
	}
	for _, st := range starts {
		for _, c := range []struct {
			name           string
			block, killall bool
		}{{"test_block", true, false}, {"test_non_block", false, false}, {"test_block_killall", true, true}, {"test_non_block_killal", false, true}} {
			t.Run(st.class+"."+c.name, func(t *testing.T) {
				confHub(t, func(ctx context.Context, h *gevent.Hub) error {
					var result []int
					var linkTest []*gevent.Greenlet[int]
					g := st.spawn(ctx, func(ctx context.Context) (int, error) {
						if st.ran {
							if err := gevent.Sleep(ctx, 10*time.Second); err != nil {
								return 0, err
							}
						}
						result = append(result, 1)
						return 0, nil
					})
					g.Link(func(g *gevent.Greenlet[int]) { linkTest = append(linkTest, g) })
					kill := func() {
						switch {
						case c.block && c.killall:
							assert.NoError(t, gevent.KillAll(ctx, []*gevent.Greenlet[int]{g}))
						case c.block:
							assert.NoError(t, g.Kill(ctx))
						default:
							g.Cancel()
							assert.NoError(t, gevent.Sleep(ctx, confSmallest)) // spin the loop
						}
					}
					assertKilled := func() {
						for range 2 {
							assert.False(t, g.Alive())
							assert.True(t, g.Dead())
							assert.Equal(t, st.ran, g.Started())
							assert.True(t, g.Ready())
							assert.True(t, g.Successful(), "a GreenletExit kill is a success")
							assert.ErrorIs(t, g.Err(), gevent.ErrGreenletExit)
							assert.ErrorIs(t, g.Err(), context.Canceled, "every kill, before or after the start")
							assert.NoError(t, gevent.Sleep(ctx, 10*time.Millisecond)) // it does not run
						}
					}
					kill()
					assertKilled()
					kill() // a second time must not hurt
					assertKilled()
					assert.Empty(t, result)
					assert.Equal(t, []*gevent.Greenlet[int]{g}, linkTest)
					return nil
				})
			})
		}
	}

	// g.start() a second time does nothing; Go has no separate start.
	t.Run("TestStart.test_start", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			g := gevent.Go(ctx, func(ctx context.Context) error { return gevent.Sleep(ctx, confSmallTick) })
			assert.True(t, g.Alive(), "spawned: started and not dead")
			assert.False(t, g.Dead())
			assert.NoError(t, g.Join(ctx))
			assert.False(t, g.Alive(), "finished")
			assert.True(t, g.Dead())
			return nil
		})
	})
	t.Run("TestRef.test_kill_scheduled", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			ran := false
			g := gevent.Go(ctx, func(ctx context.Context) error { ran = true; return gevent.Sleep(ctx, confLargeTick) })
			assert.NoError(t, g.Kill(ctx))
			assert.False(t, ran)
			assert.False(t, g.Started())
			return nil
		})
	})
	t.Run("TestRef.test_kill_started", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			g := gevent.Go(ctx, func(ctx context.Context) error { return gevent.Sleep(ctx, confLargeTick) })
			assert.NoError(t, gevent.Sleep(ctx, confSmallest))
			assert.NoError(t, g.Kill(ctx))
			assert.True(t, g.Started())
			assert.ErrorIs(t, g.Err(), gevent.ErrGreenletExit)
			assert.Equal(t, confSmallest, confSince(h, confEpoch), "the kill woke it at once")
			return nil
		})
	})
	// dead must not be true for the green thread that is running.
	t.Run("TestDeadPropertyDuringSwitch.test_dead_is_false_for_current_greenlet_during_switch", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			linked := false
			g := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
				me := gevent.Current(ctx)
				for range 2 {
					assert.False(t, me.Dead())
					assert.False(t, me.Ready())
					assert.True(t, me.Alive())
					assert.False(t, linked, "no link runs before the end")
					if err := gevent.Sleep(ctx, 0); err != nil {
						return 0, err
					}
				}
				return 42, nil
			})
			g.Link(func(*gevent.Greenlet[int]) { linked = true })
			v, err := g.Get(ctx)
			assert.Equal(t, 42, v)
			assert.True(t, linked)
			return err
		})
	})

	// Go: JoinAll with RaiseError does not count a killed green thread (a
	// GreenletExit, gevent's success) as a failure.
	t.Run("Go.joinall_raise_error_ignores_GreenletExit", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			killed := gevent.Go(ctx, func(ctx context.Context) error { return gevent.Sleep(ctx, time.Hour) })
			ok := gevent.Go(ctx, func(ctx context.Context) error { return gevent.Sleep(ctx, time.Second) })
			assert.NoError(t, gevent.Sleep(ctx, 0))
			killed.Cancel()
			done, err := gevent.JoinAll(ctx, []*gevent.Greenlet[struct{}]{killed, ok}, gevent.RaiseError())
			assert.NoError(t, err)
			assert.Len(t, done, 2)
			return nil
		})
	})
	// Go: killing a green thread also cancels the green threads it spawned
	// with its own context (a deliberate difference: gevent's children
	// outlive a killed parent); they end with GreenletExit.
	t.Run("Go.kill_cancels_children", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			var child *gevent.Greenlet[struct{}]
			parent := gevent.Go(ctx, func(ctx context.Context) error {
				child = gevent.Go(ctx, func(ctx context.Context) error { return gevent.Sleep(ctx, time.Hour) })
				return gevent.Sleep(ctx, time.Hour)
			})
			assert.NoError(t, gevent.Sleep(ctx, 0))
			assert.NoError(t, parent.Kill(ctx))
			assert.NoError(t, child.Join(ctx))
			assert.ErrorIs(t, child.Err(), gevent.ErrGreenletExit)
			assert.ErrorIs(t, child.Err(), context.Canceled)
			assert.Equal(t, time.Duration(0), confSince(h, confEpoch))
			return nil
		})
	})
}
