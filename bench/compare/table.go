package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// operation is one row of the table: the CPython original, the hand-written
// Go alternative and geventgo's mechanism, by benchmark name. Where several
// names are given, the first one measured is used.
type operation struct {
	name   string
	python string   // key in pybench.py's "ops"
	plain  []string // Go benchmark names of the plain-Go alternative
	ours   []string // Go benchmark names of geventgo's mechanism
	goal   string   // the goal the issues set, for the reader
	// bestOf compares with the fastest of plain, not the first measured.
	bestOf bool
}

var operations = []operation{
	{"generator send", "GeneratorSend", []string{"GeneratorSend/iterpull"}, []string{"GeneratorSend/geventgo"}, "<= 1.2x iter.Pull", false},
	{"generator range", "GeneratorRange", []string{"GeneratorRange/seq"}, []string{"GeneratorRange/geventgo"}, "<= 1.5x iter.Seq", false},
	{"generator create+pull 3+end", "GeneratorNew", []string{"GeneratorNew/iterpull"}, []string{"GeneratorNew/geventgo"}, "", false},
	{"generator create+range 3+end", "GeneratorNew", []string{"GeneratorNew/seq"}, []string{"GeneratorNew/geventgo-range"}, "<= 25 ns, 1 alloc", false},
	{"  floor: a generator by hand whose body takes its yielder", "", []string{"GeneratorNew/seq"}, []string{"GeneratorNew/by-hand"}, "", false},
	{"greenlet switch", "GreenletSwitch", []string{"GreenletSwitch/iterpull"}, []string{"GreenletSwitch/geventgo"}, "<= 1x iter.Pull step", false},
	{"greenlet switch, siblings", "GreenletSwitch", []string{"GreenletSwitch/iterpull"}, []string{"GreenletSwitch/geventgo-siblings"}, "<= 1.5x iter.Pull step", false},
	{"spawn + joinall", "SpawnJoinAll", []string{"SpawnJoinAll/waitgroup"}, []string{"SpawnJoinAll/geventgo"}, "<= 1.3x go+WaitGroup", false},
	{"  floor: go+WaitGroup with a future of a Greenlet's size", "", []string{"SpawnJoinAll/waitgroup"}, []string{"SpawnJoinAll/waitgroup+future"}, "", false},
	{"queue put+get, cap 100", "QueuePutGet", []string{"QueuePutGet/chan"}, []string{"QueuePutGet/geventgo"}, "<= 1.5x chan", false},
	{"event set+wait", "EventWait", []string{"EventWait/chan", "EventWait/channel", "EventWait/plain"}, []string{"EventWait/geventgo"}, "<= 1.2x chan", false},
	{"lock acquire+release", "Lock", []string{"Lock/mutex", "Lock/sync", "Lock/plain"}, []string{"Lock/geventgo"}, "<= 1.5x sync.Mutex", false},
	{"pool map (100 workers), per item, vs the same scheduling by hand", "PoolMap", []string{"PoolMap/errgroup-workers"}, []string{"PoolMap/geventgo"}, "", false},
	{"pool map (100 workers), per item, vs errgroup Go per item", "PoolMap", []string{"PoolMap/errgroup"}, []string{"PoolMap/geventgo"}, "<= 1.2x errgroup", false},
	{"pool map vs ants / multiprocessing", "MultiprocessingPoolMap", []string{"PoolMap/ants"}, []string{"PoolMap/geventgo"}, "<= 1x ants", false},
	{"pool map, I/O-bound items (50-200µs)", "", []string{"PoolMapIO/errgroup"}, []string{"PoolMapIO/geventgo"}, "<= 1.2x errgroup", false},
	{"fan-out of 1,000 1 ms I/O calls, 100 at once, vs best of errgroup/conc/pond", "", []string{"FanOutIO/errgroup", "FanOutIO/conc", "FanOutIO/pond"}, []string{"FanOutIO/geventgo"}, "<= 1.1x the best", true},
	{"pool submit, queued (Pool(8), 10,000 tasks) vs pond", "", []string{"PoolSubmitQueued/pond"}, []string{"PoolSubmitQueued/geventgo"}, "<= 1x pond", false},
	{"  floor: pond with a future of a task's size", "", []string{"PoolSubmitQueued/pond"}, []string{"PoolSubmitQueued/pond+future"}, "", false},
	{"group of 100 tasks + wait (cancel on error)", "", []string{"GroupWait/errgroup"}, []string{"GroupWait/geventgo"}, "<= 1.3x errgroup", false},
	{"  floor: errgroup with a future of a member's size", "", []string{"GroupWait/errgroup"}, []string{"GroupWait/errgroup+future"}, "", false},
	{"pool apply_async", "", []string{"PoolApplyAsync/ants", "PoolApplyAsync/errgroup"}, []string{"PoolApplyAsync/geventgo"}, "<= 1.3x ants", false},
	{"  floor: ants with a future of a task's size", "", []string{"PoolApplyAsync/ants"}, []string{"PoolApplyAsync/ants+future"}, "", false},
	{"hub switch (sleep 0) vs greenlet switch", "HubSwitch", []string{"HubSwitch/greenlet"}, []string{"HubSwitch/geventgo", "HubSwitch"}, "<= 2x greenlet switch", false},
	{"hub spawn + joinall", "HubSpawnJoinAll", []string{"HubSpawnJoinAll/waitgroup", "SpawnJoinAll/waitgroup"}, []string{"HubSpawnJoinAll/geventgo", "HubSpawnJoinAll"}, "<= 1.3x go+WaitGroup", false},
	{"iwait over 1,000 green threads, per item", "", []string{"IWait/chan"}, []string{"IWait/geventgo"}, "<= 1.5x chan", false},
	{"condition notify+wait", "", []string{"Condition/synccond"}, []string{"Condition/geventgo"}, "<= 1.5x sync.Cond", false},
}

type row struct {
	op                operation
	py, plain, ours   float64 // ns/op; 0 when not measured
	oursBytes, allocs float64
}

type table struct{ rows []row }

func first(res map[string]*sample, names []string) (*sample, bool) {
	for _, n := range names {
		if s, ok := res[n]; ok && len(s.ns) > 0 {
			return s, true
		}
	}
	return nil, false
}

func buildTable(res map[string]*sample, py pythonResult) table {
	var t table
	for _, op := range operations {
		r := row{op: op, py: py.Ops[op.python]}
		if op.bestOf {
			for _, n := range op.plain {
				if s, ok := res[n]; ok {
					if m, ok := median(s.ns); ok && (r.plain == 0 || m < r.plain) {
						r.plain = m
					}
				}
			}
		} else if s, ok := first(res, op.plain); ok {
			r.plain, _ = median(s.ns)
		}
		if s, ok := first(res, op.ours); ok {
			r.ours, _ = median(s.ns)
			r.oursBytes, _ = median(s.bytes)
			r.allocs, _ = median(s.allocs)
		}
		if r.ours == 0 && r.plain == 0 && r.py == 0 {
			continue
		}
		t.rows = append(t.rows, r)
	}
	return t
}

func ns(v float64) string {
	switch {
	case v == 0:
		return "-"
	case v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v < 1000:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
}

// ratio says how geventgo compares: "1.12x" (time ratio, lower is better)
// against Go, and "41x faster" against CPython.
func ratio(ours, other float64) string {
	if ours == 0 || other == 0 {
		return "-"
	}
	return strconv.FormatFloat(ours/other, 'f', 2, 64) + "x"
}

func speedup(ours, other float64) string {
	if ours == 0 || other == 0 {
		return "-"
	}
	if ours > other {
		return strconv.FormatFloat(ours/other, 'f', 1, 64) + "x slower"
	}
	return strconv.FormatFloat(other/ours, 'f', 1, 64) + "x faster"
}

var header = []string{"operation", "CPython ns/op", "plain Go ns/op", "geventgo ns/op", "geventgo vs Go", "geventgo vs CPython", "geventgo B/op, allocs/op", "goal"}

func (r row) cells() []string {
	mem := "-"
	if r.ours != 0 {
		mem = fmt.Sprintf("%.0f B, %.0f", r.oursBytes, r.allocs)
	}
	return []string{r.op.name, ns(r.py), ns(r.plain), ns(r.ours), ratio(r.ours, r.plain), speedup(r.ours, r.py), mem, orDash(r.op.goal)}
}

func (t table) writeText(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range t.rows {
		fmt.Fprintln(tw, strings.Join(r.cells(), "\t"))
	}
	tw.Flush()
}

func (t table) writeMarkdown(w io.Writer) {
	fmt.Fprintln(w, "| "+strings.Join(header, " | ")+" |")
	fmt.Fprintln(w, "|"+strings.Repeat("---|", len(header)))
	for _, r := range t.rows {
		fmt.Fprintln(w, "| "+strings.Join(r.cells(), " | ")+" |")
	}
}

// scaleTable shows how the cost per task grows with the number of tasks,
// from benchmarks named Scale<Op>/n=<N>/<impl> that report ns/task and
// B/task (falling back to ns/op and B/op).
type scaleTable struct {
	impls []string
	rows  []scaleRow
}

type scaleRow struct {
	op    string
	n     int
	py    float64
	cells map[string][2]float64 // impl -> ns/op, B/op
}

func buildScale(res map[string]*sample, py pythonResult) scaleTable {
	byKey := map[string]*scaleRow{}
	implSet := map[string]bool{}
	for name, s := range res {
		parts := strings.Split(name, "/")
		if len(parts) != 3 || !strings.HasPrefix(parts[0], "Scale") || !strings.HasPrefix(parts[1], "n=") {
			continue
		}
		n, err := strconv.Atoi(strings.TrimPrefix(parts[1], "n="))
		if err != nil {
			continue
		}
		op := strings.TrimPrefix(parts[0], "Scale")
		key := op + "/" + parts[1]
		r := byKey[key]
		if r == nil {
			r = &scaleRow{op: op, n: n, cells: map[string][2]float64{}, py: py.Scale[op][strconv.Itoa(n)]}
			byKey[key] = r
		}
		nsv, ok := median(s.metrics["ns/task"])
		if !ok {
			nsv, _ = median(s.ns)
		}
		b, ok := median(s.metrics["B/task"])
		if !ok {
			b, _ = median(s.bytes)
		}
		r.cells[parts[2]] = [2]float64{nsv, b}
		implSet[parts[2]] = true
	}
	var sc scaleTable
	for k := range implSet {
		sc.impls = append(sc.impls, k)
	}
	sort.Strings(sc.impls)
	for _, r := range byKey {
		sc.rows = append(sc.rows, *r)
	}
	slices.SortFunc(sc.rows, func(a, b scaleRow) int {
		if c := strings.Compare(a.op, b.op); c != 0 {
			return c
		}
		return a.n - b.n
	})
	return sc
}

func (sc scaleTable) header() []string {
	h := []string{"scaling", "tasks", "CPython ns/task"}
	for _, i := range sc.impls {
		h = append(h, i+" ns/task", i+" B/task")
	}
	return h
}

func (sc scaleTable) cells(r scaleRow) []string {
	c := []string{r.op, strconv.Itoa(r.n), ns(r.py)}
	for _, i := range sc.impls {
		v, ok := r.cells[i]
		if !ok {
			c = append(c, "-", "-")
			continue
		}
		c = append(c, ns(v[0]), strconv.FormatFloat(v[1], 'f', 0, 64))
	}
	return c
}

func (sc scaleTable) writeText(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(sc.header(), "\t"))
	for _, r := range sc.rows {
		fmt.Fprintln(tw, strings.Join(sc.cells(r), "\t"))
	}
	tw.Flush()
}

func (sc scaleTable) writeMarkdown(w io.Writer) {
	h := sc.header()
	fmt.Fprintln(w, "| "+strings.Join(h, " | ")+" |")
	fmt.Fprintln(w, "|"+strings.Repeat("---|", len(h)))
	for _, r := range sc.rows {
		fmt.Fprintln(w, "| "+strings.Join(sc.cells(r), " | ")+" |")
	}
}

// pythonResult is pybench.py's JSON.
type pythonResult struct {
	Python   string                        `json:"python"`
	Gevent   string                        `json:"gevent"`
	Greenlet string                        `json:"greenlet"`
	Ops      map[string]float64            `json:"ops"`
	Scale    map[string]map[string]float64 `json:"scale"`
	Missing  []string                      `json:"missing"`
}
