package geventtest_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geventgo/geventgo/gevent"
	"github.com/geventgo/geventgo/gevent/geventtest"
)

func TestPlantedBugs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		prog   func(fixed bool) func(ctx context.Context, t testing.TB) error
		reason string
	}{
		{"lostUpdate", lostUpdate, "t.Error"},
		{"abba", abba, "deadlock"},
		{"missedWake", missedWake, "deadlock"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fn := tc.prog(false)
			require.Nil(t, geventtest.Replay(tc.name, gevent.Schedule{}, fn), "FIFO does not show the bug")
			r := geventtest.Search(tc.name, fn)
			require.NotNil(t, r.Failure, "found within the default budget")
			f := r.Failure
			t.Logf("%s: found at schedule %d (%v): %s", tc.name, r.Schedules, f.Schedule, f.Reason)
			t.Log(f.Error())
			assert.Contains(t, f.Reason, tc.reason)
			assert.True(t, f.Reproduced)
			again := geventtest.Replay(tc.name, f.Schedule, fn)
			require.NotNil(t, again, "the seed replays the bug")
			assert.Equal(t, f.Reason, again.Reason)
			assert.Equal(t, f.Log, again.Log)

			fixed := geventtest.Search(tc.name, tc.prog(true))
			assert.Nil(t, fixed.Failure)
			assert.Equal(t, geventtest.DefaultSchedules, fixed.Schedules)
		})
	}
}

// fakeTB records what Explore reports; Fatal ends the goroutine as a
// test's does.
type fakeTB struct {
	testing.TB
	fatal, logs []string
}

func (f *fakeTB) Helper()      {}
func (f *fakeTB) Name() string { return "TestFake" }
func (f *fakeTB) Logf(format string, args ...any) {
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Fatal(args ...any) { f.fatal = append(f.fatal, fmt.Sprint(args...)); runtime.Goexit() }
func (f *fakeTB) Skip(args ...any)  { runtime.Goexit() }
func runFake(fn geventtest.Func, opts ...geventtest.Option) *fakeTB {
	f := &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		geventtest.Explore(f, fn, opts...)
	}()
	<-done
	return f
}

// Each kind of failure stops the exploration and is reported with its
// schedule and the replay command.
func TestExploreFailures(t *testing.T) {
	for _, tc := range []struct {
		name, reason string
		fn           geventtest.Func
	}{
		{"panic in a green thread", "panic in worker: boom", func(ctx context.Context, t testing.TB) error {
			gevent.Go(ctx, func(ctx context.Context) error { panic("boom") }, gevent.WithName("worker")).Join(ctx)
			return nil
		}},
		{"FailNow in a green thread", "t.Error or t.Fatal", func(ctx context.Context, t testing.TB) error {
			g := gevent.Go(ctx, func(ctx context.Context) error { require.Equal(t, 1, 2); return nil })
			return g.Join(ctx)
		}},
		{"leak", "deadlock or leak: 1 green thread(s) left blocked", func(ctx context.Context, t testing.TB) error {
			var never gevent.Event
			gevent.Go(ctx, never.Wait, gevent.WithName("leaked"))
			return nil
		}},
		{"error", "returned: oops", func(ctx context.Context, t testing.TB) error { return errors.New("oops") }},
		{"livelock", "livelock", func(ctx context.Context, t testing.TB) error {
			for gevent.Sleep(ctx, 0) == nil { // never returns on its own
			}
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := runFake(tc.fn, geventtest.MaxTurns(1000))
			require.Len(t, f.fatal, 1)
			msg := f.fatal[0]
			assert.Contains(t, msg, "geventtest: schedule 1 (random:")
			assert.Contains(t, msg, tc.reason)
			assert.Contains(t, msg, "replay: GEVENTTEST_REPLAY=random:")
			assert.Contains(t, msg, "go test -run '^TestFake$' ./gevent/geventtest")
			assert.NotContains(t, msg, "warning")
			if tc.name == "leak" {
				assert.Regexp(t, `leaked #\d+ blocked for 0s in Event.Wait; spawned by main`, msg)
			}
		})
	}
}

// GEVENTTEST_REPLAY runs the one schedule it names; Seed and SeedEnv pick
// other schedules.
func TestExploreReplayAndSeeds(t *testing.T) {
	var seen []string
	record := func(ctx context.Context, t testing.TB) error {
		seen = append(seen, "run")
		return nil
	}
	t.Setenv(geventtest.ReplayEnv, "pct:2:10:77")
	f := runFake(record)
	assert.Empty(t, f.fatal)
	assert.Len(t, seen, 1)
	assert.Contains(t, f.logs[0], "1 schedules passed")

	t.Setenv(geventtest.ReplayEnv, "bogus")
	f = runFake(record)
	require.Len(t, f.fatal, 1)
	assert.Contains(t, f.fatal[0], "not a schedule")

	t.Setenv(geventtest.ReplayEnv, "")
	lost := lostUpdate(false)
	a := geventtest.Search("x", lost, geventtest.Seed(1))
	b := geventtest.Search("x", lost, geventtest.Seed(1))
	require.NotNil(t, a.Failure)
	assert.Equal(t, a.Failure.Schedule, b.Failure.Schedule, "the same seed explores the same schedules")
	t.Setenv(geventtest.SeedEnv, "12345")
	c := geventtest.Search("x", lost)
	require.NotNil(t, c.Failure)
	assert.Equal(t, geventtest.Search("x", lost, geventtest.Seed(12345)).Failure.Schedule, c.Failure.Schedule)

	r := geventtest.Search("x", record, geventtest.Schedules(3))
	assert.Equal(t, 3, r.Schedules)
	r = geventtest.Search("x", record, geventtest.Budget(-1))
	assert.Equal(t, 1, r.Schedules, "at least one schedule runs")
}
