package gevent

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// within runs f and fails the test if it has not returned after a generous
// bound: a call that must not block, checked without hanging the test run
// when it does.
func within[T any](t *testing.T, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case v := <-done:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("the call blocked")
		panic("unreachable")
	}
}

// holdPool fills p (of size 1) with a task that runs until the returned
// function is called (the test's cleanup calls it too).
func holdPool(t *testing.T, p *Pool) (release func()) {
	t.Helper()
	ch := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(ch) }) }
	t.Cleanup(release)
	err := startErr(p.Go(context.Background(), func(context.Context) error { <-ch; return nil }))
	require.NoError(t, err)
	return release
}

type applied struct {
	g   *Greenlet[int]
	err error
}

func TestPoolApplyAsyncOnFullPoolReturnsAtOnce(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 1)
	release := holdPool(t, p)
	var mu sync.Mutex
	var order []int
	var gs []*Greenlet[int]
	for i := range 3 {
		r := within(t, func() applied {
			g := ApplyAsync(ctx, p, func(context.Context) (int, error) {
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
				return i, nil
			}, nil, nil)
			err := startErr(g)
			return applied{g, err}
		})
		require.NoError(t, r.err)
		assert.False(t, r.g.Started(), "queued: pending until a slot comes")
		gs = append(gs, r.g)
	}
	assert.Equal(t, 3, claims(p))
	assert.Equal(t, 1, p.Running(), "queued tasks hold no slot")
	release()
	_, err := JoinAll(ctx, gs)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1, 2}, order, "queued tasks start in submission order")
	for i, g := range gs {
		v, err := g.Get(ctx)
		require.NoError(t, err)
		assert.Equal(t, i, v)
	}
}

func TestPoolClaimsAreFirstComeFirstServed(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 1)
	release := holdPool(t, p)
	var mu sync.Mutex
	var order []string
	record := func(s string) func(context.Context) (int, error) {
		return func(context.Context) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			order = append(order, s)
			return 0, nil
		}
	}
	a := within(t, func() applied {
		g := ApplyAsync(ctx, p, record("async a"), nil, nil)
		err := startErr(g)
		return applied{g, err}
	})
	require.NoError(t, a.err)
	// A blocking Submit parks behind a, and c queues behind it.
	b := Spawn(ctx, func(ctx context.Context) (*Greenlet[int], error) {
		g := Submit(ctx, p, record("submit b"))
		return g, startErr(g)
	})
	until(t, func() bool { return claims(p) == 2 })
	c := within(t, func() applied {
		g := ApplyAsync(ctx, p, record("async c"), nil, nil)
		err := startErr(g)
		return applied{g, err}
	})
	require.NoError(t, c.err)
	release()
	bg, err := b.Get(ctx)
	require.NoError(t, err)
	_, err = JoinAll(ctx, []*Greenlet[int]{a.g, bg, c.g})
	require.NoError(t, err)
	assert.Equal(t, []string{"async a", "submit b", "async c"}, order, "a freed slot goes to the oldest claim")
}

func TestPoolQueuedTaskHonoursCtx(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 1)
	holdPool(t, p)
	qctx, cancel := context.WithCancel(ctx)
	var ran atomic.Bool
	var onError AsyncResult[error]
	r := within(t, func() applied {
		g := ApplyAsync(qctx, p, func(context.Context) (int, error) { ran.Store(true); return 1, nil },
			func(int) { onError.Set(nil) }, func(err error) { onError.Set(err) })
		err := startErr(g)
		return applied{g, err}
	})
	require.NoError(t, r.err)
	cancel()
	require.NoError(t, r.g.Join(ctx), "it finishes without a slot")
	assert.ErrorIs(t, r.g.Err(), context.Canceled)
	assert.False(t, r.g.Started())
	assert.False(t, ran.Load(), "fn never ran")
	cbErr, err := onError.Get(ctx)
	require.NoError(t, err)
	assert.ErrorIs(t, cbErr, context.Canceled, "the error callback ran with ctx's error")
	assert.Zero(t, claims(p))

	// A context already done: the same, at once.
	r = within(t, func() applied {
		g := ApplyAsync(qctx, p, func(context.Context) (int, error) { ran.Store(true); return 1, nil }, nil, nil)
		return applied{g, nil}
	})
	require.NoError(t, r.g.Join(ctx))
	assert.ErrorIs(t, r.g.Err(), context.Canceled)
	assert.False(t, ran.Load())

	// Killing a queued task: it never runs.
	r = within(t, func() applied {
		g := ApplyAsync(ctx, p, func(context.Context) (int, error) { ran.Store(true); return 1, nil }, nil, nil)
		err := startErr(g)
		return applied{g, err}
	})
	require.NoError(t, r.err)
	require.NoError(t, r.g.Kill(ctx))
	assert.ErrorIs(t, r.g.Err(), ErrGreenletExit)
	assert.False(t, ran.Load())
}

// A queued task keeps its claim after it got its slot (the claim and its
// threadExt are one allocation): a kill while it runs must end it as any
// running task, and not give the claim up a second time.
func TestPoolQueuedTaskKilledAfterItsSlotCame(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 1)
	release := holdPool(t, p)
	running := make(chan struct{})
	var errs AsyncResult[[]error]
	var mu sync.Mutex
	var got []error
	r := within(t, func() applied {
		g := ApplyAsync(ctx, p, func(ctx context.Context) (int, error) {
			close(running)
			return 0, Sleep(ctx, time.Hour)
		}, func(int) { t.Error("the killed task succeeded") }, func(err error) {
			mu.Lock()
			got = append(got, err)
			errs.Set(slices.Clone(got))
			mu.Unlock()
		})
		return applied{g, nil}
	})
	assert.False(t, r.g.Started(), "queued behind the held slot")
	release()
	<-running
	require.NoError(t, r.g.Kill(ctx))
	assert.True(t, r.g.Started())
	assert.ErrorIs(t, r.g.Err(), ErrGreenletExit)
	cbErrs, err := errs.Get(ctx)
	require.NoError(t, err)
	require.Len(t, cbErrs, 1, "the error callback ran once")
	assert.ErrorIs(t, cbErrs[0], ErrGreenletExit)
	require.NoError(t, p.Join(ctx))
	st := p.Stats()
	assert.Equal(t, PoolStats{Completed: 2}, st, "a task that ran and was killed counts as completed, not cancelled")
	assert.Zero(t, claims(p))
}

func TestPoolCloseRunsQueuedTasks(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 1)
	release := holdPool(t, p)
	r := within(t, func() applied {
		g := ApplyAsync(ctx, p, func(context.Context) (int, error) { return 7, nil }, nil, nil)
		err := startErr(g)
		return applied{g, err}
	})
	require.NoError(t, r.err)
	p.Close()
	err := startErr(ApplyAsync(ctx, p, func(context.Context) (int, error) { return 0, nil }, nil, nil))
	assert.ErrorIs(t, err, ErrPoolClosed, "no new task after Close")
	release()
	require.NoError(t, p.Join(ctx))
	assert.True(t, r.g.Ready(), "Join waited for the queued task")
	v, err := r.g.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, 7, v, "Close does not stop queued tasks")
}

func TestPoolKillKillsQueuedTasks(t *testing.T) {
	ctx := context.Background()
	p := NewPool(1)
	running := p.Go(ctx, func(ctx context.Context) error { return Sleep(ctx, time.Hour) })
	err := startErr(running)
	require.NoError(t, err)
	var ran atomic.Int32
	var errs List[error]
	var gs []*Greenlet[int]
	for range 3 {
		r := within(t, func() applied {
			g := ApplyAsync(ctx, p, func(context.Context) (int, error) { ran.Add(1); return 0, nil },
				nil, func(err error) { errs.Append(err) })
			err := startErr(g)
			return applied{g, err}
		})
		require.NoError(t, r.err)
		gs = append(gs, r.g)
	}
	require.NoError(t, p.Kill(ctx))
	assert.ErrorIs(t, running.Err(), ErrGreenletExit)
	for _, g := range gs {
		assert.True(t, g.Ready(), "Kill joined the queued tasks")
		assert.ErrorIs(t, g.Err(), ErrGreenletExit)
		assert.False(t, g.Started())
	}
	assert.Zero(t, ran.Load(), "queued tasks never ran")
	assert.Len(t, errs.Snapshot(), 3, "their error callbacks ran")
	for _, err := range errs.Snapshot() {
		assert.ErrorIs(t, err, ErrGreenletExit)
	}
}

func TestPoolApplyAsyncNonBlockingFull(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 1, WithNonBlocking())
	holdPool(t, p)
	err := startErr(ApplyAsync(ctx, p, func(context.Context) (int, error) { return 0, nil }, nil, nil))
	assert.ErrorIs(t, err, ErrPoolFull, "a non-blocking pool refuses rather than queues")
}

// TestPoolQueuedTasksStress queues many tasks on a small pool from many
// goroutines, some cancelled, and checks every one finishes once and the
// bound holds.
func TestPoolQueuedTasksStress(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 3)
	var inFlight, most, ran, callbacks atomic.Int32
	var wg sync.WaitGroup
	var mu sync.Mutex
	var gs []*Greenlet[int]
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				qctx, cancel := context.WithCancel(ctx)
				g := ApplyAsync(qctx, p, func(ctx context.Context) (int, error) {
					n := inFlight.Add(1)
					for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
					}
					ran.Add(1)
					inFlight.Add(-1)
					return i, nil
				}, func(int) { callbacks.Add(1) }, func(error) { callbacks.Add(1) })
				err := startErr(g)
				if (w+i)%5 == 0 {
					cancel()
				}
				defer cancel()
				if err != nil {
					panic(err)
				}
				mu.Lock()
				gs = append(gs, g)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	require.NoError(t, p.Join(ctx), "Join without Close waits for the queued tasks")
	assert.Equal(t, int32(400), callbacks.Load(), "one callback a task")
	for _, g := range gs {
		require.True(t, g.Ready())
	}
	assert.LessOrEqual(t, most.Load(), int32(3))
	assert.Zero(t, p.Running())
}

func TestPoolJoinWithoutClose(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 2)
	release := make(chan struct{})
	g := p.Go(ctx, func(context.Context) error { <-release; return nil })
	err := startErr(g)
	require.NoError(t, err)
	joined := Go(ctx, p.Join)
	close(release)
	require.NoError(t, joined.Join(ctx))
	require.NoError(t, joined.Err(), "Join needs no Close")
	assert.True(t, g.Ready(), "Join waited for the task in flight")
	// The pool is still usable; after Close it takes nothing new.
	v, err := Apply(ctx, p, func(context.Context) (int, error) { return 3, nil })
	require.NoError(t, err)
	assert.Equal(t, 3, v)
	p.Close()
	require.NoError(t, p.Join(ctx))
	err = startErr(p.Go(ctx, func(context.Context) error { return nil }))
	assert.ErrorIs(t, err, ErrPoolClosed)
}

func TestZeroPoolIsUnbounded(t *testing.T) {
	ctx := context.Background()
	var p Pool
	assert.Zero(t, p.Size(), "0: no limit")
	assert.Equal(t, math.MaxInt, p.FreeCount())
	const n = 200
	var started atomic.Int32
	release := make(chan struct{})
	var gs []*Greenlet[struct{}]
	for range n {
		g := within(t, func() *Greenlet[struct{}] {
			g := p.Go(ctx, func(context.Context) error { started.Add(1); <-release; return nil })
			err := startErr(g)
			require.NoError(t, err)
			return g
		})
		gs = append(gs, g)
	}
	until(t, func() bool { return started.Load() == n })
	assert.Equal(t, n, p.Running(), "every task runs at once")
	r := within(t, func() applied {
		g := ApplyAsync(ctx, &p, func(context.Context) (int, error) { return 5, nil }, nil, nil)
		err := startErr(g)
		return applied{g, err}
	})
	require.NoError(t, r.err)
	v, err := r.g.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, 5, v)
	close(release)
	require.NoError(t, p.Join(ctx))
	_, err = JoinAll(ctx, gs, RaiseError())
	require.NoError(t, err)

	// Map and IMap bound themselves.
	var inFlight, most atomic.Int32
	square := func(_ context.Context, x int) (int, error) {
		n := inFlight.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		defer inFlight.Add(-1)
		return x * x, nil
	}
	items := make([]int, 1000)
	for i := range items {
		items[i] = i
	}
	got, err := Map(ctx, &p, items, square)
	require.NoError(t, err)
	for i, v := range got {
		require.Equal(t, i*i, v)
	}
	assert.LessOrEqual(t, int(most.Load()), p.mapLimit())
	sum := 0
	for v, err := range IMap(ctx, &p, func(yield func(int) bool) {
		for i := range 100 {
			if !yield(i) {
				return
			}
		}
	}, square) {
		require.NoError(t, err)
		require.NoError(t, v.Err)
		sum += v.Value
	}
	assert.Equal(t, 328350, sum)
	p.Close()
	require.NoError(t, p.Join(ctx))
	err = startErr(p.Go(ctx, func(context.Context) error { return nil }))
	assert.ErrorIs(t, err, ErrPoolClosed)
}

// TestHubApplyAsyncOnFullPoolDeterministic runs ApplyAsync on a full pool,
// with blocking spawns and cancellations mixed in, on a virtual-clock hub
// 200 times: every run gives the same trace.
func TestHubApplyAsyncOnFullPoolDeterministic(t *testing.T) {
	first := hubTrace(t, 200, func(ctx context.Context, log func(format string, args ...any)) error {
		p := NewPool(2)
		task := func(i int) func(context.Context) (int, error) { return tracedSleeper(log, i) }
		var gs []*Greenlet[int]
		tctx, cancel := withTimeout(ctx, 2500*time.Millisecond, context.DeadlineExceeded)
		defer cancel()
		for i := range 8 {
			qctx := ctx
			if i == 5 {
				qctx = tctx // gives up in the queue
			}
			g := ApplyAsync(qctx, p, task(i), func(v int) { log("value%d", v) }, func(err error) { log("error%d", i) })
			err := startErr(g)
			if err != nil {
				return err
			}
			log("applied%d", i)
			gs = append(gs, g)
			if i == 3 {
				g := Submit(ctx, p, task(100))
				err := startErr(g) // waits its turn behind 2 and 3
				if err != nil {
					return err
				}
				log("submitted")
				gs = append(gs, g)
			}
		}
		if err := p.Join(ctx); err != nil {
			return err
		}
		log("joined")
		for _, g := range gs {
			log("%v", g.Err() != nil)
		}
		return p.Kill(ctx)
	})
	assert.Contains(t, first, "applied7", first)
	assert.Contains(t, first, "error5", first)
	assert.Contains(t, first, "joined", first)
	assert.NotContains(t, first, "start5", "the task whose ctx ended in the queue never ran")
}

// hubTrace runs scenario on a fresh virtual-clock hub n times and returns
// its trace, failing t if two runs differ; log appends an entry stamped
// with the hub's virtual second.
func hubTrace(t *testing.T, n int, scenario func(ctx context.Context, log func(format string, args ...any)) error) string {
	t.Helper()
	return sameTrace(t, n, func() string {
		h := NewHub(WithVirtualClock(epoch))
		var trace strings.Builder
		log := func(format string, args ...any) {
			fmt.Fprintf(&trace, "%s@%d ", fmt.Sprintf(format, args...), h.Now().Sub(epoch)/time.Second)
		}
		if err := h.Run(context.Background(), func(ctx context.Context) error { return scenario(ctx, log) }); err != nil {
			return "error: " + err.Error()
		}
		return trace.String()
	})
}

// tracedSleeper is task i of the trace tests: it logs its start, sleeps 1 to 3
// seconds, logs its end and returns i.
func tracedSleeper(log func(format string, args ...any), i int) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		log("start%d", i)
		if err := Sleep(ctx, time.Duration(1+i%3)*time.Second); err != nil {
			return 0, err
		}
		log("end%d", i)
		return i, nil
	}
}
