package gevent_test

// Tests of the errors of a group of tasks: Group.Wait, NewGroup's
// options (CancelOnError, AllErrors, Limit, OnPool), SetLimit, TryGo,
// ResultGroup, and the Pool's TrySubmit and TryGo. They synchronise on
// Events, or run in synctest bubbles where they must see a call blocked.

import (
	"context"
	"errors"
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

var (
	errA = errors.New("a failed")
	errB = errors.New("b failed")
)

func TestGroupWaitFirstError(t *testing.T) {
	ctx := context.Background()
	var grp gevent.Group
	var aDone gevent.Event
	grp.Go(ctx, func(context.Context) error { return errA }).Link(func(*gevent.Greenlet[struct{}]) { aDone.Set() }) // a Link runs once the group counted the end
	grp.Go(ctx, func(ctx context.Context) error {
		require.NoError(t, aDone.Wait(ctx))
		return errB
	})
	grp.Go(ctx, func(context.Context) error { return nil })
	assert.ErrorIs(t, grp.Wait(ctx), errA)
	assert.Equal(t, 0, grp.Len())
	assert.ErrorIs(t, grp.Wait(ctx), errA, "the failure is kept")
}

func TestGroupWaitEmpty(t *testing.T) {
	var grp gevent.Group
	assert.NoError(t, grp.Wait(context.Background()))
	g, gctx := gevent.NewGroup(context.Background())
	assert.NoError(t, g.Wait(context.Background()))
	assert.ErrorIs(t, gctx.Err(), context.Canceled, "Wait cancels NewGroup's context")
	assert.ErrorIs(t, context.Cause(gctx), context.Canceled)
}

func TestGroupAllErrors(t *testing.T) {
	ctx := context.Background()
	grp, _ := gevent.NewGroup(ctx, gevent.AllErrors())
	var aDone gevent.Event
	grp.Go(ctx, func(context.Context) error { return errA }).Link(func(*gevent.Greenlet[struct{}]) { aDone.Set() }) // a Link runs once the group counted the end
	grp.Go(ctx, func(ctx context.Context) error {
		require.NoError(t, aDone.Wait(ctx))
		return errB
	})
	grp.Go(ctx, func(context.Context) error { panic("boom") })
	killed := grp.Go(ctx, func(ctx context.Context) error { <-ctx.Done(); return gevent.Sleep(ctx, 0) })
	require.NoError(t, killed.Kill(ctx))
	assert.ErrorIs(t, killed.Err(), gevent.ErrGreenletExit)
	err := grp.Wait(ctx)
	assert.ErrorIs(t, err, errA)
	assert.ErrorIs(t, err, errB)
	var pe *gevent.PanicError
	assert.ErrorAs(t, err, &pe, "a panic is a failure")
	assert.NotErrorIs(t, err, gevent.ErrGreenletExit, "a kill is no failure")
	assert.Len(t, err.(interface{ Unwrap() []error }).Unwrap(), 3)
}

func TestGroupCancelOnError(t *testing.T) {
	grp, gctx := gevent.NewGroup(context.Background(), gevent.CancelOnError())
	var causes []error
	var mu sync.Mutex
	for range 3 {
		grp.Go(gctx, func(ctx context.Context) error {
			<-ctx.Done()
			mu.Lock()
			causes = append(causes, context.Cause(ctx))
			mu.Unlock()
			return ctx.Err()
		})
	}
	grp.Go(gctx, func(context.Context) error { return errA })
	assert.ErrorIs(t, grp.Wait(context.Background()), errA)
	assert.Equal(t, []error{errA, errA, errA}, causes)
	assert.ErrorIs(t, context.Cause(gctx), errA)
}

func TestGroupCancelOnErrorNotWithoutOption(t *testing.T) {
	grp, gctx := gevent.NewGroup(context.Background())
	grp.Go(gctx, func(context.Context) error { return errA })
	ok := grp.Go(gctx, func(ctx context.Context) error { return ctx.Err() })
	assert.ErrorIs(t, grp.Wait(context.Background()), errA)
	assert.NoError(t, ok.Err(), "no CancelOnError: the other member's context was not cancelled while it ran")
	assert.ErrorIs(t, context.Cause(gctx), errA, "Wait cancels with its error as the cause")
}

// Wait waits for every member even when its context has ended; Join
// returns at once.
func TestGroupWaitAlwaysWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var grp gevent.Group
		var release gevent.Event
		m := grp.Go(context.Background(), func(ctx context.Context) error { return release.Wait(ctx) })
		done, cancel := context.WithCancel(context.Background())
		cancel()
		assert.ErrorIs(t, grp.Join(done), context.Canceled, "Join returns at its context's end")
		returned := make(chan error, 1)
		go func() { returned <- grp.Wait(done) }()
		synctest.Wait()
		select {
		case <-returned:
			t.Fatal("Wait returned while a member runs")
		default:
		}
		release.Set()
		assert.NoError(t, <-returned)
		assert.True(t, m.Ready())
	})
}

func TestGroupSetLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		var grp gevent.Group
		grp.SetLimit(2)
		var release [3]gevent.Event
		for i := range 2 {
			grp.Go(ctx, func(ctx context.Context) error { return release[i].Wait(ctx) })
		}
		_, ok := grp.TryGo(ctx, func(context.Context) error { return nil })
		assert.False(t, ok, "TryGo at the limit")
		started := make(chan *gevent.Greenlet[struct{}], 1)
		go func() { started <- grp.Go(ctx, func(ctx context.Context) error { return release[2].Wait(ctx) }) }()
		synctest.Wait()
		assert.Empty(t, started, "Go waits at the limit")
		assert.Equal(t, 2, grp.Len())
		release[0].Set()
		third := <-started
		synctest.Wait()
		_, ok = grp.TryGo(ctx, func(context.Context) error { return nil })
		assert.False(t, ok, "the freed slot went to the waiting Go")
		release[1].Set()
		synctest.Wait()
		g, ok := grp.TryGo(ctx, func(context.Context) error { return errA })
		require.True(t, ok)
		release[2].Set()
		assert.ErrorIs(t, grp.Wait(ctx), errA)
		assert.True(t, third.Ready() && g.Ready())
	})
}

func TestGroupLimitGoCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		grp, _ := gevent.NewGroup(ctx, gevent.Limit(1))
		var release gevent.Event
		grp.Go(ctx, func(ctx context.Context) error { return release.Wait(ctx) })
		wctx, cancel := context.WithCancel(ctx)
		ran := false
		got := make(chan *gevent.Greenlet[struct{}], 1)
		go func() { got <- grp.Go(wctx, func(context.Context) error { ran = true; return nil }) }()
		synctest.Wait()
		cancel()
		g := <-got
		release.Set()
		assert.ErrorIs(t, grp.Wait(ctx), context.Canceled)
		assert.ErrorIs(t, g.Err(), context.Canceled)
		assert.False(t, ran, "fn never ran")
	})
}

func TestGroupRaiseLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		var grp gevent.Group
		grp.SetLimit(1)
		var release gevent.Event
		grp.Go(ctx, func(ctx context.Context) error { return release.Wait(ctx) })
		got := make(chan *gevent.Greenlet[struct{}], 1)
		go func() { got <- grp.Go(ctx, func(context.Context) error { return nil }) }()
		synctest.Wait()
		assert.Empty(t, got)
		grp.SetLimit(0) // no limit: the waiting Go starts
		g := <-got
		require.NoError(t, g.Join(ctx))
		release.Set()
		assert.NoError(t, grp.Wait(ctx))
	})
}

func TestGroupDiscardedFailureDoesNotCount(t *testing.T) {
	ctx := context.Background()
	var grp gevent.Group
	var release gevent.Event
	g := grp.Go(ctx, func(ctx context.Context) error { _ = release.Wait(ctx); return errA })
	grp.Discard(g)
	release.Set()
	require.NoError(t, g.Join(ctx))
	assert.NoError(t, grp.Wait(ctx))
}

func TestGroupAddCountsFailure(t *testing.T) {
	ctx := context.Background()
	var grp gevent.Group
	var release gevent.Event
	grp.Add(gevent.Spawn(ctx, func(ctx context.Context) (int, error) { _ = release.Wait(ctx); return 0, errB }))
	release.Set()
	assert.ErrorIs(t, grp.Wait(ctx), errB)
}

func TestResultGroupOrder(t *testing.T) {
	ctx := context.Background()
	rg, rctx := gevent.NewResultGroup[int](ctx)
	var evs [5]gevent.Event
	for i := range 5 {
		rg.Go(rctx, func(ctx context.Context) (int, error) {
			if i < 4 {
				if err := evs[i+1].Wait(ctx); err != nil { // finish in reverse order
					return 0, err
				}
			}
			evs[i].Set()
			return i * 10, nil
		})
	}
	vs, err := rg.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 10, 20, 30, 40}, vs)
	assert.Equal(t, 0, rg.Group().Len())
}

func TestResultGroupError(t *testing.T) {
	ctx := context.Background()
	var rg gevent.ResultGroup[string]
	rg.SetLimit(1)
	rg.Go(ctx, func(context.Context) (string, error) { return "a", nil })
	rg.Go(ctx, func(context.Context) (string, error) { return "partial", errB })
	vs, err := rg.Wait(ctx)
	assert.ErrorIs(t, err, errB)
	assert.Equal(t, []string{"a", "partial"}, vs)
	g, ok := rg.TryGo(ctx, func(context.Context) (string, error) { return "c", nil })
	require.True(t, ok)
	require.NoError(t, g.Join(ctx))
	vs, _ = rg.Wait(ctx)
	assert.Equal(t, []string{"a", "partial", "c"}, vs)
}

func TestPoolTrySubmit(t *testing.T) {
	ctx := context.Background()
	p := gevent.NewPool(1)
	defer func() { p.Close(); require.NoError(t, p.Join(ctx)) }()
	var release gevent.Event
	busy, ok := p.TryGo(ctx, func(ctx context.Context) error { return release.Wait(ctx) })
	require.True(t, ok)
	g, ok := gevent.TrySubmit(ctx, p, func(context.Context) (int, error) { return 1, nil })
	assert.False(t, ok)
	assert.Nil(t, g)
	release.Set()
	require.NoError(t, busy.Join(ctx))
	require.NoError(t, p.Join(ctx))
	g, ok = gevent.TrySubmit(ctx, p, func(context.Context) (int, error) { return 7, nil })
	require.True(t, ok)
	v, err := g.Get(ctx)
	assert.NoError(t, err)
	assert.Equal(t, 7, v)
	p.Close()
	_, ok = p.TryGo(ctx, func(context.Context) error { return nil })
	assert.False(t, ok, "closed")
}

func TestGroupOnPool(t *testing.T) {
	ctx := context.Background()
	p := gevent.NewPool(2)
	defer func() { p.Close(); require.NoError(t, p.Join(ctx)) }()
	grp, gctx := gevent.NewGroup(ctx, gevent.OnPool(p), gevent.CancelOnError())
	var release gevent.Event
	grp.Go(gctx, func(ctx context.Context) error { <-ctx.Done(); return context.Cause(ctx) })
	grp.Go(gctx, func(ctx context.Context) error { _ = release.Wait(ctx); return errA })
	_, ok := grp.TryGo(gctx, func(context.Context) error { return nil })
	assert.False(t, ok, "the pool is full")
	assert.Equal(t, 2, p.Running())
	release.Set()
	assert.ErrorIs(t, grp.Wait(ctx), errA)
	p.Close()
	g := grp.Go(ctx, func(context.Context) error { return nil })
	assert.ErrorIs(t, grp.Wait(ctx), errA)
	assert.ErrorIs(t, g.Err(), gevent.ErrPoolClosed, "a task the pool refused reports why")
}

// hubCancelScenario runs a group with CancelOnError and a limit on a
// virtual-clock Hub and returns what happened, in order.
func hubCancelScenario(t *testing.T) []string {
	var trace []string
	err := gevent.RunHub(context.Background(), func(ctx context.Context) error {
		grp, gctx := gevent.NewGroup(ctx, gevent.CancelOnError(), gevent.Limit(3))
		for i := range 5 {
			grp.Go(gctx, func(ctx context.Context) error {
				trace = append(trace, fmt.Sprint("start ", i))
				if i == 2 {
					if err := gevent.Sleep(ctx, 5*time.Millisecond); err != nil {
						return err
					}
					trace = append(trace, "fail 2")
					return errA
				}
				err := gevent.Sleep(ctx, time.Duration(i+1)*10*time.Millisecond)
				trace = append(trace, fmt.Sprintf("end %d: %v", i, context.Cause(ctx)))
				return err
			})
		}
		err := grp.Wait(ctx)
		trace = append(trace, fmt.Sprint("wait: ", err))
		return nil
	}, gevent.WithVirtualClock(time.Unix(0, 0)))
	require.NoError(t, err)
	return trace
}

func TestGroupHubCancelOnErrorDeterministic(t *testing.T) {
	want := hubCancelScenario(t)
	assert.Equal(t, "start 0", want[0])
	assert.Contains(t, want, "fail 2")
	assert.Equal(t, "wait: a failed", want[len(want)-1])
	for range 200 {
		require.Equal(t, want, hubCancelScenario(t))
	}
	t.Log(strings.Join(want, "; "))
}

func TestGroupHubResultGroup(t *testing.T) {
	var got []int
	err := gevent.RunHub(context.Background(), func(ctx context.Context) error {
		rg, rctx := gevent.NewResultGroup[int](ctx, gevent.Limit(2))
		for i := range 4 {
			rg.Go(rctx, func(ctx context.Context) (int, error) {
				return i, gevent.Sleep(ctx, time.Duration(4-i)*time.Millisecond)
			})
		}
		var err error
		got, err = rg.Wait(ctx)
		return err
	}, gevent.WithVirtualClock(time.Unix(0, 0)))
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1, 2, 3}, got)
}

// On a Hub, green threads calling Go on a full ResultGroup, and TryGo
// beside them, take turns: none blocks the hub. Each passes its own
// context, as every blocking call on a Hub must.
func TestGroupHubResultGroupConcurrentGo(t *testing.T) {
	var got []string
	var tried bool
	err := gevent.RunHub(context.Background(), func(ctx context.Context) error {
		rg, _ := gevent.NewResultGroup[string](ctx, gevent.Limit(1))
		var spawners gevent.Group
		for _, name := range []string{"a", "b", "c"} {
			spawners.Go(ctx, func(ctx context.Context) error {
				rg.Go(ctx, func(ctx context.Context) (string, error) {
					return name, gevent.Sleep(ctx, time.Millisecond)
				})
				return nil
			})
		}
		spawners.Go(ctx, func(ctx context.Context) error {
			_, tried = rg.TryGo(ctx, func(context.Context) (string, error) { return "t", nil })
			return nil
		})
		if err := spawners.Wait(ctx); err != nil {
			return err
		}
		var err error
		got, err = rg.Wait(ctx)
		return err
	}, gevent.WithVirtualClock(time.Unix(0, 0)))
	require.NoError(t, err)
	assert.False(t, tried, "the limit is taken")
	assert.Equal(t, []string{"a", "b", "c"}, got)
}

// On a virtual-clock Hub, a Wait that nothing can end returns ErrLoopExit.
func TestGroupHubWaitLoopExit(t *testing.T) {
	var waitErr error
	_ = gevent.RunHub(context.Background(), func(ctx context.Context) error {
		var grp gevent.Group
		var never gevent.Event
		grp.Go(ctx, func(ctx context.Context) error { return never.Wait(ctx) })
		waitErr = grp.Wait(ctx)
		return grp.Kill(ctx)
	}, gevent.WithVirtualClock(time.Unix(0, 0)))
	assert.ErrorIs(t, waitErr, gevent.ErrLoopExit)
}
