package gevent

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// This file holds the one mechanism every blocking call of the package goes
// through. A primitive (Event, Queue, Lock, a Greenlet's end, ...) keeps its
// parked callers in a waitq under its own mutex; a caller that must block
// takes a waiter, pushes it, unlocks, and calls waiter.wait. Whoever changes
// the primitive's state pops waiters and calls wake, still under the mutex.
//
// In free mode wake is a send on a one-slot channel. On a Hub the waiter
// carries the hub's scheduler: wake then makes the waiter's green thread ready
// in the hub's FIFO (synchronously, so the hub always knows who can run), and
// wait gives the hub's turn away until the hub hands it back. That is the
// only place the primitives know about hubs.

// scheduler is what a Hub gives the primitives. Free mode has none (nil).
type scheduler interface {
	// spawned registers t when it is created, on the spawner's goroutine.
	spawned(t *GreenThread)
	// start queues t for its first turn, in which it runs body; called
	// right after spawned (or once a pool lets t run), so turns follow
	// the order of spawns.
	start(t *GreenThread, body func())
	// leave is called when the body has ended, in t's turn.
	leave(t *GreenThread)
	// yieldToReady gives t's turn to the green threads ready now and
	// returns in t's next turn, after theirs, whatever t's context says:
	// Sleep(0), and the turn of a finished t's end work.
	yieldToReady(t *GreenThread)
	// holds reports whether t holds the turn: its code is what runs on
	// the hub. Only then do the package's calls made with t's context
	// take turns; otherwise (inside Blocking, or t's context used by
	// another goroutine while t is parked) they wait as in free mode.
	holds(t *GreenThread) bool
	// park blocks the calling green thread on w: it gives the turn away,
	// and returns once w was made ready (or ctx is done) and the turn is
	// back. It returns nil when woken by ready, and otherwise ctx's
	// error, or ErrLoopExit when a virtual hub had nothing left to run;
	// like waiter.wait, the caller must then settle a race with a
	// concurrent wake.
	park(ctx context.Context, w *waiter) error
	// ready marks w's green thread runnable, in FIFO order. It may be
	// called from anywhere.
	ready(w *waiter)
	// sleep suspends the calling green thread for d on the hub's clock;
	// d <= 0 yields the turn to every thread already ready.
	sleep(ctx context.Context, d time.Duration) error
	// cancelled is called when t's context is cancelled (Kill), so that a
	// hub wakes t if it is parked, at once and in a deterministic order.
	cancelled(t *GreenThread)
	// afterFunc calls f once d has passed on the hub's clock, in the
	// hub's turn, unless stop is called first; stop reports whether it
	// prevented the call, like time.Timer.Stop.
	afterFunc(d time.Duration, f func()) (stop func() bool)
}

// waiter is one parked caller. It is owned by the primitive's waitq while
// queued; a waiter is used for one wait and then released.
type waiter struct {
	ready chan struct{} // one slot: a token means "woken"
	next  *waiter       // waitq link, guarded by the primitive's mutex
	prev  *waiter
	inq   bool            // queued in some waitq
	sched scheduler       // nil in free mode
	th    *GreenThread    // the green thread that waits, if any
	hs    hubState        // on a Hub: where the waiter is in the turn protocol (hub's mutex)
	ctx   context.Context // on a virtual-clock Hub: a context other than the thread's own
	exit  bool            // on a Hub: made ready by a loop exit, not a wake (hub's mutex)
	woken bool            // on a Hub: made ready by a wake or its timer (hub's mutex)
	token bool            // free mode: a wait ended without taking a wake's token, which may be in ready
	// bubbled marks a plain goroutine's waiter made inside a
	// testing/synctest bubble: it is never cached (see getWaiter).
	bubbled bool
}

// getWaiter returns a clean waiter for a caller running under ctx that
// waits in q (nil when it waits on no queue): the green thread's spare, or
// else q's, or else a new one.
//
// Waiters are not pooled process-wide on purpose: a channel made inside a
// testing/synctest bubble belongs to that bubble, and using it outside (or
// in another bubble) is a fatal error that no recover catches. A green
// thread keeps one spare, made by its first wait; it stays with the green
// thread's goroutine, and so in its bubble. A primitive keeps one for the
// plain goroutines that wait on it, but never one made inside a bubble: a
// package-level Queue used by two tests, each in a bubble of its own, would
// otherwise hand the second test the first one's channel. Once the process
// has seen a bubble, a plain goroutine's wait inside one takes a waiter of
// its own (see inBubble), so that it blocks durably. Outside tests that use
// testing/synctest, waits allocate nothing in the steady state and pay no
// check.
func getWaiter(ctx context.Context, q *waitq) *waiter {
	var spare *atomic.Pointer[waiter]
	if q != nil {
		spare = &q.spare
	}
	return takeWaiter(ctx, spare, false)
}

// takeWaiter is getWaiter for a queue whose spare, for the plain goroutines
// that wait in it, is *spare (nil: it keeps none), or, if pooled is set,
// for a queue that takes their waiters from the process-wide plainWaiters
// (a green thread's joiners). The same rules hold for both: a waiter made
// inside a bubble is never cached.
func takeWaiter(ctx context.Context, spare *atomic.Pointer[waiter], pooled bool) *waiter {
	t := threadFrom(ctx)
	if t != nil && t.co != nil && !t.co.sched.holds(t) {
		t = nil // a hub's green thread out of its turn: waits as a plain goroutine
	}
	var w *waiter
	if t != nil {
		w = t.spare.Swap(nil)
	} else if pooled {
		// The pool is shared by every bubble and the world outside: check
		// first (one time.Now), so that a wait in a bubble always blocks
		// durably, as one on a thread made in the bubble did with the
		// thread's own spare.
		if inBubble() {
			bubblesSeen.Store(true)
			return &waiter{ready: make(chan struct{}, 1), bubbled: true}
		}
		w, _ = plainWaiters.Get().(*waiter)
	} else if spare != nil {
		if bubblesSeen.Load() && inBubble() {
			return &waiter{ready: make(chan struct{}, 1), bubbled: true}
		}
		if w = spare.Swap(nil); w == nil && inBubble() {
			bubblesSeen.Store(true)
			return &waiter{ready: make(chan struct{}, 1), bubbled: true}
		}
	}
	if w == nil {
		w = &waiter{ready: make(chan struct{}, 1)}
	}
	if t != nil {
		w.th, w.sched = t, t.sched()
	}
	return w
}

// plainWaiters caches the waiters of plain goroutines that wait in a queue
// without a spare of its own: a green thread's joiners (a GreenThread has no
// room for a spare). Like a primitive's spare, it never holds a waiter made
// inside a testing/synctest bubble.
var plainWaiters sync.Pool

// bubblesSeen records that a plain goroutine has waited inside a
// testing/synctest bubble: from then on every such wait checks whether it
// runs in one. Before the first, a wait in a bubble may reuse a primitive's
// waiter made outside any bubble, which works but, like a package-level
// channel used in a bubble, does not count as durably blocked.
var bubblesSeen atomic.Bool

// inBubble reports whether the calling goroutine runs inside a
// testing/synctest bubble. The runtime gives time.Now no monotonic reading
// there, and always gives it one elsewhere (until the year 2157; where it
// does not, the answer is a harmless "yes": a wait then allocates). It costs
// one time.Now (about 50 ns here), paid only when a waiter is made, or once
// a bubble has been seen.
func inBubble() bool {
	now := time.Now()
	return now == now.Round(0)
}

// putWaiter gives w back as the spare of its green thread, or of q for a
// plain goroutine's waiter made outside a bubble (see getWaiter). The
// caller must own w: it is out of every waitq and no wake for it is
// pending. A token left by a wake that raced with cancellation is drained
// here (only when a wait ended without taking it: the drain costs a channel
// operation).
func putWaiter(w *waiter, q *waitq) {
	var spare *atomic.Pointer[waiter]
	if q != nil {
		spare = &q.spare
	}
	releaseWaiter(w, spare, false)
}

// releaseWaiter is putWaiter for a waiter takeWaiter gave with the same
// spare and pooled.
func releaseWaiter(w *waiter, spare *atomic.Pointer[waiter], pooled bool) {
	if w.bubbled {
		return // made in a bubble for a plain goroutine: never reused
	}
	if w.token {
		select {
		case <-w.ready:
		default:
		}
	}
	t := w.th
	*w = waiter{ready: w.ready}
	switch {
	case t != nil:
		t.spare.CompareAndSwap(nil, w)
	case spare != nil:
		spare.CompareAndSwap(nil, w)
	case pooled:
		plainWaiters.Put(w)
	}
}

// wait blocks until w is woken or ctx is done. It returns nil when woken.
// On an error (ctx's, or ErrLoopExit on a Hub) the caller must lock its
// primitive and call waitq.remove:
// if that reports false, a wake won the race and the caller owns whatever
// the waker handed over.
func (w *waiter) wait(ctx context.Context) error {
	if w.onHub() {
		return w.sched.park(ctx, w)
	}
	if freeInfo.on.Load() {
		if t := threadFrom(ctx); t != nil && parkedFree(t) {
			defer unparkedFree(t)
		}
	}
	done := ctx.Done()
	if done == nil { // a context that is never cancelled: no select needed
		<-w.ready
		return nil
	}
	select {
	case <-w.ready:
		return nil
	case <-done:
		w.token = true
		return ctx.Err()
	}
}

// onHub reports whether w parks on a Hub (wait gives the hub's turn away,
// wake makes its green thread ready) rather than on its channel.
func (w *waiter) onHub() bool { return w.sched != nil && w.th != nil }

// wake signals w. It must be called with w already unlinked from its waitq
// (pop does that), under the primitive's mutex.
func (w *waiter) wake() {
	if w.onHub() {
		w.sched.ready(w)
		return
	}
	w.ready <- struct{}{}
}

// block parks the caller in q until a wake or the end of ctx. It must be
// called with mu, the primitive's mutex, held; it returns with mu
// released. It returns nil when the caller was woken, even if ctx ended at
// the same moment: whatever the waker handed over (a lock, a permit, the
// news that an item is there) is the caller's. Otherwise it returns ctx's
// error (see ctxError), or ErrLoopExit, and the caller is out of q.
func block(ctx context.Context, mu *sync.Mutex, q *waitq) error {
	return blockOr(ctx, mu, q, nil)
}

// waitFlag blocks until flag is true or ctx is done, and returns nil or
// ctx's error. Whoever sets flag must do so under mu and then wake q with
// notifyAll: the wait of Event and AsyncResult.
//
// On a Hub, a wait that finds the flag set while green threads woken by the
// set have not run yet gives them the turn first, as gevent's does: they
// were waiting before it.
func waitFlag(ctx context.Context, flag *atomic.Bool, mu *sync.Mutex, q *flagq) error {
	if flag.Load() {
		return afterNotified(ctx, q)
	}
	mu.Lock()
	if flag.Load() {
		mu.Unlock()
		return afterNotified(ctx, q)
	}
	if ctx.Done() == nil && threadFrom(ctx) == nil {
		q.sleep(mu)
		return nil
	}
	w := getWaiter(ctx, &q.waitq)
	counted := w.onHub() // notifyAll counts the hub's waiters alone
	q.push(w)
	mu.Unlock()
	err := w.await(ctx, mu, &q.waitq, nil)
	if err == nil && counted {
		q.notifying.Add(-1)
	}
	return err
}

// afterNotified lets the green threads that notifyAll woke in q run first,
// on a Hub; it returns nil.
func afterNotified(ctx context.Context, q *flagq) error {
	if q.notifying.Load() > 0 {
		if s := schedOf(ctx); s != nil {
			s.sleep(ctx, 0)
		}
	}
	return nil
}

// flagq is the wait queue of a flag (Event, AsyncResult): its waiters, and
// how many of the green threads on a Hub that notifyAll woke have not
// returned yet. Free-mode waiters are not counted: no Hub turn waits for
// them, and a flag waited on outside any Hub pays no atomic for it.
//
// A plain goroutine whose context is never done (context.Background, as a
// Go developer's latch usually is) cannot be cancelled, so it needs no
// waiter: it sleeps on q's sync.Cond, which parks on a runtime semaphore
// with no channel, the cheapest wait Go has (and a durable block inside a
// testing/synctest bubble). The order in which plain goroutines wake is
// not observable anyway: they run in parallel once woken.
type flagq struct {
	// The sleepers' fields come first: with the flag and its mutex before
	// them, what a sleep and a notifyAll touch shares one cache line.
	cond      sync.Cond    // what sleepers park on; its L is the flag's mutex
	sleepers  int32        // plain goroutines in sleep, under the flag's mutex
	round     uint32       // notifyAll calls that woke sleepers, under the flag's mutex
	notifying atomic.Int32 // hub waiters woken by notifyAll and not yet out of waitFlag
	waitq
}

// sleep parks a plain goroutine on q until the next notifyAll. It must be
// called with mu, the flag's mutex, held, and returns with mu released. A
// wake is never lost to a Clear that comes before the sleeper runs again:
// it waits for notifyAll's round to change, not for the flag.
func (q *flagq) sleep(mu *sync.Mutex) {
	if q.cond.L == nil {
		q.cond.L = mu
	}
	q.sleepers++
	for round := q.round; q.round == round; {
		q.cond.Wait()
	}
	mu.Unlock()
}

// notifyAll wakes every waiter of q, oldest first, counting those on a Hub
// as being notified until they have returned from waitFlag, and then every
// sleeper.
func (q *flagq) notifyAll() {
	if q.sleepers > 0 {
		q.sleepers = 0
		q.round++
		q.cond.Broadcast()
	}
	var onHub int32
	for w := q.head; w != nil; w = w.next {
		if w.onHub() {
			onHub++
		}
	}
	if onHub > 0 {
		q.notifying.Add(onHub)
	}
	q.wakeAll()
}

// blockOr is block that also calls gaveUp, under mu, when the caller leaves
// q because ctx ended (not when it was woken): a primitive that queued
// something on the caller's behalf takes it back there, atomically with
// the removal.
func blockOr(ctx context.Context, mu *sync.Mutex, q *waitq, gaveUp func()) error {
	w := getWaiter(ctx, q)
	q.push(w)
	mu.Unlock()
	return w.await(ctx, mu, q, gaveUp)
}

// await is the rest of blockOr once w, q's waiter from getWaiter, is
// queued and mu released: it waits, settles a race with a wake under mu,
// and gives w back.
func (w *waiter) await(ctx context.Context, mu *sync.Mutex, q *waitq, gaveUp func()) error {
	err := w.wait(ctx)
	if err != nil {
		mu.Lock()
		if !q.remove(w) {
			err = nil // woken while being cancelled: the wake wins
		} else if gaveUp != nil {
			gaveUp()
		}
		mu.Unlock()
		if err != nil {
			err = waitError(ctx, err)
		}
	}
	putWaiter(w, q)
	return err
}

// waitq is an intrusive FIFO of waiters. The zero value is empty. It is not
// safe for concurrent use: its owner guards it with a mutex.
type waitq struct {
	head, tail *waiter
	n          int
	spare      atomic.Pointer[waiter] // for the plain goroutines that wait here (see getWaiter)
}

// push appends w.
func (q *waitq) push(w *waiter) {
	w.inq = true
	w.prev, w.next = q.tail, nil
	if q.tail == nil {
		q.head = w
	} else {
		q.tail.next = w
	}
	q.tail = w
	q.n++
}

// pop unlinks and returns the oldest waiter, or nil.
func (q *waitq) pop() *waiter {
	w := q.head
	if w != nil {
		q.unlink(w)
	}
	return w
}

// remove unlinks w if it is still queued and reports whether it was.
func (q *waitq) remove(w *waiter) bool {
	if !w.inq {
		return false
	}
	q.unlink(w)
	return true
}

func (q *waitq) unlink(w *waiter) {
	if w.prev == nil {
		q.head = w.next
	} else {
		w.prev.next = w.next
	}
	if w.next == nil {
		q.tail = w.prev
	} else {
		w.next.prev = w.prev
	}
	w.next, w.prev, w.inq = nil, nil, false
	q.n--
}

// wakeOne pops and wakes the oldest waiter, and reports whether there was one.
func (q *waitq) wakeOne() bool {
	w := q.pop()
	if w != nil {
		w.wake()
	}
	return w != nil
}

// wakeAll pops and wakes every waiter, oldest first.
func (q *waitq) wakeAll() {
	for w := q.pop(); w != nil; w = q.pop() {
		w.wake()
	}
}

// joinq is the queue of a green thread's joiners: a circular doubly linked
// list of waiters, oldest first, guarded by the thread's mutex. It costs
// the thread one pointer; the plain goroutines that wait in it take their
// waiters from plainWaiters.
type joinq struct{ head *waiter }

func (q *joinq) push(w *waiter) {
	w.inq = true
	h := q.head
	if h == nil {
		w.prev, w.next = w, w
		q.head = w
		return
	}
	w.prev, w.next = h.prev, h
	h.prev.next = w
	h.prev = w
}

// remove unlinks w if it is still queued and reports whether it was.
func (q *joinq) remove(w *waiter) bool {
	if !w.inq {
		return false
	}
	if w.next == w {
		q.head = nil
	} else {
		w.prev.next = w.next
		w.next.prev = w.prev
		if q.head == w {
			q.head = w.next
		}
	}
	w.prev, w.next, w.inq = nil, nil, false
	return true
}

// wakeAll unlinks and wakes every waiter, oldest first.
func (q *joinq) wakeAll() {
	for w := q.head; w != nil; w = q.head {
		q.remove(w)
		w.wake()
	}
}

// each calls f for every waiter of q, oldest first (the ring's head).
func (q *joinq) each(f func(*waiter)) {
	h := q.head
	if h == nil {
		return
	}
	for w := h; ; {
		f(w)
		if w = w.next; w == h {
			return
		}
	}
}

// block is the package's block (see there) for a joinq.
func (q *joinq) block(ctx context.Context, mu *sync.Mutex) error {
	w := takeWaiter(ctx, nil, true)
	q.push(w)
	mu.Unlock()
	err := w.wait(ctx)
	if err != nil {
		mu.Lock()
		if !q.remove(w) {
			err = nil // woken while being cancelled: the wake wins
		}
		mu.Unlock()
		if err != nil {
			err = waitError(ctx, err)
		}
	}
	releaseWaiter(w, nil, true)
	return err
}
