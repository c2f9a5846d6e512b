package gevent

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// roomWaiters reports how many spawners wait for a place in p's bounded
// queue.
func roomWaiters(p *Pool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for c := p.roomq.head; c != nil; c = c.next {
		n++
	}
	return n
}

type submitted struct {
	g   *Greenlet[int]
	err error
}

// recorder returns a task body that appends its name to a shared log.
type recorder struct {
	mu    sync.Mutex
	order []int
}

func (r *recorder) task(i int) func(context.Context) (int, error) {
	return func(context.Context) (int, error) {
		r.mu.Lock()
		r.order = append(r.order, i)
		r.mu.Unlock()
		return i, nil
	}
}

func TestPoolQueueSubmitReturnsAtOnce(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 1, WithQueue(-1))
	release := holdPool(t, p)
	var rec recorder
	var gs []*Greenlet[int]
	for i := range 5 {
		r := within(t, func() submitted {
			g := Submit(ctx, p, rec.task(i))
			err := startErr(g)
			return submitted{g, err}
		})
		require.NoError(t, r.err)
		assert.False(t, r.g.Started(), "queued: pending until a slot comes")
		gs = append(gs, r.g)
	}
	gg := within(t, func() *Greenlet[struct{}] {
		g := p.Go(ctx, func(context.Context) error { return nil })
		err := startErr(g)
		require.NoError(t, err)
		return g
	})
	assert.Equal(t, PoolStats{Waiting: 6, Running: 1}, p.Stats())
	release()
	require.NoError(t, p.Join(ctx))
	assert.Equal(t, []int{0, 1, 2, 3, 4}, rec.order, "queued tasks start in submission order")
	for i, g := range gs {
		v, err := g.Get(ctx)
		require.NoError(t, err)
		assert.Equal(t, i, v)
	}
	require.NoError(t, gg.Err())
	assert.Equal(t, PoolStats{Completed: 7}, p.Stats())
}

func TestPoolBoundedQueue(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 1, WithQueue(2))
	release := holdPool(t, p)
	var rec recorder
	var gs []*Greenlet[int]
	for i := range 2 {
		r := within(t, func() submitted {
			g := Submit(ctx, p, rec.task(i))
			err := startErr(g)
			return submitted{g, err}
		})
		require.NoError(t, r.err)
		gs = append(gs, r.g)
	}
	// The queue is full: ApplyAsync, which never waits, fails; Submit waits
	// for a place.
	err := startErr(ApplyAsync(ctx, p, rec.task(-1), nil, nil))
	assert.ErrorIs(t, err, ErrPoolFull)
	third := Spawn(ctx, func(ctx context.Context) (*Greenlet[int], error) {
		g := Submit(ctx, p, rec.task(2))
		return g, startErr(g)
	})
	until(t, func() bool { return roomWaiters(p) == 1 })
	// One whose ctx ends while waiting gives up; nothing runs.
	cctx, cancel := context.WithCancel(ctx)
	fourth := Spawn(ctx, func(context.Context) (*Greenlet[int], error) {
		g := Submit(cctx, p, rec.task(-2))
		return g, startErr(g)
	})
	until(t, func() bool { return roomWaiters(p) == 2 })
	cancel()
	_, err = fourth.Get(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, roomWaiters(p))
	assert.Equal(t, 2, p.Stats().Waiting)
	release()
	g3, err := third.Get(ctx)
	require.NoError(t, err)
	require.NoError(t, p.Join(ctx))
	require.NoError(t, g3.Err())
	for i, g := range gs {
		v, err := g.Get(ctx)
		require.NoError(t, err)
		assert.Equal(t, i, v)
	}
	assert.Equal(t, []int{0, 1, 2}, rec.order)
	assert.Equal(t, PoolStats{Completed: 4}, p.Stats())
}

func TestPoolBoundedQueueNonBlockingAndClose(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 1, WithQueue(1), WithNonBlocking())
	release := holdPool(t, p)
	var rec recorder
	g := Submit(ctx, p, rec.task(0))
	err := startErr(g)
	require.NoError(t, err, "a place in the queue")
	err = startErr(Submit(ctx, p, rec.task(1)))
	assert.ErrorIs(t, err, ErrPoolFull, "a full queue, non-blocking")
	release()
	require.NoError(t, p.Join(ctx))
	require.NoError(t, g.Err())

	// Close fails the spawners waiting for a place.
	q := newPool(t, 1, WithQueue(1))
	release = holdPool(t, q)
	err = startErr(Submit(ctx, q, rec.task(2)))
	require.NoError(t, err)
	waiting := Spawn(ctx, func(ctx context.Context) (*Greenlet[int], error) {
		g := Submit(ctx, q, rec.task(3))
		return g, startErr(g)
	})
	until(t, func() bool { return roomWaiters(q) == 1 })
	q.Close()
	_, err = waiting.Get(ctx)
	assert.ErrorIs(t, err, ErrPoolClosed)
	release()
	require.NoError(t, q.Join(ctx), "Close then Join drains the queue")
	assert.Equal(t, []int{0, 2}, rec.order)
}

func TestPoolQueueSelfDeadlock(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 1, WithQueue(1))
	release := holdPool(t, p)
	err := startErr(p.Go(ctx, func(context.Context) error { return nil }))
	require.NoError(t, err)
	release()
	g := Submit(ctx, p, func(ctx context.Context) (int, error) {
		// The queue is full of a task behind ours, which holds the only slot.
		if err := startErr(p.Go(ctx, func(context.Context) error { return nil })); err != nil {
			return 0, err
		}
		err := startErr(p.Go(ctx, func(context.Context) error { return nil }))
		return 0, err
	})
	err = startErr(g)
	require.NoError(t, err)
	_, err = g.Get(ctx)
	assert.ErrorIs(t, err, ErrPoolDeadlock)
}

func TestPoolStatsFailures(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 2, WithQueue(-1))
	boom := errors.New("boom")
	err := startErr(p.Go(ctx, func(context.Context) error { return boom }))
	require.NoError(t, err)
	err = startErr(p.Go(ctx, func(context.Context) error { panic("panic") }))
	require.NoError(t, err)
	require.NoError(t, p.Join(ctx))
	killed := p.Go(ctx, func(ctx context.Context) error { return Sleep(ctx, time.Hour) })
	err = startErr(killed)
	require.NoError(t, err)
	require.NoError(t, killed.Kill(ctx))
	require.NoError(t, p.Join(ctx))
	assert.Equal(t, PoolStats{Completed: 3, Failed: 2}, p.Stats(), "a kill is not a failure; a panic is")
}

func TestPoolKillCancelsQueuedSubmits(t *testing.T) {
	ctx := context.Background()
	p := NewPool(1, WithQueue(-1))
	running := p.Go(ctx, func(ctx context.Context) error { return Sleep(ctx, time.Hour) })
	err := startErr(running)
	require.NoError(t, err)
	var rec recorder
	var gs []*Greenlet[int]
	for i := range 4 {
		g := Submit(ctx, p, rec.task(i))
		err := startErr(g)
		require.NoError(t, err)
		gs = append(gs, g)
	}
	require.NoError(t, p.Kill(ctx))
	assert.ErrorIs(t, running.Err(), ErrGreenletExit)
	for _, g := range gs {
		assert.True(t, g.Ready())
		assert.ErrorIs(t, g.Err(), ErrGreenletExit, "cancel_futures: the futures report a cancellation")
		assert.ErrorIs(t, g.Err(), context.Canceled)
		assert.False(t, g.Started())
	}
	assert.Empty(t, rec.order, "queued tasks never ran")
	assert.Equal(t, PoolStats{Completed: 1, Cancelled: 4}, p.Stats())
	err = startErr(Submit(ctx, p, rec.task(9)))
	assert.ErrorIs(t, err, ErrPoolClosed)
}

func TestPoolResize(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 1, WithQueue(-1))
	release := holdPool(t, p)
	started := make(chan int, 8)
	gate := make(chan struct{})
	var gs []*Greenlet[int]
	for i := range 4 {
		g := Submit(ctx, p, func(context.Context) (int, error) { started <- i; <-gate; return i, nil })
		err := startErr(g)
		require.NoError(t, err)
		gs = append(gs, g)
	}
	assert.PanicsWithValue(t, "gevent: Pool.Resize(0): the size must be at least 1", func() { p.Resize(0) })
	var zero Pool
	assert.PanicsWithValue(t, "gevent: Pool.Resize: an unbounded pool (the zero Pool) cannot be resized", func() { zero.Resize(3) })
	p.Resize(3)
	assert.ElementsMatch(t, []int{0, 1}, []int{<-started, <-started}, "the two oldest")
	assert.Equal(t, 3, p.Size())
	assert.Equal(t, PoolStats{Waiting: 2, Running: 3}, p.Stats())
	p.Resize(1)
	assert.Equal(t, 3, p.Running())
	assert.Zero(t, p.FreeCount())
	assert.True(t, p.Full())
	release()
	close(gate)
	require.NoError(t, p.Join(ctx))
	assert.ElementsMatch(t, []int{2, 3}, []int{<-started, <-started})
	for i, g := range gs {
		v, err := g.Get(ctx)
		require.NoError(t, err)
		assert.Equal(t, i, v)
	}
	p.mu.Lock()
	w := p.ants
	p.mu.Unlock()
	require.NotNil(t, w)
	assert.Equal(t, 2, w.Cap(), "ants follows the size")
}

// TestPoolResizeShrinkHoldsBound checks that, after a Resize down, no more
// than the new size run once the extra tasks have ended.
func TestPoolResizeShrinkHoldsBound(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 3, WithQueue(-1))
	gates := make([]chan struct{}, 3)
	for i := range gates {
		gates[i] = make(chan struct{})
		err := startErr(p.Go(ctx, func(context.Context) error { <-gates[i]; return nil }))
		require.NoError(t, err)
	}
	next := make(chan struct{})
	g := p.Go(ctx, func(context.Context) error { close(next); return nil })
	err := startErr(g)
	require.NoError(t, err)
	p.Resize(1)
	close(gates[0])
	close(gates[1])
	until(t, func() bool { return p.Running() == 1 })
	assert.False(t, g.Started(), "the queued task waits: one task still runs, the new size")
	close(gates[2])
	<-next
	require.NoError(t, p.Join(ctx))
}

// TestHubQueuedSubmitDeterministic runs Submit on a bounded queue with a
// resize and a cancellation, on a virtual-clock hub, 200 times: every run
// gives the same trace.
func TestHubQueuedSubmitDeterministic(t *testing.T) {
	first := hubTrace(t, 200, func(ctx context.Context, log func(format string, args ...any)) error {
		p := NewPool(2, WithQueue(3))
		task := func(i int) func(context.Context) (int, error) { return tracedSleeper(log, i) }
		var gs []*Greenlet[int]
		tctx, cancel := withTimeout(ctx, 1500*time.Millisecond, context.DeadlineExceeded)
		defer cancel()
		for i := range 9 {
			qctx := ctx
			if i == 4 {
				qctx = tctx // gives up in the queue
			}
			g := Submit(qctx, p, task(i))
			err := startErr(g)
			if err != nil {
				return err
			}
			log("submitted%d", i)
			gs = append(gs, g)
			if i == 6 {
				p.Resize(3)
				log("resized %v", p.Stats())
			}
		}
		p.Close()
		if err := p.Join(ctx); err != nil {
			return err
		}
		log("joined %v", p.Stats())
		for _, g := range gs {
			log("%v", g.Err() != nil)
		}
		return nil
	})
	assert.Contains(t, first, "submitted8", first)
	assert.Contains(t, first, "joined", first)
	assert.NotContains(t, first, "start4", "the task whose ctx ended in the queue never ran")
	t.Log(first)
}
