package gevent

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/geventgo/geventgo/gevent/internal/explorehook"
)

// BlockingReport is what a blocking monitor reports (see
// WithBlockingMonitor): a green thread that has held its hub's turn for
// longer than the threshold, blocking every other green thread of the hub.
type BlockingReport struct {
	ThreadID uint64
	Name     string
	// Held is how long the green thread had held the turn when the
	// monitor reported it (at least Threshold, at most about 1.25x it).
	Held      time.Duration
	Threshold time.Duration
	// Stack is the green thread's stack at the report, as runtime.Stack
	// prints a goroutine: where it keeps the turn (a time.Sleep, a CPU
	// loop, a read not wrapped in Blocking).
	Stack string
}

// WithBlockingMonitor makes the hub watch for a green thread that keeps the
// turn longer than threshold (100ms, gevent's max_blocking_time, when
// threshold <= 0): a time.Sleep, a CPU-bound loop, I/O not wrapped in
// Blocking. Each such turn is reported once, to report, on a goroutine of
// the monitor's (report must not block for long; a panic in it is
// recovered and printed). A nil report is BlockingPrinter(nil). It is
// gevent's monitor_thread with max_blocking_time. The time is the wall
// clock's, on a virtual hub too.
//
// Off by default. Cost when on: a goroutine that wakes every threshold/4
// while the hub's loop runs, three atomic stores per turn (a switch took
// 1.07x the plain one here: BenchmarkHubSwitch/monitor), and, once per
// report, a dump of every goroutine's stack (runtime.Stack) to find the
// green thread's. Cheap enough to leave on in production; off by default
// because its reports go to standard error unless a handler is given.
func WithBlockingMonitor(threshold time.Duration, report func(BlockingReport)) HubOption {
	if threshold <= 0 {
		threshold = 100 * time.Millisecond
	}
	if report == nil {
		report = BlockingPrinter(nil)
	}
	return HubOption{func(h *Hub) { h.extras().mon = &monitor{threshold: threshold, report: report} }}
}

// BlockingPrinter returns the report handler that writes a BlockingReport
// to w (standard error when w is nil) as
//
//	gevent: worker-3 #12 has held the hub's turn for 152ms (threshold 100ms)
//	goroutine 42 [sleep]:
//	...
func BlockingPrinter(w io.Writer) func(BlockingReport) {
	return func(r BlockingReport) {
		out := w
		if out == nil {
			out = os.Stderr
		}
		printMu.Lock()
		defer printMu.Unlock()
		fmt.Fprintf(out, "gevent: %s #%d has held the hub's turn for %v (threshold %v)\n%s\n",
			r.Name, r.ThreadID, r.Held.Round(time.Millisecond), r.Threshold, r.Stack)
	}
}

// monitor is a blocking monitor at work on one hub.
type monitor struct {
	threshold time.Duration
	report    func(BlockingReport)
	turn      atomic.Uint64 // turns given so far
	cur       atomic.Pointer[GreenThread]
	wk        atomic.Pointer[hubWorker]
}

// start starts the monitor's goroutine, for as long as the hub's loop runs;
// the loop calls the stop it returns when it ends.
func (m *monitor) start(h *Hub) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go m.watch(h, done, finished)
	return func() {
		close(done)
		<-finished
	}
}

func (m *monitor) watch(h *Hub, done <-chan struct{}, finished chan<- struct{}) {
	defer close(finished)
	ticker := time.NewTicker(max(m.threshold/4, time.Millisecond))
	defer ticker.Stop()
	var (
		seen     uint64
		since    time.Time
		reported bool
	)
	for {
		select {
		case <-done:
			return
		case now := <-ticker.C:
			n := m.turn.Load()
			if h.current.Load() == 0 {
				seen = 0 // between turns
				continue
			}
			if n != seen {
				seen, since, reported = n, now, false
				continue
			}
			if held := now.Sub(since); !reported && held >= m.threshold {
				reported = true
				m.fire(n, held)
			}
		}
	}
}

// fire reports turn n, held for held so far.
func (m *monitor) fire(n uint64, held time.Duration) {
	t, wk := m.cur.Load(), m.wk.Load()
	if t == nil || wk == nil {
		return
	}
	stack := goroutineStack(wk.gid.Load())
	if m.turn.Load() != n {
		return // the turn ended meanwhile
	}
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "gevent: the blocking monitor's handler failed: %v\n", r)
		}
	}()
	m.report(BlockingReport{ThreadID: t.id, Name: t.Name(), Held: held, Threshold: m.threshold, Stack: stack})
}

// goroutineID returns the calling goroutine's id, from its stack's header.
func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		id, _ := strconv.ParseUint(string(b[:i]), 10, 64)
		return id
	}
	return 0
}

// goroutineStack returns the stack of goroutine gid, or a note that it was
// not found.
func goroutineStack(gid uint64) string {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	head := []byte("goroutine " + strconv.FormatUint(gid, 10) + " [")
	for g := range bytes.SplitSeq(buf, []byte("\n\n")) {
		if bytes.HasPrefix(g, head) {
			return string(g)
		}
	}
	return "(the green thread's goroutine was not found)"
}

// beforeTurn is called by the loop, outside h.mu, right before t's
// coroutine (wk) gets the turn.
func (x *hubExtras) beforeTurn(h *Hub, t *GreenThread, wk *hubWorker) {
	if m := x.mon; m != nil {
		m.cur.Store(t)
		m.wk.Store(wk)
		m.turn.Add(1)
	}
	if o := x.obs; o != nil {
		if n := o.Turns.Add(1); o.MaxTurns != 0 && n >= o.MaxTurns && !o.Exceeded.Swap(true) {
			h.kill()
		}
	}
}

// leave is called when t's body has ended, in its turn, outside h.mu.
func (x *hubExtras) leave(h *Hub, t *GreenThread) {
	if o := x.obs; o != nil && o.Failed != nil {
		err := t.finalErr(false) // t has finished; reading it here is not a read by the program
		var pe *PanicError
		if errors.As(err, &pe) {
			o.Failed(t.Name(), err)
		}
	}
	if x.exp != nil || x.info != nil {
		h.mu.Lock()
		if x.exp != nil {
			x.exp.left(t)
		}
		if x.info != nil {
			delete(x.info.threads, t)
		}
		h.mu.Unlock()
	}
}

// hubObserver is geventtest's view of a hub (see internal/explorehook).
type hubObserver = explorehook.Observer

// withObserver makes the hub report to o.
func withObserver(o *hubObserver) HubOption { return HubOption{func(h *Hub) { h.extras().obs = o }} }

func init() {
	explorehook.WithObserver = func(o *explorehook.Observer) any { return withObserver(o) }
}
