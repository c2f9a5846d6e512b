package gevent

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestHubOneAtATimeFIFO(t *testing.T) {
	var trace []string
	var inside, most atomic.Int32
	err := RunHub(context.Background(), func(ctx context.Context) error {
		var gs []*Greenlet[struct{}]
		for _, name := range []string{"a", "b", "c"} {
			gs = append(gs, Go(ctx, func(ctx context.Context) error {
				for i := range 3 {
					n := inside.Add(1)
					if n > most.Load() {
						most.Store(n)
					}
					trace = append(trace, fmt.Sprint(name, i)) // no lock: the hub serialises
					inside.Add(-1)
					if err := Sleep(ctx, 0); err != nil {
						return err
					}
				}
				return nil
			}))
		}
		_, err := JoinAll(ctx, gs, RaiseError())
		return err
	})
	require.NoError(t, err)
	assert.EqualValues(t, 1, most.Load(), "exactly one green thread runs at a time")
	assert.Equal(t, "a0 b0 c0 a1 b1 c1 a2 b2 c2", strings.Join(trace, " "), "ready green threads run in FIFO order")
}

func TestHubTimersInDeadlineOrder(t *testing.T) {
	var order []int
	h := NewHub(WithVirtualClock(epoch))
	err := h.Run(context.Background(), func(ctx context.Context) error {
		var gs []*Greenlet[struct{}]
		for _, s := range []int{3, 1, 2, 1} {
			gs = append(gs, Go(ctx, func(ctx context.Context) error {
				if err := Sleep(ctx, time.Duration(s)*time.Hour); err != nil {
					return err
				}
				order = append(order, s)
				return nil
			}))
		}
		_, err := JoinAll(ctx, gs, RaiseError())
		return err
	})
	require.NoError(t, err)
	assert.Equal(t, []int{1, 1, 2, 3}, order)
	assert.Equal(t, 3*time.Hour, h.Now().Sub(epoch))
}

func TestHubRealClock(t *testing.T) {
	var order []string
	start := time.Now()
	err := RunHub(context.Background(), func(ctx context.Context) error {
		slow := Go(ctx, func(ctx context.Context) error {
			err := Sleep(ctx, 30*time.Millisecond)
			order = append(order, "slow")
			return err
		})
		fast := Go(ctx, func(ctx context.Context) error {
			err := Sleep(ctx, time.Millisecond)
			order = append(order, "fast")
			return err
		})
		_, err := JoinAll(ctx, []*Greenlet[struct{}]{slow, fast}, RaiseError())
		return err
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"fast", "slow"}, order)
	assert.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond)
}

func TestHubBlockingReleasesTheTurn(t *testing.T) {
	release := make(chan struct{})
	var log []string
	err := RunHub(context.Background(), func(ctx context.Context) error {
		waiter := Go(ctx, func(ctx context.Context) error {
			return Blocking(ctx, func(context.Context) error {
				<-release // plain Go blocking: the turn is given away meanwhile
				return nil
			})
		})
		other := Go(ctx, func(ctx context.Context) error {
			log = append(log, "other ran while the first blocked")
			close(release)
			return nil
		})
		_, err := JoinAll(ctx, []*Greenlet[struct{}]{waiter, other}, RaiseError())
		return err
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"other ran while the first blocked"}, log)
	require.NoError(t, Blocking(context.Background(), func(context.Context) error { return nil }), "outside a hub it just calls fn")
}

// TestHubDeterministicSimulation runs 10,000 green threads with hours of
// virtual sleeps, twice: the traces are identical, and it takes no real
// time to speak of.
func TestHubDeterministicSimulation(t *testing.T) {
	run := func() (string, time.Duration) {
		h := NewHub(WithVirtualClock(epoch))
		var trace strings.Builder
		err := h.Run(context.Background(), func(ctx context.Context) error {
			var q Queue[int]
			var gs []*Greenlet[struct{}]
			for i := range 10_000 {
				r := rand.New(rand.NewPCG(uint64(i), 7))
				gs = append(gs, Go(ctx, func(ctx context.Context) error {
					for range 3 {
						if err := Sleep(ctx, time.Duration(r.IntN(5*3600))*time.Second); err != nil {
							return err
						}
						if err := q.Put(ctx, i); err != nil {
							return err
						}
					}
					return nil
				}))
			}
			consumer := Go(ctx, func(ctx context.Context) error {
				for range 30_000 {
					v, err := q.Get(ctx)
					if err != nil {
						return err
					}
					fmt.Fprintf(&trace, "%d@%d ", v, h.Now().Sub(epoch)/time.Second)
				}
				return nil
			})
			_, err := JoinAll(ctx, append(gs, consumer), RaiseError())
			return err
		})
		require.NoError(t, err)
		return trace.String(), h.Now().Sub(epoch)
	}
	start := time.Now()
	a, va := run()
	b, vb := run()
	assert.Equal(t, a, b, "the same program gives the same interleaving")
	assert.Equal(t, va, vb)
	assert.Greater(t, va, 4*time.Hour, "hours of virtual time passed")
	assert.Less(t, time.Since(start), 60*time.Second, "virtual sleeps take no real time (generous bound)")
}

func TestHubKillTimeoutAndCancel(t *testing.T) {
	h := NewHub(WithVirtualClock(epoch))
	err := h.Run(context.Background(), func(ctx context.Context) error {
		sleeper := Go(ctx, func(ctx context.Context) error { return Sleep(ctx, 100*time.Hour) })
		var e Event
		waiter := Go(ctx, e.Wait)
		if err := Sleep(ctx, time.Second); err != nil {
			return err
		}
		if err := sleeper.Kill(ctx); err != nil {
			return err
		}
		if !errors.Is(sleeper.Err(), ErrGreenletExit) {
			return fmt.Errorf("killed sleeper: %v", sleeper.Err())
		}
		if err := waiter.Kill(ctx); err != nil {
			return err
		}
		if !errors.Is(waiter.Err(), ErrGreenletExit) {
			return fmt.Errorf("killed waiter: %v", waiter.Err())
		}
		err := WithTimeout(ctx, time.Hour, func(ctx context.Context) error { return Sleep(ctx, 2*time.Hour) })
		if !errors.Is(err, ErrTimeout) {
			return fmt.Errorf("timeout: %v", err)
		}
		forever := Go(ctx, func(ctx context.Context) error { var e Event; return e.Wait(ctx) })
		done, err := JoinAll(ctx, []*Greenlet[struct{}]{forever}, JoinTimeout(time.Minute))
		if !errors.Is(err, context.DeadlineExceeded) || len(done) != 0 {
			return fmt.Errorf("joinall timeout: %v %d", err, len(done))
		}
		return forever.Kill(ctx)
	})
	require.NoError(t, err)
	assert.Equal(t, time.Hour+time.Minute+time.Second, h.Now().Sub(epoch), "timeouts ran on the virtual clock")
}

func TestHubPanicAndCloseKillsLeftovers(t *testing.T) {
	var cleaned atomic.Bool
	var after atomic.Bool
	err := RunHub(context.Background(), func(ctx context.Context) error {
		bad := Go(ctx, func(context.Context) error { panic("one green thread fails") })
		Go(ctx, func(ctx context.Context) error {
			defer cleaned.Store(true)
			var e Event
			return e.Wait(ctx) // left blocked when main returns
		})
		if err := bad.Join(ctx); err != nil {
			return err
		}
		var pe *PanicError
		if !errors.As(bad.Err(), &pe) {
			return fmt.Errorf("panic not reported: %v", bad.Err())
		}
		after.Store(true) // the hub goes on
		return nil
	})
	require.NoError(t, err)
	assert.True(t, after.Load())
	assert.True(t, cleaned.Load(), "closing the hub killed the blocked green thread, running its cleanup")
}

func TestHubWokenFromOutside(t *testing.T) {
	var e Event
	got := make(chan struct{})
	go func() {
		<-got
		e.Set() // a free goroutine wakes a hub green thread
	}()
	err := RunHub(context.Background(), func(ctx context.Context) error {
		close(got)
		return e.Wait(ctx)
	})
	require.NoError(t, err)
}

func TestHubMainContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	go func() { <-started; cancel() }()
	err := RunHub(ctx, func(ctx context.Context) error {
		close(started)
		var e Event
		return e.Wait(ctx)
	})
	assert.ErrorIs(t, err, context.Canceled)
}

func TestHubPoolAndQueues(t *testing.T) {
	var got []int
	h := NewHub(WithVirtualClock(epoch))
	err := h.Run(context.Background(), func(ctx context.Context) error {
		p := NewPool(2)
		q := NewQueue[int](1)
		consumer := Go(ctx, func(ctx context.Context) error {
			for range 6 {
				v, err := q.Get(ctx)
				if err != nil {
					return err
				}
				got = append(got, v)
			}
			return nil
		})
		for i := range 6 {
			if err := startErr(p.Go(ctx, func(ctx context.Context) error {
				if err := Sleep(ctx, time.Duration(6-i)*time.Minute); err != nil {
					return err
				}
				return q.Put(ctx, i)
			})); err != nil {
				return err
			}
		}
		if err := consumer.Join(ctx); err != nil {
			return err
		}
		p.Close()
		return p.Join(ctx)
	})
	require.NoError(t, err)
	assert.Len(t, got, 6)
	sorted := slices.Clone(got)
	slices.Sort(sorted)
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5}, sorted)
}

func TestHubVirtualLoopExit(t *testing.T) {
	t.Run("main waits for what nothing will do", func(t *testing.T) {
		var q Queue[int]
		var tries []error
		cleaned := false
		err := RunHub(context.Background(), func(ctx context.Context) error {
			stuck := Go(ctx, func(ctx context.Context) error {
				defer func() { cleaned = true }()
				_, err := q.Get(ctx) // nobody puts
				return err
			})
			var e Event
			tries = append(tries, e.Wait(ctx)) // nobody sets
			tries = append(tries, stuck.Join(ctx))
			_, err := JoinAll(ctx, []*Greenlet[struct{}]{stuck})
			tries = append(tries, err)
			return nil // main may go on after LoopExit
		}, WithVirtualClock(epoch))
		require.NoError(t, err)
		require.Len(t, tries, 3)
		for _, e := range tries {
			assert.ErrorIs(t, e, ErrLoopExit)
		}
		assert.True(t, cleaned, "Run's Close killed the stuck green thread")
	})
	t.Run("a pending timer is not a loop exit", func(t *testing.T) {
		err := RunHub(context.Background(), func(ctx context.Context) error {
			var e Event
			Go(ctx, func(ctx context.Context) error {
				if err := Sleep(ctx, 24*time.Hour); err != nil {
					return err
				}
				e.Set()
				return nil
			})
			return e.Wait(ctx)
		}, WithVirtualClock(epoch))
		require.NoError(t, err)
	})
	t.Run("a green thread inside Blocking is not a loop exit", func(t *testing.T) {
		err := RunHub(context.Background(), func(ctx context.Context) error {
			var e Event
			Go(ctx, func(ctx context.Context) error {
				return Blocking(ctx, func(context.Context) error {
					e.Set()
					return nil
				})
			})
			return e.Wait(ctx)
		}, WithVirtualClock(epoch))
		require.NoError(t, err)
	})
	t.Run("a timeout still wins", func(t *testing.T) {
		err := RunHub(context.Background(), func(ctx context.Context) error {
			var e Event
			return WithTimeout(ctx, time.Hour, func(ctx context.Context) error { return e.Wait(ctx) })
		}, WithVirtualClock(epoch))
		assert.ErrorIs(t, err, ErrTimeout)
		assert.NotErrorIs(t, err, ErrLoopExit)
	})
}

func TestHubCloseKillsInSpawnOrder(t *testing.T) {
	for range 5 { // the order must not depend on map iteration
		var order []int
		err := RunHub(context.Background(), func(ctx context.Context) error {
			var never Event
			for i := range 8 {
				Go(ctx, func(ctx context.Context) error {
					defer func() { order = append(order, i) }()
					return never.Wait(ctx)
				})
			}
			return Sleep(ctx, 0) // let them all park, then end: Run's Close kills them
		})
		require.NoError(t, err)
		assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7}, order)
	}
}

// Green threads spawned with a context that is neither a green thread's
// nor a Background follow it through context.AfterFunc, whose callback runs
// on a goroutine of its own; the virtual hub must not advance (or report a
// LoopExit) before that cancellation has been delivered.
func TestHubVirtualCancelOfSpawnedUnderTimeout(t *testing.T) {
	var first []string
	for run := range 50 {
		var order []string
		var errs []error
		err := RunHub(context.Background(), func(ctx context.Context) error {
			var gs []*Greenlet[struct{}]
			err := WithTimeout(ctx, time.Hour, func(tctx context.Context) error {
				for _, name := range []string{"a", "b", "c"} {
					gs = append(gs, Go(tctx, func(ctx context.Context) error {
						defer func() { order = append(order, name) }()
						var never Event
						return never.Wait(ctx)
					}))
				}
				_, err := JoinAll(ctx, gs) // main waits with its own context: no timeout for it
				return err
			})
			for _, g := range gs {
				errs = append(errs, g.Err())
			}
			return err
		}, WithVirtualClock(epoch))
		require.NoError(t, err, "run %d", run)
		require.Len(t, errs, 3)
		for _, e := range errs {
			assert.ErrorIs(t, e, ErrTimeout)
		}
		if run == 0 {
			first = order
		}
		require.Equal(t, first, order, "run %d: the same order every run", run)
	}
	assert.Equal(t, []string{"a", "b", "c"}, first)
}

// A virtual hub driven without Run has no main green thread to report a
// LoopExit to: it stays idle, and must still deliver a cancellation that
// comes from outside it.
func TestHubVirtualIdleGetsOutsideCancel(t *testing.T) {
	h := NewHub(WithVirtualClock(epoch))
	defer h.Close()
	ctx, cancel := context.WithCancel(h.Context(context.Background()))
	parked := make(chan struct{})
	g := Go(ctx, func(ctx context.Context) error {
		var never Event
		close(parked)
		return never.Wait(ctx)
	})
	<-parked // it is about to park, or has; the hub then idles
	cancel()
	require.NoError(t, g.Join(context.Background()))
	assert.ErrorIs(t, g.Err(), context.Canceled)
}
