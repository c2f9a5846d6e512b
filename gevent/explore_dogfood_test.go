package gevent_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geventgo/geventgo/gevent"
	"github.com/geventgo/geventgo/gevent/geventtest"
)

// The package's primitives under geventtest: each runs a small
// producer/consumer or contention program under 1,000 explored schedules
// (random walks and PCT), checking its invariants: nothing lost or
// duplicated, counts right, no deadlock, no green thread left behind.

const dogfoodSchedules = 1000

// dogfood explores fn under dogfoodSchedules schedules and requires that
// all of them ran (the budget is wide enough for -race on a loaded
// machine).
func dogfood(t *testing.T, fn geventtest.Func) {
	t.Helper()
	r := geventtest.Explore(t, fn, geventtest.Schedules(dogfoodSchedules), geventtest.Budget(3*time.Minute))
	require.Equal(t, dogfoodSchedules, r.Schedules)
}

// yield gives the turn away; every program sprinkles it where a real one
// would do I/O.
func yield(ctx context.Context) error { return gevent.Sleep(ctx, 0) }

// joinAll joins gs and returns the first error among them.
func joinAll(ctx context.Context, gs []*gevent.Greenlet[struct{}]) error {
	_, err := gevent.JoinAll(ctx, gs, gevent.RaiseError())
	return err
}

func TestExploreQueue(t *testing.T) {
	dogfood(t, func(ctx context.Context, t testing.TB) error {
		q := gevent.NewQueue[int](2)
		var got []int
		var gs []*gevent.Greenlet[struct{}]
		for p := range 2 {
			gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
				for i := range 3 {
					if err := q.Put(ctx, p*10+i); err != nil {
						return err
					}
				}
				return nil
			}))
		}
		for range 2 {
			gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
				for range 3 {
					v, err := q.Get(ctx)
					if err != nil {
						return err
					}
					got = append(got, v)
					if err := yield(ctx); err != nil {
						return err
					}
					q.TaskDone()
				}
				return nil
			}))
		}
		if err := joinAll(ctx, gs[:2]); err != nil { // the producers
			return err
		}
		if err := q.Join(ctx); err != nil {
			return err
		}
		require.Len(t, got, 6, "Join returned before every item was done")
		if err := joinAll(ctx, gs); err != nil {
			return err
		}
		slices.Sort(got)
		assert.Equal(t, []int{0, 1, 2, 10, 11, 12}, got)
		assert.Equal(t, 0, q.Len())
		return nil
	})
}

// exclusion runs 3 workers that each enter a critical section twice,
// through lock and unlock, yielding inside, and checks that no two are
// ever inside together and that no increment is lost.
func exclusion(t testing.TB, ctx context.Context, lock, unlock func(ctx context.Context) error) error {
	inside, count := 0, 0
	var gs []*gevent.Greenlet[struct{}]
	for range 3 {
		gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
			for range 2 {
				if err := lock(ctx); err != nil {
					return err
				}
				inside++
				assert.Equal(t, 1, inside, "two green threads inside")
				v := count
				if err := yield(ctx); err != nil {
					return err
				}
				count = v + 1
				inside--
				if err := unlock(ctx); err != nil {
					return err
				}
				if err := yield(ctx); err != nil {
					return err
				}
			}
			return nil
		}))
	}
	if err := joinAll(ctx, gs); err != nil {
		return err
	}
	assert.Equal(t, 6, count)
	return nil
}

func TestExploreLock(t *testing.T) {
	dogfood(t, func(ctx context.Context, t testing.TB) error {
		var l gevent.Lock
		err := exclusion(t, ctx, l.Acquire, func(context.Context) error { l.Release(); return nil })
		assert.False(t, l.Locked())
		return err
	})
}

func TestExploreRLock(t *testing.T) {
	dogfood(t, func(ctx context.Context, t testing.TB) error {
		var l gevent.RLock
		lock := func(ctx context.Context) error { // taken twice, re-entrantly
			if err := l.Acquire(ctx); err != nil {
				return err
			}
			if err := yield(ctx); err != nil {
				return err
			}
			return l.Acquire(ctx)
		}
		unlock := func(ctx context.Context) error {
			l.Release(ctx)
			assert.True(t, l.Locked(), "released once of twice: still held")
			l.Release(ctx)
			return nil
		}
		err := exclusion(t, ctx, lock, unlock)
		assert.False(t, l.Locked())
		return err
	})
}

func TestExploreSemaphore(t *testing.T) {
	dogfood(t, func(ctx context.Context, t testing.TB) error {
		s := gevent.NewBoundedSemaphore(2)
		inside, most, done := 0, 0, 0
		var gs []*gevent.Greenlet[struct{}]
		for range 4 {
			gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
				if err := s.Acquire(ctx); err != nil {
					return err
				}
				inside++
				most = max(most, inside)
				assert.LessOrEqual(t, inside, 2)
				if err := yield(ctx); err != nil {
					return err
				}
				inside--
				done++
				s.Release()
				return nil
			}))
		}
		if err := joinAll(ctx, gs); err != nil {
			return err
		}
		assert.Equal(t, 4, done)
		assert.Equal(t, 2, s.Counter(), "every permit came back")
		assert.PanicsWithError(t, gevent.ErrOverRelease.Error(), func() { s.Release() })
		return nil
	})
}

func TestExploreEvent(t *testing.T) {
	dogfood(t, func(ctx context.Context, t testing.TB) error {
		var start, stop gevent.Event
		woke := 0
		var gs []*gevent.Greenlet[struct{}]
		for range 3 {
			gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
				if err := start.Wait(ctx); err != nil {
					return err
				}
				assert.True(t, start.IsSet())
				woke++
				if err := yield(ctx); err != nil {
					return err
				}
				return stop.Wait(ctx)
			}))
		}
		gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
			if err := yield(ctx); err != nil {
				return err
			}
			start.Set()
			for woke < 3 { // poll: every waiter is woken by the one Set
				if err := gevent.Sleep(ctx, time.Millisecond); err != nil {
					return err
				}
			}
			stop.Set()
			return nil
		}))
		if err := joinAll(ctx, gs); err != nil {
			return err
		}
		assert.Equal(t, 3, woke)
		return nil
	})
}

func TestExploreAsyncResult(t *testing.T) {
	dogfood(t, func(ctx context.Context, t testing.TB) error {
		var r gevent.AsyncResult[int]
		var sum int
		var gs []*gevent.Greenlet[struct{}]
		for range 3 {
			gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
				v, err := r.Get(ctx)
				sum += v
				return err
			}))
		}
		for i := range 2 { // two setters race: one wins, the other is refused
			gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
				if err := yield(ctx); err != nil {
					return err
				}
				if err := r.Set(7 + i); err != nil && !errors.Is(err, gevent.ErrAlreadySet) {
					return err
				}
				return nil
			}))
		}
		if err := joinAll(ctx, gs); err != nil {
			return err
		}
		assert.Equal(t, 3*r.Value(), sum, "every getter got the one value")
		return nil
	})
}

func TestExplorePool(t *testing.T) {
	dogfood(t, func(ctx context.Context, t testing.TB) error {
		p := gevent.NewPool(2)
		running, most := 0, 0
		var results []int
		var gs []*gevent.Greenlet[struct{}]
		for s := range 2 { // two submitters
			gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
				for i := range 3 {
					err := startErr(gevent.ApplyAsync(ctx, p, func(ctx context.Context) (int, error) {
						running++
						most = max(most, running)
						assert.LessOrEqual(t, running, 2, "more tasks than slots")
						err := yield(ctx)
						running--
						return s*10 + i, err
					}, func(v int) { results = append(results, v) }, nil))
					if err != nil {
						return err
					}
				}
				return nil
			}))
		}
		if err := joinAll(ctx, gs); err != nil {
			return err
		}
		if err := p.Join(ctx); err != nil {
			return err
		}
		slices.Sort(results)
		assert.Equal(t, []int{0, 1, 2, 10, 11, 12}, results)
		assert.Equal(t, 2, p.FreeCount())
		p.Close()
		return p.Join(ctx)
	})
}

func TestExploreGroup(t *testing.T) {
	dogfood(t, func(ctx context.Context, t testing.TB) error {
		boom := errors.New("boom")
		g, gctx := gevent.NewGroup(ctx, gevent.CancelOnError())
		g.SetLimit(2)
		done := 0
		var members []*gevent.Greenlet[struct{}]
		for i := range 4 {
			members = append(members, g.Go(gctx, func(ctx context.Context) error {
				if i == 1 {
					return boom
				}
				if err := gevent.Sleep(ctx, time.Duration(i)*time.Millisecond); err != nil {
					return err
				}
				done++
				return nil
			}))
		}
		err := g.Wait(ctx)
		assert.ErrorIs(t, err, boom)
		assert.Equal(t, 0, g.Len())
		succeeded := 0
		for i, m := range members {
			require.True(t, m.Ready(), "member %d ended", i)
			switch {
			case i == 1:
				assert.ErrorIs(t, m.Err(), boom)
			case m.Err() == nil:
				succeeded++
			default: // cancelled by the failure, before or after it started
				assert.ErrorIs(t, m.Err(), context.Canceled, "member %d", i)
			}
		}
		assert.Equal(t, done, succeeded)
		return nil
	})
}

func TestExploreCondition(t *testing.T) {
	dogfood(t, func(ctx context.Context, t testing.TB) error {
		var l gevent.Lock
		c := gevent.NewCondition(&l)
		var items, got []int
		var gs []*gevent.Greenlet[struct{}]
		for p := range 2 {
			gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
				for i := range 2 {
					if err := c.Acquire(ctx); err != nil {
						return err
					}
					items = append(items, p*10+i)
					c.Notify(ctx, 1)
					c.Release(ctx)
					if err := yield(ctx); err != nil {
						return err
					}
				}
				return nil
			}))
		}
		for range 2 {
			gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
				for range 2 {
					if err := c.Acquire(ctx); err != nil {
						return err
					}
					if _, err := c.WaitFor(ctx, func() bool { return len(items) > 0 }); err != nil {
						c.Release(ctx)
						return err
					}
					got = append(got, items[0])
					items = items[1:]
					c.Release(ctx)
				}
				return nil
			}))
		}
		if err := joinAll(ctx, gs); err != nil {
			return err
		}
		slices.Sort(got)
		assert.Equal(t, []int{0, 1, 10, 11}, got)
		assert.Empty(t, items)
		return nil
	})
}

func TestExploreBarrier(t *testing.T) {
	dogfood(t, func(ctx context.Context, t testing.TB) error {
		const parties, rounds = 3, 2
		actions := 0
		b := gevent.NewBarrier(parties, func(context.Context) error { actions++; return nil }, 0)
		arrived := make([]int, rounds)
		indices := make([][]int, rounds)
		var gs []*gevent.Greenlet[struct{}]
		for p := range parties {
			gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
				for r := range rounds {
					if err := yield(ctx); err != nil {
						return err
					}
					arrived[r]++
					i, err := b.Wait(ctx)
					if err != nil {
						return fmt.Errorf("party %d round %d: %w", p, r, err)
					}
					assert.Equal(t, parties, arrived[r], "passed the barrier before every party arrived")
					indices[r] = append(indices[r], i)
				}
				return nil
			}))
		}
		if err := joinAll(ctx, gs); err != nil {
			return err
		}
		assert.Equal(t, rounds, actions)
		for r := range rounds {
			slices.Sort(indices[r])
			assert.Equal(t, []int{0, 1, 2}, indices[r], "round %d", r)
		}
		assert.False(t, b.Broken())
		return nil
	})
}

// TestExploreTimeoutRaces races a wait's timeout against its wake at the
// same virtual instant (the explorer fires same-instant timers in every
// order), for each primitive with a waiting call: whichever wins, nothing
// may be lost: an item stays queued, a permit or lock comes back, a value
// is seen.
func TestExploreTimeoutRaces(t *testing.T) {
	races := map[string]func(ctx context.Context, t testing.TB) error{
		"Queue": func(ctx context.Context, t testing.TB) error {
			q := gevent.NewQueue[int](0)
			var got []int
			c := gevent.Go(ctx, func(ctx context.Context) error {
				v, err := gevent.WithTimeoutValue(ctx, time.Millisecond, q.Get)
				if err == nil {
					got = append(got, v)
				} else if !errors.Is(err, gevent.ErrTimeout) {
					return err
				}
				return nil
			})
			p := gevent.Go(ctx, func(ctx context.Context) error {
				if err := gevent.Sleep(ctx, time.Millisecond); err != nil {
					return err
				}
				return q.Put(ctx, 1)
			})
			if err := joinAll(ctx, []*gevent.Greenlet[struct{}]{c, p}); err != nil {
				return err
			}
			assert.Equal(t, 1, len(got)+q.Len(), "the item was taken or is still queued")
			return nil
		},
		"Lock": func(ctx context.Context, t testing.TB) error {
			var l gevent.Lock
			if err := l.Acquire(ctx); err != nil {
				return err
			}
			if err := timedAcquireVsRelease(ctx, l.Acquire, l.Release); err != nil {
				return err
			}
			assert.False(t, l.Locked(), "the lock came back")
			return nil
		},
		"Semaphore": func(ctx context.Context, t testing.TB) error {
			s := gevent.NewBoundedSemaphore(1)
			if err := s.Acquire(ctx); err != nil {
				return err
			}
			if err := timedAcquireVsRelease(ctx, s.Acquire, s.Release); err != nil {
				return err
			}
			assert.Equal(t, 1, s.Counter(), "the permit came back")
			return nil
		},
		"Event and AsyncResult": func(ctx context.Context, t testing.TB) error {
			var e gevent.Event
			var r gevent.AsyncResult[int]
			var errs [2]error
			we := gevent.Go(ctx, func(ctx context.Context) error {
				errs[0] = gevent.WithTimeout(ctx, time.Millisecond, e.Wait)
				return nil
			})
			wr := gevent.Go(ctx, func(ctx context.Context) error {
				_, errs[1] = gevent.WithTimeoutValue(ctx, time.Millisecond, r.Get)
				return nil
			})
			s := gevent.Go(ctx, func(ctx context.Context) error {
				if err := gevent.Sleep(ctx, time.Millisecond); err != nil {
					return err
				}
				e.Set()
				return r.Set(1)
			})
			if err := joinAll(ctx, []*gevent.Greenlet[struct{}]{we, wr, s}); err != nil {
				return err
			}
			for i, err := range errs {
				if err != nil {
					assert.ErrorIs(t, err, gevent.ErrTimeout, "wait %d", i)
				}
			}
			return nil
		},
		"Condition": func(ctx context.Context, t testing.TB) error {
			var l gevent.Lock
			c := gevent.NewCondition(&l)
			ready := false
			w := gevent.Go(ctx, func(ctx context.Context) error {
				if err := c.Acquire(ctx); err != nil {
					return err
				}
				ok, err := gevent.WithTimeoutValue(ctx, time.Millisecond, func(ctx context.Context) (bool, error) {
					return c.WaitFor(ctx, func() bool { return ready })
				})
				assert.True(t, l.Locked(), "WaitFor returns with the lock held")
				if err != nil && !errors.Is(err, gevent.ErrTimeout) {
					return err
				}
				assert.Equal(t, ready, ok)
				c.Release(ctx)
				return nil
			})
			n := gevent.Go(ctx, func(ctx context.Context) error {
				if err := gevent.Sleep(ctx, time.Millisecond); err != nil {
					return err
				}
				if err := c.Acquire(ctx); err != nil {
					return err
				}
				ready = true
				c.NotifyAll(ctx)
				c.Release(ctx)
				return nil
			})
			if err := joinAll(ctx, []*gevent.Greenlet[struct{}]{w, n}); err != nil {
				return err
			}
			assert.False(t, l.Locked())
			return nil
		},
	}
	for name, race := range races {
		t.Run(name, func(t *testing.T) { dogfood(t, race) })
	}
}

// timedAcquireVsRelease races an acquire with a 1ms timeout against a
// release of the holder due at the same virtual instant; whichever wins,
// the waiter gives back what it got, so the caller can check that nothing
// was lost.
func timedAcquireVsRelease(ctx context.Context, acquire func(context.Context) error, release func()) error {
	w := gevent.Go(ctx, func(ctx context.Context) error {
		err := gevent.WithTimeout(ctx, time.Millisecond, acquire)
		if err == nil {
			release()
			return nil
		}
		if !errors.Is(err, gevent.ErrTimeout) {
			return err
		}
		return nil
	})
	r := gevent.Go(ctx, func(ctx context.Context) error {
		if err := gevent.Sleep(ctx, time.Millisecond); err != nil {
			return err
		}
		release()
		return nil
	})
	return joinAll(ctx, []*gevent.Greenlet[struct{}]{w, r})
}
