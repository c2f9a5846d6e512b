package gevent

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Schedule is how a Hub chooses, each time the turn is free, which ready
// green thread runs next, and in which order the timers due at the same
// instant fire. The zero Schedule is the Hub's default, FIFO: ready green
// threads run in the order they became ready, timers in deadline then
// creation order. RandomSchedule and PCTSchedule choose from a generator
// seeded with the schedule's seed (math/rand/v2's PCG, the same on every
// platform), so the same program on a virtual clock with the same Schedule
// gives the same interleaving and output on any machine, while two seeds
// give two interleavings. The package geventtest runs a test under many of
// them to find the interleaving that breaks it.
//
// A Schedule only reorders what gevent allows anyway: the blocking calls
// still return only when what they wait for has happened. What it drops is
// the FIFO promise itself (that Sleep(ctx, 0) lets every green thread
// already ready run first, that a woken green thread runs before one woken
// later), which a program should not depend on for its correctness.
//
// A Schedule is a small value, comparable and safe to copy; its String
// form, read back by ParseSchedule, is how a failing schedule is replayed.
type Schedule struct {
	kind  scheduleKind
	depth int
	steps int
	seed  uint64
}

type scheduleKind uint8

const (
	fifoSchedule scheduleKind = iota
	randomSchedule
	pctSchedule
)

// RandomSchedule is the random walk: at each turn, one of the ready green
// threads, chosen uniformly, runs next; timers due at the same instant fire
// in a uniformly random order.
func RandomSchedule(seed uint64) Schedule {
	return Schedule{kind: randomSchedule, seed: seed}
}

// PCTSchedule is probabilistic concurrency testing (Burckhardt, Kothari,
// Musuvathi and Nagarakatte, "A Randomized Scheduler with Probabilistic
// Guarantees of Finding Bugs", ASPLOS 2010): every green thread gets a
// random priority when the hub first sees it ready, and the ready green
// thread of highest priority runs; at depth-1 turns chosen at random among
// the first steps, the green thread about to run drops below every other.
// A bug that needs depth ordering constraints between n green threads, in
// a run of steps turns, is found with a probability of at least
// 1/(n*steps^(depth-1)) per schedule. A green thread that yields with
// Sleep(ctx, 0) drops below all the others, so that a polling loop lets
// them run. Timers due at the same instant fire in a random order.
//
// depth below 1 is taken as 1 (no change point); steps, an estimate of the
// turns the program takes, below 1 as 1. geventtest learns steps from the
// schedules it has run.
func PCTSchedule(seed uint64, depth, steps int) Schedule {
	return Schedule{kind: pctSchedule, seed: seed, depth: max(depth, 1), steps: max(steps, 1)}
}

// Seed returns the schedule's seed (0 for FIFO).
func (s Schedule) Seed() uint64 { return s.seed }

// IsFIFO reports whether s is the Hub's default schedule.
func (s Schedule) IsFIFO() bool { return s.kind == fifoSchedule }

// String returns s in the form ParseSchedule reads: "fifo", "random:SEED"
// or "pct:DEPTH:STEPS:SEED".
func (s Schedule) String() string {
	switch s.kind {
	case randomSchedule:
		return "random:" + strconv.FormatUint(s.seed, 10)
	case pctSchedule:
		return fmt.Sprintf("pct:%d:%d:%d", s.depth, s.steps, s.seed)
	}
	return "fifo"
}

// ErrBadSchedule is what ParseSchedule returns, wrapped, for text that is
// not a schedule.
var ErrBadSchedule = errors.New("gevent: not a schedule (want fifo, random:SEED or pct:DEPTH:STEPS:SEED)")

// ParseSchedule reads a schedule written by Schedule.String.
func ParseSchedule(text string) (Schedule, error) {
	parts := strings.Split(strings.TrimSpace(text), ":")
	nums := make([]uint64, len(parts)-1)
	for i, p := range parts[1:] {
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return Schedule{}, fmt.Errorf("%w: %q", ErrBadSchedule, text)
		}
		nums[i] = n
	}
	switch {
	case parts[0] == "fifo" && len(nums) == 0:
		return Schedule{}, nil
	case parts[0] == "random" && len(nums) == 1:
		return RandomSchedule(nums[0]), nil
	case parts[0] == "pct" && len(nums) == 3 && nums[0] > 0 && nums[1] > 0 && nums[0] < 1<<20 && nums[1] < 1<<40:
		return PCTSchedule(nums[2], int(nums[0]), int(nums[1])), nil
	}
	return Schedule{}, fmt.Errorf("%w: %q", ErrBadSchedule, text)
}

// WithSchedule makes the hub choose the next green thread, and order the
// timers due together, by s (see Schedule). Meant for tests on a virtual
// clock; on the wall clock it reorders turns too, but the wall clock's
// timing is not reproducible. Cost: a random walk's turn costs a draw of
// the generator more than a FIFO turn (1.10x a FIFO switch here,
// BenchmarkHubSwitch/explore); a PCT turn looks up the priority of each
// ready green thread in a hub-side map made only under this option (1.23x
// with two ready, BenchmarkHubSwitch/explore-pct).
func WithSchedule(s Schedule) HubOption {
	return HubOption{func(h *Hub) {
		if s.kind == fifoSchedule {
			h.extras().exp = nil
			return
		}
		h.extras().exp = newExplorer(s)
	}}
}

// hubExtras holds what a Hub's optional features keep: nil when none is on,
// so that a plain hub pays one nil check where they hook in.
type hubExtras struct {
	exp  *explorer    // WithSchedule
	info *runInfo     // WithRunInfo
	mon  *monitor     // WithBlockingMonitor
	obs  *hubObserver // geventtest's (see internal/explorehook)
}

// extras returns h's extras, making them; for options, before the hub runs.
func (h *Hub) extras() *hubExtras {
	if h.x == nil {
		h.x = &hubExtras{}
	}
	return h.x
}

// explorer is a non-FIFO Schedule at work on one hub. Only the hub's loop
// uses it, under the hub's mutex.
type explorer struct {
	s     Schedule
	rng   *rand.Rand
	step  int // turns chosen so far
	batch []*hubTimer
	// PCT
	prio    map[*GreenThread]int64 // hub-side: no field in GreenThread
	changes []int                  // the change points, in order
	low     int64                  // the priority the next demoted thread drops to
}

func newExplorer(s Schedule) *explorer {
	x := &explorer{s: s, rng: rand.New(rand.NewPCG(s.seed, s.seed^0x9e3779b97f4a7c15))}
	if s.kind == pctSchedule {
		x.prio = make(map[*GreenThread]int64)
		for range s.depth - 1 {
			x.changes = append(x.changes, 1+x.rng.IntN(s.steps))
		}
		slices.Sort(x.changes)
	}
	return x
}

// pick returns the index in ready (the hub's ready green threads' waiters,
// at least one) of the one to run next.
func (x *explorer) pick(ready []*waiter) int {
	x.step++
	if x.s.kind == randomSchedule {
		if len(ready) == 1 {
			return 0
		}
		return x.rng.IntN(len(ready))
	}
	i := x.highest(ready)
	// PCT's change points: the green thread about to take this step
	// drops below every other (the paper's priority depth-k, k-th change
	// point: later change points, and yields, drop lower).
	for len(x.changes) > 0 && x.changes[0] <= x.step {
		x.changes = x.changes[1:]
		x.demote(ready[i].th)
		i = x.highest(ready)
	}
	return i
}

// highest returns the index of the ready green thread of highest PCT
// priority, giving one to those seen for the first time.
func (x *explorer) highest(ready []*waiter) int {
	best, bestP := 0, int64(0)
	for i, w := range ready {
		p, ok := x.prio[w.th]
		if !ok {
			// Above every demoted one (<= 0).
			p = 1 + int64(x.rng.Uint64()>>2)
			x.prio[w.th] = p
		}
		if i == 0 || p > bestP {
			best, bestP = i, p
		}
	}
	return best
}

// yielded is told that t gave up its turn with Sleep(ctx, 0): under PCT it
// drops below every other green thread.
func (x *explorer) yielded(t *GreenThread) {
	if x.prio != nil {
		x.demote(t)
	}
}

// demote drops t below every other green thread.
func (x *explorer) demote(t *GreenThread) {
	x.prio[t] = x.low
	x.low--
}

// left forgets t, which has ended.
func (x *explorer) left(t *GreenThread) {
	if x.prio != nil {
		delete(x.prio, t)
	}
}

// fireDueExplored is fireDue under an explorer: the timers due at the same
// instant fire in an order drawn from the schedule's generator. h.mu is
// held (released while a timer's function runs).
func (h *Hub) fireDueExplored(x *explorer, now time.Time) bool {
	fired := false
	for h.timers.Len() > 0 && !h.timers[0].when.After(now) {
		batch := x.batch[:0]
		for h.timers.Len() > 0 && !h.timers[0].when.After(now) {
			tm := h.popTimer()
			if !tm.stopped {
				batch = append(batch, tm)
			}
		}
		// Shuffle each run of timers due at the same instant.
		for i := 0; i < len(batch); {
			j := i + 1
			for j < len(batch) && batch[j].when.Equal(batch[i].when) {
				j++
			}
			run := batch[i:j]
			x.rng.Shuffle(len(run), func(a, b int) { run[a], run[b] = run[b], run[a] })
			i = j
		}
		for k, tm := range batch {
			batch[k] = nil
			if !tm.stopped { // a timer's function may have stopped a later one
				fired = true
				h.fireTimer(tm)
			}
		}
		x.batch = batch[:0]
	}
	return fired
}
