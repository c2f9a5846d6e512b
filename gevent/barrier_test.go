package gevent_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geventgo/geventgo/gevent"
)

func TestBarrierFree(t *testing.T) {
	ctx := context.Background()
	const n, cycles = 8, 50
	var actions []int // the action runs under the barrier's lock
	var mu sync.Mutex
	arrived := 0
	b := gevent.NewBarrier(n, func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		assert.Equal(t, n, arrived, "every party arrived before the action")
		actions = append(actions, arrived)
		arrived = 0
		return nil
	}, 0)
	indices := make([][]int, cycles)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for c := range cycles {
				mu.Lock()
				arrived++
				mu.Unlock()
				i, err := b.Wait(ctx)
				assert.NoError(t, err)
				mu.Lock()
				indices[c] = append(indices[c], i)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Len(t, actions, cycles, "one action a cycle")
	for c := range cycles {
		slices.Sort(indices[c])
		assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7}, indices[c])
	}
	assert.False(t, b.Broken())
	assert.Equal(t, 0, b.NWaiting())
	assert.Equal(t, n, b.Parties())
}

func TestBarrierNew(t *testing.T) {
	assert.Panics(t, func() { gevent.NewBarrier(0, nil, 0) })
	assert.Panics(t, func() { new(gevent.Barrier).Wait(context.Background()) })
	ran := 0
	b := gevent.NewBarrier(1, func(context.Context) error { ran++; return nil }, 0)
	for range 3 {
		i, err := b.Wait(context.Background())
		assert.NoError(t, err)
		assert.Equal(t, 0, i)
	}
	assert.Equal(t, 3, ran)
}

func TestBarrierDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bg := context.Background()
		b := gevent.NewBarrier(3, nil, 0)
		other := make(chan error)
		go func() { _, err := b.Wait(bg); other <- err }()
		synctest.Wait()
		assert.Equal(t, 1, b.NWaiting())
		ctx, cancel := context.WithTimeout(bg, time.Second)
		defer cancel()
		start := time.Now()
		_, err := b.Wait(ctx)
		assert.Equal(t, time.Second, time.Since(start))
		assert.ErrorIs(t, err, gevent.ErrBrokenBarrier)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		err = <-other
		assert.ErrorIs(t, err, gevent.ErrBrokenBarrier)
		assert.NotErrorIs(t, err, context.DeadlineExceeded)
		assert.True(t, b.Broken())
		assert.Equal(t, 0, b.NWaiting())
		_, err = b.Wait(bg)
		assert.ErrorIs(t, err, gevent.ErrBrokenBarrier, "broken until Reset")
		require.NoError(t, b.Reset(bg))
		assert.False(t, b.Broken())
	})
}

func TestBarrierDefaultTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := gevent.NewBarrier(2, nil, 300*time.Millisecond)
		start := time.Now()
		_, err := b.Wait(context.Background())
		assert.Equal(t, 300*time.Millisecond, time.Since(start))
		assert.ErrorIs(t, err, gevent.ErrBrokenBarrier)
		assert.ErrorIs(t, err, gevent.ErrTimeout)
	})
}

func TestBarrierAction(t *testing.T) {
	errAction := errors.New("action failed")
	for name, action := range map[string]func(context.Context) error{
		"error": func(context.Context) error { return errAction },
		"panic": func(context.Context) error { panic("boom") },
	} {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, gevent.RunHub(context.Background(), func(ctx context.Context) error {
				b := gevent.NewBarrier(3, action, 0)
				var gs []*gevent.Greenlet[int]
				for range 3 {
					gs = append(gs, gevent.Spawn(ctx, b.Wait))
				}
				var errs []error
				for _, g := range gs {
					_, err := g.Get(ctx)
					errs = append(errs, err)
				}
				for _, err := range errs {
					assert.ErrorIs(t, err, gevent.ErrBrokenBarrier)
				}
				last := errs[2] // the last to arrive ran the action
				if name == "error" {
					assert.ErrorIs(t, last, errAction)
				} else {
					var pe *gevent.PanicError
					assert.ErrorAs(t, last, &pe)
				}
				assert.True(t, b.Broken())
				return nil
			}, gevent.WithVirtualClock(confEpoch)))
		})
	}
}

func TestBarrierKill(t *testing.T) {
	for _, hub := range []bool{false, true} {
		t.Run(fmt.Sprint("hub=", hub), func(t *testing.T) {
			run := func(ctx context.Context) error {
				b := gevent.NewBarrier(3, nil, 0)
				g1 := gevent.Spawn(ctx, b.Wait)
				g2 := gevent.Spawn(ctx, b.Wait)
				for b.NWaiting() < 2 {
					gevent.Sleep(ctx, time.Millisecond)
				}
				require.NoError(t, g1.Kill(ctx))
				assert.ErrorIs(t, g1.Err(), gevent.ErrGreenletExit)
				assert.ErrorIs(t, g1.Err(), gevent.ErrBrokenBarrier)
				_, err := g2.Get(ctx)
				assert.ErrorIs(t, err, gevent.ErrBrokenBarrier)
				assert.NotErrorIs(t, err, gevent.ErrGreenletExit)
				assert.True(t, b.Broken())
				return nil
			}
			if hub {
				require.NoError(t, gevent.RunHub(context.Background(), run, gevent.WithVirtualClock(confEpoch)))
			} else {
				require.NoError(t, run(context.Background()))
			}
		})
	}
}

// barrierScenario runs parties through cycles with an action, a late
// party, a timeout, an abort and a reset on a virtual hub, and returns the
// trace.
func barrierScenario(t *testing.T) string {
	var s strings.Builder
	err := gevent.RunHub(context.Background(), func(ctx context.Context) error {
		cycle := 0
		b := gevent.NewBarrier(4, func(context.Context) error {
			fmt.Fprintf(&s, "action%d ", cycle)
			cycle++
			return nil
		}, 50*time.Millisecond)
		var gs []*gevent.Greenlet[struct{}]
		for p := range 4 {
			gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
				for round := range 6 {
					gevent.Sleep(ctx, time.Duration(p*round)*time.Millisecond)
					if p == 3 && round == 3 {
						gevent.Sleep(ctx, 100*time.Millisecond) // late: the others time out
					}
					i, err := b.Wait(ctx)
					fmt.Fprintf(&s, "p%d:%d:%v ", p, i, err != nil)
					if err != nil {
						gevent.Sleep(ctx, 200*time.Millisecond)
						if p == 0 {
							b.Reset(ctx)
						}
						gevent.Sleep(ctx, 10*time.Millisecond)
					}
				}
				return nil
			}))
		}
		_, err := gevent.JoinAll(ctx, gs, gevent.RaiseError())
		fmt.Fprintf(&s, "end %v %d", b.Broken(), b.NWaiting())
		return err
	}, gevent.WithVirtualClock(confEpoch))
	require.NoError(t, err)
	return s.String()
}

func TestBarrierHubDeterministic(t *testing.T) {
	t.Log(sameTrace(t, 300, func() string { return barrierScenario(t) }))
}

// ---- Conformance: CPython's Lib/test/lock_tests.py BarrierTests ----

func TestConformance_Barrier(t *testing.T) {
	const n = 5
	run := func(name string, body func(ctx context.Context, h *gevent.Hub)) {
		t.Run("BarrierTests."+name, func(t *testing.T) {
			confHub(t, func(ctx context.Context, h *gevent.Hub) error { body(ctx, h); return nil })
		})
	}
	runThreads := func(ctx context.Context, f func(ctx context.Context) error) {
		assert.NoError(t, confNewBunch(ctx, f, n).waitForFinished(ctx))
	}
	// test_barrier / multipass: every party passes, pass after pass, and
	// none passes before all have arrived.
	run("test_barrier", func(ctx context.Context, h *gevent.Hub) {
		b := gevent.NewBarrier(n, nil, 0)
		const passes = 10
		var results1, results2 []bool
		runThreads(ctx, func(ctx context.Context) error {
			for i := range passes {
				results1 = append(results1, true)
				assert.Equal(t, i*n, len(results2))
				if _, err := b.Wait(ctx); err != nil {
					return err
				}
				results2 = append(results2, true)
				assert.Equal(t, (i+1)*n, len(results1))
				if _, err := b.Wait(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		assert.Len(t, results2, passes*n)
		assert.Equal(t, 0, b.NWaiting())
		assert.False(t, b.Broken())
	})
	run("test_wait_return", func(ctx context.Context, h *gevent.Hub) {
		b := gevent.NewBarrier(n, nil, 0)
		sum := 0
		runThreads(ctx, func(ctx context.Context) error {
			i, err := b.Wait(ctx)
			sum += i
			return err
		})
		assert.Equal(t, 0+1+2+3+4, sum)
	})
	run("test_action", func(ctx context.Context, h *gevent.Hub) {
		var results []bool
		b := gevent.NewBarrier(n, func(context.Context) error { results = append(results, true); return nil }, 0)
		runThreads(ctx, func(ctx context.Context) error {
			_, err := b.Wait(ctx)
			assert.Len(t, results, 1)
			return err
		})
	})
	run("test_abort", func(ctx context.Context, h *gevent.Hub) {
		b := gevent.NewBarrier(n, nil, 0)
		var results1, results2 []bool
		runThreads(ctx, func(ctx context.Context) error {
			i, err := b.Wait(ctx)
			if err != nil {
				return err
			}
			if i == n/2 { // raise RuntimeError ... except RuntimeError: abort()
				return b.Abort(ctx)
			}
			if _, err := b.Wait(ctx); errors.Is(err, gevent.ErrBrokenBarrier) {
				results2 = append(results2, true)
			} else {
				results1 = append(results1, true)
			}
			return nil
		})
		assert.Empty(t, results1)
		assert.Len(t, results2, n-1)
		assert.True(t, b.Broken())
	})
	run("test_reset", func(ctx context.Context, h *gevent.Hub) {
		b := gevent.NewBarrier(n, nil, 0)
		var results1, results2, results3 []bool
		runThreads(ctx, func(ctx context.Context) error {
			i, err := b.Wait(ctx)
			if err != nil {
				return err
			}
			if i == n/2 {
				for b.NWaiting() < n-1 {
					gevent.Sleep(ctx, time.Millisecond)
				}
				b.Reset(ctx)
			} else if _, err := b.Wait(ctx); errors.Is(err, gevent.ErrBrokenBarrier) {
				results2 = append(results2, true)
			} else {
				results1 = append(results1, true)
			}
			if _, err := b.Wait(ctx); err != nil {
				return err
			}
			results3 = append(results3, true)
			return nil
		})
		assert.Empty(t, results1)
		assert.Len(t, results2, n-1)
		assert.Len(t, results3, n)
	})
	run("test_abort_and_reset", func(ctx context.Context, h *gevent.Hub) {
		b := gevent.NewBarrier(n, nil, 0)
		b2 := gevent.NewBarrier(n, nil, 0)
		var results1, results2, results3 []bool
		runThreads(ctx, func(ctx context.Context) error {
			i, err := b.Wait(ctx)
			if err != nil {
				return err
			}
			if i == n/2 {
				b.Abort(ctx)
			} else if _, err := b.Wait(ctx); errors.Is(err, gevent.ErrBrokenBarrier) {
				results2 = append(results2, true)
			} else {
				results1 = append(results1, true)
			}
			if j, _ := b2.Wait(ctx); j == n/2 {
				b.Reset(ctx)
			}
			b2.Wait(ctx)
			if _, err := b.Wait(ctx); err != nil {
				return err
			}
			results3 = append(results3, true)
			return nil
		})
		assert.Empty(t, results1)
		assert.Len(t, results2, n-1)
		assert.Len(t, results3, n)
	})
	// test_timeout runs in free mode (a synctest bubble: virtual time
	// too), with wait(0.5) as a deadline in ctx, Python's per-call timeout.
	// (On a Hub, nested Timeouts end a wait when the outer one fires:
	// TestHubNestedTimeoutsFireAtTheOuter.)
	t.Run("BarrierTests.test_timeout", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			bg := context.Background()
			b := gevent.NewBarrier(n, nil, 2*time.Second)
			var wg sync.WaitGroup
			for range n {
				wg.Go(func() {
					i, err := b.Wait(bg)
					if !assert.NoError(t, err) {
						return
					}
					if i == n/2 {
						time.Sleep(time.Second) // one thread is late
					}
					ctx, cancel := context.WithTimeout(bg, 500*time.Millisecond)
					defer cancel()
					_, err = b.Wait(ctx)
					assert.ErrorIs(t, err, gevent.ErrBrokenBarrier)
				})
			}
			wg.Wait()
		})
	})
	run("test_default_timeout", func(ctx context.Context, h *gevent.Hub) {
		b := gevent.NewBarrier(n, nil, 300*time.Millisecond)
		runThreads(ctx, func(ctx context.Context) error {
			i, err := b.Wait(ctx)
			if err != nil {
				return err
			}
			if i == n/2 {
				gevent.Sleep(ctx, time.Second)
			}
			_, err = b.Wait(ctx)
			assert.ErrorIs(t, err, gevent.ErrBrokenBarrier)
			return nil
		})
	})
	run("test_single_thread", func(ctx context.Context, h *gevent.Hub) {
		b := gevent.NewBarrier(1, nil, 0)
		b.Wait(ctx)
		_, err := b.Wait(ctx)
		assert.NoError(t, err)
	})
}
