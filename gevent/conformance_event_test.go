package gevent_test

// Conformance: gevent's src/gevent/tests/test__event.py, ported.
//
// Every conformance file names its subtests after the upstream
// "TestClass.test_method" they port. Shared helpers of the conformance
// files live here.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geventgo/geventgo/gevent"
)

// confEpoch is where the virtual clocks of the conformance tests start.
var confEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// confHub runs main as the main green thread of a new virtual-clock hub and
// requires it to succeed. main gets the hub for its clock. Inside a hub use
// assert, never require: FailNow must not end a green thread's goroutine.
func confHub(t *testing.T, main func(ctx context.Context, h *gevent.Hub) error) {
	t.Helper()
	h := gevent.NewHub(gevent.WithVirtualClock(confEpoch))
	require.NoError(t, h.Run(context.Background(), func(ctx context.Context) error { return main(ctx, h) }))
}

// confSince is the virtual time since start on h.
func confSince(h *gevent.Hub, start time.Time) time.Duration { return h.Now().Sub(start) }

// confSameErr asserts that got is the very error value want (Python's
// assertIs on an exception).
func confSameErr(t *testing.T, want, got error, msgAndArgs ...any) bool {
	t.Helper()
	return assert.Truef(t, got == want, "got error %v, want the very error %v. %s", got, want, fmt.Sprint(msgAndArgs...))
}

// errExpected is gevent.testing's ExpectedException.
var errExpected = errors.New("ExpectedException")

// confTimes are gevent.testing.timing's LARGE_TICK (the default wait of
// AbstractGenericWaitTestCase), SMALL_TICK and SMALLEST_RELIABLE_DELAY.
const (
	confLargeTick = 200 * time.Millisecond
	confSmallTick = 10 * time.Millisecond
	confSmallest  = time.Millisecond
)

// sameTrace runs a scenario n times and fails the test unless every run
// gives run's first trace, which it returns: the Hub's promise that the
// same program on a virtual clock gives the same interleaving every run.
func sameTrace(t *testing.T, n int, run func() string) string {
	t.Helper()
	first := run()
	for i := 1; i < n; i++ {
		if got := run(); got != first {
			t.Fatalf("run %d: the trace differs from run 0:\n%s\n%s", i, first, got)
		}
	}
	return first
}

// confGenericWait ports gevent.testing.timing.AbstractGenericWaitTestCase
// (and, with get set, AbstractGenericGetTestCase) for wait, which blocks
// until its context ends. Python's wait(timeout=s) is wait with a context
// deadline; a gevent.Timeout passed as timeout is a Timeout scope around
// it. The cases run in free mode in a testing/synctest bubble, where the
// durations are exact and take no real time. A deadline ends the wait with
// an error matching context.DeadlineExceeded and every error of also (for a
// Queue: ErrEmpty or ErrFull, for a get: ErrTimeout, Python's timeout
// exception there).
func confGenericWait(t *testing.T, get bool, wait func(ctx context.Context) error, also ...error) {
	t.Helper()
	deadline := func(t *testing.T, d time.Duration) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), d)
			defer cancel()
			start := time.Now()
			err := wait(ctx)
			assert.Equal(t, d, time.Since(start), "the wait lasted its timeout")
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			for _, e := range also {
				assert.ErrorIs(t, err, e)
			}
		})
	}
	if get {
		t.Run("test_raises_timeout_number", func(t *testing.T) { deadline(t, confSmallTick) })
		t.Run("test_raises_timeout_Timeout", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				err := gevent.Timeout{After: confLargeTick}.Run(context.Background(), wait)
				assert.Equal(t, confLargeTick, time.Since(start))
				var te *gevent.TimeoutError
				require.ErrorAs(t, err, &te, "the Timeout's own error, not the wait's")
				assert.Equal(t, confLargeTick, te.After)
				assert.ErrorIs(t, err, gevent.ErrTimeout)
			})
		})
		t.Run("test_raises_timeout_Timeout_exc_customized", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				errRuntime := errors.New("expected error")
				err := gevent.Timeout{After: confLargeTick, Err: errRuntime}.Run(context.Background(), wait)
				confSameErr(t, errRuntime, err)
			})
		})
	} else {
		t.Run("test_returns_none_after_timeout", func(t *testing.T) { deadline(t, confLargeTick) })
	}
	t.Run("test_outer_timeout_is_not_lost", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			err := gevent.Timeout{After: confSmallest}.Run(context.Background(), func(ctx context.Context) error {
				inner, cancel := context.WithTimeout(ctx, time.Second)
				defer cancel()
				return wait(inner)
			})
			assert.Equal(t, confSmallest, time.Since(start))
			var te *gevent.TimeoutError
			require.ErrorAs(t, err, &te, "the outer Timeout is what the caller sees")
			assert.Equal(t, confSmallest, te.After)
		})
	})
}

// confLink ports linking an AsyncResult to a green thread (g.link(ar),
// g.link_value(ar), g.link_exception(ar)): Go's Link takes a function, so
// the AsyncResult is set by one. kind is "link", "link_value" or
// "link_exception"; a killed green thread counts as successful, as in gevent.
func confLink[T any](g *gevent.Greenlet[T], kind string, r *gevent.AsyncResult[T]) {
	g.Link(func(g *gevent.Greenlet[T]) {
		ok := g.Successful()
		switch {
		case kind == "link_value" && !ok, kind == "link_exception" && ok:
			return
		}
		if err := g.Err(); err != nil && !ok {
			r.SetError(err)
			return
		}
		r.Set(g.Value())
	})
}

func TestConformance_Event(t *testing.T) {
	t.Run("TestEventWait", func(t *testing.T) {
		confGenericWait(t, false, func(ctx context.Context) error { var e gevent.Event; return e.Wait(ctx) })
	})
	// TestEventWait.test_cover: str(Event()) is Python's repr, not ported.

	// TestGeventWaitOnEvent and TestWaitAsyncResult wait with gevent.wait([obj]):
	// Go has no gevent.wait over arbitrary waitable objects (JoinAll takes green
	// threads), so they are ported to the object's own Wait where they say more
	// than TestEventWait/TestAsyncResultWait already do.
	t.Run("TestGeventWaitOnEvent.test_set_during_wait", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			var event gevent.Event
			waiter := gevent.Go(ctx, func(ctx context.Context) error {
				s := gevent.Go(ctx, func(context.Context) error { event.Set(); return nil })
				assert.NoError(t, event.Wait(ctx))
				assert.True(t, event.IsSet())
				assert.NoError(t, s.Join(ctx))
				event.Clear()
				assert.False(t, event.IsSet())
				// The wait must not come back at once because of the earlier Set.
				err := gevent.WithTimeout(ctx, 10*time.Millisecond, event.Wait)
				assert.ErrorIs(t, err, gevent.ErrTimeout)
				assert.False(t, event.IsSet())
				return nil
			})
			return waiter.Join(ctx)
		})
	})

	t.Run("TestAsyncResultWait", func(t *testing.T) {
		confGenericWait(t, false, func(ctx context.Context) error { var r gevent.AsyncResult[int]; return r.Wait(ctx) })
	})
	// Python's AsyncResult().get(timeout=s) raises gevent.Timeout: Go's Get
	// with a ctx deadline returns an error matching ErrTimeout too.
	t.Run("TestAsyncResultGet", func(t *testing.T) {
		confGenericWait(t, true, func(ctx context.Context) error {
			var r gevent.AsyncResult[int]
			_, err := r.Get(ctx)
			return err
		}, gevent.ErrTimeout)
	})

	// TestAsyncResult.test_link: rawlink(None) raising TypeError, unlink and
	// str are Python's type checks and repr; Go has no rawlink/unlink.

	t.Run("TestAsyncResult.test_set_exc", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			var (
				log []error
				e   gevent.AsyncResult[int]
			)
			assert.NoError(t, e.Err(), "exception is None before")
			gevent.Go(ctx, func(ctx context.Context) error {
				_, err := e.Get(ctx)
				log = append(log, err)
				return nil
			})
			obj := errors.New("MyException")
			assert.NoError(t, e.SetError(obj))
			assert.NoError(t, gevent.Sleep(ctx, 0))
			assert.Equal(t, []error{obj}, log)
			return nil
		})
	})

	// gevent's Timeout.start_new(0, exc) fires at the next loop turn; its Go
	// port is a negative After (the zero Timeout never expires): fn's context
	// is done when fn starts, so Get fails with the Timeout's error.
	t.Run("TestAsyncResult.test_set", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			var event1 gevent.AsyncResult[string]
			timerExc := errors.New("interrupted")
			delay := confSmallTick + 110*time.Millisecond
			g := gevent.SpawnLater(ctx, delay, func(context.Context) (struct{}, error) {
				return struct{}{}, event1.Set("hello event1")
			})
			defer g.Kill(ctx)
			err := gevent.Timeout{After: -1, Err: timerExc}.Run(ctx, func(ctx context.Context) error {
				_, err := event1.Get(ctx)
				return err
			})
			confSameErr(t, timerExc, err, "the zero-delay Timeout fired")
			assert.False(t, event1.Ready())
			return nil
		})
	})

	// with_timeout(s, f, timeout_value=X) returns X on expiry; in Go the
	// caller sees ErrTimeout and substitutes the value itself.
	t.Run("TestAsyncResult.test_set_with_timeout", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			var event2 gevent.AsyncResult[string]
			start := h.Now()
			err := gevent.WithTimeout(ctx, confSmallTick, func(ctx context.Context) error {
				_, err := event2.Get(ctx)
				return err
			})
			assert.ErrorIs(t, err, gevent.ErrTimeout, "nobody sent anything to event2")
			assert.Equal(t, confSmallTick, confSince(h, start))
			return nil
		})
	})

	// get(block=False) and get_nowait() raise Timeout on an empty result; a
	// Go Get with a context already past its deadline is the non-blocking
	// get, and returns that context's error.
	t.Run("TestAsyncResult.test_nonblocking_get", func(t *testing.T) {
		var ar gevent.AsyncResult[int]
		ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
		defer cancel()
		_, err := ar.Get(ctx)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.False(t, ar.Ready())
	})

	// TestAsyncResultCrossThread / TestEventCrossThread: a hub on another OS
	// thread waits; the main thread sets. Go's counterpart is a hub (on the
	// wall clock: a virtual hub does not wait for goroutines outside it) on
	// its own goroutine, and a plain goroutine that sets.
	for _, kind := range []string{"TestAsyncResultCrossThread", "TestEventCrossThread"} {
		type waitable struct {
			wait func(ctx context.Context) error
			set  func()
			ok   func() bool
		}
		makeOne := func() waitable {
			if kind == "TestEventCrossThread" {
				var e gevent.Event
				return waitable{e.Wait, e.Set, e.IsSet}
			}
			var r gevent.AsyncResult[string]
			return waitable{r.Wait, func() { r.Set("from main") }, func() bool {
				return r.Value() == "from main"
			}}
		}
		crossThread := func(t *testing.T, timed, waitInBG bool) {
			one := makeOne()
			running := make(chan struct{})
			var result error = errors.New("<never set>")
			done := make(chan error, 1)
			go func() {
				done <- gevent.RunHub(context.Background(), func(ctx context.Context) error {
					// Give the loop in this thread something to do.
					var gEvent gevent.Event
					spin := gevent.Go(ctx, func(ctx context.Context) error {
						for !gEvent.IsSet() {
							err := gevent.WithTimeout(ctx, 20*time.Millisecond, gEvent.Wait)
							if err != nil && !errors.Is(err, gevent.ErrTimeout) {
								return err
							}
						}
						return nil
					})
					work := func(ctx context.Context) error {
						close(running)
						if timed {
							wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
							defer cancel()
							result = one.wait(wctx)
						} else {
							result = one.wait(ctx)
						}
						return nil
					}
					if waitInBG {
						if err := gevent.Go(ctx, work).Join(ctx); err != nil {
							return err
						}
					} else if err := work(ctx); err != nil {
						return err
					}
					gEvent.Set()
					return spin.Join(ctx)
				})
			}()
			<-running
			one.set()
			require.NoError(t, <-done)
			assert.NoError(t, result)
			assert.True(t, one.ok())
		}
		t.Run(kind+".test_cross_thread_use", func(t *testing.T) { crossThread(t, false, false) })
		t.Run(kind+".test_cross_thread_use_bg", func(t *testing.T) { crossThread(t, false, true) })
		t.Run(kind+".test_cross_thread_use_timed", func(t *testing.T) { crossThread(t, true, false) })
		t.Run(kind+".test_cross_thread_use_timed_bg", func(t *testing.T) { crossThread(t, true, true) })
		setInBG := func(t *testing.T) {
			one := makeOne()
			err := gevent.RunHub(context.Background(), func(ctx context.Context) error {
				var wg sync.WaitGroup
				defer wg.Wait()
				glet := gevent.Go(ctx, func(context.Context) error {
					wg.Add(1)
					go func() { defer wg.Done(); one.set() }() // thread.start()
					return nil
				})
				wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
				defer cancel()
				err := one.wait(wctx)
				assert.NoError(t, glet.Join(ctx))
				return err
			})
			require.NoError(t, err)
			assert.True(t, one.ok())
		}
		t.Run(kind+".test_cross_thread_use_set_in_bg", setInBG)
		t.Run(kind+".test_cross_thread_use_set_in_bg2", setInBG)
	}

	t.Run("TestAsyncResultAsLinkTarget.test_set", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			g := gevent.Spawn(ctx, func(context.Context) (int, error) { return 1, nil })
			var s1, s2, s3 gevent.AsyncResult[int]
			confLink(g, "link", &s1)
			confLink(g, "link_value", &s2)
			confLink(g, "link_exception", &s3)
			v, err := s1.Get(ctx)
			assert.NoError(t, err)
			assert.Equal(t, 1, v)
			v, err = s2.Get(ctx)
			assert.NoError(t, err)
			assert.Equal(t, 1, v)
			err = gevent.WithTimeout(ctx, confSmallTick, func(ctx context.Context) error { _, err := s3.Get(ctx); return err })
			assert.ErrorIs(t, err, gevent.ErrTimeout)
			return nil
		})
	})
	t.Run("TestAsyncResultAsLinkTarget.test_set_exception", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			g := gevent.Spawn(ctx, func(context.Context) (int, error) { return 0, errExpected })
			var s1, s2, s3 gevent.AsyncResult[int]
			confLink(g, "link", &s1)
			confLink(g, "link_value", &s2)
			confLink(g, "link_exception", &s3)
			_, err := s1.Get(ctx)
			assert.ErrorIs(t, err, errExpected)
			err = gevent.WithTimeout(ctx, confSmallTick, func(ctx context.Context) error { _, err := s2.Get(ctx); return err })
			assert.ErrorIs(t, err, gevent.ErrTimeout)
			_, err = s3.Get(ctx)
			assert.ErrorIs(t, err, errExpected)
			return nil
		})
	})

	for _, n := range []int{1, 100, 1000} {
		name := map[int]string{1: "TestEvent_SetThenClear", 100: "TestEvent_SetThenClear100", 1000: "TestEvent_SetThenClear1000"}[n]
		t.Run(name+".test", func(t *testing.T) {
			confHub(t, func(ctx context.Context, h *gevent.Hub) error {
				var e gevent.Event
				waiters := make([]*gevent.Greenlet[struct{}], n)
				for i := range waiters {
					waiters[i] = gevent.Go(ctx, e.Wait)
				}
				assert.NoError(t, gevent.Sleep(ctx, time.Millisecond))
				e.Set()
				e.Clear()
				// Every waiter parked before the Set wakes, though the flag is
				// clear again by the time it runs.
				_, err := gevent.JoinAll(ctx, waiters, gevent.RaiseError())
				return err
			})
		})
	}

	// TestWait (and _notimeout, _count1, _count2) wait on a mix of Events and
	// AsyncResults with gevent.wait(objects, count, timeout): Go has no
	// gevent.wait over objects (JoinAll takes green threads), so they are not
	// ported.

	// TestEventBasics.test_weakref: weak references are Python's, not ported.

	// gevent (#1520): a wait() on an Event that is set while its waiters are
	// still being notified returns after them: results [1, 2, 3]. (The
	// check-watcher part is libev's, not ported.)
	t.Run("TestEventBasics.test_wait_while_notifying", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			var event gevent.Event
			var results []int
			waitThenAppend := func(ctx context.Context, arg int) error {
				if err := event.Wait(ctx); err != nil {
					return err
				}
				results = append(results, arg)
				return nil
			}
			a := gevent.Go(ctx, func(ctx context.Context) error { return waitThenAppend(ctx, 1) })
			b := gevent.Go(ctx, func(ctx context.Context) error { return waitThenAppend(ctx, 2) })
			assert.NoError(t, gevent.Sleep(ctx, 0)) // gevent.idle()
			event.Set()
			assert.NoError(t, waitThenAppend(ctx, 3))
			assert.Equal(t, []int{1, 2, 3}, results, "the waiters the Set woke run first")
			_, err := gevent.JoinAll(ctx, []*gevent.Greenlet[struct{}]{a, b})
			assert.Equal(t, []int{1, 2, 3}, results)
			return err
		})
	})

	t.Run("TestEventBasics.test_gevent_wait_twice_when_already_set", func(t *testing.T) {
		var event gevent.Event
		event.Set()
		ctx := context.Background()
		assert.NoError(t, event.Wait(ctx))
		assert.NoError(t, event.Wait(ctx))
	})
}
