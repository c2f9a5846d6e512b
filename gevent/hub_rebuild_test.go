package gevent

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Hub runs its green threads as coroutines: these tests pin the
// promises the goroutine-per-thread hub broke (issue: the Hub rebuilt on
// the runtime's coroutine switch), each on a virtual clock where it can be,
// many times over, comparing the traces.

// runTraces runs scenario n times on a fresh virtual hub and requires the
// same trace every time; it returns that trace.
func runTraces(t *testing.T, n int, scenario func(ctx context.Context, trace *[]string) error) []string {
	t.Helper()
	var first []string
	for run := range n {
		var trace []string
		err := RunHub(context.Background(), func(ctx context.Context) error {
			return scenario(ctx, &trace)
		}, WithVirtualClock(epoch))
		require.NoError(t, err, "run %d", run)
		if run == 0 {
			first = trace
			continue
		}
		require.Equal(t, first, trace, "run %d differs from run 0", run)
	}
	return first
}

// traceTo returns a printf that appends its line to trace: a scenario's
// log for runTraces.
func traceTo(trace *[]string) func(format string, args ...any) {
	return func(format string, args ...any) { *trace = append(*trace, fmt.Sprintf(format, args...)) }
}

// Bug 1: a pool task's slot came back, and ApplyAsync's callbacks ran,
// after its green thread had left the hub's turn: callbacks raced each
// other, the interleaving varied and a virtual hub could report a spurious
// LoopExit. Every step here (bodies, callbacks, the slot coming back) is in
// some green thread's turn: the trace, appended to without a lock, is the
// same every run, and -race sees no race.
func TestHubPoolTasksInTheirTurn(t *testing.T) {
	trace := runTraces(t, 10_000, func(ctx context.Context, trace *[]string) error {
		log := traceTo(trace)
		p := NewPool(2)
		for i := range 5 {
			err := startErr(ApplyAsync(ctx, p, func(ctx context.Context) (int, error) {
				log("start %d free=%d", i, p.FreeCount())
				if err := Sleep(ctx, time.Duration(5-i)*time.Millisecond); err != nil {
					return 0, err
				}
				log("end %d", i)
				return i, nil
			}, func(v int) { log("callback %d", v) }, nil))
			if err != nil {
				return err
			}
			log("queued %d free=%d", i, p.FreeCount())
		}
		if err := p.Join(ctx); err != nil {
			return err
		}
		log("joined free=%d", p.FreeCount())
		p.Close()
		return p.Join(ctx)
	})
	assert.Equal(t, "queued 0 free=1", trace[0])
	assert.Equal(t, "joined free=2", trace[len(trace)-1])
	assert.Contains(t, trace, "callback 4")
}

// Bug 2: an outer Timeout that expires before an inner deadline must end
// the wait when it fires, whatever the inner deadline is.
func TestHubNestedTimeoutsFireAtTheOuter(t *testing.T) {
	inner := map[string]func(ctx context.Context) error{
		"Timeout": func(ctx context.Context) error {
			return WithTimeout(ctx, time.Hour, func(ctx context.Context) error { return Sleep(ctx, 2*time.Hour) })
		},
		"nested Timeouts": func(ctx context.Context) error {
			return WithTimeout(ctx, time.Hour, func(ctx context.Context) error {
				return WithTimeout(ctx, 2*time.Hour, func(ctx context.Context) error {
					var e Event
					return e.Wait(ctx)
				})
			})
		},
		"JoinTimeout": func(ctx context.Context) error {
			g := Go(context.WithoutCancel(ctx), func(ctx context.Context) error { return Sleep(ctx, 3*time.Hour) })
			defer g.Kill(context.WithoutCancel(ctx))
			_, err := JoinAll(ctx, []*Greenlet[struct{}]{g}, JoinTimeout(time.Hour))
			return err
		},
		"Queue.Get with a deadline": func(ctx context.Context) error {
			dctx, cancel := context.WithTimeout(ctx, time.Hour) // wall clock: never on a virtual hub
			defer cancel()
			var q Queue[int]
			_, err := q.Get(dctx)
			return err
		},
	}
	for name, f := range inner {
		t.Run(name, func(t *testing.T) {
			h := NewHub(WithVirtualClock(epoch))
			var err error
			require.NoError(t, h.Run(context.Background(), func(ctx context.Context) error {
				err = WithTimeout(ctx, time.Second, f)
				return nil
			}))
			assert.ErrorIs(t, err, ErrTimeout)
			assert.Equal(t, epoch.Add(time.Second), h.Now(), "the outer timeout ended the wait when it fired")
		})
	}
}

// Bug 3: a Wait that starts while Set is still waking earlier waiters
// returns after them, as in gevent.
func TestHubEventWaitAfterTheWoken(t *testing.T) {
	trace := runTraces(t, 200, func(ctx context.Context, trace *[]string) error {
		var e Event
		var r AsyncResult[int]
		var gs []*Greenlet[struct{}]
		for _, name := range []string{"e1", "e2"} {
			gs = append(gs, Go(ctx, func(ctx context.Context) error {
				err := e.Wait(ctx)
				*trace = append(*trace, name)
				return err
			}))
		}
		gs = append(gs, Go(ctx, func(ctx context.Context) error {
			_, err := r.Get(ctx)
			*trace = append(*trace, "r1")
			return err
		}))
		if err := Sleep(ctx, 0); err != nil {
			return err
		}
		e.Set()
		if err := e.Wait(ctx); err != nil {
			return err
		}
		*trace = append(*trace, "main after Event")
		r.Set(1)
		if _, err := r.Get(ctx); err != nil {
			return err
		}
		*trace = append(*trace, "main after AsyncResult")
		_, err := JoinAll(ctx, gs)
		return err
	})
	assert.Equal(t, []string{"e1", "e2", "main after Event", "r1", "main after AsyncResult"}, trace)
}

// Bug 4: a blocking call of the package inside Blocking's function waits
// as in free mode; the hub goes on and RunHub returns.
func TestHubPackageCallsInsideBlocking(t *testing.T) {
	for _, virtual := range []bool{false, true} {
		t.Run(fmt.Sprint("virtual=", virtual), func(t *testing.T) {
			var opts []HubOption
			if virtual {
				opts = append(opts, WithVirtualClock(epoch))
			}
			var got int
			done := make(chan error, 1)
			go func() {
				done <- RunHub(context.Background(), func(ctx context.Context) error {
					q := NewQueue[int](0)
					Go(ctx, func(ctx context.Context) error { return q.Put(ctx, 42) })
					var l Lock
					return Blocking(ctx, func(ctx context.Context) error {
						v, err := q.Get(ctx)
						got = v
						if err != nil {
							return err
						}
						if err := l.Acquire(ctx); err != nil {
							return err
						}
						l.Release()
						return Sleep(ctx, time.Millisecond)
					})
				}, opts...)
			}()
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-time.After(time.Minute):
				t.Fatal("RunHub never returned")
			}
			assert.Equal(t, 42, got)
		})
	}
}

// Bug 5: Serve works on a Hub: it accepts without holding the turn, its
// handlers are green threads of the hub, and a full pool makes the next
// connection wait for a slot instead of deadlocking.
func TestHubServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	const clients = 5
	var (
		mu      sync.Mutex
		replies []string
	)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	served := make(chan error, 1)
	var inside, most int // hub state: no lock
	go func() {
		served <- RunHub(ctx, func(ctx context.Context) error {
			p := NewPool(2)
			defer p.Close()
			return Serve(ctx, ln, p, func(ctx context.Context, conn net.Conn) error {
				inside++
				most = max(most, inside)
				defer func() { inside-- }()
				var line string
				if err := Blocking(ctx, func(context.Context) error {
					var err error
					line, err = bufio.NewReader(conn).ReadString('\n')
					return err
				}); err != nil {
					return err
				}
				if err := Sleep(ctx, time.Millisecond); err != nil { // the others run meanwhile
					return err
				}
				return Blocking(ctx, func(context.Context) error {
					_, err := conn.Write([]byte("echo " + line))
					return err
				})
			}, WithGrace(time.Second))
		})
	}()
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", ln.Addr().String())
			if !assert.NoError(t, err) {
				return
			}
			defer conn.Close()
			fmt.Fprintf(conn, "hello %d\n", i)
			reply, err := bufio.NewReader(conn).ReadString('\n')
			assert.NoError(t, err)
			mu.Lock()
			replies = append(replies, strings.TrimSpace(reply))
			mu.Unlock()
		}()
	}
	wg.Wait()
	stop()
	if err := <-served; err != nil {
		assert.ErrorIs(t, err, context.Canceled, "Run reports the end of its context")
	}
	assert.Len(t, replies, clients)
	for i := range clients {
		assert.Contains(t, replies, fmt.Sprintf("echo hello %d", i))
	}
	assert.LessOrEqual(t, most, 2, "the pool bounds the handlers")
}

// Bug 6: Run closes the hub within its own context (not forever), and
// Close called from inside the hub does not wait for its caller.
func TestHubCloseAndRunContexts(t *testing.T) {
	t.Run("Run's context bounds the close", func(t *testing.T) {
		release := make(chan struct{})
		var stuck *Greenlet[struct{}]
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		err := RunHub(ctx, func(ctx context.Context) error {
			stuck = Go(ctx, func(ctx context.Context) error {
				return Blocking(ctx, func(context.Context) error { <-release; return nil }) // ignores the kill
			})
			return Sleep(ctx, 0)
		})
		assert.ErrorIs(t, err, context.DeadlineExceeded, "Run gave up waiting when its context ended")
		close(release)
		require.NoError(t, stuck.Join(context.Background()))
	})
	t.Run("Close from inside", func(t *testing.T) {
		h := NewHub(WithVirtualClock(epoch))
		var afterClose error
		err := h.Run(context.Background(), func(ctx context.Context) error {
			other := Go(ctx, func(ctx context.Context) error { var e Event; return e.Wait(ctx) })
			if err := Sleep(ctx, 0); err != nil {
				return err
			}
			h.Close() // must not wait for this very green thread
			afterClose = Sleep(ctx, time.Second)
			require.NoError(t, other.Join(context.WithoutCancel(ctx)))
			assert.ErrorIs(t, other.Err(), ErrGreenletExit)
			return nil
		})
		require.NoError(t, err)
		assert.ErrorIs(t, afterClose, ErrGreenletExit, "Close killed its caller too")
	})
}

// Bug 7: timers due at the same time fire together, before any green
// thread they wake runs: gevent's order is sleeper0, sleeper1, waiter.
func TestHubTimersDueTogetherFireTogether(t *testing.T) {
	trace := runTraces(t, 200, func(ctx context.Context, trace *[]string) error {
		var e Event
		gs := []*Greenlet[struct{}]{
			Go(ctx, func(ctx context.Context) error {
				err := Sleep(ctx, time.Second)
				*trace = append(*trace, "sleeper0")
				e.Set()
				return err
			}),
			Go(ctx, func(ctx context.Context) error {
				err := Sleep(ctx, time.Second)
				*trace = append(*trace, "sleeper1")
				return err
			}),
			Go(ctx, func(ctx context.Context) error {
				err := e.Wait(ctx)
				*trace = append(*trace, "waiter")
				return err
			}),
		}
		_, err := JoinAll(ctx, gs)
		return err
	})
	assert.Equal(t, []string{"sleeper0", "sleeper1", "waiter"}, trace)

	// On the wall clock, five green threads spawned in order and sleeping
	// the same time wake in spawn order, every run.
	for run := range 50 {
		var order []int
		require.NoError(t, RunHub(context.Background(), func(ctx context.Context) error {
			var gs []*Greenlet[struct{}]
			for i := range 5 {
				gs = append(gs, Go(ctx, func(ctx context.Context) error {
					err := Sleep(ctx, 10*time.Millisecond)
					order = append(order, i)
					return err
				}))
			}
			_, err := JoinAll(ctx, gs)
			return err
		}))
		require.Equal(t, []int{0, 1, 2, 3, 4}, order, "run %d", run)
	}
}

// A mixed program (pool, queue, event, lock, timeouts, sleeps, a kill) on
// a virtual hub gives one trace in a thousand runs.
func TestHubMixedProgramDeterministic(t *testing.T) {
	trace := runTraces(t, 1000, func(ctx context.Context, trace *[]string) error {
		log := traceTo(trace)
		start := Current(ctx)
		_ = start
		p := NewPool(3)
		q := NewQueue[int](2)
		var ready Event
		var l Lock
		total := 0
		consumer := Go(ctx, func(ctx context.Context) error {
			if err := ready.Wait(ctx); err != nil {
				return err
			}
			for v := range q.All(ctx) {
				if err := l.Acquire(ctx); err != nil {
					return err
				}
				total += v
				log("consumed %d total %d", v, total)
				l.Release()
			}
			return nil
		})
		for i := range 6 {
			err := startErr(p.Go(ctx, func(ctx context.Context) error {
				err := WithTimeout(ctx, time.Duration(3+i%3)*time.Millisecond, func(ctx context.Context) error {
					return Sleep(ctx, time.Duration(i)*time.Millisecond)
				})
				if errors.Is(err, ErrTimeout) {
					log("task %d timed out", i)
					return nil
				}
				if err := l.Acquire(ctx); err != nil {
					return err
				}
				log("task %d put", i)
				l.Release()
				return q.Put(ctx, i)
			}))
			if err != nil {
				return err
			}
			if i == 2 {
				ready.Set()
			}
		}
		sleeper := Go(ctx, func(ctx context.Context) error { return Sleep(ctx, time.Hour) })
		if err := p.Join(ctx); err != nil {
			return err
		}
		q.Close()
		if err := consumer.Join(ctx); err != nil {
			return err
		}
		if err := sleeper.Kill(ctx); err != nil {
			return err
		}
		log("total %d, sleeper killed %v", total, errors.Is(sleeper.Err(), ErrGreenletExit))
		return nil
	})
	assert.Equal(t, "total 3, sleeper killed true", trace[len(trace)-1])
}

// A kill of a green thread that waits with a context the kill does not end
// (context.WithoutCancel) is no wake: the wait goes on until its primitive
// wakes it, and the primitive's queue stays whole.
func TestHubKillDoesNotWakeAnUncancellableWait(t *testing.T) {
	trace := runTraces(t, 200, func(ctx context.Context, trace *[]string) error {
		var q Queue[int]
		g := Spawn(ctx, func(ctx context.Context) (int, error) {
			v, err := q.Get(context.WithoutCancel(ctx))
			*trace = append(*trace, fmt.Sprint("got ", v, " ", err, " ctx ", ctx.Err() != nil))
			return v, err
		})
		if err := Sleep(ctx, 0); err != nil {
			return err
		}
		g.Cancel()
		if err := Sleep(ctx, time.Second); err != nil {
			return err
		}
		*trace = append(*trace, fmt.Sprint("still waiting ", !g.Ready()))
		if err := q.Put(ctx, 7); err != nil {
			return err
		}
		_, err := g.Get(ctx)
		*trace = append(*trace, fmt.Sprint("len ", q.Len()))
		return err
	})
	assert.Equal(t, []string{"still waiting true", "got 7 <nil> ctx true", "len 0"}, trace)
}

// A stopped timer leaves the hub's heap at once: a loop of timeouts that
// end early does not pile up timers (it did, until their deadline).
func TestHubStoppedTimersLeaveTheHeap(t *testing.T) {
	for _, virtual := range []bool{false, true} {
		h := NewHub()
		if virtual {
			h = NewHub(WithVirtualClock(epoch))
		}
		var left int
		require.NoError(t, h.Run(context.Background(), func(ctx context.Context) error {
			for range 1000 {
				if err := WithTimeout(ctx, time.Hour, func(ctx context.Context) error { return Sleep(ctx, 0) }); err != nil {
					return err
				}
			}
			h.mu.Lock()
			left = h.timers.Len()
			h.mu.Unlock()
			return nil
		}))
		assert.Zero(t, left, "virtual=%v", virtual)
	}
}

// On the wall clock a wait with a cancellable context of the caller's own
// is followed by context.AfterFunc, whose callback may run after the wait
// ended by a wake; it must not wake the waiter's next wait.
func TestHubLateContextWakeIsStale(t *testing.T) {
	require.NoError(t, RunHub(context.Background(), func(ctx context.Context) error {
		for i := range 300 {
			var e Event
			cctx, cancel := context.WithCancel(ctx)
			go cancel()
			go e.Set()
			_ = e.Wait(cctx) // woken by either
			cancel()
			// The next wait reuses the green thread's waiter: only the Put
			// may end it.
			q := NewQueue[int](0)
			Go(ctx, func(ctx context.Context) error { return q.Put(ctx, i) })
			v, err := q.Get(ctx)
			if err != nil {
				return err
			}
			if v != i {
				return fmt.Errorf("round %d: got %d", i, v)
			}
		}
		return nil
	}))
}

// A Set wakes a plain goroutine and hub green threads from the same Event:
// a hub green thread that then finds the flag set gives the turn to the
// woken hub green threads first (they were waiting before it), and never
// waits for the plain goroutine, which does not take hub turns: before,
// whether it yielded depended on how fast that goroutine returned, and
// the trace varied.
func TestHubEventSetWithAPlainWaiter(t *testing.T) {
	trace := runTraces(t, 1_000, func(ctx context.Context, trace *[]string) error {
		log := func(s string) { *trace = append(*trace, s) }
		var e Event
		plainDone := make(chan struct{})
		go func() {
			defer close(plainDone)
			_ = e.Wait(context.Background())
		}()
		for { // until the plain goroutine is parked in e
			e.mu.Lock()
			n := e.waiters.sleepers
			e.mu.Unlock()
			if n == 1 {
				break
			}
			runtime.Gosched()
		}
		setter := Spawn(ctx, func(ctx context.Context) (int, error) {
			e.Set()
			log("set")
			if err := e.Wait(ctx); err != nil {
				return 0, err
			}
			log("setter past its wait")
			return 0, nil
		})
		other := Spawn(ctx, func(ctx context.Context) (int, error) { log("other ran"); return 0, nil })
		if _, err := JoinAll(ctx, []*Greenlet[int]{setter, other}); err != nil {
			return err
		}
		<-plainDone
		// Woken hub waiters still come first.
		e.Clear()
		var gs []*Greenlet[int]
		for i := range 2 {
			gs = append(gs, Spawn(ctx, func(ctx context.Context) (int, error) {
				if err := e.Wait(ctx); err != nil {
					return 0, err
				}
				log(fmt.Sprintf("waiter %d woke", i))
				return 0, nil
			}))
		}
		if err := Sleep(ctx, time.Millisecond); err != nil { // both park
			return err
		}
		e.Set()
		if err := e.Wait(ctx); err != nil {
			return err
		}
		log("main past its wait")
		_, err := JoinAll(ctx, gs)
		return err
	})
	assert.Equal(t, []string{"set", "setter past its wait", "other ran", "waiter 0 woke", "waiter 1 woke", "main past its wait"}, trace)
}

// On a Hub, once Join on a pool task or a group member returns, its slot is
// free, its callbacks have run and it has left its group, as in gevent;
// 1,000 runs give one trace.
func TestHubEndOrderBeforeJoiners(t *testing.T) {
	trace := runTraces(t, 1_000, func(ctx context.Context, trace *[]string) error {
		log := traceTo(trace)
		p := NewPool(2)
		var grp Group
		called := map[int]bool{}
		var tasks []*Greenlet[int]
		for i := range 4 {
			g := ApplyAsync(ctx, p, func(ctx context.Context) (int, error) {
				return i, Sleep(ctx, time.Duration(4-i)*time.Millisecond)
			}, func(v int) { called[v] = true }, nil)
			tasks = append(tasks, g)
		}
		var members []*Greenlet[struct{}]
		for i := range 3 {
			members = append(members, grp.Go(ctx, func(ctx context.Context) error {
				return Sleep(ctx, time.Duration(3-i)*time.Millisecond)
			}))
		}
		var joiners []*Greenlet[int]
		for i, g := range tasks {
			joiners = append(joiners, Spawn(ctx, func(ctx context.Context) (int, error) {
				v, err := g.Get(ctx)
				log("task %d got %d: callback %v, stats %+v", i, v, called[v], p.Stats())
				return 0, err
			}))
		}
		for i, m := range members {
			joiners = append(joiners, Spawn(ctx, func(ctx context.Context) (int, error) {
				err := m.Join(ctx)
				log("member %d joined: %d left", i, grp.Len())
				return 0, err
			}))
		}
		_, err := JoinAll(ctx, joiners, RaiseError())
		p.Close()
		return errors.Join(err, p.Join(ctx))
	})
	for _, line := range trace {
		if strings.HasPrefix(line, "task") {
			assert.Contains(t, line, "callback true", line)
		}
	}
	assert.Contains(t, trace, "member 0 joined: 0 left")
	assert.Len(t, trace, 7)
}
