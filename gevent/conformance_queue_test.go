package gevent_test

// Conformance: gevent's src/gevent/tests/test__queue.py, ported.
//
// gevent's SimpleQueue and Queue (JoinableQueue) are one Go type, Queue;
// the cases of both classes run on it under both names. LifoQueue and
// PriorityQueue are NewLifoQueue and NewOrderedPriorityQueue; Channel is
// Channel. Python's get(timeout=s)/put(timeout=s) are Get/Put with a
// context deadline.
//
// Not ported: test_subscript (Python's generic aliases: Go's type
// parameters are compile-time), test_init_and_bottleneck_methods and
// test_subclass_assign_queue (subclass hooks _init/_get/_put),
// test_weak_reference (weakref), test_peek_multi_greenlet (Go's Queue has no
// peek), test_shutdown_immediate_all_methods_in_one_thread (Go's Close is
// shutdown(immediate=False); there is no immediate shutdown), and
// TestChannel.test_get_nowait_unlock_channel and the Channel runs of
// test_put_nowait_* (Go's Channel has no GetNowait/PutNowait).

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geventgo/geventgo/gevent"
)

// confExpired is a context already past its deadline: for the "timeout=0"
// of p.get(timeout=0) on a green thread that has finished.
func confExpired() context.Context {
	ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	cancel()
	return ctx
}

// errRuntime is the RuntimeError() given to gevent.Timeout(0, RuntimeError()).
var errRuntime = errors.New("RuntimeError")

func TestConformance_Queue(t *testing.T) {
	for _, class := range []string{"TestSimpleQueue", "TestQueue"} {
		// UsesOnlyOneItemMixin

		t.Run(class+".test_put_nowait_simple", func(t *testing.T) {
			q := gevent.NewQueue[int](1)
			assert.NoError(t, q.PutNowait(2))
			assert.ErrorIs(t, q.PutNowait(3), gevent.ErrFull)
		})
		// put_nowait from the hub's loop callback: in Go, from the main green
		// thread, which does not yield in PutNowait.
		t.Run(class+".test_put_nowait_unlock", func(t *testing.T) {
			confHub(t, func(ctx context.Context, h *gevent.Hub) error {
				q := gevent.NewQueue[int](0)
				p := gevent.Spawn(ctx, q.Get)
				assert.True(t, q.Empty())
				assert.False(t, q.Full())
				assert.NoError(t, gevent.Sleep(ctx, time.Millisecond))
				assert.True(t, q.Empty())
				assert.False(t, q.Full())
				assert.NoError(t, q.PutNowait(10))
				assert.False(t, p.Ready())
				assert.NoError(t, gevent.Sleep(ctx, time.Millisecond))
				assert.True(t, p.Ready())
				assert.Equal(t, 10, p.Value())
				assert.False(t, q.Full())
				assert.True(t, q.Empty())
				return nil
			})
		})
		t.Run(class+".test_send_last", func(t *testing.T) {
			confHub(t, func(ctx context.Context, h *gevent.Hub) error {
				q := gevent.NewQueue[string](0)
				p := gevent.Spawn(ctx, func(ctx context.Context) (string, error) {
					err := gevent.WithTimeout(ctx, 100*time.Millisecond, func(ctx context.Context) error {
						v, err := q.Get(ctx)
						assert.Equal(t, "hi2", v)
						return err
					})
					return "OK", err
				})
				assert.NoError(t, gevent.Sleep(ctx, 10*time.Millisecond))
				assert.NoError(t, q.Put(ctx, "hi2"))
				assert.NoError(t, gevent.Sleep(ctx, 10*time.Millisecond))
				v, err := p.Get(confExpired())
				assert.NoError(t, err)
				assert.Equal(t, "OK", v)
				return nil
			})
		})

		t.Run(class+".test_get_nowait_simple", func(t *testing.T) {
			q := gevent.NewQueue[int](1)
			require.NoError(t, q.Put(context.Background(), 4))
			v, err := q.GetNowait()
			assert.NoError(t, err)
			assert.Equal(t, 4, v)
			_, err = q.GetNowait()
			assert.ErrorIs(t, err, gevent.ErrEmpty)
		})
		t.Run(class+".test_get_nowait_unlock", func(t *testing.T) {
			confHub(t, func(ctx context.Context, h *gevent.Hub) error {
				q := gevent.NewQueue[int](1)
				p := gevent.Go(ctx, func(ctx context.Context) error { return q.Put(ctx, 5) })
				assert.True(t, q.Empty())
				assert.NoError(t, gevent.Sleep(ctx, 0))
				assert.True(t, q.Full())
				v, err := q.GetNowait()
				assert.NoError(t, err)
				assert.Equal(t, 5, v)
				assert.NoError(t, gevent.Sleep(ctx, 0))
				assert.True(t, q.Empty())
				assert.True(t, p.Ready())
				assert.True(t, p.Dead())
				assert.NoError(t, p.Err())
				return nil
			})
		})
		// test_send_first: put then peek and get; Go has no peek.
		t.Run(class+".test_send_first", func(t *testing.T) {
			q := gevent.NewQueue[string](0)
			ctx := context.Background()
			require.NoError(t, q.Put(ctx, "hi"))
			v, err := q.Get(ctx)
			assert.NoError(t, err)
			assert.Equal(t, "hi", v)
		})
		// test_peek_empty, with Get for peek: the main green thread blocking
		// with nothing else to run gets LoopExit. (The peek(timeout=0.01)
		// raising Empty is TestGetInterrupt's test_raises_timeout_number.)
		t.Run(class+".test_peek_empty", func(t *testing.T) {
			confHub(t, func(ctx context.Context, h *gevent.Hub) error {
				q := gevent.NewQueue[int](0)
				_, err := q.Get(ctx)
				assert.ErrorIs(t, err, gevent.ErrLoopExit)
				return nil
			})
		})
		t.Run(class+".test_max_size", func(t *testing.T) {
			confHub(t, func(ctx context.Context, h *gevent.Hub) error {
				q := gevent.NewQueue[string](2)
				var results []string
				p := gevent.Spawn(ctx, func(ctx context.Context) (string, error) {
					for _, s := range []string{"a", "b", "c"} {
						if err := q.Put(ctx, s); err != nil {
							return "", err
						}
						results = append(results, s)
					}
					return "OK", nil
				})
				assert.NoError(t, gevent.Sleep(ctx, 0))
				assert.Equal(t, []string{"a", "b"}, results)
				v, _ := q.Get(ctx)
				assert.Equal(t, "a", v)
				assert.NoError(t, gevent.Sleep(ctx, 0))
				assert.Equal(t, []string{"a", "b", "c"}, results)
				v, _ = q.Get(ctx)
				assert.Equal(t, "b", v)
				v, _ = q.Get(ctx)
				assert.Equal(t, "c", v)
				ok, err := p.Get(confExpired())
				assert.NoError(t, err)
				assert.Equal(t, "OK", ok)
				return nil
			})
		})
		t.Run(class+".test_multiple_waiters", func(t *testing.T) {
			confHub(t, func(ctx context.Context, h *gevent.Hub) error {
				q := gevent.NewQueue[string](0)
				sendings := []string{"1", "2", "3", "4"}
				evts := make([]*gevent.AsyncResult[string], len(sendings))
				for i := range sendings {
					evts[i] = new(gevent.AsyncResult[string])
					gevent.Go(ctx, func(ctx context.Context) error {
						v, err := q.Get(ctx)
						if err != nil {
							return err
						}
						return evts[i].Set(v)
					})
				}
				assert.NoError(t, gevent.Sleep(ctx, 10*time.Millisecond)) // get 'em all waiting
				results := map[string]bool{}
				collect := func() int {
					for _, e := range evts {
						// with gevent.Timeout(0.001, False): the expiry is dropped
						_ = gevent.WithTimeout(ctx, time.Millisecond, func(ctx context.Context) error {
							x, err := e.Get(ctx)
							if err == nil {
								results[x] = true
							}
							return err
						})
					}
					return len(results)
				}
				assert.NoError(t, q.Put(ctx, sendings[0]))
				assert.Equal(t, 1, collect())
				assert.NoError(t, q.Put(ctx, sendings[1]))
				assert.Equal(t, 2, collect())
				assert.NoError(t, q.Put(ctx, sendings[2]))
				assert.NoError(t, q.Put(ctx, sendings[3]))
				assert.Equal(t, 4, collect())
				return nil
			})
		})

		// doReceive is the do_receive of the next three cases: a get under
		// gevent.Timeout(0, RuntimeError()), which expires at the next loop
		// turn; its Go port is a negative After (the zero Timeout never
		// expires).
		doReceive := func(ctx context.Context, q *gevent.Queue[string], evt *gevent.AsyncResult[string]) error {
			err := gevent.Timeout{After: -1, Err: errRuntime}.Run(ctx, func(ctx context.Context) error {
				result, err := q.Get(ctx)
				if err == nil {
					evt.Set(result) // should have failed
				}
				return err
			})
			if err == errRuntime {
				return evt.Set("timed out")
			}
			return err
		}
		waiter := func(ctx context.Context, q *gevent.Queue[string], evt *gevent.AsyncResult[string]) error {
			v, err := q.Get(ctx)
			if err != nil {
				return err
			}
			return evt.Set(v)
		}
		t.Run(class+".test_waiters_that_cancel", func(t *testing.T) {
			confHub(t, func(ctx context.Context, h *gevent.Hub) error {
				q := gevent.NewQueue[string](0)
				var evt gevent.AsyncResult[string]
				gevent.Go(ctx, func(ctx context.Context) error { return doReceive(ctx, q, &evt) })
				v, err := evt.Get(ctx)
				assert.NoError(t, err)
				assert.Equal(t, "timed out", v)
				assert.NoError(t, q.Put(ctx, "hi"))
				v, err = q.Get(ctx)
				assert.NoError(t, err)
				assert.Equal(t, "hi", v)
				return nil
			})
		})
		t.Run(class+".test_senders_that_die", func(t *testing.T) {
			confHub(t, func(ctx context.Context, h *gevent.Hub) error {
				q := gevent.NewQueue[string](0)
				gevent.Go(ctx, func(ctx context.Context) error { return q.Put(ctx, "sent") })
				v, err := q.Get(ctx)
				assert.Equal(t, "sent", v)
				return err
			})
		})
		t.Run(class+".test_two_waiters_one_dies", func(t *testing.T) {
			confHub(t, func(ctx context.Context, h *gevent.Hub) error {
				q := gevent.NewQueue[string](0)
				var dying, waiting gevent.AsyncResult[string]
				gevent.Go(ctx, func(ctx context.Context) error { return doReceive(ctx, q, &dying) })
				gevent.Go(ctx, func(ctx context.Context) error { return waiter(ctx, q, &waiting) })
				assert.NoError(t, gevent.Sleep(ctx, 100*time.Millisecond))
				assert.NoError(t, q.Put(ctx, "hi"))
				v, err := dying.Get(ctx)
				assert.NoError(t, err)
				assert.Equal(t, "timed out", v)
				v, err = waiting.Get(ctx)
				assert.NoError(t, err)
				assert.Equal(t, "hi", v)
				return nil
			})
		})
		t.Run(class+".test_two_bogus_waiters", func(t *testing.T) {
			confHub(t, func(ctx context.Context, h *gevent.Hub) error {
				q := gevent.NewQueue[string](0)
				var e1, e2 gevent.AsyncResult[string]
				gevent.Go(ctx, func(ctx context.Context) error { return doReceive(ctx, q, &e1) })
				gevent.Go(ctx, func(ctx context.Context) error { return doReceive(ctx, q, &e2) })
				assert.NoError(t, gevent.Sleep(ctx, 100*time.Millisecond))
				assert.NoError(t, q.Put(ctx, "sent"))
				for _, e := range []*gevent.AsyncResult[string]{&e1, &e2} {
					v, err := e.Get(ctx)
					assert.NoError(t, err)
					assert.Equal(t, "timed out", v)
				}
				v, err := q.Get(ctx)
				assert.NoError(t, err)
				assert.Equal(t, "sent", v)
				return nil
			})
		})
	}

	t.Run("TestChannel.test_send_last", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			var q gevent.Channel[string]
			p := gevent.Spawn(ctx, func(ctx context.Context) (string, error) {
				err := gevent.WithTimeout(ctx, 100*time.Millisecond, func(ctx context.Context) error {
					v, err := q.Get(ctx)
					assert.Equal(t, "hi2", v)
					return err
				})
				return "OK", err
			})
			assert.NoError(t, gevent.Sleep(ctx, 10*time.Millisecond))
			assert.NoError(t, q.Put(ctx, "hi2"))
			assert.NoError(t, gevent.Sleep(ctx, 10*time.Millisecond))
			v, err := p.Get(confExpired())
			assert.NoError(t, err)
			assert.Equal(t, "OK", v)
			return nil
		})
	})
	t.Run("TestChannel.test_zero_max_size", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			var q gevent.Channel[string]
			var e1, e2 gevent.AsyncResult[string]
			p1 := gevent.Go(ctx, func(ctx context.Context) error {
				if err := q.Put(ctx, "hi"); err != nil {
					return err
				}
				return e1.Set("done")
			})
			assert.NoError(t, gevent.Sleep(ctx, time.Millisecond))
			assert.False(t, e1.Ready())
			p2 := gevent.Go(ctx, func(ctx context.Context) error {
				x, err := q.Get(ctx)
				if err != nil {
					return err
				}
				return e2.Set(x)
			})
			v, err := e2.Get(ctx)
			assert.NoError(t, err)
			assert.Equal(t, "hi", v)
			v, err = e1.Get(ctx)
			assert.NoError(t, err)
			assert.Equal(t, "done", v)
			// with gevent.Timeout(0): joinall must not need to wait.
			return gevent.Timeout{After: -1}.Run(ctx, func(ctx context.Context) error {
				_, err := gevent.JoinAll(ctx, []*gevent.Greenlet[struct{}]{p1, p2})
				return err
			})
		})
	})
	t.Run("TestChannel.test_send", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			var channel gevent.Channel[string]
			var events []string
			g := gevent.Go(ctx, func(ctx context.Context) error {
				for range 2 {
					v, err := channel.Get(ctx)
					if err != nil {
						return err
					}
					events = append(events, v)
				}
				return nil
			})
			events = append(events, "sending")
			assert.NoError(t, channel.Put(ctx, "hello"))
			events = append(events, "sent hello")
			assert.NoError(t, channel.Put(ctx, "world"))
			events = append(events, "sent world")
			assert.Equal(t, []string{"sending", "hello", "sent hello", "world", "sent world"}, events)
			_, err := g.Get(ctx)
			return err
		})
	})
	t.Run("TestChannel.test_wait", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			var channel gevent.Channel[string]
			var events []string
			g := gevent.Go(ctx, func(ctx context.Context) error {
				events = append(events, "sending hello")
				if err := channel.Put(ctx, "hello"); err != nil {
					return err
				}
				events = append(events, "sending world")
				if err := channel.Put(ctx, "world"); err != nil {
					return err
				}
				events = append(events, "sent world")
				return nil
			})
			events = append(events, "waiting")
			for range 2 {
				v, err := channel.Get(ctx)
				assert.NoError(t, err)
				events = append(events, v)
			}
			assert.Equal(t, []string{"waiting", "sending hello", "hello", "sending world", "world"}, events)
			assert.NoError(t, gevent.Sleep(ctx, 0))
			assert.Equal(t, []string{"waiting", "sending hello", "hello", "sending world", "world", "sent world"}, events)
			_, err := g.Get(ctx)
			return err
		})
	})
	// Putting StopIteration ends iteration over a gevent Channel; in Go the
	// end of the items is Close.
	t.Run("TestChannel.test_iterable", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			var channel gevent.Channel[int]
			gevent.Go(ctx, func(context.Context) error { channel.Close(); return nil })
			var r []int
			for {
				v, err := channel.Get(ctx)
				if err != nil {
					assert.ErrorIs(t, err, gevent.ErrQueueClosed)
					break
				}
				r = append(r, v)
			}
			assert.Empty(t, r)
			return nil
		})
	})

	// unfinished_tasks has no accessor in Go: Join telling whether it is 0.
	t.Run("TestQueue.test_task_done", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			channel := gevent.NewQueue[*int](0)
			x := new(int)
			gevent.Go(ctx, func(ctx context.Context) error { return channel.Put(ctx, x) })
			result, err := channel.Get(ctx)
			assert.NoError(t, err)
			assert.Same(t, x, result)
			assert.ErrorIs(t, gevent.WithTimeout(ctx, time.Millisecond, channel.Join), gevent.ErrTimeout, "one unfinished task")
			channel.TaskDone()
			assert.NoError(t, channel.Join(ctx), "no unfinished task")
			return nil
		})
	})
	t.Run("TestQueue.test_shutdown_all_methods_in_one_thread", func(t *testing.T) {
		confHub(t, func(ctx context.Context, h *gevent.Hub) error {
			q := gevent.NewQueue[string](0)
			assert.NoError(t, q.Put(ctx, "L"))
			assert.NoError(t, q.PutNowait("O"))
			q.Close() // shutdown(immediate=False)
			assert.ErrorIs(t, q.Put(ctx, "E"), gevent.ErrQueueClosed)
			assert.ErrorIs(t, q.PutNowait("W"), gevent.ErrQueueClosed)
			for range 2 {
				v, err := q.Get(ctx)
				assert.NoError(t, err)
				assert.Contains(t, "LO", v)
				q.TaskDone()
			}
			assert.NoError(t, q.Join(ctx))
			_, err := q.Get(ctx)
			assert.ErrorIs(t, err, gevent.ErrQueueClosed)
			_, err = q.GetNowait()
			assert.ErrorIs(t, err, gevent.ErrQueueClosed)
			err = gevent.WithTimeout(ctx, time.Second, func(ctx context.Context) error { _, err := q.Get(ctx); return err })
			assert.ErrorIs(t, err, gevent.ErrQueueClosed)
			assert.Equal(t, time.Duration(0), confSince(h, confEpoch), "nothing waited")
			return nil
		})
	})
	t.Run("TestQueue.test_issue_45", func(t *testing.T) {
		q := gevent.NewQueue[int](0)
		assert.NoError(t, q.Join(context.Background()))
	})

	// TestGetInterrupt*: get(timeout) on an empty queue raises Empty (the
	// class's Timeout). Go's Queue.Get ended by a context deadline returns an
	// error matching ErrEmpty and context.DeadlineExceeded; one ended by a
	// Timeout scope returns the Timeout's error, as Python raises the
	// Timeout there.
	getters := []struct {
		class string
		get   func(ctx context.Context) error
		also  []error
	}{
		{"TestGetInterrupt", func(ctx context.Context) error { _, err := gevent.NewQueue[int](0).Get(ctx); return err }, []error{gevent.ErrEmpty}},
		{"TestGetInterruptJoinableQueue", func(ctx context.Context) error { _, err := new(gevent.JoinableQueue[int]).Get(ctx); return err }, []error{gevent.ErrEmpty}},
		{"TestGetInterruptLifoQueue", func(ctx context.Context) error { _, err := gevent.NewLifoQueue[int](0).Get(ctx); return err }, []error{gevent.ErrEmpty}},
		{"TestGetInterruptPriorityQueue", func(ctx context.Context) error { _, err := gevent.NewOrderedPriorityQueue[int](0).Get(ctx); return err }, []error{gevent.ErrEmpty}},
		// Go difference: Channel.Get returns the context's error only, not
		// ErrEmpty (gevent's Channel.get(timeout) raises Empty).
		{"TestGetInterruptChannel", func(ctx context.Context) error { _, err := new(gevent.Channel[int]).Get(ctx); return err }, nil},
		{"TestGetInterruptSimpleQueue", func(ctx context.Context) error { _, err := new(gevent.Queue[int]).Get(ctx); return err }, []error{gevent.ErrEmpty}},
	}
	for _, g := range getters {
		t.Run(g.class, func(t *testing.T) { confGenericWait(t, true, g.get, g.also...) })
	}
	// TestPutInterrupt*: put(2, timeout) on a full queue of size 1 raises Full.
	putter := func(q *gevent.Queue[int]) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			for !q.Full() {
				if err := q.Put(ctx, 1); err != nil {
					return err
				}
			}
			return q.Put(ctx, 2)
		}
	}
	putters := []struct {
		class string
		make  func() func(ctx context.Context) error
		also  []error
	}{
		{"TestPutInterrupt", func() func(context.Context) error { return putter(gevent.NewQueue[int](1)) }, []error{gevent.ErrFull}},
		{"TestPutInterruptJoinableQueue", func() func(context.Context) error { return putter(gevent.NewQueue[int](1)) }, []error{gevent.ErrFull}},
		{"TestPutInterruptLifoQueue", func() func(context.Context) error { return putter(gevent.NewLifoQueue[int](1)) }, []error{gevent.ErrFull}},
		{"TestPutInterruptPriorityQueue", func() func(context.Context) error { return putter(gevent.NewOrderedPriorityQueue[int](1)) }, []error{gevent.ErrFull}},
		// A Channel is always full; Go difference: its Put returns the
		// context's error only, not ErrFull.
		{"TestPutInterruptChannel", func() func(context.Context) error {
			return func(ctx context.Context) error { var c gevent.Channel[int]; return c.Put(ctx, 2) }
		}, nil},
	}
	for _, p := range putters {
		// setUp makes the queue once per test; each wait here gets a fresh one.
		t.Run(p.class, func(t *testing.T) {
			confGenericWait(t, true, func(ctx context.Context) error { return p.make()(ctx) }, p.also...)
		})
	}
}
