package gevent_test

// Conformance: gevent's src/gevent/tests/lock_tests.py (CPython's lock
// tests as gevent runs them), ported for Lock, RLock, Event, Semaphore and
// BoundedSemaphore.
//
// A Bunch of threads is a set of green threads on a virtual-clock hub, and
// _wait() (time.sleep(0.01)) a Sleep of 10ms there: the interleavings are
// the same every run and take no real time.
//
// ConditionTests and BarrierTests (CPython's) are ported in
// condition_test.go and barrier_test.go. Not ported:
// RLockTests.test__is_owned (_is_owned is internal), and the "del lock"
// halves of the destroy cases (garbage collection).

import (
	"context"
	"errors"
	"math"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/geventgo/geventgo/gevent"
)

// confBunch is lock_tests' Bunch: n green threads running f.
type confBunch struct {
	started, finished int
	gs                []*gevent.Greenlet[struct{}]
}

func confNewBunch(ctx context.Context, f func(ctx context.Context) error, n int) *confBunch {
	b := &confBunch{}
	for range n {
		b.gs = append(b.gs, gevent.Go(ctx, func(ctx context.Context) error {
			b.started++
			defer func() { b.finished++ }()
			return f(ctx)
		}))
	}
	return b
}

// confWait is lock_tests' _wait().
func confWait(ctx context.Context) error { return gevent.Sleep(ctx, 10*time.Millisecond) }

func (b *confBunch) waitForStarted(ctx context.Context) {
	for b.started < len(b.gs) {
		confWait(ctx)
	}
}

func (b *confBunch) waitForFinished(ctx context.Context) error {
	_, err := gevent.JoinAll(ctx, b.gs, gevent.RaiseError())
	return err
}

// confLock is the lock API the base cases need, for Lock and RLock alike
// (an RLock's owner is the green thread of ctx).
type confLock struct {
	acquire    func(ctx context.Context) error
	tryAcquire func(ctx context.Context) bool
	release    func(ctx context.Context)
}

func confLockOf(l *gevent.Lock) confLock {
	return confLock{l.Acquire, func(context.Context) bool { return l.TryAcquire() }, func(context.Context) { l.Release() }}
}

func confRLockOf(l *gevent.RLock) confLock { return confLock{l.Acquire, l.TryAcquire, l.Release} }

// confSemOf makes semtype(value): Python's default value=1 is the zero
// Semaphore; for BoundedSemaphore, whose zero value is not specified,
// NewBoundedSemaphore(1).
func confSemOf(bounded bool, value ...int) confSem {
	switch {
	case bounded && len(value) == 0:
		return gevent.NewBoundedSemaphore(1)
	case bounded:
		return gevent.NewBoundedSemaphore(value[0])
	case len(value) == 0:
		return new(gevent.Semaphore)
	}
	return gevent.NewSemaphore(value[0])
}

func TestConformance_Lock(t *testing.T) {
	// BaseLockTests, for Lock and RLock. RLock is used inside green threads:
	// outside them every acquisition is its own owner (not reentrant).
	for _, class := range []string{"LockTests", "RLockTests"} {
		locktype := func() confLock {
			if class == "LockTests" {
				return confLockOf(new(gevent.Lock))
			}
			return confRLockOf(new(gevent.RLock))
		}
		run := func(name string, body func(ctx context.Context, h *gevent.Hub)) {
			t.Run(class+"."+name, func(t *testing.T) {
				confHub(t, func(ctx context.Context, h *gevent.Hub) error { body(ctx, h); return nil })
			})
		}
		run("test_constructor", func(ctx context.Context, h *gevent.Hub) {
			lock := locktype()
			assert.True(t, lock.tryAcquire(ctx), "a new lock is unlocked")
			lock.release(ctx)
		})
		run("test_acquire_destroy", func(ctx context.Context, h *gevent.Hub) {
			assert.NoError(t, locktype().acquire(ctx))
		})
		run("test_acquire_release", func(ctx context.Context, h *gevent.Hub) {
			lock := locktype()
			assert.NoError(t, lock.acquire(ctx))
			lock.release(ctx)
		})
		run("test_try_acquire", func(ctx context.Context, h *gevent.Hub) {
			lock := locktype()
			assert.True(t, lock.tryAcquire(ctx))
			lock.release(ctx)
		})
		run("test_try_acquire_contended", func(ctx context.Context, h *gevent.Hub) {
			lock := locktype()
			assert.NoError(t, lock.acquire(ctx))
			var result []bool
			b := confNewBunch(ctx, func(ctx context.Context) error { result = append(result, lock.tryAcquire(ctx)); return nil }, 1)
			assert.NoError(t, b.waitForFinished(ctx))
			assert.Equal(t, []bool{false}, result)
			lock.release(ctx)
		})
		run("test_acquire_contended", func(ctx context.Context, h *gevent.Hub) {
			lock := locktype()
			assert.NoError(t, lock.acquire(ctx))
			const n = 5
			b := confNewBunch(ctx, func(ctx context.Context) error {
				if err := lock.acquire(ctx); err != nil {
					return err
				}
				lock.release(ctx)
				return nil
			}, n)
			b.waitForStarted(ctx)
			confWait(ctx)
			assert.Equal(t, 0, b.finished)
			lock.release(ctx)
			assert.NoError(t, b.waitForFinished(ctx))
			assert.Equal(t, n, b.finished)
		})
		// "with lock:" is Acquire and a deferred Release; an error in the block
		// still releases.
		run("test_with", func(ctx context.Context, h *gevent.Hub) {
			lock := locktype()
			f := func(ctx context.Context) error {
				if err := lock.acquire(ctx); err != nil {
					return err
				}
				lock.release(ctx)
				return nil
			}
			with := func(err error) error {
				if err := lock.acquire(ctx); err != nil {
					return err
				}
				defer lock.release(ctx)
				return err
			}
			assert.NoError(t, with(nil))
			assert.NoError(t, confNewBunch(ctx, f, 1).waitForFinished(ctx), "the lock is unacquired")
			errType := errors.New("TypeError")
			assert.ErrorIs(t, with(errType), errType)
			assert.NoError(t, confNewBunch(ctx, f, 1).waitForFinished(ctx), "the lock is unacquired")
		})
		// No goroutine is left behind (the package's goleak TestMain checks).
		run("test_thread_leak", func(ctx context.Context, h *gevent.Hub) {
			lock := locktype()
			b := confNewBunch(ctx, func(ctx context.Context) error {
				if err := lock.acquire(ctx); err != nil {
					return err
				}
				lock.release(ctx)
				return nil
			}, 15)
			assert.NoError(t, b.waitForFinished(ctx))
		})
	}

	// LockTests: a non-recursive lock, releasable by any thread.
	t.Run("LockTests.test_reacquire", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			var lock gevent.Lock
			phase := 0
			g := gevent.Go(ctx, func(ctx context.Context) error {
				if err := lock.Acquire(ctx); err != nil {
					return err
				}
				phase++
				if err := lock.Acquire(ctx); err != nil {
					return err
				}
				phase++
				return nil
			})
			for phase == 0 {
				confWait(ctx)
			}
			confWait(ctx)
			assert.Equal(t, 1, phase, "the second acquire blocks")
			lock.Release()
			for phase == 1 {
				confWait(ctx)
			}
			assert.Equal(t, 2, phase)
			return g.Join(ctx)
		})
	})
	t.Run("LockTests.test_different_thread", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			var lock gevent.Lock
			assert.NoError(t, lock.Acquire(ctx))
			b := confNewBunch(ctx, func(context.Context) error { lock.Release(); return nil }, 1)
			assert.NoError(t, b.waitForFinished(ctx))
			assert.NoError(t, lock.Acquire(ctx))
			lock.Release()
			return nil
		})
	})

	// RLockTests: a recursive lock owned by a green thread.
	t.Run("RLockTests.test_reacquire", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			var lock gevent.RLock
			assert.NoError(t, lock.Acquire(ctx))
			assert.NoError(t, lock.Acquire(ctx))
			lock.Release(ctx)
			assert.NoError(t, lock.Acquire(ctx))
			lock.Release(ctx)
			lock.Release(ctx)
			assert.False(t, lock.Locked())
			return nil
		})
	})
	// RuntimeError on releasing an unacquired RLock is ErrNotLocked.
	t.Run("RLockTests.test_release_unacquired", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			var lock gevent.RLock
			assert.PanicsWithError(t, gevent.ErrNotLocked.Error(), func() { lock.Release(ctx) })
			assert.NoError(t, lock.Acquire(ctx))
			assert.NoError(t, lock.Acquire(ctx))
			lock.Release(ctx)
			assert.NoError(t, lock.Acquire(ctx))
			lock.Release(ctx)
			lock.Release(ctx)
			assert.PanicsWithError(t, gevent.ErrNotLocked.Error(), func() { lock.Release(ctx) })
			return nil
		})
	})
	t.Run("RLockTests.test_different_thread", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			var lock gevent.RLock
			var finish gevent.Event // do_finish()
			b := confNewBunch(ctx, func(ctx context.Context) error {
				if err := lock.Acquire(ctx); err != nil {
					return err
				}
				return finish.Wait(ctx)
			}, 1)
			b.waitForStarted(ctx)
			assert.PanicsWithError(t, gevent.ErrNotLocked.Error(), func() { lock.Release(ctx) }, "cannot release from a different green thread")
			finish.Set()
			return b.waitForFinished(ctx)
		})
	})
	// Go: outside green threads each acquisition is its own owner: two plain
	// goroutines exclude each other, and a plain goroutine acquiring again
	// blocks (not reentrant outside green threads; gevent's main greenlet is
	// one owner).
	t.Run("Go.RLock_outside_green_threads", func(t *testing.T) {
		var lock gevent.RLock
		bg := context.Background()
		assert.NoError(t, lock.Acquire(bg))
		assert.False(t, lock.TryAcquire(bg), "not reentrant outside green threads")
		other := make(chan bool)
		go func() { other <- lock.TryAcquire(bg) }()
		assert.False(t, <-other, "another plain goroutine is excluded")
		lock.Release(bg)
		assert.False(t, lock.Locked())
	})

	// EventTests, on a virtual hub but for test_timeout (context deadlines
	// are on the wall clock: a synctest bubble in free mode).
	t.Run("EventTests.test_is_set", func(t *testing.T) {
		var evt gevent.Event
		assert.False(t, evt.IsSet())
		evt.Set()
		assert.True(t, evt.IsSet())
		evt.Set()
		assert.True(t, evt.IsSet())
		evt.Clear()
		assert.False(t, evt.IsSet())
		evt.Clear()
		assert.False(t, evt.IsSet())
	})
	t.Run("EventTests.test_notify", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			var evt gevent.Event
			checkNotify := func() {
				const n = 5
				var results1, results2 []bool
				b := confNewBunch(ctx, func(ctx context.Context) error {
					if err := evt.Wait(ctx); err != nil {
						return err
					}
					results1 = append(results1, evt.IsSet())
					if err := evt.Wait(ctx); err != nil {
						return err
					}
					results2 = append(results2, evt.IsSet())
					return nil
				}, n)
				b.waitForStarted(ctx)
				confWait(ctx)
				assert.Empty(t, results1)
				evt.Set()
				assert.NoError(t, b.waitForFinished(ctx))
				assert.Equal(t, []bool{true, true, true, true, true}, results1)
				assert.Equal(t, []bool{true, true, true, true, true}, results2)
			}
			checkNotify()
			evt.Set() // another time, after an explicit clear()
			evt.Clear()
			checkNotify()
			return nil
		})
	})
	t.Run("EventTests.test_timeout", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var evt gevent.Event
			bg := context.Background()
			type r2 struct {
				ok bool
				dt time.Duration
			}
			run := func() (results1 []bool, results2 []r2) {
				results := make(chan r2, 5)
				first := make(chan bool, 5)
				var gs []*gevent.Greenlet[struct{}]
				for range 5 {
					gs = append(gs, gevent.Go(bg, func(ctx context.Context) error {
						c0, cancel0 := context.WithTimeout(ctx, 0) // wait(0.0)
						defer cancel0()
						first <- evt.Wait(c0) == nil
						t1 := time.Now()
						c, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
						defer cancel()
						ok := evt.Wait(c) == nil
						results <- r2{ok, time.Since(t1)}
						return nil
					}))
				}
				gevent.JoinAll(bg, gs)
				for range 5 {
					results1 = append(results1, <-first)
					results2 = append(results2, <-results)
				}
				return
			}
			results1, results2 := run()
			assert.Equal(t, []bool{false, false, false, false, false}, results1)
			for _, r := range results2 {
				assert.False(t, r.ok)
				assert.Equal(t, 200*time.Millisecond, r.dt)
			}
			evt.Set() // the event is set
			results1, results2 = run()
			assert.Equal(t, []bool{true, true, true, true, true}, results1)
			for _, r := range results2 {
				assert.True(t, r.ok)
			}
		})
	})

	// SemaphoreTests and BoundedSemaphoreTests.
	for _, class := range []string{"SemaphoreTests", "BoundedSemaphoreTests"} {
		bounded := class == "BoundedSemaphoreTests"
		semtype := func(value ...int) confSem { return confSemOf(bounded, value...) }
		// ValueError for a negative value: Go panics.
		t.Run(class+".test_constructor", func(t *testing.T) {
			for _, v := range []int{-1, -math.MaxInt} {
				assert.Panics(t, func() { semtype(v) }, "value %d", v)
			}
		})
		t.Run(class+".test_acquire", func(t *testing.T) {
			ctx := context.Background()
			sem := semtype(1)
			assert.NoError(t, sem.Acquire(ctx))
			sem.Release()
			sem = semtype(2)
			assert.NoError(t, sem.Acquire(ctx))
			assert.NoError(t, sem.Acquire(ctx))
			sem.Release()
			sem.Release()
		})
		t.Run(class+".test_acquire_destroy", func(t *testing.T) {
			confHub(t, func(ctx context.Context, h *gevent.Hub) error {
				return semtype().Acquire(ctx) // LoopExit if the default had no permit
			})
		})
		t.Run(class+".test_acquire_contended", func(t *testing.T) {
			confHub(t, func(ctx context.Context, h *gevent.Hub) error {
				sem := semtype(7)
				assert.NoError(t, sem.Acquire(ctx))
				var results1, results2 []int
				phase := 0
				b := confNewBunch(ctx, func(ctx context.Context) error {
					if err := sem.Acquire(ctx); err != nil {
						return err
					}
					results1 = append(results1, phase)
					if err := sem.Acquire(ctx); err != nil {
						return err
					}
					results2 = append(results2, phase)
					return nil
				}, 10)
				b.waitForStarted(ctx)
				for len(results1)+len(results2) < 6 {
					confWait(ctx)
				}
				assert.Equal(t, []int{0, 0, 0, 0, 0, 0}, append(append([]int{}, results1...), results2...))
				phase = 1
				for range 7 {
					sem.Release()
				}
				for len(results1)+len(results2) < 13 {
					confWait(ctx)
				}
				assert.ElementsMatch(t, []int{0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1}, append(append([]int{}, results1...), results2...))
				phase = 2
				for range 6 {
					sem.Release()
				}
				for len(results1)+len(results2) < 19 {
					confWait(ctx)
				}
				assert.ElementsMatch(t, []int{0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2}, append(append([]int{}, results1...), results2...))
				assert.False(t, sem.TryAcquire(), "the semaphore is still locked")
				sem.Release() // let the last one finish
				return b.waitForFinished(ctx)
			})
		})
		t.Run(class+".test_try_acquire", func(t *testing.T) {
			sem := semtype(2)
			assert.True(t, sem.TryAcquire())
			assert.True(t, sem.TryAcquire())
			assert.False(t, sem.TryAcquire())
			sem.Release()
			assert.True(t, sem.TryAcquire())
		})
		t.Run(class+".test_try_acquire_contended", func(t *testing.T) {
			confHub(t, func(ctx context.Context, h *gevent.Hub) error {
				sem := semtype(4)
				assert.NoError(t, sem.Acquire(ctx))
				var results []bool
				b := confNewBunch(ctx, func(context.Context) error {
					results = append(results, sem.TryAcquire(), sem.TryAcquire())
					return nil
				}, 5)
				assert.NoError(t, b.waitForFinished(ctx))
				assert.ElementsMatch(t, []bool{true, true, true, false, false, false, false, false, false, false}, results)
				return nil
			})
		})
		// The default initial value is 1.
		t.Run(class+".test_default_value", func(t *testing.T) {
			confHub(t, func(ctx context.Context, h *gevent.Hub) error {
				sem := semtype()
				if err := gevent.WithTimeout(ctx, time.Second, sem.Acquire); err != nil {
					return err // the default had no permit
				}
				b := confNewBunch(ctx, func(ctx context.Context) error {
					if err := sem.Acquire(ctx); err != nil {
						return err
					}
					sem.Release()
					return nil
				}, 1)
				b.waitForStarted(ctx)
				confWait(ctx)
				assert.Equal(t, 0, b.finished)
				sem.Release()
				return b.waitForFinished(ctx)
			})
		})
		t.Run(class+".test_with", func(t *testing.T) {
			ctx := context.Background()
			sem := semtype(2)
			with := func(err error) error {
				if err := sem.Acquire(ctx); err != nil {
					return err
				}
				defer sem.Release()
				assert.True(t, sem.TryAcquire())
				sem.Release()
				if err := sem.Acquire(ctx); err != nil {
					return err
				}
				defer sem.Release()
				assert.False(t, sem.TryAcquire())
				return err
			}
			assert.NoError(t, with(nil))
			assert.True(t, sem.TryAcquire())
			sem.Release()
			errType := errors.New("TypeError")
			assert.ErrorIs(t, with(errType), errType)
			assert.True(t, sem.TryAcquire())
			sem.Release()
		})
		if bounded {
			// Cannot go past the initial value: ValueError is ErrOverRelease.
			t.Run(class+".test_release_unacquired", func(t *testing.T) {
				sem := semtype()
				assert.PanicsWithError(t, gevent.ErrOverRelease.Error(), func() { sem.Release() })
				assert.NoError(t, sem.Acquire(context.Background()))
				sem.Release()
				assert.PanicsWithError(t, gevent.ErrOverRelease.Error(), func() { sem.Release() })
			})
		} else {
			// Unbounded releases are allowed and increment the value.
			t.Run(class+".test_release_unacquired", func(t *testing.T) {
				ctx := context.Background()
				sem := semtype(1)
				sem.Release()
				assert.NoError(t, sem.Acquire(ctx))
				assert.NoError(t, sem.Acquire(ctx))
				sem.Release()
				assert.Equal(t, 1, sem.Counter())
			})
		}
	}
}
