package gevent

import (
	"bytes"
	"context"
	"fmt"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exploreScenario is a program with choices for a schedule to make: three
// green threads yielding, sharing a Lock, and sleeping to timers due at
// the same instants, one of them a Timeout's. Its trace is its whole
// interleaving.
func exploreScenario(opts ...HubOption) string {
	var trace []string
	log := func(format string, args ...any) { trace = append(trace, fmt.Sprintf(format, args...)) }
	err := RunHub(context.Background(), func(ctx context.Context) error {
		var l Lock
		var gs []*Greenlet[struct{}]
		for _, name := range []string{"a", "b", "c"} {
			gs = append(gs, Go(ctx, func(ctx context.Context) error {
				for i := range 2 {
					log("%s%d", name, i)
					if err := Sleep(ctx, 0); err != nil {
						return err
					}
					if err := l.Acquire(ctx); err != nil {
						return err
					}
					log("%s locked", name)
					Sleep(ctx, time.Millisecond)
					l.Release()
				}
				err := WithTimeout(ctx, 3*time.Millisecond, func(ctx context.Context) error {
					return Sleep(ctx, 3*time.Millisecond)
				})
				log("%s timeout: %v", name, err != nil)
				return nil
			}, WithName(name)))
		}
		_, err := JoinAll(ctx, gs, RaiseError())
		return err
	}, append([]HubOption{WithVirtualClock(epoch)}, opts...)...)
	if err != nil {
		return "error: " + err.Error()
	}
	return strings.Join(trace, " ")
}

// The same schedule gives the same interleaving every run, distinct seeds
// give many, and the zero Schedule is FIFO.
func TestScheduleDeterministic(t *testing.T) {
	fifo := exploreScenario()
	assert.Equal(t, fifo, exploreScenario(WithSchedule(Schedule{})))
	for _, mk := range []func(seed uint64) Schedule{
		RandomSchedule,
		func(seed uint64) Schedule { return PCTSchedule(seed, 3, 40) },
	} {
		distinct := map[string]bool{}
		for seed := range uint64(100) {
			s := mk(seed)
			trace := sameTrace(t, 5, func() string { return exploreScenario(WithSchedule(s)) })
			require.NotContains(t, trace, "error", "schedule %v", s)
			distinct[trace] = true
		}
		assert.Greater(t, len(distinct), 20, "%v: 100 seeds give many interleavings", mk(0))
	}
}

func TestParseSchedule(t *testing.T) {
	for _, s := range []Schedule{{}, RandomSchedule(0), RandomSchedule(1<<63 + 5), PCTSchedule(42, 3, 120)} {
		got, err := ParseSchedule(s.String())
		require.NoError(t, err)
		assert.Equal(t, s, got)
	}
	assert.Equal(t, "pct:3:120:42", PCTSchedule(42, 3, 120).String())
	assert.Equal(t, PCTSchedule(1, 1, 1), PCTSchedule(1, 0, -5))
	for _, bad := range []string{"", "random", "random:x", "pct:3:1", "pct:0:5:1", "lifo:1", "fifo:1"} {
		_, err := ParseSchedule(bad)
		assert.ErrorIs(t, err, ErrBadSchedule, bad)
	}
}

func TestRunInfo(t *testing.T) {
	for _, on := range []bool{false, true} {
		t.Run(fmt.Sprint("WithRunInfo=", on), func(t *testing.T) {
			opts := []HubOption{WithVirtualClock(epoch)}
			if on {
				opts = append(opts, WithRunInfo())
			}
			h := NewHub(opts...)
			var infos []ThreadInfo
			var tree strings.Builder
			require.NoError(t, h.Run(context.Background(), func(ctx context.Context) error {
				var l Lock
				l.Acquire(ctx)
				holder := Go(ctx, func(ctx context.Context) error {
					return Go(ctx, func(ctx context.Context) error { return l.Acquire(ctx) }, WithName("waiter")).Join(ctx)
				}, WithName("holder"))
				sleeper := Go(ctx, func(ctx context.Context) error { return Sleep(ctx, time.Hour) }, WithName("sleeper"))
				Go(ctx, func(ctx context.Context) error { return nil }, WithName("pending"))
				Sleep(ctx, 0)
				Sleep(ctx, 2*time.Second) // the sleeper and the waiter have been blocked for 2s
				Go(ctx, func(ctx context.Context) error { return nil }, WithName("fresh"))
				infos = h.RunInfo()
				h.WriteRunInfo(&tree)
				l.Release()
				sleeper.Kill(ctx)
				return holder.Join(ctx)
			}))
			byName := map[string]ThreadInfo{}
			for _, in := range infos {
				byName[in.Name] = in
			}
			require.Len(t, infos, 5, "main, holder, waiter, sleeper, fresh: %v", infos)
			assert.Equal(t, ThreadRunning, byName["main"].State)
			assert.Equal(t, ThreadBlocked, byName["holder"].State)
			assert.Equal(t, ThreadBlocked, byName["waiter"].State)
			assert.Equal(t, ThreadPending, byName["fresh"].State)
			assert.Equal(t, "holder", byName["waiter"].SpawnerName)
			assert.Equal(t, byName["main"].ID, byName["sleeper"].SpawnerID)
			assert.Zero(t, byName["main"].SpawnerID)
			if !on {
				assert.Empty(t, byName["waiter"].BlockedOn)
				assert.Empty(t, byName["waiter"].SpawnSite)
				return
			}
			assert.Equal(t, 2*time.Second, byName["waiter"].BlockedFor)
			assert.Regexp(t, `^Lock.Acquire at explore_test.go:\d+$`, byName["waiter"].BlockedOn)
			assert.Regexp(t, `^GreenThread.Join at explore_test.go:\d+ on waiter$`, byName["holder"].BlockedOn)
			assert.Regexp(t, `^Sleep at explore_test.go:\d+$`, byName["sleeper"].BlockedOn)
			assert.Regexp(t, `^explore_test.go:\d+$`, byName["sleeper"].SpawnSite)
			out := tree.String()
			t.Log("\n" + out)
			assert.Contains(t, out, "virtual clock at 2026-01-01T00:00:02Z): 5 green thread(s)")
			assert.Regexp(t, `(?m)^main #\d+ running; spawned at `, out)
			assert.Regexp(t, `(?m)^├── holder #\d+ blocked for 2s in GreenThread.Join at explore_test.go:\d+ on waiter; spawned by main #\d+ at explore_test.go:\d+$`, out)
			assert.Regexp(t, `(?m)^│   └── waiter #\d+ blocked for 2s in Lock.Acquire`, out)
			assert.Regexp(t, `(?m)^└── fresh #\d+ pending; spawned by main`, out)

			var all bytes.Buffer
			n, err := WriteAllRunInfo(&all)
			require.NoError(t, err)
			assert.Zero(t, n, "the hub has ended: nothing to dump")
		})
	}
}

// A green thread that holds the turn past the threshold is reported once,
// with its stack; one that yields in time is not.
func TestBlockingMonitor(t *testing.T) {
	var mu sync.Mutex
	var reports []BlockingReport
	h := NewHub(WithBlockingMonitor(20*time.Millisecond, func(r BlockingReport) {
		mu.Lock()
		reports = append(reports, r)
		mu.Unlock()
	}))
	require.NoError(t, h.Run(context.Background(), func(ctx context.Context) error {
		polite := Go(ctx, func(ctx context.Context) error {
			for range 20 {
				if err := Sleep(ctx, time.Millisecond); err != nil {
					return err
				}
			}
			return nil
		}, WithName("polite"))
		rude := Go(ctx, func(ctx context.Context) error {
			time.Sleep(200 * time.Millisecond) // holds the turn: what the monitor is for
			return nil
		}, WithName("rude"))
		_, err := JoinAll(ctx, []*Greenlet[struct{}]{polite, rude})
		return err
	}))
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, reports, 1)
	r := reports[0]
	assert.Equal(t, "rude", r.Name)
	assert.GreaterOrEqual(t, r.Held, 20*time.Millisecond)
	assert.Contains(t, r.Stack, "time.Sleep")
	assert.Contains(t, r.Stack, "TestBlockingMonitor")
	var out bytes.Buffer
	BlockingPrinter(&out)(r)
	assert.Contains(t, out.String(), "gevent: rude #")
	assert.Contains(t, out.String(), "has held the hub's turn for")
}

// With SetProfileLabels on, a green thread's goroutine (free mode) or
// coroutine (hub) carries its name as a pprof label.
func TestProfileLabels(t *testing.T) {
	SetProfileLabels(true)
	defer SetProfileLabels(false)
	require.True(t, ProfileLabels())
	dump := func() string {
		var b bytes.Buffer
		pprof.Lookup("goroutine").WriteTo(&b, 1)
		return b.String()
	}
	var free, hub string
	g := Go(context.Background(), func(context.Context) error { free = dump(); return nil }, WithName("labelled-free"))
	require.NoError(t, g.Join(context.Background()))
	require.NoError(t, RunHub(context.Background(), func(ctx context.Context) error {
		return Go(ctx, func(context.Context) error { hub = dump(); return nil }, WithName("labelled-hub")).Join(ctx)
	}))
	assert.Contains(t, free, `"greenlet":"labelled-free"`)
	assert.Contains(t, hub, `"greenlet":"labelled-hub"`)
}
