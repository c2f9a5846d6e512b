package gevent_test

// Tests of the small additions to the waiting toolbox: Queue.Peek, PeekNowait,
// UnfinishedTasks and CloseNow, Channel.PutNowait, GetNowait and Len,
// Pool.Len and Full, Dict.LoadOrStore.

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geventgo/geventgo/gevent"
)

func TestDictLoadOrStore(t *testing.T) {
	var d gevent.Dict[string, int]
	var fresh atomic.Int32
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			v, loaded := d.LoadOrStore("k", i)
			if !loaded {
				fresh.Add(1)
				assert.Equal(t, i, v)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), fresh.Load(), "exactly one caller stored")
	v, loaded := d.LoadOrStore("k", -1)
	assert.True(t, loaded)
	got, _ := d.Get("k")
	assert.Equal(t, got, v)
}

func TestPoolLenFull(t *testing.T) {
	ctx := context.Background()
	var zero gevent.Pool
	assert.False(t, zero.Full())
	assert.Equal(t, 0, zero.Len())
	p := gevent.NewPool(2)
	var release gevent.Event
	for range 2 {
		err := startErr(p.Go(ctx, release.Wait))
		require.NoError(t, err)
	}
	assert.True(t, p.Full())
	assert.Equal(t, 2, p.Len())
	release.Set()
	require.NoError(t, p.Join(ctx))
	assert.False(t, p.Full())
	assert.Equal(t, 0, p.Len())
	p.Close()
	require.NoError(t, p.Join(ctx))
}

func TestQueuePeek(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		q    *gevent.Queue[int]
		want int
	}{
		{"fifo", gevent.NewQueue[int](0), 3},
		{"lifo", gevent.NewLifoQueue[int](0), 1},
		{"priority", gevent.NewOrderedPriorityQueue[int](0), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			_, err := q.PeekNowait()
			assert.ErrorIs(t, err, gevent.ErrEmpty)
			for _, v := range []int{3, 5, 1} {
				require.NoError(t, q.Put(ctx, v))
			}
			v, err := q.Peek(ctx)
			assert.NoError(t, err)
			assert.Equal(t, tc.want, v)
			v, err = q.PeekNowait()
			assert.NoError(t, err)
			assert.Equal(t, tc.want, v)
			assert.Equal(t, 3, q.Len(), "nothing removed")
			v, _ = q.Get(ctx)
			assert.Equal(t, tc.want, v)
			q.Close()
			q.GetNowait()
			q.GetNowait()
			_, err = q.PeekNowait()
			assert.ErrorIs(t, err, gevent.ErrQueueClosed)
			_, err = q.Peek(ctx)
			assert.ErrorIs(t, err, gevent.ErrQueueClosed)
		})
	}
}

// A Peek and a Get wait together: one Put wakes the first waiter, the Peek,
// which passes the wake on to the Get.
func TestQueuePeekPassesWake(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		var q gevent.Queue[string]
		peeked, got := make(chan string, 1), make(chan string, 1)
		go func() { v, _ := q.Peek(ctx); peeked <- v }()
		synctest.Wait()
		go func() { v, _ := q.Get(ctx); got <- v }()
		synctest.Wait()
		require.NoError(t, q.Put(ctx, "x"))
		synctest.Wait()
		assert.Equal(t, "x", <-peeked)
		assert.Equal(t, "x", <-got)
		assert.Equal(t, 0, q.Len())
	})
}

func TestQueuePeekHubKill(t *testing.T) {
	require.NoError(t, gevent.RunHub(context.Background(), func(ctx context.Context) error {
		var q gevent.Queue[int]
		var trace []string
		g := gevent.Go(ctx, func(ctx context.Context) error {
			v, err := q.Peek(ctx)
			trace = append(trace, fmt.Sprint("peek ", v))
			return err
		})
		k := gevent.Go(ctx, func(ctx context.Context) error {
			_, err := q.Peek(ctx)
			return err
		})
		gevent.Sleep(ctx, time.Millisecond)
		require.NoError(t, k.Kill(ctx))
		assert.ErrorIs(t, k.Err(), gevent.ErrGreenletExit)
		q.Put(ctx, 7)
		require.NoError(t, g.Join(ctx))
		assert.NoError(t, g.Err())
		assert.Equal(t, []string{"peek 7"}, trace)
		assert.Equal(t, 1, q.Len())

		var empty gevent.Queue[int]
		err := gevent.WithTimeout(ctx, time.Second, func(ctx context.Context) error {
			_, err := empty.Peek(ctx)
			return err
		})
		assert.ErrorIs(t, err, gevent.ErrTimeout)
		return nil
	}, gevent.WithVirtualClock(confEpoch)))
	// A deadline in ctx: Python's peek(timeout=...) raises Empty.
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		var empty gevent.Queue[int]
		_, err := empty.Peek(ctx)
		assert.ErrorIs(t, err, gevent.ErrEmpty)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

func TestQueueCloseNow(t *testing.T) {
	for _, hub := range []bool{false, true} {
		t.Run(fmt.Sprint("hub=", hub), func(t *testing.T) {
			run := func(ctx context.Context) error {
				q := gevent.NewQueue[int](3)
				for i := range 3 {
					require.NoError(t, q.Put(ctx, i))
				}
				assert.Equal(t, 3, q.UnfinishedTasks())
				v, _ := q.Get(ctx)
				assert.Equal(t, 0, v)
				require.NoError(t, q.Put(ctx, 3))
				blockedPut := gevent.Go(ctx, func(ctx context.Context) error { return q.Put(ctx, 4) })
				joined := gevent.Go(ctx, q.Join)
				gevent.Sleep(ctx, time.Millisecond)
				assert.False(t, blockedPut.Ready())

				assert.Equal(t, 3, q.CloseNow(), "three items discarded")
				assert.Equal(t, 1, q.UnfinishedTasks(), "the item taken is still unfinished")
				assert.NoError(t, blockedPut.Join(ctx))
				assert.ErrorIs(t, blockedPut.Err(), gevent.ErrQueueClosed)
				_, err := q.Get(ctx)
				assert.ErrorIs(t, err, gevent.ErrQueueClosed, "no item left to get")
				gevent.Sleep(ctx, time.Millisecond)
				assert.False(t, joined.Ready())
				q.TaskDone()
				assert.NoError(t, joined.Join(ctx))
				assert.NoError(t, joined.Err())
				assert.Equal(t, 0, q.CloseNow())

				// Pending gets fail at once.
				var e gevent.Queue[int]
				g := gevent.Spawn(ctx, e.Get)
				gevent.Sleep(ctx, time.Millisecond)
				e.CloseNow()
				_, err = g.Get(ctx)
				assert.ErrorIs(t, err, gevent.ErrQueueClosed)
				return nil
			}
			if hub {
				require.NoError(t, gevent.RunHub(context.Background(), run, gevent.WithVirtualClock(confEpoch)))
			} else {
				// In a bubble, each Sleep returns once every other
				// goroutine is blocked: the getters and putters have
				// parked, whatever the machine's load.
				synctest.Test(t, func(*testing.T) { require.NoError(t, run(context.Background())) })
			}
		})
	}
}

func TestChannelNowait(t *testing.T) {
	for _, hub := range []bool{false, true} {
		t.Run(fmt.Sprint("hub=", hub), func(t *testing.T) {
			run := func(ctx context.Context) error {
				var c gevent.Channel[int]
				assert.ErrorIs(t, c.PutNowait(1), gevent.ErrFull, "no Get waits")
				_, err := c.GetNowait()
				assert.ErrorIs(t, err, gevent.ErrEmpty, "no Put waits")
				assert.Equal(t, 0, c.Len())

				getter := gevent.Spawn(ctx, c.Get)
				gevent.Sleep(ctx, time.Millisecond)
				assert.NoError(t, c.PutNowait(2))
				assert.Equal(t, 1, c.Len())
				v, err := getter.Get(ctx)
				assert.NoError(t, err)
				assert.Equal(t, 2, v)
				assert.Equal(t, 0, c.Len())

				putter := gevent.Go(ctx, func(ctx context.Context) error { return c.Put(ctx, 3) })
				gevent.Sleep(ctx, time.Millisecond)
				assert.Equal(t, 1, c.Len())
				v, err = c.GetNowait()
				assert.NoError(t, err)
				assert.Equal(t, 3, v)
				assert.NoError(t, putter.Join(ctx))
				assert.NoError(t, putter.Err())

				// A Put after a PutNowait: the blocking Put is woken by its own Get.
				g1 := gevent.Spawn(ctx, c.Get)
				gevent.Sleep(ctx, time.Millisecond)
				assert.NoError(t, c.PutNowait(4))
				p := gevent.Go(ctx, func(ctx context.Context) error { return c.Put(ctx, 5) })
				gevent.Sleep(ctx, time.Millisecond)
				v, _ = c.Get(ctx)
				v1, _ := g1.Get(ctx)
				assert.ElementsMatch(t, []int{4, 5}, []int{v, v1})
				assert.NoError(t, p.Join(ctx))
				assert.NoError(t, p.Err())

				c.Close()
				assert.ErrorIs(t, c.PutNowait(1), gevent.ErrQueueClosed)
				_, err = c.GetNowait()
				assert.ErrorIs(t, err, gevent.ErrQueueClosed)
				return nil
			}
			if hub {
				require.NoError(t, gevent.RunHub(context.Background(), run, gevent.WithVirtualClock(confEpoch)))
			} else {
				// In a bubble, each Sleep returns once every other
				// goroutine is blocked: the getters and putters have
				// parked, whatever the machine's load.
				synctest.Test(t, func(*testing.T) { require.NoError(t, run(context.Background())) })
			}
		})
	}
}
