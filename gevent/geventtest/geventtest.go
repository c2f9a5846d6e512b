// Package geventtest finds the interleaving that breaks code written on
// package gevent, and replays it: in the style of net/http/httptest, a
// small helper for tests, as loom and shuttle are for Rust.
//
// Explore runs a test function on a virtual-clock Hub under hundreds of
// schedules (gevent.Schedule): random walks and PCT, each from its own
// seed, so each is one exact interleaving of the hub's green threads. It
// stops at the first schedule that fails (a t.Error or t.Fatal inside, a
// panic in any green thread, an error returned, a deadlock, a green thread
// left blocked when the function returns) and reports that schedule with
// a one-line command that replays exactly it:
//
//	GEVENTTEST_REPLAY=pct:3:57:1234 go test -run '^TestTransfer$' ./bank
//
// (or the test flag -geventtest.replay=pct:3:57:1234). Every switch point
// of a hub green thread is a call of package gevent, so a schedule decides
// the whole interleaving: the same schedule gives the same run on any
// machine, as long as the function itself is deterministic (no goroutines
// of its own outside gevent.Blocking, no map-order dependence, no
// wall-clock reads).
//
// The search is as good as its schedules: a bug that needs d ordering
// constraints among n green threads in a run of k turns is found by one
// PCT schedule of depth d with probability at least 1/(n*k^(d-1)), and by
// random walks usually sooner in small programs. A passing exploration is
// evidence, not proof.
package geventtest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/geventgo/geventgo/gevent"
	"github.com/geventgo/geventgo/gevent/internal/explorehook"
	"github.com/geventgo/geventgo/panics"
)

// ReplayEnv is the environment variable that makes every Explore and Search
// of the run replay the one schedule it names (gevent.ParseSchedule's
// form), as the flag -geventtest.replay does; the flag wins when both are
// set. SeedEnv, a number, changes the base seed of the explorations that
// were not given one (Seed), to search other schedules than the default.
const (
	ReplayEnv = "GEVENTTEST_REPLAY"
	SeedEnv   = "GEVENTTEST_SEED"
)

var replayFlag = flag.String("geventtest.replay", "", "replay only this schedule in every geventtest.Explore (e.g. pct:3:57:1234)")

// Defaults of an exploration.
const (
	DefaultSchedules = 500
	DefaultBudget    = 10 * time.Second
	DefaultMaxTurns  = 100_000
)

// Option configures an exploration.
type Option struct{ apply func(*config) }

type config struct {
	schedules int
	budget    time.Duration
	maxTurns  uint64
	strategy  func(i int, seed uint64, steps int) gevent.Schedule
	seed      uint64
	seeded    bool
	start     time.Time
	name      string
}

// Schedules sets how many schedules to run at most (DefaultSchedules);
// fewer run if the budget ends first.
func Schedules(n int) Option { return Option{func(c *config) { c.schedules = max(n, 1) }} }

// Budget bounds the exploration's wall time (DefaultBudget): no schedule
// starts after it. At least one schedule runs.
func Budget(d time.Duration) Option { return Option{func(c *config) { c.budget = d }} }

// MaxTurns bounds each schedule's turns (DefaultMaxTurns): a schedule that
// reaches it has its green threads killed and fails as a livelock (a
// polling loop that never sees its condition, say).
func MaxTurns(n int) Option { return Option{func(c *config) { c.maxTurns = uint64(max(n, 1)) }} }

// Seed sets the base seed the schedules' seeds derive from. Without it the
// base is a hash of the test's name (or SeedEnv when set), so that a test
// explores the same schedules on every run.
func Seed(base uint64) Option { return Option{func(c *config) { c.seed, c.seeded = base, true }} }

// Random explores random walks only (gevent.RandomSchedule).
func Random() Option {
	return Option{func(c *config) {
		c.strategy = func(_ int, seed uint64, _ int) gevent.Schedule { return gevent.RandomSchedule(seed) }
	}}
}

// PCT explores PCT schedules of the given depth only (gevent.PCTSchedule),
// with the steps estimate learnt from the schedules already run.
func PCT(depth int) Option {
	return Option{func(c *config) {
		c.strategy = func(_ int, seed uint64, steps int) gevent.Schedule {
			return gevent.PCTSchedule(seed, depth, steps)
		}
	}}
}

// Start sets the virtual clock's start (default 2000-01-01 UTC).
func Start(t time.Time) Option { return Option{func(c *config) { c.start = t }} }

// mixed is the default strategy: random walks and PCT of depths 2 and 3 in
// turn.
func mixed(i int, seed uint64, steps int) gevent.Schedule {
	switch i % 4 {
	case 1:
		return gevent.PCTSchedule(seed, 2, steps)
	case 3:
		return gevent.PCTSchedule(seed, 3, steps)
	}
	return gevent.RandomSchedule(seed)
}

// Func is an explored test function: it runs as the main green thread of a
// virtual-clock Hub (ctx is its context: spawn with it), and reports
// failures through t as a test does. t is the schedule's own: its failures
// and log belong to that schedule, and only a failing schedule's are
// shown. A non-nil error fails the schedule too.
type Func func(ctx context.Context, t testing.TB) error

// Report is the outcome of an exploration.
type Report struct {
	// Schedules is the number of schedules run, the failing one included.
	Schedules int
	// Failure is the first failing schedule, nil if every one passed.
	Failure *Failure
	// Skipped is set when the function called t.Skip.
	Skipped bool
	Elapsed time.Duration
}

// Failure is a failing schedule.
type Failure struct {
	// Schedule replays the failure: gevent.WithSchedule(Schedule) on a
	// virtual hub, Replay, or the Replay command.
	Schedule gevent.Schedule
	// Index is the schedule's number in the exploration, from 1.
	Index int
	// Reason says what failed, in one line: "t.Error", "panic in
	// worker-2: ...", "returned: ...", "deadlock: 2 green threads left
	// blocked", "livelock: ...".
	Reason string
	// Log is what the function logged and reported in that schedule.
	Log string
	// RunInfo is the tree of the green threads still alive when the
	// function returned (a deadlock or a leak), from a replay with
	// gevent.WithRunInfo: who is blocked in what, spawned where.
	RunInfo string
	// Replay is the command that reruns exactly this schedule.
	Replay string
	// Reproduced reports whether the replay failed the same way; false
	// means the function is not deterministic under a schedule (see the
	// package doc) and the seed may not find the bug again.
	Reproduced bool
}

// Error returns the failure's report: the schedule, the reason, the log,
// the green threads left and the replay command.
func (f *Failure) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "geventtest: schedule %d (%v) failed: %s\n", f.Index, f.Schedule, f.Reason)
	if f.Log != "" {
		b.WriteString(indent(f.Log))
	}
	if f.RunInfo != "" {
		b.WriteString("green threads left:\n" + indent(f.RunInfo))
	}
	if !f.Reproduced {
		b.WriteString("warning: the replay of this schedule did not fail the same way: is the function deterministic?\n")
	}
	b.WriteString("replay: " + f.Replay)
	return b.String()
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	return "    " + strings.ReplaceAll(s, "\n", "\n    ") + "\n"
}

// Explore runs fn under many schedules (see the package doc and the
// options) and fails t, with the failing schedule's report, at the first
// schedule that fails; it logs how many schedules passed otherwise. It
// returns the report either way. With ReplayEnv or -geventtest.replay set
// it runs that one schedule only. t.Skip inside fn skips t.
func Explore(t testing.TB, fn Func, opts ...Option) Report {
	t.Helper()
	r := explore(t, t.Name(), fn, opts)
	switch {
	case r.Failure != nil:
		t.Fatal(r.Failure.Error())
	case r.Skipped:
		t.Skip("geventtest: skipped by the explored function")
	default:
		t.Logf("geventtest: %d schedules passed in %v", r.Schedules, r.Elapsed.Round(time.Millisecond))
	}
	return r
}

// Search is Explore without a test: it returns the report and fails
// nothing, for programs, Examples, and tests that expect a failure. fn's
// t has no test behind it: TempDir, Setenv, Chdir and ArtifactDir panic.
// name stands for the test's name in the seed and the replay command.
func Search(name string, fn Func, opts ...Option) Report {
	return explore(nil, name, fn, opts)
}

// Replay runs fn once under s, on a virtual hub, and returns its failure,
// or nil if it passed.
func Replay(name string, s gevent.Schedule, fn Func, opts ...Option) *Failure {
	c := newConfig(name, opts)
	res := runOne(nil, c, s, fn, false)
	if !res.failed() {
		return nil
	}
	return c.failure(nil, 1, s, res, fn)
}

func newConfig(name string, opts []Option) *config {
	c := &config{
		schedules: DefaultSchedules,
		budget:    DefaultBudget,
		maxTurns:  DefaultMaxTurns,
		strategy:  mixed,
		start:     time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		name:      name,
	}
	for _, o := range opts {
		o.apply(c)
	}
	if !c.seeded {
		if env, err := strconv.ParseUint(os.Getenv(SeedEnv), 10, 64); err == nil {
			c.seed = env
		} else {
			h := fnv.New64a()
			h.Write([]byte(name))
			c.seed = h.Sum64()
		}
	}
	return c
}

// replaySchedule returns the schedule to replay, if one is set.
func replaySchedule() (gevent.Schedule, bool, error) {
	text := os.Getenv(ReplayEnv)
	if flag.Parsed() && *replayFlag != "" {
		text = *replayFlag
	}
	if text == "" {
		return gevent.Schedule{}, false, nil
	}
	s, err := gevent.ParseSchedule(text)
	return s, true, err
}

func explore(t testing.TB, name string, fn Func, opts []Option) Report {
	c := newConfig(name, opts)
	start := time.Now()
	if s, ok, err := replaySchedule(); ok || err != nil {
		if err != nil {
			return Report{Schedules: 0, Failure: &Failure{Reason: err.Error(), Reproduced: true}, Elapsed: time.Since(start)}
		}
		res := runOne(t, c, s, fn, false)
		r := Report{Schedules: 1, Skipped: res.skipped, Elapsed: time.Since(start)}
		if res.failed() {
			r.Failure = c.failure(t, 1, s, res, fn)
		}
		return r
	}
	steps := 1
	r := Report{}
	for i := range c.schedules {
		if i > 0 && time.Since(start) > c.budget {
			break
		}
		s := c.strategy(i, mix(c.seed, uint64(i)), steps)
		res := runOne(t, c, s, fn, false)
		r.Schedules++
		steps = max(steps, int(res.turns))
		if res.skipped {
			r.Skipped = true
			break
		}
		if res.failed() {
			r.Failure = c.failure(t, i+1, s, res, fn)
			break
		}
	}
	r.Elapsed = time.Since(start)
	return r
}

// mix derives schedule i's seed from the base (SplitMix64's finaliser).
func mix(base, i uint64) uint64 {
	z := base + (i+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// failure builds the report of a failing schedule, replaying it with run
// info to show the green threads left and to check that it reproduces.
func (c *config) failure(t testing.TB, index int, s gevent.Schedule, res result, fn Func) *Failure {
	f := &Failure{Schedule: s, Index: index, Reason: res.reason(), Log: res.log, Replay: c.replayCommand(s)}
	again := runOne(t, c, s, fn, true)
	f.Reproduced = again.failed() && again.reason() == f.Reason
	f.RunInfo = again.runInfo
	if f.RunInfo == "" {
		f.RunInfo = res.runInfo
	}
	return f
}

// replayCommand is the one line that replays s: the test's package from
// the module root, its name anchored.
func (c *config) replayCommand(s gevent.Schedule) string {
	var run []string
	for _, part := range strings.Split(c.name, "/") {
		run = append(run, "^"+regexp.QuoteMeta(part)+"$")
	}
	return fmt.Sprintf("%s=%v go test -run '%s' %s", ReplayEnv, s, strings.Join(run, "/"), packageDir())
}

// packageDir is the current directory (a test's package) relative to the
// module root, as go test takes it; "." if there is no go.mod above.
func packageDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			rel, err := filepath.Rel(dir, wd)
			if err != nil || rel == "." {
				return "."
			}
			return "./" + filepath.ToSlash(rel)
		}
		if filepath.Dir(dir) == dir {
			return "."
		}
	}
}

// result is what one schedule did.
type result struct {
	failedT  bool   // t.Error / t.Fatal
	panicked string // the first panic of a green thread
	returned error  // fn's error
	loopExit bool   // a blocking call ended with ErrLoopExit
	left     int    // green threads alive when fn returned
	livelock bool
	skipped  bool
	turns    uint64
	log      string
	runInfo  string
}

func (r result) failed() bool {
	return !r.skipped && (r.failedT || r.panicked != "" || r.returned != nil || r.left > 0 || r.livelock)
}

// reason is the failure in one line; the first of: livelock, panic,
// t.Error, deadlock, error returned, leak.
func (r result) reason() string {
	switch {
	case r.livelock:
		return "livelock: the schedule reached its turn limit (see MaxTurns)"
	case r.panicked != "":
		return r.panicked
	case r.failedT:
		return "t.Error or t.Fatal"
	case r.loopExit:
		return fmt.Sprintf("deadlock: a wait ended with gevent.ErrLoopExit; %d green thread(s) left blocked", r.left)
	case r.returned != nil:
		return "returned: " + firstLine(r.returned.Error())
	}
	return fmt.Sprintf("deadlock or leak: %d green thread(s) left blocked when the function returned", r.left)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// runOne runs fn once under s on a fresh virtual hub.
func runOne(parent testing.TB, c *config, s gevent.Schedule, fn Func, withInfo bool) (res result) {
	st := newScheduleT(parent, c.name)
	var panicked string
	obs := &explorehook.Observer{MaxTurns: c.maxTurns}
	obs.Failed = func(name string, err error) {
		var pe *panics.Error
		if errors.As(err, &pe) {
			if _, ok := pe.Value.(stop); ok {
				return // FailNow or SkipNow: recorded already
			}
			if panicked == "" {
				panicked = fmt.Sprintf("panic in %s: %v", name, pe.Value)
				st.Logf("panic in %s: %v\n%s", name, pe.Value, pe.Stack())
			}
		}
	}
	opts := []gevent.HubOption{
		gevent.WithVirtualClock(c.start),
		gevent.WithSchedule(s),
		explorehook.WithObserver(obs).(gevent.HubOption),
	}
	if withInfo {
		opts = append(opts, gevent.WithRunInfo())
	}
	h := gevent.NewHub(opts...)
	var left int
	var info string
	err := h.Run(context.Background(), func(ctx context.Context) error {
		err := callFn(ctx, st, fn)
		if st.Failed() || st.Skipped() || panicked != "" {
			return err
		}
		// Let what fn left behind run down, then look at who is left.
		if werr := gevent.WaitIdle(ctx); werr != nil && err == nil {
			err = werr
		}
		self := gevent.Current(ctx).ID()
		var b strings.Builder
		for _, ti := range h.RunInfo() {
			if ti.ID != self {
				left++
			}
		}
		if left > 0 {
			h.WriteRunInfo(&b)
			info = b.String()
		}
		return err
	})
	st.end()
	res = result{
		failedT:  st.Failed(),
		skipped:  st.Skipped(),
		panicked: panicked,
		left:     left,
		livelock: obs.Exceeded.Load(),
		turns:    obs.Turns.Load(),
		runInfo:  info,
	}
	if err != nil {
		var pe *panics.Error
		if errors.As(err, &pe) {
			if res.panicked == "" {
				res.panicked = fmt.Sprintf("panic in main: %v", pe.Value)
				st.Logf("panic in main: %v\n%s", pe.Value, pe.Stack())
			}
		} else {
			res.returned = err
			res.loopExit = errors.Is(err, gevent.ErrLoopExit)
			st.Logf("returned: %v", err)
		}
	}
	res.log = st.logText()
	return res
}

// callFn calls fn, ending quietly at FailNow or SkipNow.
func callFn(ctx context.Context, t *scheduleT, fn Func) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(stop); !ok {
				panic(r)
			}
		}
	}()
	return fn(ctx, t)
}
