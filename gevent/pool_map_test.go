package gevent

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mapCtx bounds a Map test that would otherwise hang if Map waited for
// calls that only end when it cancels them: generous, never reached when
// Map behaves.
func mapCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// indices returns 0, 1, ..., n-1.
func indices(n int) []int {
	items := make([]int, n)
	for i := range items {
		items[i] = i
	}
	return items
}

func TestMapPanicCancelsTheRestAtOnce(t *testing.T) {
	ctx := mapCtx(t)
	p := newPool(t, 4)
	var calls atomic.Int32
	_, err := Map(ctx, p, indices(64), func(ctx context.Context, x int) (int, error) {
		calls.Add(1)
		if x == 1 {
			panic("bad item")
		}
		<-ctx.Done() // a slow call that ends only when Map cancels it
		return 0, ctx.Err()
	})
	var pe *PanicError
	require.ErrorAs(t, err, &pe, "the panic is Map's error, not the timeout's")
	assert.Equal(t, "bad item", pe.Value)
	assert.NoError(t, ctx.Err(), "Map cancelled the other calls itself")
	assert.LessOrEqual(t, calls.Load(), int32(4), "no call started after the panic")
}

func TestMapFailureAmongSlowItemsIsPrompt(t *testing.T) {
	ctx := mapCtx(t)
	p := newPool(t, 4)
	var calls atomic.Int32
	_, err := Map(ctx, p, indices(64), func(ctx context.Context, x int) (int, error) {
		calls.Add(1)
		if x == 1 {
			return 0, errBoom
		}
		<-ctx.Done()
		return 0, ctx.Err()
	})
	assert.ErrorIs(t, err, errBoom, "item 1 fails while item 0 blocks: Map does not run it behind item 0")
	assert.NoError(t, ctx.Err())
	assert.LessOrEqual(t, calls.Load(), int32(4))
}

func TestMapSlowItemHoldsNoOtherBack(t *testing.T) {
	ctx := mapCtx(t)
	p := newPool(t, 4)
	const n = 64
	var others atomic.Int32
	allOthers := make(chan struct{})
	r, err := Map(ctx, p, indices(n), func(ctx context.Context, x int) (int, error) {
		if x == 0 {
			// The first item ends only once every other item is done: the
			// other workers must take the items behind it.
			select {
			case <-allOthers:
				return 0, nil
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}
		if others.Add(1) == n-1 {
			close(allOthers)
		}
		return x * 2, nil
	})
	require.NoError(t, err)
	for i, v := range r {
		assert.Equal(t, 2*i, v)
	}
}

func TestMapOnFullNonBlockingPool(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 2, WithNonBlocking())
	release := make(chan struct{})
	defer close(release)
	err := startErr(p.Go(ctx, func(context.Context) error { <-release; return nil }))
	require.NoError(t, err)
	r, err := Map(ctx, p, []int{1, 2, 3}, func(_ context.Context, x int) (int, error) { return x + 1, nil })
	require.NoError(t, err, "Map takes the free slot")
	assert.Equal(t, []int{2, 3, 4}, r)
	// In free mode a task gives its slot back just after its green thread
	// has finished, on its worker: Map may return a moment before.
	until(t, func() bool { return p.FreeCount() == 1 })
	err = startErr(p.Go(ctx, func(context.Context) error { <-release; return nil }))
	require.NoError(t, err)
	_, err = Map(ctx, p, []int{1}, func(_ context.Context, x int) (int, error) { return x, nil })
	assert.ErrorIs(t, err, ErrPoolFull)
}

func TestMapWaitsForSlotsInTurn(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 2)
	release := make(chan struct{})
	err := startErr(p.Go(ctx, func(context.Context) error { <-release; return nil }))
	require.NoError(t, err)
	err = startErr(p.Go(ctx, func(context.Context) error { <-release; return nil }))
	require.NoError(t, err)
	m := Spawn(ctx, func(ctx context.Context) ([]int, error) {
		return Map(ctx, p, []int{1, 2, 3, 4, 5}, func(_ context.Context, x int) (int, error) { return -x, nil })
	})
	until(t, func() bool { return claims(p) == 2 }) // its two workers are queued
	close(release)
	r, err := m.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, []int{-1, -2, -3, -4, -5}, r)
}

func TestMapWhenThePoolIsKilled(t *testing.T) {
	ctx := context.Background()
	p := NewPool(2)
	var started atomic.Int32
	m := Spawn(ctx, func(ctx context.Context) ([]int, error) {
		return Map(ctx, p, make([]int, 10), func(ctx context.Context, _ int) (int, error) {
			started.Add(1)
			<-ctx.Done()
			return 0, nil // a call that ignores its cancellation
		})
	})
	until(t, func() bool { return started.Load() == 2 })
	require.NoError(t, p.Kill(ctx))
	_, err := m.Get(ctx)
	assert.ErrorIs(t, err, ErrGreenletExit, "items were left: Map reports the kill")
}

// An ordered IMap keeps the pool busy while its consumer waits behind a
// slow earlier item, as gevent's and multiprocessing's imap do: with the
// first call blocked, the others run and finish, up to imapAhead Sizes of
// calls started ahead of the consumer; then the results come in input
// order.
func TestIMapKeepsThePoolBusyBehindASlowItem(t *testing.T) {
	ctx := context.Background()
	const size, n = 2, 20
	p := newPool(t, size)
	release := make(chan struct{})
	var started, finished atomic.Int32
	items := make([]int, n)
	for i := range items {
		items[i] = i
	}
	var got []int
	done := make(chan struct{})
	go func() {
		defer close(done)
		for r, err := range IMap(ctx, p, slices.Values(items), func(ctx context.Context, x int) (int, error) {
			started.Add(1)
			if x == 0 {
				<-release
			}
			finished.Add(1)
			return x, nil
		}) {
			assert.NoError(t, err)
			assert.Equal(t, r.Index, r.Value)
			got = append(got, r.Value)
		}
	}()
	ahead := int32(imapAhead * size)
	until(t, func() bool { return finished.Load() == ahead-1 }) // the pool stayed busy
	assert.LessOrEqual(t, started.Load(), ahead, "no call starts beyond the window while the first blocks")
	close(release)
	<-done
	assert.Equal(t, items, got, "in input order")
}

// The same on a Hub, as a gevent program: pool of 2, imap over sleeps of
// 30, 10 and 20 ms. gevent 22.10 prints "slow 1 done", "slow 3 done",
// "slow 2 done", then 3, 1, 2: the third item started when the second
// ended, not when the first was consumed.
func TestHubIMapKeepsThePoolBusy(t *testing.T) {
	trace := runTraces(t, 1_000, func(ctx context.Context, trace *[]string) error {
		p := NewPool(2)
		for r, err := range IMap(ctx, p, slices.Values([]int{3, 1, 2}), func(ctx context.Context, x int) (int, error) {
			if err := Sleep(ctx, time.Duration(x)*10*time.Millisecond); err != nil {
				return 0, err
			}
			*trace = append(*trace, fmt.Sprintf("slow %d done", x))
			return x, nil
		}) {
			if err != nil {
				return err
			}
			*trace = append(*trace, fmt.Sprintf("imap %d", r.Value))
		}
		return nil
	})
	assert.Equal(t, []string{"slow 1 done", "slow 3 done", "slow 2 done", "imap 3", "imap 1", "imap 2"}, trace)
}

// On a Hub, Map's items take the turns gevent's pool.map gives them (a
// greenlet per item, spawned by a greenlet of the map's own as slots free
// up), so a green thread running beside the map interleaves with the
// items as it does under gevent. The expected lines are gevent 22.10's for
//
//	def ticker():                       def g(x):
//	    while not stop: log("tick"); sleep(0)   log("g", x); sleep(0); log("g again", x)
//	t = spawn(ticker); sleep(0); log(Pool(2).map(g, [1, 2, 3, 4]))
func TestHubMapTurnsAsGevent(t *testing.T) {
	trace := runTraces(t, 1_000, func(ctx context.Context, trace *[]string) error {
		log := traceTo(trace)
		stop := false
		ticker := Go(ctx, func(ctx context.Context) error {
			for i := 0; !stop; i++ {
				log("tick %d", i)
				if err := Sleep(ctx, 0); err != nil {
					return err
				}
			}
			return nil
		})
		if err := Sleep(ctx, 0); err != nil {
			return err
		}
		r, err := Map(ctx, NewPool(2), []int{1, 2, 3, 4}, func(ctx context.Context, x int) (int, error) {
			log("g %d", x)
			if err := Sleep(ctx, 0); err != nil {
				return 0, err
			}
			log("g %d again", x)
			return x, nil
		})
		if err != nil {
			return err
		}
		log("map -> %v", r)
		stop = true
		return ticker.Join(ctx)
	})
	assert.Equal(t, []string{
		"tick 0", "tick 1", "tick 2", "g 1", "g 2", "tick 3", "g 1 again", "g 2 again",
		"tick 4", "tick 5", "tick 6", "g 3", "g 4", "tick 7", "g 3 again", "g 4 again",
		"tick 8", "tick 9", "map -> [1 2 3 4]",
	}, trace)
}
