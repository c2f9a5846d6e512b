package gevent

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

// until spins (yielding the processor) until cond holds: it synchronises
// a test on a state the code under test reaches, such as a waiter parked
// in a wait queue. It fails the test after a generous bound.
func until(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		runtime.Gosched()
	}
}

// queued reports how many callers are parked in q, under mu.
func queued(mu *sync.Mutex, q *waitq) int {
	mu.Lock()
	defer mu.Unlock()
	return q.n
}

// joining reports whether someone waits in t.Join.
func joining(t *GreenThread) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.joiners.head != nil
}

func TestEvent(t *testing.T) {
	ctx := context.Background()
	var e Event
	assert.False(t, e.IsSet())
	const n = 5
	var woke atomic.Int32
	gs := make([]*Greenlet[struct{}], n)
	for i := range gs {
		gs[i] = Go(ctx, func(ctx context.Context) error {
			err := e.Wait(ctx)
			woke.Add(1)
			return err
		})
	}
	until(t, func() bool { return queued(&e.mu, &e.waiters.waitq) == n })
	assert.Zero(t, woke.Load())
	e.Set()
	_, err := JoinAll(ctx, gs, RaiseError())
	require.NoError(t, err)
	assert.EqualValues(t, n, woke.Load())
	assert.True(t, e.IsSet())
	require.NoError(t, e.Wait(ctx), "a set event does not block")
	e.Clear()
	assert.False(t, e.IsSet())

	tctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	err = e.Wait(tctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "Python's wait(timeout) returning False")
	assert.Zero(t, queued(&e.mu, &e.waiters.waitq), "a timed-out waiter leaves the queue")
}

func TestAsyncResult(t *testing.T) {
	ctx := context.Background()
	var r AsyncResult[string]
	assert.False(t, r.Ready())
	assert.Equal(t, "", r.Value())
	assert.NoError(t, r.Err())
	g := Spawn(ctx, func(ctx context.Context) (string, error) { return r.Get(ctx) })
	until(t, func() bool { return queued(&r.mu, &r.waiters.waitq) == 1 })
	require.NoError(t, r.Set("hello"))
	v, err := g.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, "hello", v)
	assert.True(t, r.Successful())
	assert.ErrorIs(t, r.Set("again"), ErrAlreadySet)
	assert.ErrorIs(t, r.SetError(errBoom), ErrAlreadySet)
	assert.Equal(t, "hello", r.Value(), "a result never changes")

	var f AsyncResult[int]
	require.NoError(t, f.SetError(errBoom))
	_, err = f.Get(ctx)
	assert.ErrorIs(t, err, errBoom)
	require.NoError(t, f.Wait(ctx), "Wait reports the wait, not the result")
	assert.False(t, f.Successful())
	assert.ErrorIs(t, f.Err(), errBoom)

	var never AsyncResult[int]
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = never.Get(cctx)
	assert.ErrorIs(t, err, context.Canceled)
}

// sleepers reports how many plain goroutines sleep on q (see flagq.sleep).
func sleepers(mu *sync.Mutex, q *flagq) int {
	mu.Lock()
	defer mu.Unlock()
	return int(q.sleepers)
}

// Plain goroutines waiting with a context that is never done sleep on the
// flag's sync.Cond; a Set wakes every one of them, even when a Clear comes
// right after it (gevent's wait returns True once it was woken by a set,
// whatever the flag is by the time it runs), together with the waiters of
// the queue (green threads, cancellable waits).
func TestEventSleepersWokenBySet(t *testing.T) {
	ctx := context.Background()
	for range 200 {
		var e Event
		const n = 4
		var wg sync.WaitGroup
		var woke atomic.Int32
		for range n {
			wg.Go(func() {
				assert.NoError(t, e.Wait(ctx))
				woke.Add(1)
			})
		}
		cctx, cancel := context.WithCancel(ctx)
		wg.Go(func() {
			assert.NoError(t, e.Wait(cctx), "a cancellable wait queues a waiter")
			woke.Add(1)
		})
		g := Go(ctx, func(ctx context.Context) error { return e.Wait(ctx) })
		until(t, func() bool {
			return sleepers(&e.mu, &e.waiters) == n && queued(&e.mu, &e.waiters.waitq) == 2
		})
		e.Set()
		e.Clear()
		wg.Wait()
		require.NoError(t, g.Join(ctx))
		cancel()
		require.EqualValues(t, n+1, woke.Load())
		assert.Zero(t, sleepers(&e.mu, &e.waiters))
		assert.False(t, e.IsSet())
	}
}

// AsyncResult's plain readers sleep the same way and all get the value.
func TestAsyncResultSleepers(t *testing.T) {
	var r AsyncResult[string]
	const n = 3
	got := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			v, err := r.Get(context.Background())
			assert.NoError(t, err)
			got[i] = v
		})
	}
	until(t, func() bool { return sleepers(&r.mu, &r.waiters) == n })
	require.NoError(t, r.Set("done"))
	wg.Wait()
	assert.Equal(t, []string{"done", "done", "done"}, got)
}

// A plain goroutine sleeping on an Event inside a testing/synctest bubble is
// durably blocked (synctest.Wait returns while it waits), also on an Event
// a test outside the bubble used before.
func TestEventSleeperInBubble(t *testing.T) {
	var e Event
	go e.Set()
	require.NoError(t, e.Wait(context.Background()))
	e.Clear()
	synctest.Test(t, func(t *testing.T) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			assert.NoError(t, e.Wait(context.Background()))
		}()
		synctest.Wait()
		assert.Equal(t, 1, sleepers(&e.mu, &e.waiters))
		e.Set()
		<-done
	})
}

func TestLockMutualExclusion(t *testing.T) {
	ctx := context.Background()
	var (
		l       Lock
		inside  atomic.Int32
		maxSeen atomic.Int32
		counter int
	)
	gs := make([]*Greenlet[struct{}], 20)
	for i := range gs {
		gs[i] = Go(ctx, func(ctx context.Context) error {
			for range 200 {
				if err := l.Acquire(ctx); err != nil {
					return err
				}
				n := inside.Add(1)
				if n > maxSeen.Load() {
					maxSeen.Store(n)
				}
				counter++
				inside.Add(-1)
				l.Release()
			}
			return nil
		})
	}
	_, err := JoinAll(ctx, gs, RaiseError())
	require.NoError(t, err)
	assert.Equal(t, 20*200, counter)
	assert.EqualValues(t, 1, maxSeen.Load())
	assert.False(t, l.Locked())
}

func TestLockFIFOHandoffAndErrors(t *testing.T) {
	ctx := context.Background()
	var l Lock
	assert.PanicsWithError(t, ErrNotLocked.Error(), func() { l.Release() })
	require.NoError(t, l.Acquire(ctx))
	assert.False(t, l.TryAcquire())
	var order []int
	var gs []*Greenlet[struct{}]
	for i := range 3 {
		gs = append(gs, Go(ctx, func(ctx context.Context) error {
			if err := l.Acquire(ctx); err != nil {
				return err
			}
			order = append(order, i) // guarded by l
			l.Release()
			return nil
		}))
		until(t, func() bool { return queued(&l.mu, &l.waiters) == i+1 })
	}
	l.Release()
	_, err := JoinAll(ctx, gs, RaiseError())
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1, 2}, order, "waiters get the lock in arrival order")

	require.NoError(t, l.Acquire(ctx))
	tctx, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, l.Acquire(tctx), context.DeadlineExceeded)
	l.Release()
	assert.True(t, l.TryAcquire(), "a timed-out waiter does not keep the lock")
	l.Release()
}

func TestRLock(t *testing.T) {
	ctx := context.Background()
	var l RLock
	g := Go(ctx, func(ctx context.Context) error {
		for range 3 {
			if err := l.Acquire(ctx); err != nil {
				return err
			}
		}
		if !l.TryAcquire(ctx) {
			return errors.New("re-entry refused")
		}
		for range 4 {
			l.Release(ctx)
		}
		l.Release(ctx) // one too many
		return nil
	})
	_, err := g.Get(ctx)
	assert.ErrorIs(t, err, ErrNotLocked)
	assert.False(t, l.Locked())

	// Held by one green thread: another cannot release it, and waits.
	held := make(chan struct{})
	release := make(chan struct{})
	owner := Go(ctx, func(ctx context.Context) error {
		if err := l.Acquire(ctx); err != nil {
			return err
		}
		close(held)
		<-release
		l.Release(ctx)
		return nil
	})
	<-held
	other := Go(ctx, func(ctx context.Context) error {
		if err := releasePanic(func() { l.Release(ctx) }); !errors.Is(err, ErrNotLocked) {
			return errors.New("a non-owner released the lock")
		}
		if err := l.Acquire(ctx); err != nil {
			return err
		}
		l.Release(ctx)
		return nil
	})
	until(t, func() bool { return queued(&l.mu, &l.waiters) == 1 })
	assert.PanicsWithError(t, ErrNotLocked.Error(), func() { l.Release(ctx) }, "code outside green threads is not the owner either")
	close(release)
	_, err = JoinAll(ctx, []*Greenlet[struct{}]{owner, other}, RaiseError())
	require.NoError(t, err)
	require.NoError(t, owner.Err())
	require.NoError(t, other.Err())
}

// Two plain goroutines (two HTTP handlers passing r.Context(), say) must
// exclude each other: outside green threads every acquisition is an owner
// of its own. With the old single "outside" owner both held it at once.
func TestRLockExcludesPlainGoroutines(t *testing.T) {
	var (
		l       RLock
		inside  atomic.Int32
		counter int // guarded by l: the race detector sees a breach too
		wg      sync.WaitGroup
		breach  atomic.Bool
	)
	const workers, rounds = 8, 200
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.WithValue(context.Background(), struct{ k int }{w}, w) // any context
			for range rounds {
				if err := l.Acquire(ctx); err != nil {
					breach.Store(true)
					return
				}
				if inside.Add(1) != 1 {
					breach.Store(true)
				}
				counter++
				runtime.Gosched()
				inside.Add(-1)
				l.Release(ctx)
			}
		}()
	}
	wg.Wait()
	assert.False(t, breach.Load(), "two goroutines held the RLock at once")
	assert.Equal(t, workers*rounds, counter)
	assert.False(t, l.Locked())

	// Outside green threads there is no re-entry: a second acquisition waits.
	ctx := context.Background()
	require.NoError(t, l.Acquire(ctx))
	assert.False(t, l.TryAcquire(ctx), "no re-entry without a green thread")
	tctx, cancel := context.WithTimeout(ctx, time.Millisecond)
	assert.ErrorIs(t, l.Acquire(tctx), context.DeadlineExceeded)
	cancel()
	// A green thread is not the holder, so it cannot release it.
	g := Go(ctx, func(ctx context.Context) error { l.Release(ctx); return nil })
	_, err := g.Get(ctx)
	assert.ErrorIs(t, err, ErrNotLocked)
	l.Release(ctx)
	assert.PanicsWithError(t, ErrNotLocked.Error(), func() { l.Release(ctx) })
}

func TestSemaphore(t *testing.T) {
	ctx := context.Background()
	s := NewSemaphore(3)
	var inside, maxSeen atomic.Int32
	gs := make([]*Greenlet[struct{}], 12)
	for i := range gs {
		gs[i] = Go(ctx, func(ctx context.Context) error {
			if err := s.Acquire(ctx); err != nil {
				return err
			}
			n := inside.Add(1)
			for {
				m := maxSeen.Load()
				if n <= m || maxSeen.CompareAndSwap(m, n) {
					break
				}
			}
			Sleep(ctx, 0)
			inside.Add(-1)
			s.Release()
			return nil
		})
	}
	_, err := JoinAll(ctx, gs, RaiseError())
	require.NoError(t, err)
	assert.LessOrEqual(t, maxSeen.Load(), int32(3))
	assert.Equal(t, 3, s.Counter())
	s.Release()
	assert.Equal(t, 4, s.Counter())

	b := NewBoundedSemaphore(1)
	assert.True(t, b.TryAcquire())
	assert.False(t, b.TryAcquire())
	b.Release()
	assert.PanicsWithError(t, ErrOverRelease.Error(), func() { b.Release() })
	assert.Equal(t, 1, b.Counter())

	none := NewSemaphore(0)
	tctx, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, none.Acquire(tctx), context.DeadlineExceeded, "Semaphore(0) has no permits")
	assert.Zero(t, none.Waiters())
}

// The zero Semaphore and BoundedSemaphore are Python's Semaphore() and
// BoundedSemaphore(): one permit (the old zero value had none and blocked
// forever).
func TestSemaphoreZeroValueIsPythonDefault(t *testing.T) {
	var s Semaphore
	assert.Equal(t, 1, s.Counter())
	assert.True(t, s.TryAcquire())
	assert.False(t, s.TryAcquire())
	s.Release()
	s.Release()
	assert.Equal(t, 2, s.Counter())

	var b BoundedSemaphore
	assert.Equal(t, 1, b.Counter())
	require.NoError(t, b.Acquire(context.Background()))
	b.Release()
	assert.PanicsWithError(t, ErrOverRelease.Error(), func() { b.Release() })
	assert.Equal(t, 1, b.Counter())
}

// BoundedSemaphore(0) refuses every release nobody waits for (the old code
// took a bound of 0 for "unbounded"); a negative count is refused loudly, as
// Python raises ValueError.
func TestSemaphoreBounds(t *testing.T) {
	ctx := context.Background()
	b := NewBoundedSemaphore(0)
	assert.PanicsWithError(t, ErrOverRelease.Error(), func() { b.Release() })
	assert.PanicsWithError(t, ErrOverRelease.Error(), func() { b.Semaphore.Release() }, "made bounded: the embedded Release is bounded too")
	assert.Zero(t, b.Counter())

	// A release handed straight to a waiter is not an over-release.
	g := Go(ctx, b.Acquire)
	until(t, func() bool { return b.Waiters() == 1 })
	b.Release()
	require.NoError(t, g.Join(ctx))
	require.NoError(t, g.Err())
	assert.Zero(t, b.Counter())

	assert.PanicsWithValue(t, "gevent: NewSemaphore(-1): the initial count must be >= 0", func() { NewSemaphore(-1) })
	assert.Panics(t, func() { NewBoundedSemaphore(-3) })
	assert.NotPanics(t, func() { NewSemaphore(0) })
}

func TestTimeout(t *testing.T) {
	ctx := context.Background()
	err := WithTimeout(ctx, 5*time.Millisecond, func(ctx context.Context) error {
		return Sleep(ctx, time.Hour)
	})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	var te *TimeoutError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, 5*time.Millisecond, te.After)

	err = WithTimeout(ctx, time.Hour, func(ctx context.Context) error { return errBoom })
	assert.ErrorIs(t, err, errBoom, "the body's own error is not a timeout")
	assert.NotErrorIs(t, err, ErrTimeout)
	require.NoError(t, WithTimeout(ctx, time.Hour, func(context.Context) error { return nil }))

	errMine := errors.New("too slow")
	err = Timeout{After: time.Millisecond, Err: errMine}.Run(ctx, func(ctx context.Context) error {
		var e Event
		werr := e.Wait(ctx)
		assert.ErrorIs(t, werr, errMine, "the body's blocking call sees the cause")
		return werr
	})
	assert.Equal(t, errMine, err, "gevent's Timeout(seconds, exception)")
	require.NoError(t, Timeout{}.Run(ctx, func(context.Context) error { return nil }), "the zero Timeout never expires")
	assert.Equal(t, `Timeout(1s, "too slow")`, Timeout{After: time.Second, Err: errMine}.String())
}

// TestKillWakesEveryBlockingCall kills a green thread blocked in each of
// the package's blocking calls: each wakes with ErrGreenletExit.
func TestKillWakesEveryBlockingCall(t *testing.T) {
	ctx := context.Background()
	var (
		ev      Event
		ar      AsyncResult[int]
		lk      Lock
		rl      RLock
		sem     = NewSemaphore(0)
		full    = NewQueue[int](1)
		empty   = NewQueue[int](0)
		joinq   Queue[int]
		_, pend = Pipe[int]()
		forever = Go(ctx, func(ctx context.Context) error { return Sleep(ctx, time.Hour) })
	)
	defer forever.Kill(ctx)
	require.NoError(t, lk.Acquire(ctx))
	require.NoError(t, rl.Acquire(ctx))
	require.NoError(t, full.Put(ctx, 1))
	require.NoError(t, joinq.Put(ctx, 1))
	cases := []struct {
		name    string
		block   func(ctx context.Context) error
		blocked func() bool
	}{
		{"Sleep", func(ctx context.Context) error { return Sleep(ctx, time.Hour) }, nil},
		{"Greenlet.Get", func(ctx context.Context) error { return forever.Join(ctx) },
			func() bool { return joining(&forever.GreenThread) }},
		{"JoinAll", func(ctx context.Context) error { _, err := JoinAll(ctx, []*Greenlet[struct{}]{forever}); return err },
			func() bool { return joining(&forever.GreenThread) }},
		{"Event.Wait", ev.Wait, func() bool { return queued(&ev.mu, &ev.waiters.waitq) > 0 }},
		{"AsyncResult.Get", func(ctx context.Context) error { _, err := ar.Get(ctx); return err },
			func() bool { return queued(&ar.mu, &ar.waiters.waitq) > 0 }},
		{"Lock.Acquire", lk.Acquire, func() bool { return queued(&lk.mu, &lk.waiters) > 0 }},
		{"RLock.Acquire", rl.Acquire, func() bool { return queued(&rl.mu, &rl.waiters) > 0 }},
		{"Semaphore.Acquire", sem.Acquire, func() bool { return sem.Waiters() > 0 }},
		{"Queue.Put", func(ctx context.Context) error { return full.Put(ctx, 2) },
			func() bool { return queued(&full.mu, &full.putters) > 0 }},
		{"Queue.Get", func(ctx context.Context) error { _, err := empty.Get(ctx); return err },
			func() bool { return queued(&empty.mu, &empty.getters) > 0 }},
		{"Queue.Join", joinq.Join, func() bool { return queued(&joinq.mu, &joinq.joiners) > 0 }},
		{"Pipe.Recv", func(ctx context.Context) error { _, err := pend.Recv(ctx); return err },
			func() bool { return queued(&pend.in.mu, &pend.in.getters) > 0 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := Go(ctx, c.block)
			until(t, g.Started)
			if c.blocked != nil {
				until(t, c.blocked)
			}
			require.NoError(t, g.Kill(ctx))
			err := g.Err()
			assert.ErrorIs(t, err, ErrGreenletExit)
			assert.ErrorIs(t, err, context.Canceled)
			if c.blocked != nil {
				assert.False(t, c.blocked(), "the killed waiter left the queue")
			}
		})
	}
}

// gevent's Timeout(0) expires as soon as control returns to the loop; its
// port is a negative After, whose function starts with its time already up.
// The zero Timeout is Python's Timeout(None): it never expires.
func TestTimeoutNegativeExpiresAtOnce(t *testing.T) {
	ctx := context.Background()
	ran := false
	err := Timeout{After: -1}.Run(ctx, func(ctx context.Context) error {
		ran = true // the code before the first blocking call runs
		return Sleep(ctx, time.Hour)
	})
	assert.True(t, ran)
	assert.ErrorIs(t, err, ErrTimeout)
	var te *TimeoutError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, time.Duration(-1), te.After)

	errMine := errors.New("mine")
	err = WithTimeout(ctx, -time.Second, func(ctx context.Context) error { return Sleep(ctx, 0) })
	assert.ErrorIs(t, err, ErrTimeout, "Sleep(0) is a blocking call too")
	err = Timeout{After: -1, Err: errMine}.Run(ctx, func(ctx context.Context) error { return nil })
	assert.NoError(t, err, "a function that does not block finishes")
	err = Timeout{After: -1, Err: errMine}.Run(ctx, func(ctx context.Context) error { var q Queue[int]; _, err := q.Get(ctx); return err })
	assert.Same(t, errMine, err)

	// On a virtual-clock hub too, at virtual time zero.
	h := NewHub(WithVirtualClock(time.Unix(0, 0)))
	var hubErr error
	require.NoError(t, h.Run(ctx, func(ctx context.Context) error {
		hubErr = Timeout{After: -1}.Run(ctx, func(ctx context.Context) error { return Sleep(ctx, time.Second) })
		return nil
	}))
	assert.ErrorIs(t, hubErr, ErrTimeout)
	assert.Equal(t, time.Unix(0, 0), h.Now(), "no virtual time passed")
}

// releasePanic calls release and returns the error it panicked with, or
// nil: misuse of a lock panics, as sync.Mutex's does.
func releasePanic(release func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err, _ = r.(error)
		}
	}()
	release()
	return nil
}
