package gevent

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var errBoom = errors.New("boom")

func TestSpawnGetValue(t *testing.T) {
	ctx := context.Background()
	g := Spawn(ctx, func(context.Context) (int, error) { return 42, nil })
	v, err := g.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, 42, v)
	assert.Equal(t, 42, g.Value())
	assert.True(t, g.Ready())
	assert.True(t, g.Dead())
	assert.True(t, g.Successful())
	assert.True(t, g.Started())
	assert.False(t, g.Alive())
	assert.NoError(t, g.Err())
}

func TestSpawnErrorAndState(t *testing.T) {
	ctx := context.Background()
	release := make(chan struct{})
	g := Spawn(ctx, func(context.Context) (string, error) { <-release; return "partial", errBoom })
	assert.False(t, g.Ready())
	assert.Equal(t, "", g.Value(), "Value is zero before the end")
	assert.NoError(t, g.Err(), "Err is nil before the end")
	close(release)
	v, err := g.Get(ctx)
	assert.ErrorIs(t, err, errBoom)
	assert.Equal(t, "partial", v)
	assert.False(t, g.Successful())
	assert.ErrorIs(t, g.Err(), errBoom)
}

func TestPanicBecomesError(t *testing.T) {
	ctx := context.Background()
	g := Spawn(ctx, func(context.Context) (int, error) { panic("kaboom") })
	_, err := g.Get(ctx)
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "kaboom", pe.Value)
	assert.Contains(t, string(pe.Stack()), "TestPanicBecomesError")
}

func TestIDsAndNames(t *testing.T) {
	ctx := context.Background()
	a := Go(ctx, func(context.Context) error { return nil })
	b := Go(ctx, func(context.Context) error { return nil }, WithName("worker"))
	require.NoError(t, a.Join(ctx))
	require.NoError(t, b.Join(ctx))
	assert.NotEqual(t, a.ID(), b.ID())
	assert.Equal(t, "worker", b.Name())
	assert.Regexp(t, `^Greenlet-\d+$`, a.Name())
	assert.Equal(t, a.Name(), a.String())
}

func TestCurrent(t *testing.T) {
	ctx := context.Background()
	assert.Nil(t, Current(ctx))
	g := Spawn(ctx, func(ctx context.Context) (*GreenThread, error) {
		derived, cancel := context.WithCancel(ctx)
		defer cancel()
		assert.Same(t, Current(ctx), Current(derived))
		return Current(ctx), nil
	}, WithName("me"))
	cur, err := g.Get(ctx)
	require.NoError(t, err)
	assert.Same(t, &g.GreenThread, cur)
	assert.Equal(t, "me", cur.Name())
}

type runner struct{ ran atomic.Bool }

func (r *runner) Run(context.Context) error { r.ran.Store(true); return errBoom }

func TestSpawnRunner(t *testing.T) {
	ctx := context.Background()
	r := &runner{}
	g := SpawnRunner(ctx, r)
	_, err := g.Get(ctx)
	assert.ErrorIs(t, err, errBoom)
	assert.True(t, r.ran.Load())
}

func TestKillWakesSleep(t *testing.T) {
	ctx := context.Background()
	started := make(chan struct{})
	g := Spawn(ctx, func(ctx context.Context) (int, error) {
		close(started)
		return 1, Sleep(ctx, time.Hour)
	})
	<-started
	require.NoError(t, g.Kill(ctx))
	_, err := g.Get(ctx)
	assert.ErrorIs(t, err, ErrGreenletExit)
	assert.ErrorIs(t, err, context.Canceled)
	assert.True(t, g.Ready())
	require.NoError(t, g.Kill(ctx), "killing a finished green thread is a no-op")
}

func TestKillBeforeStartNeverRuns(t *testing.T) {
	ctx := context.Background()
	var ran atomic.Bool
	g := SpawnLater(ctx, time.Hour, func(context.Context) (int, error) { ran.Store(true); return 1, nil })
	require.NoError(t, g.Kill(ctx))
	assert.False(t, ran.Load())
	assert.False(t, g.Started())
	assert.ErrorIs(t, g.Err(), ErrGreenletExit)
}

func TestSpawnLaterRuns(t *testing.T) {
	ctx := context.Background()
	g := SpawnLater(ctx, time.Millisecond, func(context.Context) (int, error) { return 7, nil })
	v, err := g.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, 7, v)
}

func TestKillWaitsForStubbornBodyUntilDeadline(t *testing.T) {
	ctx := context.Background()
	release := make(chan struct{})
	started := make(chan struct{})
	g := Spawn(ctx, func(context.Context) (int, error) { close(started); <-release; return 3, nil })
	<-started
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, g.Kill(short), context.DeadlineExceeded)
	close(release)
	v, err := g.Get(ctx)
	require.NoError(t, err, "a body that ignores its context and returns normally succeeds")
	assert.Equal(t, 3, v)
}

func TestParentCancelPropagates(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	g := Spawn(parent, func(ctx context.Context) (int, error) { <-ctx.Done(); return 0, ctx.Err() })
	cancel()
	_, err := g.Get(context.Background())
	assert.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, ErrGreenletExit, "cancelled by its parent, not killed")
}

func TestSpawnOnCancelledParent(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	cancel()
	g := Spawn(parent, func(ctx context.Context) (error, error) { return ctx.Err(), nil })
	v, err := g.Get(context.Background())
	require.NoError(t, err)
	assert.ErrorIs(t, v, context.Canceled)
}

func TestDerivedContextFollowsKill(t *testing.T) {
	ctx := context.Background()
	started := make(chan struct{})
	g := Spawn(ctx, func(ctx context.Context) (int, error) {
		d, cancel := context.WithTimeout(ctx, time.Hour)
		defer cancel()
		close(started)
		<-d.Done()
		return 0, d.Err()
	})
	<-started
	require.NoError(t, g.Kill(ctx))
	assert.ErrorIs(t, g.Err(), context.Canceled)
	assert.ErrorIs(t, g.Err(), ErrGreenletExit)
}

func TestJoinSelfIsAnError(t *testing.T) {
	ctx := context.Background()
	var self *Greenlet[int]
	ready := make(chan struct{})
	self = Spawn(ctx, func(ctx context.Context) (int, error) {
		<-ready
		assert.ErrorIs(t, self.Join(ctx), ErrJoinSelf)
		assert.ErrorIs(t, self.Kill(ctx), ErrJoinSelf)
		return 0, nil
	})
	close(ready)
	require.NoError(t, self.Join(ctx))
}

func TestGetHonoursContext(t *testing.T) {
	release := make(chan struct{})
	g := Spawn(context.Background(), func(context.Context) (int, error) { <-release; return 1, nil })
	short, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	_, err := g.Get(short)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	close(release)
	v, err := g.Get(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, v)
}

func TestLink(t *testing.T) {
	ctx := context.Background()
	release := make(chan struct{})
	g := Spawn(ctx, func(context.Context) (int, error) { <-release; return 5, nil })
	var order []int
	done := make(chan struct{})
	g.Link(func(g *Greenlet[int]) { order = append(order, g.Value()) })
	g.Link(func(*Greenlet[int]) { panic("a bad callback does not break the others") })
	g.Link(func(g *Greenlet[int]) { order = append(order, g.Value()+1); close(done) })
	close(release)
	<-done
	assert.Equal(t, []int{5, 6}, order)
	late := 0
	g.Link(func(g *Greenlet[int]) { late = g.Value() })
	assert.Equal(t, 5, late, "a link made after the end runs at once")
}

func TestJoinAll(t *testing.T) {
	ctx := context.Background()
	gs := make([]*Greenlet[int], 10)
	for i := range gs {
		gs[i] = Spawn(ctx, func(context.Context) (int, error) { return i, nil })
	}
	done, err := JoinAll(ctx, gs)
	require.NoError(t, err)
	require.Len(t, done, 10)
	for i, g := range done {
		assert.Equal(t, i, g.Value())
	}
}

func TestJoinAllTimeoutThenKillAll(t *testing.T) {
	ctx := context.Background()
	gs := make([]*Greenlet[int], 5)
	for i := range gs {
		gs[i] = Spawn(ctx, func(ctx context.Context) (int, error) { return 0, Sleep(ctx, time.Hour) })
	}
	quick := Spawn(ctx, func(context.Context) (int, error) { return 1, nil })
	all := append([]*Greenlet[int]{quick}, gs...)
	require.NoError(t, quick.Join(ctx))
	done, err := JoinAll(ctx, all, JoinTimeout(20*time.Millisecond))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, []*Greenlet[int]{quick}, done)
	require.NoError(t, KillAll(ctx, gs))
	for _, g := range gs {
		assert.ErrorIs(t, g.Err(), ErrGreenletExit)
	}
}

func TestJoinAllCount(t *testing.T) {
	ctx := context.Background()
	block := func(ctx context.Context) (int, error) { return 0, Sleep(ctx, time.Hour) }
	gs := []*Greenlet[int]{
		Spawn(ctx, block),
		Spawn(ctx, func(context.Context) (int, error) { return 1, nil }),
		Spawn(ctx, block),
		Spawn(ctx, func(context.Context) (int, error) { return 2, nil }),
	}
	done, err := JoinAll(ctx, gs, JoinCount(2))
	require.NoError(t, err)
	assert.Equal(t, []*Greenlet[int]{gs[1], gs[3]}, done)
	require.NoError(t, KillAll(ctx, gs))
}

func TestJoinAllRaiseError(t *testing.T) {
	ctx := context.Background()
	block := func(ctx context.Context) (int, error) { return 0, Sleep(ctx, time.Hour) }
	gs := []*Greenlet[int]{
		Spawn(ctx, block),
		Spawn(ctx, func(context.Context) (int, error) { return 0, errBoom }),
	}
	done, err := JoinAll(ctx, gs, RaiseError())
	assert.ErrorIs(t, err, errBoom)
	assert.Equal(t, []*Greenlet[int]{gs[1]}, done)
	require.NoError(t, KillAll(ctx, gs))
	_, err = JoinAll(ctx, gs, RaiseError())
	assert.ErrorIs(t, err, errBoom, "once all have ended, the first failure in gs order is reported; a kill is no failure")
}

// gevent counts a GreenletExit as success: successful() is True, exception
// is None, and joinall(raise_error=True) does not raise for it. Err keeps
// reporting the kill for Go code.
func TestKilledIsSuccessful(t *testing.T) {
	ctx := context.Background()
	started := make(chan struct{})
	g := Go(ctx, func(ctx context.Context) error { close(started); return Sleep(ctx, time.Hour) })
	unstarted := SpawnLater(ctx, time.Hour, func(context.Context) (int, error) { return 1, nil })
	<-started
	require.NoError(t, KillAll(ctx, []Joinable{g, unstarted}))
	for _, th := range []Joinable{g, unstarted} {
		assert.True(t, th.thread().Successful())
		assert.ErrorIs(t, th.Err(), ErrGreenletExit)
		assert.ErrorIs(t, th.Err(), context.Canceled)
	}
	done, err := JoinAll(ctx, []Joinable{g, unstarted}, RaiseError())
	require.NoError(t, err, "joinall(raise_error=True) does not raise for a GreenletExit")
	assert.Len(t, done, 2)

	// A body that returns ErrGreenletExit itself (raise GreenletExit) too.
	own := Go(ctx, func(context.Context) error { return ErrGreenletExit })
	require.NoError(t, own.Join(ctx))
	assert.True(t, own.Successful())
	bad := Go(ctx, func(context.Context) error { return errBoom })
	require.NoError(t, bad.Join(ctx))
	assert.False(t, bad.Successful())
}

// Alive is true from the spawn on, before the body's first turn, like
// gevent's bool(g) and multiprocessing's is_alive() after start().
func TestAliveFromSpawn(t *testing.T) {
	ctx := context.Background()
	var release Event
	g := SpawnLater(ctx, time.Hour, func(context.Context) (int, error) { return 0, nil })
	assert.True(t, g.Alive(), "alive before the body has run")
	assert.False(t, g.Started())
	h := Go(ctx, release.Wait)
	assert.True(t, h.Alive())
	release.Set()
	require.NoError(t, h.Join(ctx))
	assert.False(t, h.Alive())
	assert.True(t, h.Started())
	require.NoError(t, g.Kill(ctx))
	assert.False(t, g.Alive())
	assert.False(t, g.Started(), "killed during the delay: the body never ran")
}

// Killing a green thread cancels the green threads it spawned with its own
// context (structured, unlike gevent), and they end as killed: their errors
// match ErrGreenletExit, not only context.Canceled.
func TestKillReachesChildrenAsGreenletExit(t *testing.T) {
	ctx := context.Background()
	childStarted := make(chan *Greenlet[struct{}], 1)
	parent := Go(ctx, func(ctx context.Context) error {
		child := Go(ctx, func(ctx context.Context) error { return Sleep(ctx, time.Hour) })
		childStarted <- child
		return Sleep(ctx, time.Hour)
	})
	child := <-childStarted
	require.NoError(t, parent.Kill(ctx))
	require.NoError(t, child.Join(ctx))
	assert.ErrorIs(t, child.Err(), ErrGreenletExit)
	assert.ErrorIs(t, child.Err(), context.Canceled)
	assert.True(t, child.Successful())

	// The idiom for gevent's behaviour (children outlive a killed parent):
	// spawn them with context.WithoutCancel.
	parent = Go(ctx, func(ctx context.Context) error {
		childStarted <- Go(context.WithoutCancel(ctx), func(ctx context.Context) error { return Sleep(ctx, time.Hour) })
		return Sleep(ctx, time.Hour)
	})
	child = <-childStarted
	require.NoError(t, parent.Kill(ctx))
	assert.True(t, child.Alive(), "spawned WithoutCancel: not killed with its spawner")
	require.NoError(t, child.Kill(ctx))
}

func TestKillWhileBlockedInJoinAll(t *testing.T) {
	ctx := context.Background()
	sleeper := Spawn(ctx, func(ctx context.Context) (int, error) { return 0, Sleep(ctx, time.Hour) })
	started := make(chan struct{})
	waiter := Go(ctx, func(ctx context.Context) error {
		close(started)
		_, err := JoinAll(ctx, []*Greenlet[int]{sleeper}, JoinCount(1))
		return err
	})
	<-started
	require.NoError(t, waiter.Kill(ctx))
	assert.ErrorIs(t, waiter.Err(), ErrGreenletExit)
	assert.False(t, sleeper.Ready(), "killing the joiner leaves the joined alone")
	require.NoError(t, sleeper.Kill(ctx))
}

func TestSleepZeroYieldsAndReportsCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, Sleep(ctx, 0))
	cancel()
	assert.ErrorIs(t, Sleep(ctx, 0), context.Canceled)
	assert.ErrorIs(t, Sleep(ctx, time.Hour), context.Canceled)
}

func TestCancelCauseIsKept(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errBoom)
	err := Sleep(ctx, time.Hour)
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, errBoom)
}

func TestManyGreenletsJoinAll(t *testing.T) {
	ctx := context.Background()
	var n atomic.Int64
	gs := make([]*Greenlet[struct{}], 10000)
	for i := range gs {
		gs[i] = Go(ctx, func(context.Context) error { n.Add(1); return nil })
	}
	done, err := JoinAll(ctx, gs)
	require.NoError(t, err)
	assert.Len(t, done, len(gs))
	assert.EqualValues(t, len(gs), n.Load())
}

// gevent's g.get(timeout=...) and AsyncResult.get(timeout=...) raise
// Timeout: with the timeout as a ctx deadline, the error matches
// ErrTimeout as well as context.DeadlineExceeded.
func TestGetDeadlineIsTimeout(t *testing.T) {
	ctx := context.Background()
	var release Event
	g := Go(ctx, release.Wait)
	dctx, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	_, err := g.Get(dctx)
	assert.ErrorIs(t, err, ErrTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	var r AsyncResult[int]
	_, err = r.Get(dctx)
	assert.ErrorIs(t, err, ErrTimeout)
	cctx, ccancel := context.WithCancel(ctx)
	ccancel()
	_, err = g.Get(cctx)
	assert.NotErrorIs(t, err, ErrTimeout, "a cancellation is no timeout")
	release.Set()
	require.NoError(t, g.Join(ctx))
}

// TestGreenletSize keeps the common path to one small allocation: the
// rarely used parts of a green thread live in its threadExt, the rarer
// still in its threadMore, and a queued pool task's claim carries a
// threadExt in 128 bytes.
func TestGreenletSize(t *testing.T) {
	assert.LessOrEqual(t, unsafe.Sizeof(GreenThread{}), uintptr(112))
	assert.LessOrEqual(t, unsafe.Sizeof(Greenlet[int]{}), uintptr(128))
	assert.LessOrEqual(t, unsafe.Sizeof(threadExt{}), uintptr(64))
	assert.LessOrEqual(t, unsafe.Sizeof(queuedTask[int]{}), uintptr(128))
	// The floor benchmarks (bench/floor_test.go) carry futures of these
	// sizes: keep them in step.
	assert.Equal(t, uintptr(176), 16*((unsafe.Sizeof(memberThread[struct{}]{})+15)/16), "a group member's size class")
	assert.Equal(t, uintptr(176), 16*((unsafe.Sizeof(poolTask[int]{})+15)/16), "a pool task's size class")
}
