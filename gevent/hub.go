package gevent

import (
	"container/heap"
	"context"
	"slices"
	"sync"
	"time"
)

// Hub gives green threads gevent's scheduling: exactly one green thread of
// the hub runs at a time, and it gives up its turn only inside this
// package's blocking calls (Sleep, Queue Put/Get, Lock Acquire, Event Wait,
// Join/Get, Pipe Recv, Pool spawns, ...), in Blocking, and when it ends.
// Code that changes shared state between two blocking calls needs no lock,
// as under gevent; the handoff of the turn orders memory, so the race
// detector agrees.
//
// Green threads are spawned on a hub with the usual calls (Spawn, Go, a
// Pool) given a context of the hub: Run's context, Context's, or that of a
// green thread already on the hub. The blocking calls find the hub through
// the context, so the same code runs on a hub or free.
//
// Ready green threads take their turns in the order they became ready
// (gevent's FIFO); timers fire in deadline order; Sleep(ctx, 0) lets every
// green thread already ready run first.
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
// A switch between two hub green threads costs about what a goroutine
// handoff over a channel does (a few hundred nanoseconds), several times
// less than gevent's.
//
// # Blocking outside the package
//
// A call that blocks outside this package (time.Sleep, a syscall, a channel
// receive) holds the turn, as a blocking call does under gevent without
// monkey patching: the other green threads wait. Wrap such calls in
// Blocking, which gives the turn away while they run.
//
// On a virtual clock, time moves only through this package: use Sleep and
// the package's timeouts (Timeout, WithTimeout, JoinTimeout), not
// context.WithTimeout, whose deadlines follow the wall clock.
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
	held     bool      // a green thread holds the turn
	runq     []*waiter // ready, in FIFO order
	head     int       // runq's first live index
	virtual  bool
	now      time.Time // the virtual clock
	timers   timerHeap // virtual timers
	seq      uint64    // orders timers of equal deadline
	blocking int       // green threads inside Blocking
	threads  int       // entered and not yet left
	live     threadSet
	foreign  []*waiter // virtual: parked with a context other than their own, scanned when idle
	// virtual: the package's own timeout contexts (withTimeout), and who is
	// parked with each: woken directly when the timeout fires or is
	// cancelled, so they need no scan.
	timeouts map[context.Context][]*waiter
	// virtual: green threads whose parent context is neither a green
	// thread's nor never-cancelled. They follow it with context.AfterFunc,
	// which runs on a goroutine of its own; advance cancels them itself
	// first, so that virtual time and LoopExit do not race that goroutine.
	linked []*Thread
	closed bool
	empty  waitq   // Close waiting for threads == 0
	main   *Thread // Run's green thread: where a virtual loop exit is reported
}

// hubState is where a waiter is in a Hub's turn protocol.
type hubState uint8

const (
	hubIdle    hubState = iota // not known to the hub
	hubParked                  // waiting for a wake and then the turn
	hubRunq                    // ready: queued for the turn
	hubGranted                 // given the turn (its token sent)
	hubDone                    // finished: later wakes are stale
)

// HubOption configures a Hub.
type HubOption func(*Hub)

// WithVirtualClock makes the hub run on a virtual clock that starts at
// start: when every green thread of the hub is blocked (and none is inside
// Blocking), the clock jumps to the next timer at once. Sleeps and timeouts
// then take no real time, and the same program gives the same interleaving
// every run.
func WithVirtualClock(start time.Time) HubOption {
	return func(h *Hub) { h.virtual, h.now = true, start }
}

// NewHub returns a hub, on the wall clock unless WithVirtualClock is given.
func NewHub(opts ...HubOption) *Hub {
	h := &Hub{}
	for _, o := range opts {
		o(h)
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
// left) and returns fn's error, or ctx's if ctx ended first. Run must be
// called from outside the hub.
func (h *Hub) Run(ctx context.Context, fn func(ctx context.Context) error) error {
	main := Go(h.Context(ctx), fn, WithName("main"), func(t *Thread) {
		h.mu.Lock()
		h.main = t
		h.mu.Unlock()
	})
	err := main.Join(ctx)
	if err != nil {
		main.Cancel()
	}
	h.Close()
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
// Close must be called from outside the hub. Closing twice does nothing.
func (h *Hub) Close() error {
	h.mu.Lock()
	h.closed = true
	live := h.live.inSpawnOrder()
	h.mu.Unlock()
	cancelAll(live)
	h.mu.Lock()
	for h.threads > 0 {
		block(context.Background(), &h.mu, &h.empty)
		h.mu.Lock()
	}
	h.mu.Unlock()
	return nil
}

// Blocking runs fn, which may block outside this package (file or network
// I/O, a cgo call, time.Sleep), with the hub's turn given away, so the hub's
// other green threads run meanwhile, and returns fn's error once the caller
// has the turn back. fn runs on the calling goroutine. Outside a hub it
// just calls fn.
func Blocking(ctx context.Context, fn func(ctx context.Context) error) error {
	t := threadFrom(ctx)
	h, ok := schedOf(ctx).(*Hub)
	if !ok || t == nil {
		return fn(ctx)
	}
	h.mu.Lock()
	h.blocking++
	h.release()
	h.mu.Unlock()
	err := fn(ctx)
	w := &waiter{ready: make(chan struct{}, 1), th: t, sched: h}
	h.mu.Lock()
	h.blocking--
	h.makeReady(w)
	h.mu.Unlock()
	<-w.ready
	return err
}

// spawned queues a new green thread for its first turn, in spawn order.
func (h *Hub) spawned(t *Thread) {
	w := &waiter{ready: make(chan struct{}, 1), th: t, sched: h}
	t.spare.Store(w)
	h.mu.Lock()
	h.threads++
	h.live.add(t)
	if h.closed {
		t.killed.Store(true)
	}
	if h.virtual && linked(t) {
		h.linked = append(h.linked, t)
	}
	h.makeReady(w)
	h.mu.Unlock()
}

// enter is called on a new green thread's goroutine before its body: it
// waits for the turn spawned queued it for.
func (h *Hub) enter(t *Thread) {
	w := t.spare.Load()
	<-w.ready
	*w = waiter{ready: w.ready} // granted, and out of the hub: now t's spare
}

// leave is called when t's body has ended; t holds the turn.
func (h *Hub) leave(t *Thread) {
	h.mu.Lock()
	h.threads--
	delete(h.live, t)
	if h.threads == 0 {
		h.empty.wakeAll()
	}
	h.release()
	h.mu.Unlock()
}

// ready is a primitive's wake: w's green thread may run again.
func (h *Hub) ready(w *waiter) {
	h.mu.Lock()
	h.makeReady(w)
	h.mu.Unlock()
}

// makeReady queues w for the turn, or gives it the turn if no one holds
// it; h.mu is held. Waiters already ready, running or done are left alone.
func (h *Hub) makeReady(w *waiter) {
	switch w.hs {
	case hubIdle, hubParked:
	default:
		return
	}
	if !h.held {
		h.grant(w)
		return
	}
	w.hs = hubRunq
	h.runq = append(h.runq, w)
}

// grant gives the turn to w; h.mu is held.
func (h *Hub) grant(w *waiter) {
	h.held = true
	w.hs = hubGranted
	w.ready <- struct{}{}
}

// release gives the caller's turn to the next ready green thread. On a
// virtual clock with no one ready, it first moves the clock to the next
// timer. h.mu is held (and released while a timer's function runs).
func (h *Hub) release() {
	h.held = false
	for {
		if h.head < len(h.runq) {
			w := h.runq[h.head]
			h.runq[h.head] = nil
			h.head++
			if h.head == len(h.runq) {
				h.runq, h.head = h.runq[:0], 0
			}
			h.grant(w)
			return
		}
		if !h.virtual || h.blocking > 0 {
			return
		}
		if !h.advance() {
			h.loopExit()
			return
		}
		if h.held {
			return // advance gave the turn away itself
		}
	}
}

// loopExit is called when a virtual hub has nothing left to run: no green
// thread ready or inside Blocking, no timer. If the main green thread is
// parked, its wait ends with ErrLoopExit, as gevent raises LoopExit in the
// main greenlet. h.mu is held.
func (h *Hub) loopExit() {
	if h.main == nil {
		return
	}
	if w := h.main.hubw; w != nil && w.hs == hubParked {
		w.exit = true
		h.makeReady(w)
	}
}

// advance moves the virtual clock to the next timer and fires it, after
// waking the green threads whose context was cancelled. It reports whether
// anything may have become ready. h.mu is held.
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
		tm := heap.Pop(&h.timers).(*hubTimer)
		if tm.stopped {
			continue
		}
		tm.fired = true
		if tm.when.After(h.now) {
			h.now = tm.when
		}
		if tm.w != nil {
			h.makeReady(tm.w)
			return true
		}
		h.unlocked(tm.f) // a timeout cancelling a context
		return true
	}
	return false
}

// cancelLinked delivers the cancellation of the linked green threads whose
// parent context is done: in spawn order, it cancels those the AfterFunc's
// goroutine has not cancelled yet, then readies those that are parked (the
// goroutine's own cancel leaves that to here, see cancelled). Delivered and
// finished ones leave the list. It reports whether anything may have
// become ready. h.mu is held (and released while cancellations run, with
// the turn held); it takes no green thread's mutex, since a finishing green
// thread holds its own while it waits for h.mu.
func (h *Hub) cancelLinked() bool {
	var due, fire []*Thread
	kept := h.linked[:0]
	for _, t := range h.linked {
		switch {
		case t.state.Load() == finished:
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
		h.unlocked(func() {
			for _, t := range due {
				t.cancel(t.parent.Err()) // the AfterFunc's later call does nothing
			}
		})
	}
	for _, t := range fire {
		if w := t.hubw; w != nil && w.hs == hubParked {
			h.makeReady(w)
		}
	}
	return true
}

// unlocked runs f without h.mu and with the turn held, so that no green
// thread runs meanwhile: for code that wakes green threads (cancels their
// contexts) from inside the hub's scheduling. h.mu is held.
func (h *Hub) unlocked(f func()) {
	h.held = true
	h.mu.Unlock()
	f()
	h.mu.Lock()
	h.held = false
}

// linked reports whether t follows its parent context through
// context.AfterFunc (see Hub.linked).
func linked(t *Thread) bool {
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
	h.mu.Lock()
	if w.hs == hubIdle {
		w.hs = hubParked
	}
	t.hubw = w
	own := ctx == context.Context(&t.ctx)
	if h.virtual && !own && ctx.Done() != nil {
		w.ctx = ctx
		if ws, ok := h.timeouts[ctx]; ok {
			h.timeouts[ctx] = append(ws, w)
		} else {
			h.foreign = append(h.foreign, w)
		}
	}
	if ctx.Err() != nil {
		h.makeReady(w)
	}
	h.release()
	h.mu.Unlock()
	if h.virtual || ctx.Done() == nil {
		<-w.ready
	} else {
		select {
		case <-w.ready:
		case <-ctx.Done():
			h.ready(w)
			<-w.ready
		}
	}
	h.mu.Lock()
	t.hubw = nil
	w.hs = final
	exit := w.exit
	w.exit = false
	if w.ctx != nil {
		if ws, ok := h.timeouts[w.ctx]; ok {
			h.timeouts[w.ctx] = slices.DeleteFunc(ws, func(x *waiter) bool { return x == w })
		} else if i := slices.Index(h.foreign, w); i >= 0 {
			h.foreign = slices.Delete(h.foreign, i, i+1)
		}
		w.ctx = nil
	}
	h.mu.Unlock()
	if err := ctx.Err(); err != nil || !exit {
		return err
	}
	return ErrLoopExit
}

// cancelled wakes t if it is parked: Kill on a hub.
//
// On a virtual hub, a linked green thread cancelled by its parent context
// (not killed) is left to cancelLinked, which readies such threads in spawn
// order; if the hub is idle, cancelled makes it look now.
func (h *Hub) cancelled(t *Thread) {
	if h.virtual && !t.killed.Load() && linked(t) {
		h.mu.Lock()
		if !h.held {
			h.release()
		}
		h.mu.Unlock()
		return
	}
	h.mu.Lock()
	if w := t.hubw; w != nil && w.hs == hubParked {
		h.makeReady(w)
	}
	h.mu.Unlock()
}

// sleep suspends the calling green thread for d on the hub's clock.
func (h *Hub) sleep(ctx context.Context, d time.Duration) error {
	t := threadFrom(ctx)
	if t == nil || t.sched != scheduler(h) {
		return sleepFree(ctx, d) // not a green thread of this hub
	}
	if d <= 0 {
		w := getWaiter(ctx, nil) // the thread's spare: only this goroutine readies it
		h.mu.Lock()
		w.hs = hubParked
		h.makeReady(w) // to the back of the queue
		h.release()
		h.mu.Unlock()
		<-w.ready
		h.mu.Lock()
		w.hs = hubIdle
		h.mu.Unlock()
		putWaiter(w, nil)
		return ctxError(ctx)
	}
	w := &waiter{ready: make(chan struct{}, 1), th: t, sched: h}
	var stop func() bool
	if h.virtual {
		h.mu.Lock()
		tm := h.addTimer(d, w, nil)
		h.mu.Unlock()
		stop = func() bool { return h.stopTimer(tm) }
	} else {
		stop = time.AfterFunc(d, func() { h.ready(w) }).Stop
	}
	err := h.parkAs(ctx, w, hubDone) // a timer firing late finds it done
	stop()
	if err != nil {
		return ctxError(ctx)
	}
	return nil
}

// watchTimeout registers tctx, a timeout context of the package (see
// withTimeout) on a virtual hub, and returns what ends it in place of
// cancel: it cancels tctx and wakes the green threads parked with tctx
// directly, instead of leaving them to advance's scan, which would cost a
// pass over every such waiter at every idle step.
func (h *Hub) watchTimeout(tctx context.Context, cancel context.CancelCauseFunc) (end func(error)) {
	h.mu.Lock()
	if h.timeouts == nil {
		h.timeouts = make(map[context.Context][]*waiter)
	}
	h.timeouts[tctx] = nil
	h.mu.Unlock()
	return func(err error) {
		cancel(err)
		h.mu.Lock()
		ws := h.timeouts[tctx]
		delete(h.timeouts, tctx)
		for _, w := range ws {
			if w.hs == hubParked {
				h.makeReady(w)
			}
		}
		h.mu.Unlock()
	}
}

// afterFunc calls f after d on the hub's clock.
func (h *Hub) afterFunc(d time.Duration, f func()) (stop func() bool) {
	if !h.virtual {
		return time.AfterFunc(d, f).Stop
	}
	h.mu.Lock()
	tm := h.addTimer(d, nil, f)
	h.mu.Unlock()
	return func() bool { return h.stopTimer(tm) }
}

// hubTimer is a timer of the virtual clock: it readies w, or calls f.
type hubTimer struct {
	when    time.Time
	seq     uint64
	w       *waiter
	f       func()
	fired   bool
	stopped bool
}

func (h *Hub) addTimer(d time.Duration, w *waiter, f func()) *hubTimer {
	h.seq++
	tm := &hubTimer{when: h.now.Add(d), seq: h.seq, w: w, f: f}
	heap.Push(&h.timers, tm)
	return tm
}

func (h *Hub) stopTimer(tm *hubTimer) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if tm.fired || tm.stopped {
		return false
	}
	tm.stopped = true
	return true
}

// timerHeap orders virtual timers by deadline, then by creation.
type timerHeap []*hubTimer

func (q timerHeap) Len() int { return len(q) }
func (q timerHeap) Less(i, j int) bool {
	if q[i].when.Equal(q[j].when) {
		return q[i].seq < q[j].seq
	}
	return q[i].when.Before(q[j].when)
}
func (q timerHeap) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *timerHeap) Push(x any)   { *q = append(*q, x.(*hubTimer)) }
func (q *timerHeap) Pop() any {
	old := *q
	tm := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return tm
}
