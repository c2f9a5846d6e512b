package gevent

import (
	"container/heap"
	"context"
	"iter"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Hub gives green threads gevent's scheduling: exactly one green thread of
// the hub runs at a time, and it gives up its turn only inside this
// package's blocking calls (Sleep, Queue Put/Get, Lock Acquire, Event Wait,
// Join/Get, Pipe Recv, Pool spawns, ...), in Blocking, and when it ends.
// Code that changes shared state between two blocking calls needs no lock,
// as under gevent; the switch of the turn orders memory, so the race
// detector agrees.
//
// As gevent's hub is a greenlet and its greenlets are greenlets, a hub's
// green threads are coroutines (the runtime's, as iter.Pull uses) driven by
// the hub's loop, a goroutine of its own: a blocking call parks the caller's
// coroutine and hands control to the loop, which resumes the next ready
// green thread. Only the green thread the loop resumed can run at all. The
// loop waits, when no green thread is ready, for timers, for Blocking calls
// that finish and for wakes from outside the hub (a goroutine setting an
// Event a green thread waits on, a Kill). It runs while the hub has green
// threads and ends with the last.
//
// Green threads are spawned on a hub with the usual calls (Spawn, Go, a
// Pool) given a context of the hub: Run's context, Context's, or that of a
// green thread already on the hub. The blocking calls find the hub through
// the context, so the same code runs on a hub or free. A green thread's
// context must be used for blocking calls on that green thread only (or
// inside its Blocking): handed to a goroutine of your own, it makes that
// goroutine wait as in free mode once the green thread is parked, and
// breaks the hub if used while the green thread runs.
//
// Ready green threads take their turns in the order they became ready
// (gevent's FIFO). Timers due at the same time fire together, in deadline
// then creation order, before any of the green threads they wake runs;
// on the wall clock, due timers are also checked after each round of the
// green threads that were ready, so a loop of Sleep(ctx, 0) does not keep
// them from firing. Sleep(ctx, 0) lets every green thread already ready run
// first.
//
// # Free mode or a Hub
//
// Free mode (no Hub) runs green threads on all cores: use it for new code
// and for anything CPU-bound. Use a Hub to port gevent code that relies on
// one-at-a-time scheduling, to reason about interleavings, or, with a
// virtual clock (WithVirtualClock), to run simulations and tests whose
// sleeps and timeouts take no real time and whose interleaving and output
// are the same on every run.
//
// A switch between two hub green threads is two runtime coroutine switches
// (to the loop and on) and a lock of the hub: about 96 ns here, 2.4x a
// greenlet switch of package greenlet and 17x faster than gevent's. A spawn
// reuses an idle coroutine (a hub keeps up to 256): spawn and join cost
// 1.5x to 2x a go statement with a sync.WaitGroup. An idle green thread
// holds about 5 KiB (its coroutine's stack and its objects).
//
// # Blocking outside the package
//
// A call that blocks outside this package (time.Sleep, a syscall, a channel
// receive) holds the turn, as a blocking call does under gevent without
// monkey patching: the other green threads wait. Wrap such calls in
// Blocking, which runs them on a goroutine of their own while the hub goes
// on.
//
// On a virtual clock, time moves only through this package: use Sleep and
// the package's timeouts (Timeout, WithTimeout, TimeoutContext,
// JoinTimeout), not context.WithTimeout, whose deadlines follow the wall
// clock.
//
// A virtual hub that has nothing left to run (every green thread blocked,
// none inside Blocking, no timer pending) tells the main green thread, as
// gevent raises LoopExit: its blocking call returns ErrLoopExit instead of
// hanging. The hub does not wait for goroutines outside it that might
// still wake a green thread: wait for those inside Blocking. On the wall
// clock the hub cannot tell a deadlock from a slow outside event, and waits.
//
// Cancellation reaches a green thread on a virtual hub at a fixed point of
// the schedule, so the interleaving stays the same every run: at once when
// it is killed, or when the green thread that spawned it is; and, for one
// spawned with another cancellable context (a Timeout's, a
// context.WithCancel), when the hub next runs out of ready green threads,
// in spawn order.
type Hub struct {
	mu       sync.Mutex
	runq     []*waiter // ready, in FIFO order
	head     int       // runq's first live index
	round    int       // wall clock: turns left before due timers are looked at again
	virtual  bool
	now      time.Time // the virtual clock
	timers   timerHeap // both clocks
	seq      uint64    // orders timers of equal deadline
	blocking int       // green threads inside Blocking
	threads  int       // spawned and not yet ended
	live     threadSet
	foreign  []*waiter // virtual: parked with a context other than their own, scanned when idle
	// The package's own timeout contexts (withTimeout), each with who is
	// parked with it: woken directly when it ends, with the timeouts
	// nested in it, so they need no scan.
	timeouts map[context.Context]*hubTimeout
	// virtual: green threads whose parent context is neither a green
	// thread's nor never-cancelled. They follow it with context.AfterFunc,
	// which runs on a goroutine of its own; advance cancels them itself
	// first, so that virtual time and LoopExit do not race that goroutine.
	linked  []*GreenThread
	closed  bool
	empty   waitq        // Close waiting for threads == 0
	main    *GreenThread // Run's green thread: where a virtual loop exit is reported
	looping bool         // the loop goroutine runs
	idlers  []*waiter    // parked in WaitIdle
	workers []*hubWorker // idle coroutines (the loop's own)
	idle    bool         // the loop waits on wake
	wake    chan struct{}
	// current is the green thread whose coroutine runs (0 between turns),
	// as a bare address: storing it takes no GC write barrier, and the
	// thread is kept alive by live.
	current atomic.Uintptr
	// requeue is the turn waiter of a green thread that yielded with
	// Sleep(ctx, 0): the loop queues it once the coroutine has yielded.
	// Only the running coroutine and the loop touch it, one after the
	// other (the coroutine switch orders them).
	requeue *waiter
	// x holds what the optional features (WithSchedule, WithRunInfo,
	// WithBlockingMonitor) keep; nil when none is on.
	x *hubExtras
}

// hubTimeout is a timeout context of the package on a hub: the green
// threads parked with it, and the timeouts made inside it.
type hubTimeout struct {
	ws     []*waiter
	inner  []*hubTimeout
	parent *hubTimeout
	live   bool // not ended yet
}

// hubCo is what a hub green thread has of the hub: its body and the
// coroutine that runs it.
type hubCo struct {
	sched    scheduler // the hub
	turn     waiter    // for Sleep(ctx, 0): queued by the loop (see Hub.requeue)
	parked   *waiter   // the waiter the green thread is parked with (hub's mutex)
	body     func()
	wk       *hubWorker  // from the first turn on
	blocking atomic.Bool // inside Blocking: the package's calls wait as in free mode
}

// hubWorker is a runtime coroutine that runs hub green threads' bodies, one
// after another: a hub keeps the idle ones, as a pool keeps its workers, so
// that a spawn does not pay for a new coroutine.
type hubWorker struct {
	co    *hubCo // the green thread it runs; nil when idle
	next  func() (struct{}, bool)
	stop  func()
	yield func(struct{}) bool
	// gid is the coroutine's goroutine id, recorded for a blocking
	// monitor's report when track is set (see WithBlockingMonitor).
	gid   atomic.Uint64
	track bool
}

// maxIdleWorkers bounds the idle coroutines a hub keeps.
const maxIdleWorkers = 256

// run is the coroutine's function: it runs the body of the green thread it
// is given, then goes back to the loop idle, until stopped.
func (wk *hubWorker) run(yield func(struct{}) bool) {
	wk.yield = yield
	if wk.track {
		wk.gid.Store(goroutineID())
	}
	for {
		wk.co.body()
		wk.co = nil
		if !yield(struct{}{}) {
			return
		}
	}
}

// coroutineEntry is where hubWorker.run's code starts: a stack holding it
// is a hub green thread's coroutine.
var coroutineEntry = reflect.ValueOf((*hubWorker).run).Pointer()

// onCoroutine reports whether the caller runs on a hub green thread's
// coroutine. It walks the caller's stack: for the rare calls (Close) that
// must know.
func onCoroutine() bool {
	pcs := make([]uintptr, 64)
	for {
		n := runtime.Callers(2, pcs)
		frames := runtime.CallersFrames(pcs[:n])
		for {
			f, more := frames.Next()
			if f.Entry == coroutineEntry {
				return true
			}
			if !more {
				break
			}
		}
		if n < len(pcs) {
			return false
		}
		pcs = make([]uintptr, 2*len(pcs))
	}
}

// hubState is where a waiter is in a Hub's turn protocol.
type hubState uint8

const (
	hubIdle    hubState = iota // not known to the hub
	hubParked                  // waiting for a wake and then the turn
	hubRunq                    // ready: queued for the turn
	hubGranted                 // resumed: its green thread runs
	hubDone                    // finished: later wakes are stale
)

// HubOption configures a Hub. It is made by WithVirtualClock; the zero
// value changes nothing.
type HubOption struct{ apply func(*Hub) }

// WithVirtualClock makes the hub run on a virtual clock that starts at
// start: when every green thread of the hub is blocked (and none is inside
// Blocking), the clock jumps to the next timer at once. Sleeps and timeouts
// then take no real time, and the same program gives the same interleaving
// every run. Only the package's own deadlines follow that clock (Sleep,
// Timeout, WithTimeout, TimeoutContext, ContextWithTimeout, JoinTimeout, a
// Timeout's Context): a context.WithTimeout or a time.After keeps the wall clock,
// which a virtual hub does not wait for, so a join bounded by one sees the
// green thread end first however long its virtual sleeps are.
func WithVirtualClock(start time.Time) HubOption {
	return HubOption{func(h *Hub) { h.virtual, h.now = true, start }}
}

// NewHub returns a hub, on the wall clock unless WithVirtualClock is given.
// Its loop starts with its first green thread.
func NewHub(opts ...HubOption) *Hub {
	h := &Hub{wake: make(chan struct{}, 1)}
	for _, o := range opts {
		if o.apply != nil {
			o.apply(h)
		}
	}
	return h
}

// RunHub runs fn as the main green thread of a new hub and returns its
// error: NewHub(opts...).Run(ctx, fn).
func RunHub(ctx context.Context, fn func(ctx context.Context) error, opts ...HubOption) error {
	return NewHub(opts...).Run(ctx, fn)
}

// Run runs fn as a green thread of the hub, as gevent runs a program's main
// greenlet, waits for it, then closes the hub (killing the green threads
// left, and waiting for them as long as ctx allows) and returns fn's error,
// or ctx's if ctx ended first. Run must be called from outside the hub.
func (h *Hub) Run(ctx context.Context, fn func(ctx context.Context) error) error {
	main := Go(h.Context(ctx), fn, WithName("main"), SpawnOption{func(t *GreenThread) {
		h.mu.Lock()
		h.main = t
		h.mu.Unlock()
	}})
	err := main.Join(ctx)
	if err != nil {
		main.Cancel()
	}
	if cerr := h.close(ctx); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return main.Err()
}

// Context returns a context, derived from parent, whose green threads run
// on the hub: Spawn(h.Context(ctx), fn) spawns on h.
func (h *Hub) Context(parent context.Context) context.Context {
	return context.WithValue(parent, schedKey{}, scheduler(h))
}

// Now returns the hub's time: the virtual clock's, or the wall clock's.
func (h *Hub) Now() time.Time {
	if !h.virtual {
		return time.Now()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

// Close kills every green thread still on the hub and waits for them to
// end; green threads spawned on it later are killed before they start.
// Closing twice does nothing more. Called by a green thread of the hub, it
// kills the others and the caller, and returns without waiting: the caller
// ends when it returns to the hub. It cannot fail: it returns nothing (Run
// bounds the wait with its context).
func (h *Hub) Close() {
	if h.current.Load() != 0 && onCoroutine() {
		// Called by the green thread holding the turn: waiting would
		// wait for the caller itself.
		h.kill()
		return
	}
	_ = h.close(context.Background()) // fails only when its ctx ends
}

// close kills every green thread and waits for them as long as ctx allows.
func (h *Hub) close(ctx context.Context) error {
	h.kill()
	h.mu.Lock()
	for h.threads > 0 {
		if err := block(ctx, &h.mu, &h.empty); err != nil {
			return err
		}
		h.mu.Lock()
	}
	h.mu.Unlock()
	return nil
}

// kill marks the hub closed and cancels its green threads in spawn order.
func (h *Hub) kill() {
	h.mu.Lock()
	h.closed = true
	live := h.live.inSpawnOrder()
	h.mu.Unlock()
	cancelAll(live)
}

// Blocking runs fn, which may block outside this package (file or network
// I/O, a cgo call, time.Sleep), on a goroutine of its own while the hub's
// other green threads run, and returns fn's error once fn has returned and
// the caller has its turn back. Inside fn, the package's calls made with
// ctx wait as in free mode (they do not take turns). Outside a hub it just
// calls fn. A kill of the caller cancels ctx, which fn sees; Blocking still
// waits for fn to return.
func Blocking(ctx context.Context, fn func(ctx context.Context) error) error {
	t := threadFrom(ctx)
	h, ok := schedOf(ctx).(*Hub)
	if !ok || t == nil {
		return fn(ctx)
	}
	w := &waiter{th: t, sched: h}
	h.mu.Lock()
	h.blocking++
	h.mu.Unlock()
	t.co.blocking.Store(true)
	var err error
	go func() {
		defer func() {
			t.co.blocking.Store(false)
			h.mu.Lock()
			h.blocking--
			h.makeReady(w)
			h.mu.Unlock()
			h.signal()
		}()
		err = callBlocking(ctx, fn)
	}()
	h.suspend(t, w)
	return err
}

// callBlocking runs a Blocking function, turning a panic into its error:
// it runs on a goroutine of its own, where a panic would end the program.
func callBlocking(ctx context.Context, fn func(ctx context.Context) error) error {
	_, err := callSafely(ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) })
	return err
}

// spawned registers a new green thread, on the spawner's goroutine.
func (h *Hub) spawned(t *GreenThread) {
	t.co = &hubCo{sched: h, turn: waiter{th: t, sched: h}} // turn's th and sched never change (see yieldToReady)
	var site *spawnSite
	if x := h.x; x != nil && x.info != nil {
		site = newSpawnSite()
	}
	h.mu.Lock()
	if site != nil {
		h.x.info.spawned(t, site)
	}
	h.threads++
	h.live.add(t)
	if h.closed {
		t.killed.Store(true)
	}
	if h.virtual && linked(t) {
		h.linked = append(h.linked, t)
	}
	h.mu.Unlock()
}

// start queues t for its first turn, in which it runs body on a coroutine
// of its own; called right after spawned, so turns follow spawn order.
func (h *Hub) start(t *GreenThread, body func()) {
	t.co.body = body
	w := &waiter{th: t, sched: h}
	h.mu.Lock()
	if !h.looping {
		h.looping = true
		go h.loop()
	}
	h.makeReady(w)
	h.mu.Unlock()
	h.signal()
}

// holds reports whether t's coroutine is the one running on the hub.
func (h *Hub) holds(t *GreenThread) bool {
	return h.current.Load() == uintptr(unsafe.Pointer(t)) && !t.co.blocking.Load()
}

// leave is called when t's body has ended, in its turn.
func (h *Hub) leave(t *GreenThread) {
	if x := h.x; x != nil {
		x.leave(h, t)
	}
	h.mu.Lock()
	h.threads--
	delete(h.live, t)
	if h.threads == 0 {
		h.empty.wakeAll()
	}
	h.mu.Unlock()
}

// unlockSignal releases h.mu, then wakes the loop if it was waiting: after
// a change made from outside the hub's turn that the loop must see.
func (h *Hub) unlockSignal() {
	idle := h.idle
	h.mu.Unlock()
	if idle {
		h.signal()
	}
}

// signal tells the loop, if it waits, that something may have changed.
func (h *Hub) signal() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// loop is the hub: it resumes ready green threads one at a time, fires
// timers, and waits when there is nothing to do. It ends when the hub has
// no green thread left.
func (h *Hub) loop() {
	var wall *time.Timer
	defer func() {
		if wall != nil {
			wall.Stop()
		}
	}()
	if x := h.x; x != nil && x.mon != nil {
		defer x.mon.start(h)()
	}
	h.mu.Lock()
	for {
		w := h.next()
		if w == nil {
			if h.threads == 0 && (h.virtual || !h.liveTimers()) {
				h.looping = false
				idle := h.workers
				h.workers = nil
				h.mu.Unlock()
				for _, wk := range idle {
					wk.stop()
				}
				return
			}
			var due <-chan time.Time
			if !h.virtual && h.timers.Len() > 0 {
				d := time.Until(h.timers[0].when)
				if wall == nil {
					wall = time.NewTimer(d)
				} else {
					wall.Reset(d)
				}
				due = wall.C
			}
			h.idle = true
			h.mu.Unlock()
			select {
			case <-h.wake:
			case <-due:
			}
			if due != nil && !wall.Stop() {
				select {
				case <-wall.C:
				default:
				}
			}
			h.mu.Lock()
			h.idle = false
			continue
		}
		t := w.th
		w.hs = hubGranted
		h.current.Store(uintptr(unsafe.Pointer(t)))
		h.mu.Unlock()
		co := t.co
		wk := co.wk
		if wk == nil {
			if n := len(h.workers); n > 0 {
				wk = h.workers[n-1]
				h.workers[n-1] = nil
				h.workers = h.workers[:n-1]
			} else {
				wk = &hubWorker{}
				if x := h.x; x != nil && x.mon != nil {
					wk.track = true
				}
				wk.next, wk.stop = iter.Pull(wk.run)
			}
			wk.co, co.wk = co, wk
		}
		if x := h.x; x != nil {
			x.beforeTurn(h, t, wk)
		}
		wk.next()
		h.current.Store(0)
		requeue := h.requeue
		if wk.co == nil { // the body ended: the coroutine is free
			co.wk = nil
			if len(h.workers) < maxIdleWorkers {
				h.workers = append(h.workers, wk)
			} else {
				wk.stop()
			}
		}
		h.mu.Lock()
		if requeue != nil {
			h.requeue = nil
			h.makeReady(requeue)
			if x := h.x; x != nil && x.exp != nil {
				x.exp.yielded(t)
			}
		}
	}
}

// next pops the next ready green thread's waiter, firing the timers that
// are due first (all of those due at the same time, in order); nil when
// nothing is ready. h.mu is held (and released while a timer's function
// runs).
func (h *Hub) next() *waiter {
	for {
		if !h.virtual && h.timers.Len() > 0 && (h.round <= 0 || h.head >= len(h.runq)) {
			h.round = len(h.runq) - h.head
			if h.fireDue(time.Now()) {
				continue
			}
		}
		if h.head < len(h.runq) {
			if x := h.x; x != nil && x.exp != nil {
				i := h.head + x.exp.pick(h.runq[h.head:])
				h.runq[h.head], h.runq[i] = h.runq[i], h.runq[h.head]
			}
			w := h.runq[h.head]
			h.runq[h.head] = nil
			h.head++
			h.round--
			if h.head == len(h.runq) {
				h.runq, h.head = h.runq[:0], 0
			}
			return w
		}
		if h.blocking > 0 {
			return nil
		}
		if !h.virtual {
			if len(h.idlers) > 0 && !h.liveTimers() {
				h.wakeIdlers()
				continue
			}
			return nil
		}
		if !h.advance() && !h.wakeIdlers() && !h.loopExit() {
			return nil
		}
	}
}

// wakeIdlers readies the green threads waiting in WaitIdle, and reports
// whether there were any; h.mu is held.
func (h *Hub) wakeIdlers() bool {
	if len(h.idlers) == 0 {
		return false
	}
	for _, w := range h.idlers {
		w.woken = true
		h.makeReady(w)
	}
	clear(h.idlers)
	h.idlers = h.idlers[:0]
	return true
}

// WaitIdle blocks until the hub of ctx has nothing else to run: no other
// green thread is ready, none is inside Blocking, and no timer is pending
// (on a virtual clock, the time has moved to the last timer). Green threads
// still waiting for something that nothing in the hub will do (an Event
// only an outside goroutine sets, say) do not count: the hub cannot know
// about those. It returns nil then, or ctx's error. It is gevent.wait()
// with no objects (the hub's join). Outside a hub's green thread it returns
// nil at once: there is no hub to wait for.
func WaitIdle(ctx context.Context) error {
	t := threadFrom(ctx)
	h, ok := schedOf(ctx).(*Hub)
	if !ok || t == nil {
		return nil
	}
	w := &waiter{th: t, sched: h}
	h.mu.Lock()
	h.idlers = append(h.idlers, w)
	h.mu.Unlock()
	err := h.parkAs(ctx, w, hubDone)
	h.mu.Lock()
	h.idlers = deleteWaiter(h.idlers, w)
	h.mu.Unlock()
	if err != nil {
		return ctxError(ctx)
	}
	return nil
}

// fireDue fires every timer due at now, in deadline then creation order,
// and reports whether it fired any. h.mu is held (released while a timer's
// function runs).
func (h *Hub) fireDue(now time.Time) bool {
	if x := h.x; x != nil && x.exp != nil {
		return h.fireDueExplored(x.exp, now)
	}
	fired := false
	for h.timers.Len() > 0 && !h.timers[0].when.After(now) {
		tm := h.popTimer()
		if tm.stopped {
			continue
		}
		fired = true
		h.fireTimer(tm)
	}
	return fired
}

// popTimer removes the earliest timer from the heap; h.mu is held.
func (h *Hub) popTimer() *hubTimer { return heap.Pop(&h.timers).(*hubTimer) }

// fireTimer fires tm, popped and not stopped: it readies its waiter or
// calls its function. h.mu is held (released while the function runs).
func (h *Hub) fireTimer(tm *hubTimer) {
	tm.fired = true
	if tm.w != nil {
		tm.w.woken = true
		h.makeReady(tm.w)
	} else {
		h.mu.Unlock()
		tm.f() // a timeout ending a context: in the hub's turn
		h.mu.Lock()
	}
}

// loopExit is called when a virtual hub has nothing left to run: no green
// thread ready or inside Blocking, no timer. If the main green thread is
// parked, its wait ends with ErrLoopExit, as gevent raises LoopExit in the
// main greenlet, and loopExit reports true. h.mu is held.
func (h *Hub) loopExit() bool {
	if h.main == nil {
		return false
	}
	if w := h.main.co.parked; w != nil && w.hs == hubParked {
		w.exit = true
		h.makeReady(w)
		return true
	}
	return false
}

// advance wakes the green threads whose context was cancelled, or else
// moves the virtual clock to the next timer and fires every timer due
// then. It reports whether anything may have become ready. h.mu is held.
func (h *Hub) advance() bool {
	if h.cancelLinked() {
		return true
	}
	woke := false
	for i := 0; i < len(h.foreign); i++ {
		if w := h.foreign[i]; w.hs == hubParked && ctxDone(w) {
			h.makeReady(w)
			woke = true
		}
	}
	if woke {
		return true
	}
	for h.timers.Len() > 0 {
		if h.timers[0].stopped {
			heap.Pop(&h.timers)
			continue
		}
		if when := h.timers[0].when; when.After(h.now) {
			h.now = when
		}
		return h.fireDue(h.now)
	}
	return false
}

// cancelLinked delivers the cancellation of the linked green threads whose
// parent context is done: in spawn order, it cancels those the AfterFunc's
// goroutine has not cancelled yet, then readies those that are parked.
// Delivered and finished ones leave the list. It reports whether anything
// may have become ready. h.mu is held (and released while cancellations
// run, in the hub's turn).
func (h *Hub) cancelLinked() bool {
	var due, fire []*GreenThread
	kept := h.linked[:0]
	for _, t := range h.linked {
		switch {
		case t.state.Load() >= finished:
		case !doneNow(t.parent):
			kept = append(kept, t)
		default:
			fire = append(fire, t)
			if !t.cancelledNow() {
				due = append(due, t)
			}
		}
	}
	clear(h.linked[len(kept):])
	h.linked = kept
	if len(fire) == 0 {
		return false
	}
	if len(due) > 0 {
		h.mu.Unlock()
		for _, t := range due {
			t.cancel(t.parent.Err()) // the AfterFunc's later call does nothing
		}
		h.mu.Lock()
	}
	for _, t := range fire {
		if w := t.co.parked; w != nil && w.hs == hubParked {
			h.makeReady(w)
		}
	}
	return true
}

// ready is a primitive's wake: w's green thread may run again. It may be
// called from anywhere.
func (h *Hub) ready(w *waiter) {
	h.mu.Lock()
	w.woken = true
	h.makeReady(w)
	h.unlockSignal()
}

// makeReady queues w for the turn; h.mu is held. Waiters already ready,
// running or done are left alone.
func (h *Hub) makeReady(w *waiter) {
	switch w.hs {
	case hubIdle, hubParked:
	default:
		return
	}
	w.hs = hubRunq
	if h.head > 0 && h.head*2 >= len(h.runq) {
		// Slide the live part down rather than grow: a queue that is
		// never empty (green threads taking turns) would grow forever.
		n := copy(h.runq, h.runq[h.head:])
		clear(h.runq[n:])
		h.runq, h.head = h.runq[:n], 0
	}
	h.runq = append(h.runq, w)
}

// yieldTurn hands the turn back to the loop; t's coroutine resumes when the
// loop pops one of t's waiters.
func yieldTurn(t *GreenThread) { t.co.wk.yield(struct{}{}) }

// suspend parks t on w until w is made ready, with no context: for
// Blocking, whose waiter only its goroutine readies.
func (h *Hub) suspend(t *GreenThread, w *waiter) {
	h.mu.Lock()
	w.hs = hubParked
	h.mu.Unlock()
	yieldTurn(t)
	h.mu.Lock()
	w.hs = hubDone
	h.mu.Unlock()
}

// linked reports whether t follows its parent context through
// context.AfterFunc (see Hub.linked).
func linked(t *GreenThread) bool {
	_, own := t.parent.(*threadCtx)
	return !own && t.parent.Done() != nil
}

// ctxDone reports whether the context w waits with is done.
func ctxDone(w *waiter) bool { return w.ctx != nil && doneNow(w.ctx) }

// doneNow reports whether ctx is done, without taking a green thread's
// mutex for a context whose Done channel exists already (the hub asked for
// it when the thread parked or was spawned with it).
func doneNow(ctx context.Context) bool { return isClosed(ctx.Done()) }

// isClosed reports whether c is closed, without blocking.
func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// park blocks the calling green thread until w is made ready (or ctx is
// done) and the turn is back.
func (h *Hub) park(ctx context.Context, w *waiter) error { return h.parkAs(ctx, w, hubIdle) }

// parkAs is park leaving w in state final: hubIdle for a primitive's waiter
// (reused, never woken late), hubDone for one a timer may still wake.
func (h *Hub) parkAs(ctx context.Context, w *waiter, final hubState) error {
	t := w.th
	var (
		stop     func() bool
		clearTok func()
		site     *parkSite
	)
	if x := h.x; x != nil && x.info != nil {
		site = newParkSite()
	}
	h.mu.Lock()
	if w.hs == hubIdle {
		w.hs = hubParked
	}
	t.co.parked = w
	if site != nil {
		h.x.info.parked(h, t, site)
	}
	var to *hubTimeout
	if ctx != context.Context(t.context()) && ctx.Done() != nil {
		if to = h.timeouts[ctx]; to != nil {
			w.ctx = ctx
			to.ws = append(to.ws, w)
		} else if h.virtual {
			w.ctx = ctx
			h.foreign = append(h.foreign, w)
		} else {
			// The callback may run late, after this wait has ended
			// and w serves another: it wakes w only through tok,
			// which this wait clears (under h.mu) before it returns.
			tok := &parkToken{w: w}
			clearTok = func() { tok.w = nil }
			stop = context.AfterFunc(ctx, func() { h.readyToken(tok) })
		}
	}
	if ctx.Err() != nil {
		h.makeReady(w)
	}
	h.mu.Unlock()
	for {
		yieldTurn(t)
		h.mu.Lock()
		if w.woken || w.exit || ctx.Err() != nil {
			break
		}
		// Made ready by a kill of t while it waits with a context the
		// kill does not end (context.WithoutCancel): not a wake.
		w.hs = hubParked
		h.mu.Unlock()
	}
	if stop != nil {
		stop()
		clearTok()
	}
	t.co.parked = nil
	if site != nil {
		h.x.info.unparked(t)
	}
	w.hs = final
	exit := w.exit
	w.exit, w.woken = false, false
	if w.ctx != nil {
		if to != nil {
			to.ws = deleteWaiter(to.ws, w)
		} else {
			h.foreign = deleteWaiter(h.foreign, w)
		}
		w.ctx = nil
	}
	h.mu.Unlock()
	if err := ctx.Err(); err != nil || !exit {
		return err
	}
	return ErrLoopExit
}

// parkToken names one wait of a waiter for a wake that may come late (a
// context.AfterFunc callback): the wait clears it when it ends.
type parkToken struct{ w *waiter }

// readyToken is ready for the wait tok names, if it has not ended.
func (h *Hub) readyToken(tok *parkToken) {
	h.mu.Lock()
	w := tok.w
	if w != nil {
		w.woken = true
		h.makeReady(w)
	}
	h.unlockSignal()
}

// deleteWaiter removes w from ws, keeping the order.
func deleteWaiter(ws []*waiter, w *waiter) []*waiter {
	for i, x := range ws {
		if x == w {
			copy(ws[i:], ws[i+1:])
			ws[len(ws)-1] = nil
			return ws[:len(ws)-1]
		}
	}
	return ws
}

// cancelled wakes t if it is parked: Kill on a hub.
//
// On a virtual hub, a linked green thread cancelled by its parent context
// (not killed) is left to cancelLinked, which readies such threads in spawn
// order; if the hub is idle, cancelled makes it look now.
func (h *Hub) cancelled(t *GreenThread) {
	if h.virtual && !t.killed.Load() && linked(t) {
		h.signal()
		return
	}
	h.mu.Lock()
	if w := t.co.parked; w != nil && w.hs == hubParked {
		h.makeReady(w)
	}
	h.unlockSignal()
}

// sleep suspends the calling green thread for d on the hub's clock.
func (h *Hub) sleep(ctx context.Context, d time.Duration) error {
	t := threadFrom(ctx)
	if t == nil || t.sched() != scheduler(h) || !h.holds(t) {
		return sleepFree(ctx, d) // not a green thread of this hub, or not in its turn
	}
	if d <= 0 {
		h.yieldToReady(t)
		return ctxError(ctx)
	}
	w := &waiter{th: t, sched: h}
	h.mu.Lock()
	tm := h.addTimer(d, w, nil)
	h.mu.Unlock()
	err := h.parkAs(ctx, w, hubDone) // a timer firing late finds it done
	h.stopTimer(tm)
	if err != nil {
		return ctxError(ctx)
	}
	return nil
}

// yieldToReady puts t, which holds the turn, at the back of the ready
// queue and returns in its next turn: Sleep(0), and the turn of a finished
// green thread's end work.
func (h *Hub) yieldToReady(t *GreenThread) {
	// The loop queues t's turn waiter once t has yielded (see loop),
	// which saves taking the lock here. Small enough to be inlined into
	// Sleep: a frame more on every hub switch costs a few ns.
	t.co.turn.hs = hubParked
	h.requeue = &t.co.turn
	yieldTurn(t)
}

// watchTimeout registers tctx, a timeout context of the package made from
// ctx (see withTimeout), and returns it as the context to use and what ends
// it in place of cancel: end cancels tctx and wakes the green threads
// parked with it, and with the timeouts made inside it, directly and in the
// order they parked.
func (h *Hub) watchTimeout(ctx context.Context, tctx *hubDeadlineCtx, cancel context.CancelCauseFunc) (context.Context, func(error)) {
	to := &hubTimeout{}
	tctx.to = to // found by the timeouts made inside it (see hubDeadlineCtx.Value)
	h.mu.Lock()
	if h.timeouts == nil {
		h.timeouts = make(map[context.Context]*hubTimeout)
	}
	// Nested in the innermost live package timeout ctx is made inside.
	if p, ok := ctx.Value(hubTimeoutKey{}).(*hubTimeout); ok && p.live {
		to.parent = p
		p.inner = append(p.inner, to)
	}
	to.live = true
	h.timeouts[tctx] = to
	h.mu.Unlock()
	return tctx, func(err error) {
		cancel(err)
		h.mu.Lock()
		if to.live {
			to.live = false
			delete(h.timeouts, tctx)
			if p := to.parent; p != nil {
				p.inner = deleteTimeout(p.inner, to)
			}
			h.wakeTimeout(to)
		}
		h.unlockSignal()
	}
}

// wakeTimeout readies the green threads parked with to, then those parked
// with the timeouts nested in it, whose contexts ended with to's. h.mu is
// held.
func (h *Hub) wakeTimeout(to *hubTimeout) {
	for _, w := range to.ws {
		if w.hs == hubParked {
			h.makeReady(w)
		}
	}
	for _, in := range to.inner {
		h.wakeTimeout(in)
	}
}

// deleteTimeout removes to from tos, keeping the order.
func deleteTimeout(tos []*hubTimeout, to *hubTimeout) []*hubTimeout {
	for i, x := range tos {
		if x == to {
			copy(tos[i:], tos[i+1:])
			tos[len(tos)-1] = nil
			return tos[:len(tos)-1]
		}
	}
	return tos
}

// hubTimeoutKey finds, from a context, the innermost timeout of the package
// it was made inside (see watchTimeout).
type hubTimeoutKey struct{}

// afterFunc calls f after d on the hub's clock, in the hub's turn. On the
// wall clock with no green thread on the hub (an outside caller's Timeout
// with the hub's context), there is no loop to fire it: a plain timer does.
func (h *Hub) afterFunc(d time.Duration, f func()) (stop func() bool) {
	h.mu.Lock()
	if !h.virtual && !h.looping {
		h.mu.Unlock()
		return time.AfterFunc(d, f).Stop
	}
	tm := h.addTimer(d, nil, f)
	h.unlockSignal()
	return func() bool { return h.stopTimer(tm) }
}

// hubTimer is a timer of the hub: it readies w, or calls f.
type hubTimer struct {
	when    time.Time
	seq     uint64
	index   int // in the heap; -1 once out of it
	w       *waiter
	f       func()
	fired   bool
	stopped bool
}

// addTimer arms a timer d from now on the hub's clock; h.mu is held.
func (h *Hub) addTimer(d time.Duration, w *waiter, f func()) *hubTimer {
	h.seq++
	now := h.now
	if !h.virtual {
		now = time.Now()
	}
	tm := &hubTimer{when: now.Add(d), seq: h.seq, w: w, f: f}
	heap.Push(&h.timers, tm)
	return tm
}

// stopTimer stops tm and reports whether it prevented it from firing.
func (h *Hub) stopTimer(tm *hubTimer) bool {
	h.mu.Lock()
	if tm.fired || tm.stopped {
		h.mu.Unlock()
		return false
	}
	tm.stopped = true
	if tm.index >= 0 {
		heap.Remove(&h.timers, tm.index) // a stopped timer holds no memory
	}
	h.unlockSignal()
	return true
}

// liveTimers drops the stopped timers at the top of the heap and reports
// whether a timer is left; h.mu is held.
func (h *Hub) liveTimers() bool {
	for h.timers.Len() > 0 && h.timers[0].stopped {
		heap.Pop(&h.timers)
	}
	return h.timers.Len() > 0
}

// timerHeap orders timers by deadline, then by creation.
type timerHeap []*hubTimer

func (q timerHeap) Len() int { return len(q) }
func (q timerHeap) Less(i, j int) bool {
	if q[i].when.Equal(q[j].when) {
		return q[i].seq < q[j].seq
	}
	return q[i].when.Before(q[j].when)
}
func (q timerHeap) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *timerHeap) Push(x any) {
	tm := x.(*hubTimer)
	tm.index = len(*q)
	*q = append(*q, tm)
}
func (q *timerHeap) Pop() any {
	old := *q
	tm := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	tm.index = -1
	return tm
}
