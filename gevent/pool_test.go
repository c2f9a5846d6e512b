package gevent

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newPool returns a pool that the test closes and joins at its end.
func newPool(t *testing.T, size int, opts ...PoolOption) *Pool {
	t.Helper()
	p := NewPool(size, opts...)
	t.Cleanup(func() {
		p.Close()
		require.NoError(t, p.Join(context.Background()))
	})
	return p
}

// claims reports how many claims on a slot of p are queued: spawners
// parked in Submit and tasks queued by ApplyAsync.
func claims(p *Pool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for c := p.claims.head; c != nil; c = c.next {
		n++
	}
	return n
}

func TestPoolSubmitAndFutures(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 4)
	assert.Equal(t, 4, p.Size())
	assert.Equal(t, 4, p.FreeCount())
	g := Submit(ctx, p, func(context.Context) (int, error) { return 21 * 2, nil })
	err := startErr(g)
	require.NoError(t, err)
	v, err := g.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, 42, v)

	assert.PanicsWithValue(t, "gevent: NewPool(0): the size must be at least 1 (the zero Pool is unbounded)", func() { NewPool(0) })
	assert.PanicsWithValue(t, "gevent: NewPool(-2): the size must be at least 1 (the zero Pool is unbounded)", func() { NewPool(-2) })
}

func TestPoolBoundsInFlight(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 3)
	var inFlight, most atomic.Int32
	var gs []*Greenlet[struct{}]
	for range 10 {
		g := p.Go(ctx, func(ctx context.Context) error {
			n := inFlight.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			Sleep(ctx, 0)
			inFlight.Add(-1)
			return nil
		})
		err := startErr(g)
		require.NoError(t, err)
		assert.LessOrEqual(t, p.Running(), 3)
		gs = append(gs, g)
	}
	_, err := JoinAll(ctx, gs, RaiseError())
	require.NoError(t, err)
	assert.LessOrEqual(t, most.Load(), int32(3), "a pool of 3 never runs more than 3")
	assert.Positive(t, most.Load())
}

func TestPoolCloseJoinContract(t *testing.T) {
	ctx := context.Background()
	p := NewPool(2)
	require.NoError(t, p.Join(ctx), "join before close waits for the tasks in flight (none here)")
	var ran atomic.Int32
	err := startErr(p.Go(ctx, func(ctx context.Context) error {
		ran.Add(1)
		// A task spawns a task: Join waits for it too.
		err := startErr(p.Go(ctx, func(context.Context) error { ran.Add(1); return nil }))
		return err
	}))
	require.NoError(t, err)
	// Close only after the first task has spawned its child.
	until(t, func() bool { return ran.Load() >= 1 && p.Running() != 1 || ran.Load() == 2 })
	p.Close()
	require.NoError(t, p.Join(ctx))
	assert.EqualValues(t, 2, ran.Load())
	err = startErr(p.Go(ctx, func(context.Context) error { return nil }))
	assert.ErrorIs(t, err, ErrPoolClosed)
	require.NoError(t, p.Join(ctx), "joining again is fine")
}

func TestPoolPanicIsTaskError(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 1)
	g := p.Go(ctx, func(context.Context) error { panic("in a task") })
	err := startErr(g)
	require.NoError(t, err)
	require.NoError(t, g.Join(ctx))
	var pe *PanicError
	require.ErrorAs(t, g.Err(), &pe)
	assert.Equal(t, "in a task", pe.Value)
	v, err := Apply(ctx, p, func(context.Context) (string, error) { return "still works", nil })
	require.NoError(t, err)
	assert.Equal(t, "still works", v)
	assert.Equal(t, 1, p.FreeCount(), "the pool keeps its full size")
}

func TestPoolNoSelfDeadlock(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 1)
	// Apply from a task on its own full pool runs inline, as in gevent.
	v, err := Apply(ctx, p, func(ctx context.Context) (int, error) {
		return Apply(ctx, p, func(context.Context) (int, error) { return 7, nil })
	})
	require.NoError(t, err)
	assert.Equal(t, 7, v)

	// Spawning into its own full pool, where no slot can ever come, fails.
	g := p.Go(ctx, func(ctx context.Context) error {
		err := startErr(p.Go(ctx, func(context.Context) error { return nil }))
		return err
	})
	err = startErr(g)
	require.NoError(t, err)
	require.NoError(t, g.Join(ctx))
	assert.ErrorIs(t, g.Err(), ErrPoolDeadlock)

	// Map from a task of a full pool runs a worker inline.
	r, err := Apply(ctx, p, func(ctx context.Context) ([]int, error) {
		return Map(ctx, p, []int{1, 2, 3}, func(_ context.Context, x int) (int, error) { return x * 10, nil })
	})
	require.NoError(t, err)
	assert.Equal(t, []int{10, 20, 30}, r)
}

func TestPoolWaitsForSlotThatCanCome(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 2)
	release := make(chan struct{})
	blocker := p.Go(ctx, func(context.Context) error { <-release; return nil })
	err := startErr(blocker)
	require.NoError(t, err)
	// A task spawning into its full pool waits: the blocker will end.
	spawner := p.Go(ctx, func(ctx context.Context) error {
		g := p.Go(ctx, func(context.Context) error { return nil })
		err := startErr(g)
		if err != nil {
			return err
		}
		return g.Join(ctx)
	})
	err = startErr(spawner)
	require.NoError(t, err)
	until(t, func() bool { return claims(p) == 1 })
	close(release)
	require.NoError(t, blocker.Join(ctx))
	require.NoError(t, spawner.Join(ctx))
	require.NoError(t, spawner.Err())
}

func TestPoolApplyAsync(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 2)
	var got AsyncResult[string]
	g := ApplyAsync(ctx, p, func(context.Context) (string, error) { return "done", nil },
		func(v string) { got.Set("callback: " + v) }, func(err error) { got.SetError(err) })
	err := startErr(g)
	require.NoError(t, err)
	v, err := got.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, "callback: done", v)
	require.NoError(t, g.Join(ctx))

	var failed AsyncResult[string]
	err = startErr(ApplyAsync(ctx, p, func(context.Context) (string, error) { return "", errBoom },
		func(v string) { failed.Set(v) }, func(err error) { failed.SetError(err) }))
	require.NoError(t, err)
	_, err = failed.Get(ctx)
	assert.ErrorIs(t, err, errBoom, "the error callback gets the task's error")

	var panicked AsyncResult[string]
	err = startErr(ApplyAsync(ctx, p, func(context.Context) (string, error) { panic("task") },
		nil, func(err error) { panicked.SetError(err) }))
	require.NoError(t, err)
	_, err = panicked.Get(ctx)
	var pe *PanicError
	require.ErrorAs(t, err, &pe, "a panic in the task reaches the error callback")
	assert.Equal(t, "task", pe.Value)

	// A panicking callback neither crashes nor loses the slot; nil
	// callbacks are allowed.
	g = ApplyAsync(ctx, p, func(context.Context) (string, error) { return "x", nil },
		func(string) { panic("callback") }, nil)
	err = startErr(g)
	require.NoError(t, err)
	require.NoError(t, g.Join(ctx))
	err = startErr(ApplyAsync(ctx, p, func(context.Context) (string, error) { return "", errBoom }, nil, nil))
	require.NoError(t, err)
	p.Close()
	require.NoError(t, p.Join(ctx), "every slot came back")
}

func TestPoolNonBlockingAndWaitAvailable(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 1, WithNonBlocking(), WithPreAlloc(), WithExpiry(time.Second))
	release := make(chan struct{})
	var once sync.Once
	defer once.Do(func() { close(release) }) // even when an assertion fails
	g := p.Go(ctx, func(context.Context) error { <-release; return nil })
	err := startErr(g)
	require.NoError(t, err)
	err = startErr(p.Go(ctx, func(context.Context) error { return nil }))
	assert.ErrorIs(t, err, ErrPoolFull)
	assert.Zero(t, p.FreeCount())
	w := Go(ctx, p.WaitAvailable)
	until(t, func() bool { return claims(p) == 1 })
	once.Do(func() { close(release) })
	require.NoError(t, w.Join(ctx))
	require.NoError(t, w.Err())
	require.NoError(t, g.Join(ctx))
	until(t, func() bool { return p.FreeCount() == 1 })

	tctx, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
	defer cancel()
	b := newPool(t, 1)
	hold := make(chan struct{})
	h := b.Go(ctx, func(context.Context) error { <-hold; return nil })
	err = startErr(h)
	require.NoError(t, err)
	err = startErr(b.Go(tctx, func(context.Context) error { return nil }))
	assert.ErrorIs(t, err, context.DeadlineExceeded, "a spawn waiting for a slot honours ctx")
	close(hold)
	require.NoError(t, h.Join(ctx))
}

func TestPoolKill(t *testing.T) {
	ctx := context.Background()
	p := NewPool(3)
	var gs []*Greenlet[struct{}]
	for range 3 {
		g := p.Go(ctx, func(ctx context.Context) error { return Sleep(ctx, time.Hour) })
		err := startErr(g)
		require.NoError(t, err)
		gs = append(gs, g)
	}
	require.NoError(t, p.Kill(ctx))
	for _, g := range gs {
		assert.ErrorIs(t, g.Err(), ErrGreenletExit)
	}
	err := startErr(p.Go(ctx, func(context.Context) error { return nil }))
	assert.ErrorIs(t, err, ErrPoolClosed)
}

func TestMapOrderAndLarge(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 8)
	items := make([]int, 100_000)
	for i := range items {
		items[i] = i
	}
	r, err := Map(ctx, p, items, func(_ context.Context, x int) (int, error) { return x * 2, nil })
	require.NoError(t, err)
	require.Len(t, r, len(items))
	for i, v := range r {
		require.Equal(t, 2*i, v)
	}
	empty, err := Map(ctx, p, nil, func(_ context.Context, x int) (int, error) { return x, nil })
	require.NoError(t, err)
	assert.Empty(t, empty)
}

func TestMapFirstErrorStopsTheRest(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 2)
	var calls atomic.Int32
	items := make([]int, 10_000)
	_, err := Map(ctx, p, items, func(ctx context.Context, _ int) (int, error) {
		if calls.Add(1) == 100 {
			return 0, errBoom
		}
		return 0, nil
	})
	assert.ErrorIs(t, err, errBoom)
	assert.Less(t, calls.Load(), int32(len(items)), "the calls after the failure did not all run")

	_, err = Map(ctx, p, []int{1, 2, 3}, func(_ context.Context, x int) (int, error) {
		if x == 2 {
			panic("bad item")
		}
		return x, nil
	})
	var pe *PanicError
	assert.ErrorAs(t, err, &pe, "a panic in fn is Map's error")
}

func TestKillInTheMiddleOfMap(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 4)
	var started atomic.Int32
	caller := Spawn(ctx, func(ctx context.Context) ([]int, error) {
		return Map(ctx, p, make([]int, 64), func(ctx context.Context, _ int) (int, error) {
			started.Add(1)
			return 0, Sleep(ctx, time.Hour)
		})
	})
	until(t, func() bool { return started.Load() >= 4 })
	require.NoError(t, caller.Kill(ctx))
	_, err := caller.Get(ctx)
	assert.ErrorIs(t, err, ErrGreenletExit)
	assert.LessOrEqual(t, started.Load(), int32(64))
	until(t, func() bool { return p.Running() == 0 })
}

func TestIMapOrderedAndUnordered(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 4)
	square := func(_ context.Context, x int) (int, error) {
		if x == 5 {
			return 0, errBoom
		}
		return x * x, nil
	}
	var got, indexes []int
	var failed []int
	for r, err := range IMap(ctx, p, slices.Values([]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}), square) {
		require.NoError(t, err, "a call's error is not the iteration's")
		indexes = append(indexes, r.Index)
		if r.Err != nil {
			assert.ErrorIs(t, r.Err, errBoom)
			assert.Zero(t, r.Value)
			failed = append(failed, r.Index)
			continue
		}
		got = append(got, r.Value)
	}
	assert.Equal(t, []int{1, 4, 9, 16, 36, 49, 64, 81, 100}, got, "in input order, errors in place")
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, indexes)
	assert.Equal(t, []int{4}, failed, "the failed call is the fifth item's")

	in := []int{1, 2, 3, 4, 6}
	seen := map[int]bool{}
	for r, err := range IMapUnordered(ctx, p, slices.Values(in), square) {
		require.NoError(t, err)
		require.NoError(t, r.Err)
		assert.Equal(t, in[r.Index]*in[r.Index], r.Value, "each result carries its item's index")
		assert.False(t, seen[r.Index])
		seen[r.Index] = true
	}
	assert.Len(t, seen, len(in))
}

// The error beside IMap's Result ends the iteration: ctx ending, or the
// pool refusing a call; it comes once, last, with a zero Result.
func TestIMapIterationError(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 2)
	p.Close()
	var pairs int
	for r, err := range IMap(ctx, p, slices.Values([]int{1, 2}), func(context.Context, int) (int, error) { return 1, nil }) {
		pairs++
		assert.ErrorIs(t, err, ErrPoolClosed)
		assert.Equal(t, Result[int]{}, r)
	}
	assert.Equal(t, 1, pairs)

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	open := newPool(t, 2)
	var last error
	n := 0
	for r, err := range IMapUnordered(cctx, open, slices.Values([]int{0, 1, 2, 3, 4, 5}), func(ctx context.Context, x int) (int, error) {
		if x >= 2 {
			<-ctx.Done() // runs until the range is cancelled
			return 0, ctx.Err()
		}
		return x, nil
	}) {
		n++
		if err != nil {
			last = err
			continue
		}
		require.NoError(t, r.Err)
		if n == 2 {
			cancel()
		}
	}
	assert.ErrorIs(t, last, context.Canceled)
	assert.Equal(t, 3, n, "two results, then the iteration's error")
}

func TestIMapBreakStopsFeeding(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 3)
	var calls, live atomic.Int32
	infinite := func(yield func(int) bool) {
		for i := 0; yield(i); i++ {
		}
	}
	n := 0
	for r, err := range IMapUnordered(ctx, p, infinite, func(ctx context.Context, x int) (int, error) {
		calls.Add(1)
		live.Add(1)
		defer live.Add(-1)
		return x, Sleep(ctx, 0)
	}) {
		require.NoError(t, err)
		require.NoError(t, r.Err)
		if n++; n == 10 {
			break
		}
	}
	assert.Zero(t, live.Load(), "nothing is still running after the range")
	assert.LessOrEqual(t, calls.Load(), int32(10+3), "at most Size calls ahead of the consumer")
}

func TestGroup(t *testing.T) {
	ctx := context.Background()
	var grp Group
	release := make(chan struct{})
	for range 3 {
		grp.Go(ctx, func(context.Context) error { <-release; return nil })
	}
	done := Go(ctx, func(context.Context) error { return nil })
	require.NoError(t, done.Join(ctx))
	grp.Add(done) // finished: not added
	assert.Equal(t, 3, grp.Len())
	assert.Len(t, grp.Active(), 3)
	sleeper := Spawn(ctx, func(ctx context.Context) (int, error) { return 0, Sleep(ctx, time.Hour) })
	grp.Add(sleeper)
	grp.Add(sleeper)
	assert.Equal(t, 4, grp.Len())
	grp.Discard(sleeper)
	assert.Equal(t, 3, grp.Len())
	close(release)
	require.NoError(t, grp.Join(ctx))
	assert.Zero(t, grp.Len())
	require.NoError(t, sleeper.Kill(ctx))

	for range 5 {
		grp.Go(ctx, func(ctx context.Context) error { return Sleep(ctx, time.Hour) })
	}
	require.NoError(t, grp.Kill(ctx))
	assert.Zero(t, grp.Len())
}

// echo is the handler of the classic echo server: one line in, one line out.
func echo(_ context.Context, conn net.Conn) error {
	r := bufio.NewReader(conn)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil
		}
		if _, err := fmt.Fprintf(conn, "echo: %s", line); err != nil {
			return err
		}
	}
}

func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p := newPool(t, 2)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := Go(context.Background(), func(context.Context) error { return Serve(ctx, ln, p, echo, WithGrace(time.Second)) })
	for i := range 5 {
		conn, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		fmt.Fprintf(conn, "hello %d\n", i)
		line, err := bufio.NewReader(conn).ReadString('\n')
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("echo: hello %d\n", i), line)
		conn.Close()
	}
	// A client that stays connected past the grace period is cut off.
	idle, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer idle.Close()
	fmt.Fprintf(idle, "x\n")
	_, err = bufio.NewReader(idle).ReadString('\n')
	require.NoError(t, err)
	cancel()
	require.NoError(t, served.Join(context.Background()))
	require.NoError(t, served.Err())
	_, err = net.Dial("tcp", ln.Addr().String())
	assert.Error(t, err, "the listener is closed")
	until(t, func() bool { return p.Running() == 0 })
}

func TestServeRefuseWhenFull(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := newPool(t, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := Go(context.Background(), func(context.Context) error {
		return Serve(ctx, ln, p, echo, RefuseWhenFull(), WithGrace(time.Second))
	})
	first, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer first.Close()
	fmt.Fprintf(first, "a\n")
	_, err = bufio.NewReader(first).ReadString('\n')
	require.NoError(t, err)
	second, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer second.Close()
	_, err = bufio.NewReader(second).ReadString('\n')
	assert.Error(t, err, "the second connection is refused while the pool is full")
	cancel()
	require.NoError(t, served.Join(context.Background()))
	assert.False(t, errors.Is(served.Err(), ErrPoolFull))
}
