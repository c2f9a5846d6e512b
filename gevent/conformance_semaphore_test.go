package gevent_test

// Conformance: gevent's src/gevent/tests/test__semaphore.py, ported.
//
// gevent's multi-thread cases use OS threads, each with its own hub; in Go
// they are goroutines (free mode) or goroutines each running a Hub.
//
// Not ported: test_release_twice and test_rawlink_on_unacquired_runs_notifiers
// (rawlink and gevent.wait over a semaphore: Go's Semaphore has neither),
// test_semaphore_weakref and test_semaphore_in_class_with_del (weakref, gc),
// TestCExt (build variant), and the hub bookkeeping of the thread cases
// (get_hub_if_exists, hub.destroy, assertOneHasNoHub).

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geventgo/geventgo/gevent"
)

// confSem is what Semaphore and BoundedSemaphore have in common.
type confSem interface {
	Acquire(ctx context.Context) error
	TryAcquire() bool
	Release()
	Counter() int
}

func TestConformance_Semaphore(t *testing.T) {
	// acquire(timeout=0.01) returns False: a deadline ends Acquire with
	// context.DeadlineExceeded.
	t.Run("TestSemaphore.test_acquire_returns_false_after_timeout", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s := gevent.NewSemaphore(0)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
			defer cancel()
			start := time.Now()
			assert.ErrorIs(t, s.Acquire(ctx), context.DeadlineExceeded)
			assert.Equal(t, 10*time.Millisecond, time.Since(start))
			assert.Equal(t, 0, s.Counter())
		})
	})

	for _, class := range []string{"TestSemaphoreMultiThread", "TestBoundedSemaphoreMultiThread"} {
		makeOne := func() confSem {
			if class == "TestSemaphoreMultiThread" {
				return gevent.NewSemaphore(1)
			}
			return gevent.NewBoundedSemaphore(1)
		}
		t.Run(class+".test_acquire_in_one_then_another", func(t *testing.T) {
			sem := makeOne()
			require.NoError(t, sem.Acquire(context.Background())) // make future acquires block
			running := make(chan struct{})
			acquired := make(chan error, 1)
			go func() {
				close(running)
				acquired <- sem.Acquire(context.Background())
			}()
			<-running
			sem.Release()
			assert.NoError(t, <-acquired, "the other goroutine got the permit")
			assert.Equal(t, 0, sem.Counter())
		})
		t.Run(class+".test_acquire_in_one_then_another_timed", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sem := makeOne()
				require.NoError(t, sem.Acquire(context.Background()))
				acquired := make(chan error, 1)
				go func() {
					ctx, cancel := context.WithTimeout(context.Background(), confSmallest)
					defer cancel()
					acquired <- sem.Acquire(ctx)
				}()
				assert.ErrorIs(t, <-acquired, context.DeadlineExceeded)
				// This notifies nobody: the waiter has given up.
				sem.Release()
				assert.Equal(t, 1, sem.Counter())
			})
		})
		t.Run(class+".test_acquire_in_one_wait_greenlet_wait_thread_gives_up", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				bg := context.Background()
				sem := makeOne()
				require.NoError(t, sem.Acquire(bg))
				threadDone := make(chan error, 1)
				glet := gevent.Spawn(bg, func(ctx context.Context) (bool, error) {
					if err := sem.Acquire(ctx); err != nil {
						return false, err
					}
					go func() { // thread.start(): it waits LARGE_TICK and gives up
						tctx, cancel := context.WithTimeout(bg, confLargeTick)
						defer cancel()
						threadDone <- sem.Acquire(tctx)
					}()
					return true, gevent.Sleep(ctx, confLargeTick)
				})
				synctest.Wait() // gevent.idle(): the green thread is parked in Acquire
				sem.Release()
				ack, err := glet.Get(bg)
				assert.NoError(t, err)
				assert.True(t, ack)
				assert.ErrorIs(t, <-threadDone, context.DeadlineExceeded)
				assert.True(t, glet.Dead())
			})
		})
		// Two threads doing nothing but acquire and release (gevent#1698).
		dueling := func(t *testing.T, count int, acquire func(ctx context.Context, sem confSem) error, pause func(ctx context.Context, i int) error, hub bool) {
			sem := makeOne()
			results := [2]int{-1, -1}
			var wg sync.WaitGroup
			for ix := range 2 {
				wg.Go(func() {
					body := func(ctx context.Context) error {
						for i := range count {
							if err := acquire(ctx, sem); err != nil {
								return err
							}
							sem.Release()
							results[ix] = i
							if err := pause(ctx, i); err != nil {
								return err
							}
						}
						return nil
					}
					var err error
					if hub {
						err = gevent.RunHub(context.Background(), body)
					} else {
						err = body(context.Background())
					}
					assert.NoError(t, err)
				})
			}
			wg.Wait()
			assert.Equal(t, [2]int{count - 1, count - 1}, results)
			assert.Equal(t, 1, sem.Counter())
		}
		plain := func(ctx context.Context, sem confSem) error { return sem.Acquire(ctx) }
		noPause := func(context.Context, int) error { return nil }
		t.Run(class+".test_dueling_threads", func(t *testing.T) {
			dueling(t, 10000, plain, noPause, false)
		})
		t.Run(class+".test_dueling_threads_timeout", func(t *testing.T) {
			dueling(t, 10000, func(ctx context.Context, sem confSem) error {
				ctx, cancel := context.WithTimeout(ctx, 4*time.Second)
				defer cancel()
				return sem.Acquire(ctx)
			}, noPause, false)
		})
		// Each thread with its own (wall-clock) hub, sleeping now and then;
		// scaled down from 10000 rounds with a 1ms sleep every 10 to keep the
		// real time small.
		t.Run(class+".test_dueling_threads_with_hub", func(t *testing.T) {
			dueling(t, 1000, plain, func(ctx context.Context, i int) error {
				if i%100 == 0 {
					return gevent.Sleep(ctx, confSmallest)
				}
				return nil
			}, true)
		})
	}

	// gevent#1487: if the semaphore is not fair, this spins for ever between
	// the last two green threads. Semaphore() is NewSemaphore(1) here (the
	// zero Semaphore has a case of its own).
	t.Run("TestSemaphoreFair.test_fair_or_hangs", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			sem := gevent.NewSemaphore(1)
			shouldQuit := false
			var acquireThenSpawn, releaseThenSpawn func(ctx context.Context) error
			acquireThenSpawn = func(ctx context.Context) error {
				if shouldQuit {
					return nil
				}
				if err := sem.Acquire(ctx); err != nil {
					return err
				}
				return gevent.Go(ctx, releaseThenSpawn).Join(ctx)
			}
			releaseThenSpawn = func(ctx context.Context) error {
				sem.Release()
				if shouldQuit {
					return nil
				}
				return gevent.Go(ctx, acquireThenSpawn).Join(ctx)
			}
			keepGoing1 := gevent.Go(ctx, acquireThenSpawn)
			keepGoing2 := gevent.Go(ctx, acquireThenSpawn)
			exiting := gevent.Go(ctx, func(ctx context.Context) error {
				if err := sem.Acquire(ctx); err != nil {
					return err
				}
				shouldQuit = true
				return nil
			})
			_, err := gevent.JoinAll(ctx, []*gevent.Greenlet[struct{}]{keepGoing1, keepGoing2, exiting})
			assert.ErrorIs(t, err, gevent.ErrLoopExit)
			assert.True(t, exiting.Dead())
			assert.True(t, keepGoing2.Dead())
			assert.False(t, keepGoing1.Dead())
			sem.Release()
			return gevent.KillAll(ctx, []*gevent.Greenlet[struct{}]{keepGoing1, keepGoing2, exiting})
		})
	})

	// Go: Semaphore() (value=1) is the zero Semaphore.
	t.Run("Go.zero_Semaphore_has_one_permit", func(t *testing.T) {
		var s gevent.Semaphore
		assert.Equal(t, 1, s.Counter())
		assert.True(t, s.TryAcquire())
		assert.False(t, s.TryAcquire())
		s.Release()
	})
	// Go: BoundedSemaphore(0).release() raises ValueError.
	t.Run("Go.BoundedSemaphore_0_over_release", func(t *testing.T) {
		b := gevent.NewBoundedSemaphore(0)
		assert.PanicsWithError(t, gevent.ErrOverRelease.Error(), func() { b.Release() })
		assert.Equal(t, 0, b.Counter())
		assert.False(t, b.TryAcquire())
	})
	// Go: an over-release of a BoundedSemaphore changes nothing.
	t.Run("Go.BoundedSemaphore_over_release_changes_nothing", func(t *testing.T) {
		b := gevent.NewBoundedSemaphore(2)
		assert.PanicsWithError(t, gevent.ErrOverRelease.Error(), func() { b.Release() })
		assert.Equal(t, 2, b.Counter())
		assert.True(t, b.TryAcquire())
		assert.True(t, b.TryAcquire())
		assert.False(t, b.TryAcquire())
		b.Release()
		b.Release()
		assert.PanicsWithError(t, gevent.ErrOverRelease.Error(), func() { b.Release() })
		assert.Equal(t, 2, b.Counter())
	})
}
