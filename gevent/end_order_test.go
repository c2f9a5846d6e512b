package gevent

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gevent frees a pool's slot, runs apply_async's callback and takes a
// member out of its group (links added at spawn) before a greenlet that
// joins the ended one resumes (its link comes later). The same order holds
// here in free mode: once Join, Get or Wait on a task or member returns,
// its slot is free, its callbacks have run and it has left its group.
const endOrderRuns = 2_000

func TestPoolSlotFreeWhenGetReturns(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 2)
	for i := range endOrderRuns {
		g := Submit(ctx, p, func(context.Context) (int, error) { return i, nil })
		v, err := g.Get(ctx)
		require.NoError(t, err)
		require.Equal(t, i, v)
		require.Equal(t, 2, p.FreeCount(), "run %d: the slot is free once Get returns", i)
		require.Equal(t, 0, p.Running(), "run %d", i)
	}
}

func TestApplyAsyncCallbackRanWhenGetReturns(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 2)
	for i := range endOrderRuns {
		var got atomic.Int64
		g := ApplyAsync(ctx, p, func(context.Context) (int, error) { return i + 1, nil }, func(v int) { got.Store(int64(v)) }, nil)
		require.NoError(t, g.Join(ctx))
		require.Equal(t, int64(i+1), got.Load(), "run %d: the callback ran before Join returned", i)
		require.Equal(t, 2, p.FreeCount(), "run %d", i)
	}
}

func TestGroupMemberGoneWhenJoinReturns(t *testing.T) {
	ctx := context.Background()
	var grp Group
	for i := range endOrderRuns {
		g := grp.Go(ctx, func(context.Context) error { return nil })
		require.NoError(t, g.Join(ctx))
		require.Zero(t, grp.Len(), "run %d: the member left its group before Join returned", i)
	}
	p := newPool(t, 1)
	pgrp, gctx := NewGroup(ctx, OnPool(p))
	for i := range endOrderRuns / 4 {
		g := pgrp.Go(gctx, func(context.Context) error { return nil })
		require.NoError(t, g.Join(ctx))
		require.Zero(t, pgrp.Len(), "run %d: on a pool too", i)
		require.Equal(t, 1, p.FreeCount(), "run %d", i)
	}
	assert.NoError(t, pgrp.Wait(ctx))
}

// A green thread in several groups leaves each of them once it ends: the
// group whose Go started it, the first that Added it (both before its
// joiners wake), and any other (by a Link).
func TestGreenThreadInSeveralGroups(t *testing.T) {
	ctx := context.Background()
	for i := range endOrderRuns / 4 {
		var a, b, c Group
		release := make(chan struct{})
		g := a.Go(ctx, func(context.Context) error { <-release; return nil })
		b.Add(g)
		c.Add(g)
		h := Spawn(ctx, func(context.Context) (int, error) { <-release; return 0, nil })
		b.Add(h)
		c.Add(h)
		require.Equal(t, []int{1, 2, 2}, []int{a.Len(), b.Len(), c.Len()}, "run %d", i)
		close(release)
		require.NoError(t, g.Join(ctx))
		require.NoError(t, h.Join(ctx))
		require.Zero(t, a.Len(), "run %d: the group whose Go started it", i)
		require.Zero(t, b.Len(), "run %d: the first that added it", i)
		require.NoError(t, c.Join(ctx), "run %d: a later one, by a Link", i)
		require.NoError(t, a.Wait(ctx))
		require.NoError(t, b.Wait(ctx))
	}
}

// Kill waits as Join does: once it returns, the killed task's slot is free.
func TestPoolSlotFreeWhenKillReturns(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 2)
	for i := range endOrderRuns / 2 {
		started := make(chan struct{})
		g := Submit(ctx, p, func(ctx context.Context) (int, error) {
			close(started)
			<-ctx.Done()
			return 0, ctx.Err()
		})
		<-started
		require.NoError(t, g.Kill(ctx))
		require.ErrorIs(t, g.Err(), ErrGreenletExit)
		require.Equal(t, 2, p.FreeCount(), "run %d: the slot is free once Kill returns", i)
	}
}

// As in gevent, a Link made before the green thread ends has run once a
// Join on it returns (gevent's join waits through a link made after it).
func TestLinkRanWhenJoinReturns(t *testing.T) {
	ctx := context.Background()
	for i := range endOrderRuns {
		release := make(chan struct{})
		g := Spawn(ctx, func(context.Context) (int, error) { <-release; return i, nil })
		var got atomic.Int64
		g.Link(func(g *Greenlet[int]) { got.Store(int64(g.Value()) + 1) })
		close(release)
		v, err := g.Get(ctx)
		require.NoError(t, err)
		require.Equal(t, int64(v)+1, got.Load(), "run %d: the Link ran before Get returned", i)
	}
}

// As in gevent, a join of a pool or group returns after the Links of its
// last task or member have run (gevent's pool and group wake their joiners
// from a link, whose switch comes after the greenlet's links).
func TestPoolAndGroupJoinAfterLinks(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 2)
	for i := range endOrderRuns / 2 {
		var linked atomic.Int32
		for range 3 {
			g := Submit(ctx, p, func(context.Context) (int, error) { return i, nil })
			g.Link(func(*Greenlet[int]) { linked.Add(1) })
		}
		require.NoError(t, p.Join(ctx))
		require.Equal(t, int32(3), linked.Load(), "run %d: Pool.Join returned before the Links ran", i)
	}
	for i := range endOrderRuns / 2 {
		grp, gctx := NewGroup(ctx)
		var linked atomic.Int32
		for range 3 {
			g := grp.Go(gctx, func(context.Context) error { return nil })
			g.Link(func(*Greenlet[struct{}]) { linked.Add(1) })
		}
		require.NoError(t, grp.Wait(ctx))
		require.Equal(t, int32(3), linked.Load(), "run %d: Group.Wait returned before the Links ran", i)
		var plain Group
		g := Spawn(ctx, func(context.Context) (int, error) { return i, nil })
		plain.Add(g)
		g.Link(func(*Greenlet[int]) { linked.Add(1) })
		require.NoError(t, plain.Join(ctx))
		require.Equal(t, int32(4), linked.Load(), "run %d: Group.Join returned before the Links ran", i)
	}
}
