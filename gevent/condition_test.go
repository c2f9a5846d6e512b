package gevent_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geventgo/geventgo/gevent"
)

// condKinds are the ways to make a Condition: the zero value (an RLock of
// its own), over a Lock, over an RLock.
var condKinds = []struct {
	name string
	make func() *gevent.Condition
}{
	{"zero", func() *gevent.Condition { return new(gevent.Condition) }},
	{"Lock", func() *gevent.Condition { return gevent.NewCondition(new(gevent.Lock)) }},
	{"RLock", func() *gevent.Condition { return gevent.NewCondition(new(gevent.RLock)) }},
}

func TestConditionFreeProducerConsumer(t *testing.T) {
	for _, k := range condKinds {
		t.Run(k.name, func(t *testing.T) {
			ctx := context.Background()
			c := k.make()
			var items []int
			const n = 200
			var wg sync.WaitGroup
			got := make([]int, 0, n)
			for range 4 {
				wg.Go(func() {
					for {
						require.NoError(t, c.Acquire(ctx))
						ok, err := c.WaitFor(ctx, func() bool { return len(items) > 0 })
						assert.True(t, ok)
						assert.NoError(t, err)
						v := items[0]
						items = items[1:]
						if v >= 0 {
							got = append(got, v)
						}
						c.Release(ctx)
						if v < 0 {
							return
						}
					}
				})
			}
			for i := range n {
				require.NoError(t, c.Acquire(ctx))
				items = append(items, i)
				c.Notify(ctx, 1)
				c.Release(ctx)
			}
			require.NoError(t, c.Acquire(ctx))
			items = append(items, -1, -1, -1, -1)
			c.NotifyAll(ctx)
			c.Release(ctx)
			wg.Wait()
			assert.Len(t, got, n)
			assert.False(t, c.Locker().Locked())
		})
	}
}

func TestConditionUnacquired(t *testing.T) {
	ctx := context.Background()
	for _, k := range condKinds {
		t.Run(k.name, func(t *testing.T) {
			c := k.make()
			assert.PanicsWithError(t, gevent.ErrNotLocked.Error(), func() { _ = c.Wait(ctx) }, "misuse panics, as sync.Cond's")
			assert.PanicsWithError(t, gevent.ErrNotLocked.Error(), func() { c.Notify(ctx, 1) })
			assert.PanicsWithError(t, gevent.ErrNotLocked.Error(), func() { c.NotifyAll(ctx) })
			assert.PanicsWithError(t, gevent.ErrNotLocked.Error(), func() { _, _ = c.WaitFor(ctx, func() bool { return false }) })
			assert.PanicsWithError(t, gevent.ErrNotLocked.Error(), func() { c.Release(ctx) })
		})
	}
	// An RLock's owner is a green thread: another one may not notify.
	require.NoError(t, gevent.RunHub(ctx, func(ctx context.Context) error {
		c := new(gevent.Condition)
		require.NoError(t, c.Acquire(ctx))
		g := gevent.Go(ctx, func(ctx context.Context) error { c.Notify(ctx, 1); return nil })
		assert.ErrorIs(t, g.Join(ctx), nil)
		assert.ErrorIs(t, g.Err(), gevent.ErrNotLocked)
		c.Release(ctx)
		return nil
	}))
}

func TestConditionDeadline(t *testing.T) {
	for _, k := range condKinds {
		t.Run(k.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := k.make()
				bg := context.Background()
				require.NoError(t, c.Acquire(bg))
				ctx, cancel := context.WithTimeout(bg, time.Second)
				defer cancel()
				start := time.Now()
				err := c.Wait(ctx)
				assert.ErrorIs(t, err, context.DeadlineExceeded, "Python's False")
				assert.Equal(t, time.Second, time.Since(start))
				assert.True(t, c.Locker().Locked(), "the lock is held again")
				assert.Equal(t, 0, c.Waiters())
				ok, err := c.WaitFor(ctx, func() bool { return false })
				assert.False(t, ok)
				assert.ErrorIs(t, err, context.DeadlineExceeded)
				c.Release(bg)
			})
		})
	}
}

// A waiter whose deadline passes while another holds the lock returns only
// once it has the lock back.
func TestConditionDeadlineReacquires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bg := context.Background()
		c := gevent.NewCondition(new(gevent.Lock))
		done := make(chan time.Duration)
		start := time.Now()
		go func() {
			ctx, cancel := context.WithTimeout(bg, time.Second)
			defer cancel()
			c.Acquire(bg)
			err := c.Wait(ctx)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.True(t, c.Locker().Locked())
			c.Release(bg)
			done <- time.Since(start)
		}()
		synctest.Wait()
		require.NoError(t, c.Acquire(bg)) // the waiter released it
		time.Sleep(3 * time.Second)
		c.Release(bg)
		assert.Equal(t, 3*time.Second, <-done)
	})
}

func TestConditionKill(t *testing.T) {
	for _, k := range condKinds {
		t.Run(k.name, func(t *testing.T) {
			for _, hub := range []bool{false, true} {
				t.Run(fmt.Sprint("hub=", hub), func(t *testing.T) {
					run := func(ctx context.Context) error {
						c := k.make()
						var held bool
						g := gevent.Go(ctx, func(ctx context.Context) error {
							if err := c.Acquire(ctx); err != nil {
								return err
							}
							err := c.Wait(ctx)
							held = c.Locker().Locked()
							c.Release(ctx)
							return err
						})
						for c.Waiters() == 0 {
							gevent.Sleep(ctx, time.Millisecond)
						}
						// Hold the lock while killing: the killed waiter gets it back
						// only once it is released.
						require.NoError(t, c.Acquire(ctx))
						g.Cancel()
						gevent.Sleep(ctx, 10*time.Millisecond)
						assert.False(t, g.Ready(), "waits for the lock")
						c.Release(ctx)
						assert.NoError(t, g.Join(ctx))
						assert.ErrorIs(t, g.Err(), gevent.ErrGreenletExit)
						assert.True(t, held)
						assert.False(t, c.Locker().Locked())
						return nil
					}
					if hub {
						require.NoError(t, gevent.RunHub(context.Background(), run, gevent.WithVirtualClock(confEpoch)))
					} else {
						require.NoError(t, run(context.Background()))
					}
				})
			}
		})
	}
}

// Wait releases every level of an RLock and restores them.
func TestConditionRLockLevels(t *testing.T) {
	require.NoError(t, gevent.RunHub(context.Background(), func(ctx context.Context) error {
		var rl gevent.RLock
		c := gevent.NewCondition(&rl)
		var trace []string
		g := gevent.Go(ctx, func(ctx context.Context) error {
			for range 3 {
				if err := c.Acquire(ctx); err != nil {
					return err
				}
			}
			trace = append(trace, "wait")
			if err := c.Wait(ctx); err != nil {
				return err
			}
			trace = append(trace, "woken")
			for range 3 {
				c.Release(ctx)
			}
			c.Release(ctx) // one too many
			return nil
		})
		gevent.Sleep(ctx, 0)
		require.NoError(t, c.Acquire(ctx)) // free: Wait released all three levels
		trace = append(trace, "main")
		c.Notify(ctx, 1)
		c.Release(ctx)
		require.NoError(t, g.Join(ctx))
		assert.ErrorIs(t, g.Err(), gevent.ErrNotLocked)
		assert.Equal(t, []string{"wait", "main", "woken"}, trace)
		assert.False(t, rl.Locked())
		return nil
	}, gevent.WithVirtualClock(confEpoch)))
}

// condScenario runs producers and consumers with Notify, NotifyAll, a
// deadline and a kill on a virtual hub, and returns the trace.
func condScenario(t *testing.T) string {
	var b strings.Builder
	err := gevent.RunHub(context.Background(), func(ctx context.Context) error {
		c := new(gevent.Condition)
		items := 0
		var gs []*gevent.Greenlet[struct{}]
		for i := range 5 {
			gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
				if err := c.Acquire(ctx); err != nil {
					return err
				}
				defer c.Release(ctx)
				for {
					if i == 3 {
						var cancel context.CancelFunc
						ctx, cancel = context.WithCancel(ctx)
						gevent.Go(ctx, func(cctx context.Context) error {
							gevent.Sleep(cctx, 25*time.Millisecond)
							cancel()
							return nil
						})
					}
					ok, err := c.WaitFor(ctx, func() bool { return items > 0 })
					fmt.Fprintf(&b, "c%d:%v,%v ", i, ok, err != nil)
					if !ok {
						return err
					}
					items--
					gevent.Sleep(ctx, time.Millisecond)
				}
			}))
		}
		for round := range 4 {
			gevent.Sleep(ctx, 10*time.Millisecond)
			c.Acquire(ctx)
			items += round + 1
			fmt.Fprintf(&b, "p%d ", round)
			if round%2 == 0 {
				c.Notify(ctx, round+1)
			} else {
				c.NotifyAll(ctx)
			}
			c.Release(ctx)
		}
		gevent.Sleep(ctx, 10*time.Millisecond)
		gs[4].Kill(ctx)
		gevent.KillAll(ctx, gs)
		fmt.Fprintf(&b, "end %d %v", items, gs[4].Err() != nil)
		return nil
	}, gevent.WithVirtualClock(confEpoch))
	require.NoError(t, err)
	return b.String()
}

func TestConditionHubDeterministic(t *testing.T) {
	t.Log(sameTrace(t, 300, func() string { return condScenario(t) }))
}

// ---- Conformance: CPython's Lib/test/lock_tests.py ConditionTests ----

func TestConformance_Condition(t *testing.T) {
	for _, k := range condKinds {
		run := func(name string, body func(ctx context.Context, h *gevent.Hub)) {
			t.Run(k.name+"/ConditionTests."+name, func(t *testing.T) {
				confHub(t, func(ctx context.Context, h *gevent.Hub) error { body(ctx, h); return nil })
			})
		}
		run("test_acquire", func(ctx context.Context, h *gevent.Hub) {
			cond := k.make()
			// Be default we have an RLock: the recursive acquire (inside a
			// green thread) only works for the zero and the RLock kinds.
			assert.NoError(t, cond.Acquire(ctx))
			if k.name != "Lock" {
				assert.NoError(t, cond.Acquire(ctx))
				cond.Release(ctx)
			}
			cond.Release(ctx)
			assert.True(t, cond.TryAcquire(ctx))
			cond.Release(ctx)
		})
		run("test_unacquired_wait", func(ctx context.Context, h *gevent.Hub) {
			assert.PanicsWithError(t, gevent.ErrNotLocked.Error(), func() { _ = k.make().Wait(ctx) })
		})
		run("test_unacquired_notify", func(ctx context.Context, h *gevent.Hub) {
			assert.PanicsWithError(t, gevent.ErrNotLocked.Error(), func() { k.make().Notify(ctx, 1) })
		})
		// _check_notify, on one condition.
		run("test_notify", func(ctx context.Context, h *gevent.Hub) {
			cond := k.make()
			const n = 5
			var ready []int
			type res struct {
				ok    bool
				phase int
			}
			var results1, results2 []res
			phase := 0
			f := func(ctx context.Context) error {
				cond.Acquire(ctx)
				ready = append(ready, phase)
				err := cond.Wait(ctx)
				cond.Release(ctx)
				results1 = append(results1, res{err == nil, phase})
				cond.Acquire(ctx)
				ready = append(ready, phase)
				err = cond.Wait(ctx)
				cond.Release(ctx)
				results2 = append(results2, res{err == nil, phase})
				return nil
			}
			b := confNewBunch(ctx, f, n)
			b.waitForStarted(ctx)
			for len(ready) < 5 {
				confWait(ctx)
			}
			ready = ready[:0]
			assert.Empty(t, results1)
			cond.Acquire(ctx)
			cond.Notify(ctx, 3)
			confWait(ctx)
			phase = 1
			cond.Release(ctx)
			for len(results1) < 3 {
				confWait(ctx)
			}
			assert.Equal(t, []res{{true, 1}, {true, 1}, {true, 1}}, results1)
			assert.Empty(t, results2)
			for len(ready) < 3 {
				confWait(ctx)
			}
			cond.Acquire(ctx)
			cond.Notify(ctx, 5)
			confWait(ctx)
			phase = 2
			cond.Release(ctx)
			for len(results1)+len(results2) < 8 {
				confWait(ctx)
			}
			assert.Equal(t, []res{{true, 1}, {true, 1}, {true, 1}, {true, 2}, {true, 2}}, results1)
			assert.Equal(t, []res{{true, 2}, {true, 2}, {true, 2}}, results2)
			for len(ready) < 5 {
				confWait(ctx)
			}
			cond.Acquire(ctx)
			cond.NotifyAll(ctx)
			confWait(ctx)
			phase = 3
			cond.Release(ctx)
			for len(results2) < 5 {
				confWait(ctx)
			}
			assert.Equal(t, []res{{true, 2}, {true, 2}, {true, 2}, {true, 3}, {true, 3}}, results2)
			assert.NoError(t, b.waitForFinished(ctx))
		})
		run("test_timeout", func(ctx context.Context, h *gevent.Hub) {
			cond := k.make()
			var results []time.Duration
			var errs []error
			const n = 5
			b := confNewBunch(ctx, func(ctx context.Context) error {
				cond.Acquire(ctx)
				start := h.Now()
				err := gevent.WithTimeout(ctx, 500*time.Millisecond, cond.Wait)
				results = append(results, h.Now().Sub(start))
				errs = append(errs, err)
				cond.Release(ctx)
				return nil
			}, n)
			assert.NoError(t, b.waitForFinished(ctx))
			assert.Len(t, results, n)
			for i := range results {
				assert.Equal(t, 500*time.Millisecond, results[i], "virtual time: exact")
				assert.ErrorIs(t, errs[i], gevent.ErrTimeout, "Python's False")
			}
		})
		run("test_waitfor", func(ctx context.Context, h *gevent.Hub) {
			cond := k.make()
			state := 0
			b := confNewBunch(ctx, func(ctx context.Context) error {
				cond.Acquire(ctx)
				defer cond.Release(ctx)
				ok, err := cond.WaitFor(ctx, func() bool { return state == 4 })
				assert.True(t, ok)
				assert.NoError(t, err)
				assert.Equal(t, 4, state)
				return err
			}, 1)
			for range 4 {
				confWait(ctx)
				cond.Acquire(ctx)
				state++
				cond.Notify(ctx, 1)
				cond.Release(ctx)
			}
			assert.NoError(t, b.waitForFinished(ctx))
		})
		run("test_waitfor_timeout", func(ctx context.Context, h *gevent.Hub) {
			cond := k.make()
			state := 0
			success := false
			b := confNewBunch(ctx, func(ctx context.Context) error {
				cond.Acquire(ctx)
				defer cond.Release(ctx)
				start := h.Now()
				var ok bool
				err := gevent.WithTimeout(ctx, 100*time.Millisecond, func(ctx context.Context) error {
					var err error
					ok, err = cond.WaitFor(ctx, func() bool { return state == 4 })
					return err
				})
				assert.False(t, ok)
				assert.ErrorIs(t, err, gevent.ErrTimeout)
				assert.Equal(t, 100*time.Millisecond, h.Now().Sub(start))
				success = true
				return nil
			}, 1)
			// Only increment 3 times, so state == 4 is never reached.
			for range 3 {
				confWait(ctx)
				cond.Acquire(ctx)
				state++
				cond.Notify(ctx, 1)
				cond.Release(ctx)
			}
			assert.NoError(t, b.waitForFinished(ctx))
			assert.True(t, success)
		})
	}
}
