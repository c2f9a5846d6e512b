package gevent

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQueueFIFOAndNowait(t *testing.T) {
	ctx := context.Background()
	q := NewQueue[int](2)
	assert.True(t, q.Empty())
	assert.Equal(t, 2, q.Cap())
	require.NoError(t, q.PutNowait(1))
	require.NoError(t, q.Put(ctx, 2))
	assert.True(t, q.Full())
	assert.ErrorIs(t, q.PutNowait(3), ErrFull)
	assert.Equal(t, 2, q.Len())
	v, err := q.GetNowait()
	require.NoError(t, err)
	assert.Equal(t, 1, v)
	v, err = q.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, v)
	_, err = q.GetNowait()
	assert.ErrorIs(t, err, ErrEmpty)

	tctx, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
	defer cancel()
	_, err = q.Get(tctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "get(timeout=...) raising Empty")

	var zero Queue[string] // unbounded
	for i := range 1000 {
		require.NoError(t, zero.PutNowait(string(rune('a'+i%26))))
	}
	assert.Equal(t, 1000, zero.Len())
	assert.False(t, zero.Full())
	assert.Zero(t, zero.Cap())
}

func TestQueueBlockingPutWaitsForRoom(t *testing.T) {
	ctx := context.Background()
	q := NewQueue[int](1)
	require.NoError(t, q.Put(ctx, 1))
	g := Go(ctx, func(ctx context.Context) error { return q.Put(ctx, 2) })
	until(t, func() bool { return queued(&q.mu, &q.putters) == 1 })
	v, err := q.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, v)
	require.NoError(t, g.Join(ctx))
	require.NoError(t, g.Err())
	v, err = q.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, v)
}

func TestQueueClose(t *testing.T) {
	ctx := context.Background()
	q := NewQueue[int](1)
	require.NoError(t, q.Put(ctx, 1))
	blockedPut := Go(ctx, func(ctx context.Context) error { return q.Put(ctx, 2) })
	until(t, func() bool { return queued(&q.mu, &q.putters) == 1 })
	q.Close()
	q.Close()
	require.NoError(t, blockedPut.Join(ctx))
	assert.ErrorIs(t, blockedPut.Err(), ErrQueueClosed, "a blocked put fails at close")
	assert.ErrorIs(t, q.Put(ctx, 3), ErrQueueClosed)
	assert.ErrorIs(t, q.PutNowait(3), ErrQueueClosed)
	assert.True(t, q.Closed())
	v, err := q.Get(ctx)
	require.NoError(t, err, "items put before close are still delivered")
	assert.Equal(t, 1, v)
	_, err = q.Get(ctx)
	assert.ErrorIs(t, err, ErrQueueClosed)
	_, err = q.GetNowait()
	assert.ErrorIs(t, err, ErrQueueClosed)

	var r Queue[int]
	getter := Spawn(ctx, func(ctx context.Context) (int, error) { return r.Get(ctx) })
	until(t, func() bool { return queued(&r.mu, &r.getters) == 1 })
	r.Close()
	_, err = getter.Get(ctx)
	assert.ErrorIs(t, err, ErrQueueClosed, "a blocked get ends at close")
}

func TestQueueAllRange(t *testing.T) {
	ctx := context.Background()
	var q Queue[int]
	producer := Go(ctx, func(ctx context.Context) error {
		defer q.Close()
		for i := range 5 {
			if err := q.Put(ctx, i); err != nil {
				return err
			}
		}
		return nil
	})
	var got []int
	for v := range q.All(ctx) {
		got = append(got, v)
	}
	assert.Equal(t, []int{0, 1, 2, 3, 4}, got)
	require.NoError(t, producer.Join(ctx))

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	var open Queue[int]
	for range open.All(cctx) {
		t.Fatal("a done context ends the range")
	}
}

func TestQueueTaskDoneJoin(t *testing.T) {
	ctx := context.Background()
	var q JoinableQueue[int]
	require.NoError(t, q.Join(ctx), "nothing put: nothing to wait for")
	for i := range 10 {
		require.NoError(t, q.Put(ctx, i))
	}
	var mu sync.Mutex
	sum := 0
	workers := make([]*Greenlet[struct{}], 3)
	for i := range workers {
		workers[i] = Go(ctx, func(ctx context.Context) error {
			for v := range q.All(ctx) {
				mu.Lock()
				sum += v
				mu.Unlock()
				q.TaskDone()
			}
			return nil
		})
	}
	require.NoError(t, q.Join(ctx))
	mu.Lock()
	assert.Equal(t, 45, sum, "Join returned after every item was processed")
	mu.Unlock()
	assert.PanicsWithError(t, ErrTaskDone.Error(), func() { q.TaskDone() })
	q.Close()
	_, err := JoinAll(ctx, workers, RaiseError())
	require.NoError(t, err)
}

func TestPriorityAndLifoQueues(t *testing.T) {
	ctx := context.Background()
	p := NewOrderedPriorityQueue[int](0)
	for _, v := range []int{5, 1, 4, 1, 3, 9, 2, 6} {
		require.NoError(t, p.Put(ctx, v))
	}
	var got []int
	for !p.Empty() {
		v, err := p.Get(ctx)
		require.NoError(t, err)
		got = append(got, v)
	}
	assert.Equal(t, []int{1, 1, 2, 3, 4, 5, 6, 9}, got)

	type job struct {
		prio int
		name string
	}
	jobs := NewPriorityQueue(2, func(a, b job) bool { return a.prio < b.prio })
	require.NoError(t, jobs.Put(ctx, job{2, "b"}))
	require.NoError(t, jobs.Put(ctx, job{1, "a"}))
	assert.ErrorIs(t, jobs.PutNowait(job{0, "z"}), ErrFull, "a bounded priority queue is bounded")
	j, err := jobs.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, "a", j.name)

	l := NewLifoQueue[string](0)
	for _, s := range []string{"a", "b", "c"} {
		require.NoError(t, l.Put(ctx, s))
	}
	got2 := []string{}
	for range 3 {
		s, err := l.GetNowait()
		require.NoError(t, err)
		got2 = append(got2, s)
	}
	assert.Equal(t, []string{"c", "b", "a"}, got2)
}

// TestQueueManyGreenThreads has 10,000 green threads share one bounded
// Queue: every item is delivered exactly once.
func TestQueueManyGreenThreads(t *testing.T) {
	ctx := context.Background()
	const producers, perProducer = 5000, 4
	q := NewQueue[int](64)
	var gs []*Greenlet[struct{}]
	for p := range producers {
		gs = append(gs, Go(ctx, func(ctx context.Context) error {
			for i := range perProducer {
				if err := q.Put(ctx, p*perProducer+i); err != nil {
					return err
				}
			}
			return nil
		}))
	}
	seen := make([]int32, producers*perProducer)
	var mu sync.Mutex
	var consumers []*Greenlet[struct{}]
	for range 5000 {
		consumers = append(consumers, Go(ctx, func(ctx context.Context) error {
			for v := range q.All(ctx) {
				mu.Lock()
				seen[v]++
				mu.Unlock()
			}
			return nil
		}))
	}
	_, err := JoinAll(ctx, gs, RaiseError())
	require.NoError(t, err)
	q.Close()
	_, err = JoinAll(ctx, consumers, RaiseError())
	require.NoError(t, err)
	for v, n := range seen {
		require.EqualValues(t, 1, n, "item %d delivered %d times", v, n)
	}
}

func TestPipe(t *testing.T) {
	ctx := context.Background()
	parent, child := Pipe[string]()
	g := Go(ctx, func(ctx context.Context) error {
		defer child.Close()
		if err := child.Send("hello"); err != nil {
			return err
		}
		msg, err := child.Recv(ctx)
		if err != nil {
			return err
		}
		return child.Send("got " + msg)
	})
	v, err := parent.Recv(ctx)
	require.NoError(t, err)
	assert.Equal(t, "hello", v)
	require.NoError(t, parent.Send("ping"))
	v, err = parent.Recv(ctx)
	require.NoError(t, err)
	assert.Equal(t, "got ping", v)
	require.NoError(t, g.Join(ctx))
	require.NoError(t, g.Err())
	_, err = parent.Recv(ctx)
	assert.ErrorIs(t, err, io.EOF, "the other end closed and was drained")
	err = parent.Send("nobody")
	assert.ErrorIs(t, err, ErrBrokenPipe)
	assert.ErrorIs(t, err, io.ErrClosedPipe)
	parent.Close()
	parent.Close()
	assert.ErrorIs(t, parent.Send("x"), ErrPipeClosed)
	_, err = parent.Recv(ctx)
	assert.ErrorIs(t, err, ErrPipeClosed)

	a, b := Pipe[int]()
	require.NoError(t, a.Send(1))
	assert.True(t, b.Poll())
	assert.False(t, a.Poll())
	blocked := Spawn(ctx, func(ctx context.Context) (int, error) {
		if _, err := a.Recv(ctx); err != nil {
			return 0, err
		}
		return a.Recv(ctx)
	})
	require.NoError(t, b.Send(7))
	until(t, func() bool { return queued(&a.in.mu, &a.in.getters) == 1 })
	a.Close()
	_, err = blocked.Get(ctx)
	assert.True(t, errors.Is(err, ErrPipeClosed), "closing an end wakes its own Recv: %v", err)
}

func TestDictAndList(t *testing.T) {
	ctx := context.Background()
	var d Dict[string, int]
	_, ok := d.Get("x")
	assert.False(t, ok)
	gs := make([]*Greenlet[struct{}], 100)
	for i := range gs {
		gs[i] = Go(ctx, func(context.Context) error {
			d.Update("count", func(old int, _ bool) int { return old + 1 })
			d.Set(string(rune('a'+i%26)), i)
			return nil
		})
	}
	_, err := JoinAll(ctx, gs)
	require.NoError(t, err)
	v, ok := d.Get("count")
	require.True(t, ok)
	assert.Equal(t, 100, v, "Update is atomic")
	assert.Equal(t, 27, d.Len())
	assert.Equal(t, 5, d.SetDefault("new", 5))
	assert.Equal(t, 5, d.SetDefault("new", 6))
	v, ok = d.Pop("new")
	assert.True(t, ok)
	assert.Equal(t, 5, v)
	d.Delete("count")
	n := 0
	for k := range d.All() {
		d.Delete(k) // allowed: the range is over a snapshot
		n++
	}
	assert.Equal(t, 26, n)
	assert.Zero(t, d.Len())
	d.Set("k", 1)
	assert.Equal(t, map[string]int{"k": 1}, d.Snapshot())
	for k := range d.Keys() {
		assert.Equal(t, "k", k)
	}
	for v := range d.Values() {
		assert.Equal(t, 1, v)
	}

	var l List[int]
	for i := range gs {
		gs[i] = Go(ctx, func(context.Context) error { l.Append(i); return nil })
	}
	_, err = JoinAll(ctx, gs)
	require.NoError(t, err)
	assert.Equal(t, 100, l.Len())
	assert.True(t, l.Update(0, func(old int) int { return old + 1000 }))
	first, _ := l.Get(0)
	assert.GreaterOrEqual(t, first, 1000)
	assert.True(t, l.Set(-1, 42))
	last, ok := l.Get(-1)
	assert.True(t, ok)
	assert.Equal(t, 42, last)
	_, ok = l.Get(100)
	assert.False(t, ok)
	assert.False(t, l.Set(-101, 0))
	p, ok := l.Pop()
	assert.True(t, ok)
	assert.Equal(t, 42, p)
	sum := 0
	for i, v := range l.All() {
		assert.Equal(t, l.Snapshot()[i], v)
		sum++
	}
	assert.Equal(t, 99, sum)
	var empty List[int]
	_, ok = empty.Pop()
	assert.False(t, ok)
}

func TestChannelRendezvous(t *testing.T) {
	ctx := context.Background()
	var c Channel[string]
	put := Go(ctx, func(ctx context.Context) error { return c.Put(ctx, "hi") })
	until(t, func() bool { return queued(&c.mu, &c.putters) == 1 })
	assert.False(t, put.Ready(), "Put waits for a taker")
	v, err := c.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, "hi", v)
	require.NoError(t, put.Join(ctx))
	require.NoError(t, put.Err())

	// A Put that gives up withdraws its item; the next one is delivered.
	tctx, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, c.Put(tctx, "withdrawn"), context.DeadlineExceeded)
	later := Go(ctx, func(ctx context.Context) error { return c.Put(ctx, "kept") })
	v, err = c.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, "kept", v)
	require.NoError(t, later.Join(ctx))

	// Many putters and getters: each item once.
	var puts, gets []*Greenlet[struct{}]
	var mu sync.Mutex
	got := map[int]int{}
	var ic Channel[int]
	for i := range 200 {
		puts = append(puts, Go(ctx, func(ctx context.Context) error { return ic.Put(ctx, i) }))
	}
	for range 200 {
		gets = append(gets, Go(ctx, func(ctx context.Context) error {
			v, err := ic.Get(ctx)
			mu.Lock()
			got[v]++
			mu.Unlock()
			return err
		}))
	}
	_, err = JoinAll(ctx, append(puts, gets...), RaiseError())
	require.NoError(t, err)
	assert.Len(t, got, 200)

	getter := Spawn(ctx, func(ctx context.Context) (int, error) { return ic.Get(ctx) })
	until(t, func() bool { return queued(&ic.mu, &ic.getters) == 1 })
	ic.Close()
	_, err = getter.Get(ctx)
	assert.ErrorIs(t, err, ErrQueueClosed)
	assert.ErrorIs(t, ic.Put(ctx, 1), ErrQueueClosed)
}

// Python's get(timeout=...) raises queue.Empty and put(timeout=...) raises
// queue.Full; with the timeout as a ctx deadline the error matches both the
// sentinel and context.DeadlineExceeded. A kill or a Timeout scope keeps
// its own error, as in gevent (`with Timeout(1): q.get()` raises Timeout).
func TestQueueDeadlineIsEmptyOrFull(t *testing.T) {
	ctx := context.Background()
	for name, q := range map[string]*Queue[int]{"fifo": NewQueue[int](1), "lifo": NewLifoQueue[int](1), "priority": NewOrderedPriorityQueue[int](1)} {
		t.Run(name, func(t *testing.T) {
			dctx, cancel := context.WithTimeout(ctx, time.Millisecond)
			defer cancel()
			_, err := q.Get(dctx)
			assert.ErrorIs(t, err, ErrEmpty)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			_, err = q.Get(dctx) // already expired: no wait, same error
			assert.ErrorIs(t, err, ErrEmpty)

			require.NoError(t, q.PutNowait(1))
			err = q.Put(dctx, 2)
			assert.ErrorIs(t, err, ErrFull)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			pctx, pcancel := context.WithTimeout(ctx, time.Millisecond)
			defer pcancel()
			err = q.Put(pctx, 2) // waits, then the deadline passes
			assert.ErrorIs(t, err, ErrFull)

			err = WithTimeout(ctx, time.Millisecond, func(ctx context.Context) error { return q.Put(ctx, 3) })
			assert.ErrorIs(t, err, ErrTimeout)
			assert.NotErrorIs(t, err, ErrFull, "a Timeout scope raises Timeout, not Full")

			cctx, ccancel := context.WithCancel(ctx)
			ccancel()
			err = q.Put(cctx, 3)
			assert.ErrorIs(t, err, context.Canceled)
			assert.NotErrorIs(t, err, ErrFull, "a cancellation is not a timeout")
		})
	}

	var ch Channel[int]
	dctx, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	_, err := ch.Get(dctx)
	assert.ErrorIs(t, err, ErrEmpty)
	pctx, pcancel := context.WithTimeout(ctx, time.Millisecond)
	defer pcancel()
	assert.ErrorIs(t, ch.Put(pctx, 1), ErrFull)

	// A killed getter ends with GreenletExit, not Empty.
	var q Queue[int]
	g := Spawn(ctx, func(ctx context.Context) (int, error) { return q.Get(ctx) })
	until(t, func() bool { return queued(&q.mu, &q.getters) == 1 })
	require.NoError(t, g.Kill(ctx))
	assert.ErrorIs(t, g.Err(), ErrGreenletExit)
	assert.NotErrorIs(t, g.Err(), ErrEmpty)
}
