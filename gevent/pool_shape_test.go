package gevent

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A task the pool refuses comes back as a green thread finished with the
// reason, never run: the one shape of every Go, Submit and ApplyAsync.
func TestPoolRefusalIsAFinishedGreenThread(t *testing.T) {
	ctx := context.Background()
	var ran bool
	body := func(context.Context) (int, error) { ran = true; return 1, nil }

	closed := newPool(t, 2)
	closed.Close()
	full := newPool(t, 1, WithNonBlocking())
	hold := make(chan struct{})
	holder := full.Go(ctx, func(context.Context) error { <-hold; return nil })
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	busy := newPool(t, 1)
	busyHolder := busy.Go(ctx, func(context.Context) error { <-hold; return nil })

	cases := []struct {
		name string
		g    *Greenlet[int]
		want error
	}{
		{"Submit on a closed pool", Submit(ctx, closed, body, WithName("refused")), ErrPoolClosed},
		{"Submit on a full non-blocking pool", Submit(ctx, full, body), ErrPoolFull},
		{"Submit whose ctx is done while the pool is full", Submit(cancelled, busy, body), context.Canceled},
		{"ApplyAsync on a closed pool", ApplyAsync(ctx, closed, body, nil, nil), ErrPoolClosed},
		{"ApplyAsync on a full non-blocking pool", ApplyAsync(ctx, full, body, nil, nil), ErrPoolFull},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.True(t, c.g.Ready(), "finished before the call returns")
			assert.False(t, c.g.Started())
			assert.False(t, c.g.Successful())
			assert.ErrorIs(t, c.g.Err(), c.want)
			_, err := c.g.Get(ctx)
			assert.ErrorIs(t, err, c.want)
			assert.NoError(t, c.g.Join(ctx), "Join waits, as gevent's join; Get and Err tell why")
		})
	}
	assert.Equal(t, "refused", cases[0].g.Name(), "spawn options apply to a refused green thread too")
	g := closed.Go(ctx, func(context.Context) error { ran = true; return nil })
	assert.ErrorIs(t, g.Err(), ErrPoolClosed)
	assert.False(t, ran, "no refused task ran")
	close(hold)
	require.NoError(t, holder.Join(ctx))
	require.NoError(t, busyHolder.Join(ctx))
}

// ApplyAsync's callbacks see every outcome exactly once, a refusal too.
func TestApplyAsyncRefusalReachesOnError(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 1)
	p.Close()
	var got []error
	g := ApplyAsync(ctx, p, func(context.Context) (int, error) { return 1, nil },
		func(int) { t.Error("onValue ran for a refused task") },
		func(err error) { got = append(got, err) })
	require.Len(t, got, 1, "onError ran before ApplyAsync returned")
	assert.ErrorIs(t, got[0], ErrPoolClosed)
	assert.ErrorIs(t, g.Err(), ErrPoolClosed)
}

// On a Hub a refused green thread leaves the hub at once: the hub does not
// wait for it, and the same program gives the same trace every run.
func TestPoolRefusalOnHub(t *testing.T) {
	got := runTraces(t, 200, func(ctx context.Context, tr *[]string) error {
		trace := func(s string) { *tr = append(*tr, s) }
		p := NewPool(1, WithNonBlocking())
		first := p.Go(ctx, func(ctx context.Context) error {
			trace("first runs")
			return Sleep(ctx, time.Second)
		})
		second := p.Go(ctx, func(context.Context) error { trace("second runs"); return nil })
		trace("second: " + second.Err().Error())
		if err := first.Join(ctx); err != nil {
			return err
		}
		p.Close()
		third := p.Go(ctx, func(context.Context) error { return nil })
		if !errors.Is(third.Err(), ErrPoolClosed) {
			return third.Err()
		}
		trace("third refused")
		return p.Join(ctx)
	})
	assert.Equal(t, []string{"second: gevent: pool full", "first runs", "third refused"}, got)
}
