package gevent

import (
	"context"
	"iter"
	"runtime"
	"strconv"
	"sync"
)

// This file holds the waiting toolbox: gevent.wait and gevent.iwait (Wait,
// IWait), concurrent.futures' as_completed and wait (AsCompleted,
// WaitFutures), and the Done channel of every waitable.
//
// A waitable keeps a watchList under its own mutex: the registrations of
// the waits that watch it, and its Done channel once asked for. The moment
// the waitable finishes (or is set, or becomes empty) it fires the list,
// still under its mutex: it closes the Done channel and hands each
// registration's index to its waitSet. A waitSet is one call's wait: it
// queues the indices in the order they fire and wakes its one waiter (see
// waiter.go), so waiting on n objects costs n registrations (one
// allocation for all of them) and no goroutine.

// Waitable is anything the package can wait on without a goroutine: a
// green thread (*Greenlet[T] of any T, *GreenThread), an *Event, an
// *AsyncResult[T], a *Group or a *Pool. It is ready when the green thread
// has finished, the Event or AsyncResult is set, or the Group or Pool is
// empty (Join would return at once). Wait, IWait, AsCompleted and
// WaitFutures take slices of it; Done is its readiness as a channel, for a
// select.
//
// The interface is closed on purpose (its other methods are unexported):
// waiting without a goroutine per object needs a hook at the place where
// the object changes state, under its lock, which only the package's own
// types have. A channel alone, or a Done method of a user's type, could be
// waited on only by a goroutine (or a reflect.Select) per object, the cost
// these calls promise not to pay. A type of your own becomes waitable by
// holding an Event or an AsyncResult and setting it when it is done.
type Waitable interface {
	// Done returns a channel that is closed once the object is ready, for
	// a select with time.After, ctx.Done() or channels of your own. See
	// GreenThread.Done for its cost and its rules.
	Done() <-chan struct{}

	// watch registers w to be fired once the object is ready, or reports
	// false, registering nothing, if it already is.
	watch(w *watch) bool
	// unwatch takes w back if it has not fired.
	unwatch(w *watch)
	// failure is the object's error if it finished with one in gevent's
	// sense (a kill is not a failure), for RaiseError and FirstException.
	failure() error
}

// Future is a Waitable with a result that may be an error: a green thread
// (*Greenlet[T], *GreenThread) or an *AsyncResult[T]. AsCompleted and
// WaitFutures take slices of it, as concurrent.futures takes futures.
type Future interface {
	Waitable
	// Err is the error the future finished with (nil before it has).
	Err() error
}

// Wait waits until the objects are ready, or ctx is done: gevent.wait
// (objects, timeout, count). It returns the ready ones in the order they
// became ready (those already ready when it starts first, in their order
// in objects): exactly the first n of them with JoinCount(n), all of them
// otherwise. The error is nil when it waited for all (or n) of them, ctx's
// error when ctx ended the wait first (context.DeadlineExceeded for
// JoinTimeout; an error matching ErrGreenletExit when the waiting green
// thread is killed), the first failure's error with RaiseError (a green
// thread's error other than a kill, an AsyncResult's error; the failed
// object is the last one returned). It takes JoinAll's options.
//
// Unlike JoinAll, which lists the finished green threads in their order
// in gs, Wait keeps gevent's order: readiness. An object given twice is
// reported twice. Wait with no objects returns at once (gevent's wait()
// without objects, which waits for the whole hub, has no counterpart).
//
// Cost: one registration an object, all made in one allocation, and no
// goroutine, whatever the number of objects; an object that becomes ready
// costs its waitable a lock and an append. The caller takes the objects
// that became ready in batches: in free mode it yields once
// (runtime.Gosched) before it parks, and parks once per batch, so a fan-in
// over green threads costs about what one over a results channel does
// (BenchmarkIWait). Safe for concurrent use: concurrent Waits on the same
// objects each get every object.
func Wait[W Waitable](ctx context.Context, objects []W, opts ...JoinOption) ([]W, error) {
	cfg := joinOptions(opts)
	ready := make([]W, 0, cfg.want(len(objects)))
	for o, err := range IWait(ctx, objects, opts...) {
		if err != nil {
			return ready, err
		}
		ready = append(ready, o)
	}
	return ready, nil
}

// IWait yields the objects as they become ready: gevent.iwait(objects,
// timeout, count). Those already ready when the range starts come first, in
// their order in objects; the others follow in the order they become
// ready. With JoinCount(n) it stops after n. The wait starts when the range
// does (a JoinTimeout runs from then) and ends with it: breaking out of the
// range takes every registration back at once.
//
// The error of each pair is never the object's own (use Err or Get for
// that): it is nil for every object, and one last pair (zero value, err)
// ends the range when the wait is cut short: ctx's error when ctx ends
// first (context.DeadlineExceeded for JoinTimeout, an error matching
// ErrGreenletExit when the waiting green thread is killed), or, with
// RaiseError, the error of the first object that failed, right after that
// object. gevent's iwait stops silently at its timeout; a range over IWait
// tells a timeout from the end by that last pair.
//
// Objects that are ready are yielded even after ctx has ended; the error
// comes when IWait would have to block. The loop body runs on the caller's
// goroutine between items and may block (on a Hub, other green threads run
// meanwhile); objects that become ready then are yielded afterwards.
//
// Cost: as Wait's, and no goroutine. The sequence may be ranged over more
// than once: each range is a wait of its own.
func IWait[W Waitable](ctx context.Context, objects []W, opts ...JoinOption) iter.Seq2[W, error] {
	cfg := joinOptions(opts)
	return func(yield func(W, error) bool) {
		ctx := ctx
		if cfg.timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = withTimeout(ctx, cfg.timeout, context.DeadlineExceeded)
			defer cancel()
		}
		var zero W
		s := startWait(ctx, objects)
		defer stopWait(s, objects)
		for range cfg.want(len(objects)) {
			i, err := s.next(ctx)
			if err != nil {
				yield(zero, err)
				return
			}
			if !yield(objects[i], nil) {
				return
			}
			if cfg.raiseError {
				if err := objects[i].failure(); err != nil {
					yield(zero, err)
					return
				}
			}
		}
	}
}

// AsCompleted yields the futures as they complete:
// concurrent.futures.as_completed(fs, timeout). Those already complete when
// the range starts come first, in their order in fs. A future's own error
// is its business (Err, Get); the error of a pair is nil, except for one
// last pair (zero value, err) when ctx ends before every future has
// completed: ctx's error, which also matches ErrTimeout when it is ctx's
// deadline (as_completed raises TimeoutError), and ErrGreenletExit when the
// waiting green thread is killed. Breaking out of the range stops the wait.
// as_completed's timeout is ctx's deadline: context.WithTimeout, or, on a
// Hub's clock, a Timeout scope (Timeout{After: d}.Run), whose expiry also
// matches ErrTimeout.
//
// A future given twice is yielded twice (as_completed yields it once: it
// makes a set of fs). Cost and rules: as IWait's.
func AsCompleted[F Future](ctx context.Context, fs []F) iter.Seq2[F, error] {
	return func(yield func(F, error) bool) {
		var zero F
		s := startWait(ctx, fs)
		defer stopWait(s, fs)
		for range fs {
			i, err := s.next(ctx)
			if err != nil {
				yield(zero, deadlineAs(ctx, err, ErrTimeout))
				return
			}
			if !yield(fs[i], nil) {
				return
			}
		}
	}
}

// ReturnWhen tells WaitFutures when to return: concurrent.futures'
// return_when. The zero value is AllCompleted, Python's default.
type ReturnWhen int

const (
	// AllCompleted returns when every future has completed: ALL_COMPLETED.
	AllCompleted ReturnWhen = iota
	// FirstCompleted returns when any future completes: FIRST_COMPLETED.
	FirstCompleted
	// FirstException returns when any future completes with an error, or
	// else when all have completed: FIRST_EXCEPTION. As in gevent, a green
	// thread ended by a kill (an error matching ErrGreenletExit) has not
	// raised: it counts as completed, not as an exception.
	FirstException
)

// String returns Python's name: "ALL_COMPLETED", ...
func (r ReturnWhen) String() string {
	switch r {
	case AllCompleted:
		return "ALL_COMPLETED"
	case FirstCompleted:
		return "FIRST_COMPLETED"
	case FirstException:
		return "FIRST_EXCEPTION"
	}
	return "ReturnWhen(" + strconv.Itoa(int(r)) + ")"
}

// WaitFutures waits for the futures as returnWhen says, or until ctx is
// done: concurrent.futures.wait(fs, timeout, return_when). It returns the
// futures that completed (those seen completing before it returned, which
// may be more than FirstCompleted's one) and those that did not, each in
// their order in fs (Python returns two sets). err is nil when the
// condition was met, and ctx's error when ctx ended first (Python's
// timeout, which raises nothing: done and notDone are still the split at
// that moment; an error matching ErrGreenletExit when the waiting green
// thread is killed). It returns at once if the condition already holds.
//
// Cost: as Wait's, and no goroutine. Safe for concurrent use.
func WaitFutures[F Future](ctx context.Context, fs []F, returnWhen ReturnWhen) (done, notDone []F, err error) {
	s := startWait(ctx, fs)
	for range fs {
		i, e := s.next(ctx)
		if e != nil {
			err = e
			break
		}
		if returnWhen == FirstCompleted || (returnWhen == FirstException && fs[i].failure() != nil) {
			break
		}
	}
	stopWait(s, fs)
	s.drain()
	done = make([]F, 0, len(fs))
	notDone = make([]F, 0, len(fs)-s.got)
	for i, f := range fs {
		if s.watches[i].got {
			done = append(done, f)
		} else {
			notDone = append(notDone, f)
		}
	}
	return done, notDone, err
}

// want is how many objects out of n a wait with cfg waits for.
func (c *joinConfig) want(n int) int {
	if c.count > 0 && c.count < n {
		return c.count
	}
	return n
}

func joinOptions(opts []JoinOption) joinConfig {
	var cfg joinConfig
	for _, o := range opts {
		if o.apply != nil {
			o.apply(&cfg)
		}
	}
	return cfg
}

// watch is one registration on a waitable's watchList: a wait's (set is
// its waitSet, idx the object's index in the wait's slice), or the
// waitable's Done channel (set is nil). It is linked while it waits to
// fire; fire unlinks it first.
type watch struct {
	prev, next *watch // circular; nil when not linked (owner's mutex)
	set        *waitSet
	ch         chan struct{}
	idx        int32
	got        bool // the wait knows it fired or never linked (wait's goroutine only)
}

// watchList is the watches of one waitable, oldest first, its Done
// channel's first: a circular doubly linked list, guarded by the
// waitable's mutex. The zero value is empty; it costs the waitable one
// pointer.
type watchList struct{ head *watch }

func (l *watchList) push(w *watch) {
	h := l.head
	if h == nil {
		w.prev, w.next = w, w
		l.head = w
		return
	}
	w.prev, w.next = h.prev, h
	h.prev.next = w
	h.prev = w
}

// remove unlinks w if it is linked and reports whether it was.
func (l *watchList) remove(w *watch) bool {
	if w.next == nil {
		return false
	}
	if w.next == w {
		l.head = nil
	} else {
		w.prev.next = w.next
		w.next.prev = w.prev
		if l.head == w {
			l.head = w.next
		}
	}
	w.prev, w.next = nil, nil
	return true
}

// fire unlinks every watch, closes the Done channel and hands each wait
// its index, in registration order. Called by the waitable, under its
// mutex, when it becomes ready.
func (l *watchList) fire() {
	if l.head != nil { // inlined: free when nothing watches
		l.fireAll()
	}
}

func (l *watchList) fireAll() {
	for w := l.head; w != nil; w = l.head {
		l.remove(w)
		if w.set == nil {
			close(w.ch)
		} else {
			w.set.notify(w.idx)
		}
	}
}

// done returns the Done channel of a waitable that is not ready, making it
// on first use; under the waitable's mutex.
func (l *watchList) done() <-chan struct{} {
	if h := l.head; h != nil && h.set == nil {
		return h.ch
	}
	w := &watch{ch: make(chan struct{})}
	l.push(w)
	l.head = w // the Done channel's watch is always first
	return w.ch
}

// waitSet is one call's wait on a slice of waitables.
type waitSet struct {
	mu     sync.Mutex
	fired  []int32 // indices fired and not yet taken, in firing order
	parked bool    // the waiter is parked: the next notify wakes it
	w      *waiter

	// The waiting goroutine's own.
	watches []watch
	local   []int32 // indices taken, to report from pos on
	pos     int
	got     int   // watches known fired (or never linked)
	err     error // why the wait ended: it never parks again
	yielded bool  // the last look at fired found none and yielded
}

// startWait registers a wait on each object: those already ready are
// queued first, in order.
func startWait[W Waitable](ctx context.Context, objects []W) *waitSet {
	n := len(objects)
	s := &waitSet{watches: make([]watch, n), local: make([]int32, 0, n), fired: make([]int32, 0, n)}
	for i, o := range objects {
		w := &s.watches[i]
		w.set, w.idx = s, int32(i)
		if !o.watch(w) {
			w.got = true
			s.got++
			s.local = append(s.local, int32(i))
		}
	}
	return s
}

// notify queues i and wakes the waiter if it is parked. Called by fire,
// under the waitable's mutex.
func (s *waitSet) notify(i int32) {
	s.mu.Lock()
	s.fired = append(s.fired, i)
	if s.parked {
		s.parked = false
		s.w.wake()
	}
	s.mu.Unlock()
}

// next returns the index of the next object to report, parking until one
// fires, or the wait's error once ctx ends with none queued.
func (s *waitSet) next(ctx context.Context) (int, error) {
	if s.pos < len(s.local) {
		s.pos++
		return int(s.local[s.pos-1]), nil
	}
	s.mu.Lock()
	for len(s.fired) == 0 {
		if s.err != nil {
			s.mu.Unlock()
			return -1, s.err
		}
		if s.w == nil {
			s.w = getWaiter(ctx, nil)
		}
		if !s.yielded && (s.w.sched == nil || s.w.th == nil) {
			// Free mode: let the goroutines that are about to fire run
			// first, once, so that the caller takes a batch instead of
			// parking for each object (a park costs a few yields).
			s.yielded = true
			s.mu.Unlock()
			runtime.Gosched()
			s.mu.Lock()
			continue
		}
		s.yielded = false
		s.parked = true
		s.mu.Unlock()
		err := s.w.wait(ctx)
		if err != nil {
			err = waitError(ctx, err)
		}
		s.mu.Lock()
		if err != nil {
			// Woken or not, never park again: a wake that raced with
			// the end of ctx may have left its token behind.
			s.parked = false
			s.err = err
		}
	}
	s.local, s.fired = s.fired, s.local[:0]
	s.mu.Unlock()
	s.mark(s.local)
	s.pos = 1
	return int(s.local[0]), nil
}

// mark records that the watches of idx have fired.
func (s *waitSet) mark(idx []int32) {
	for _, i := range idx {
		if w := &s.watches[i]; !w.got {
			w.got = true
			s.got++
		}
	}
}

// drain marks what fired and was not taken (after stopWait: nothing fires
// any more).
func (s *waitSet) drain() {
	s.mu.Lock()
	s.mark(s.fired)
	s.mu.Unlock()
}

// stopWait takes back the watches of s that have not fired, and gives the
// waiter back. A watch may still fire meanwhile: its index is queued (see
// drain) and nothing is woken, as nothing is parked.
func stopWait[W Waitable](s *waitSet, objects []W) {
	if s.got < len(s.watches) {
		s.drain()
		for i := range s.watches {
			if w := &s.watches[i]; !w.got {
				objects[i].unwatch(w)
			}
		}
	}
	if s.w != nil {
		putWaiter(s.w, nil)
		s.w = nil
	}
}

// Done returns a channel that is closed once the green thread has
// finished, for a select with time.After, ctx.Done() or channels of your
// own. It is not the green thread's context's Done (closed when it is
// killed): it is Join's readiness, closed when Join would return.
// Successive calls return the same channel.
//
// The channel is made on the first call before the green thread finishes
// (once finished, every call returns the same closed channel); a green
// thread that is never asked pays nothing. Like any channel, it belongs to
// whoever made it: one made inside a testing/synctest bubble must not be
// used, or closed by the green thread finishing, outside that bubble. On a
// Hub, receiving from it blocks outside the hub's turns: block in Blocking,
// or use Join or Wait.
func (t *GreenThread) Done() <-chan struct{} {
	if t.state.Load() == ended {
		return closedchan
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state.Load() == ended {
		return closedchan
	}
	return t.more().watchers.done()
}

func (t *GreenThread) watch(w *watch) bool {
	if t.state.Load() == ended {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state.Load() == ended { // see Join
		return false
	}
	t.more().watchers.push(w)
	return true
}

func (t *GreenThread) unwatch(w *watch) {
	t.mu.Lock()
	if m := t.moreIfAny(); m != nil {
		m.watchers.remove(w)
	}
	t.mu.Unlock()
}

func (t *GreenThread) failure() error {
	if err := t.Err(); failed(err) {
		return err
	}
	return nil
}

// Done returns a channel that is closed once the Event is set. A Clear
// after that makes the next Done return a new channel, closed at the next
// Set. Cost and rules as GreenThread.Done's.
func (e *Event) Done() <-chan struct{} {
	if e.set.Load() {
		return closedchan
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.set.Load() {
		return closedchan
	}
	return e.watchers.done()
}

func (e *Event) watch(w *watch) bool {
	if e.set.Load() {
		return false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.set.Load() {
		return false
	}
	e.watchers.push(w)
	return true
}

func (e *Event) unwatch(w *watch) {
	e.mu.Lock()
	e.watchers.remove(w)
	e.mu.Unlock()
}

func (e *Event) failure() error { return nil }

// Done returns a channel that is closed once a result is set. Cost and
// rules as GreenThread.Done's.
func (r *AsyncResult[T]) Done() <-chan struct{} {
	if r.ready.Load() {
		return closedchan
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ready.Load() {
		return closedchan
	}
	return r.watchers.done()
}

func (r *AsyncResult[T]) watch(w *watch) bool {
	if r.ready.Load() {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ready.Load() {
		return false
	}
	r.watchers.push(w)
	return true
}

func (r *AsyncResult[T]) unwatch(w *watch) {
	r.mu.Lock()
	r.watchers.remove(w)
	r.mu.Unlock()
}

func (r *AsyncResult[T]) failure() error { return r.Err() }

// Done returns a channel that is closed once the group is empty (Join
// would return at once); if green threads are added after that, the next
// Done returns a new channel. Cost and rules as GreenThread.Done's.
func (g *Group) Done() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.emptyLocked() {
		return closedchan
	}
	return g.watchers.done()
}

func (g *Group) watch(w *watch) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.emptyLocked() {
		return false
	}
	g.watchers.push(w)
	return true
}

func (g *Group) unwatch(w *watch) {
	g.mu.Lock()
	g.watchers.remove(w)
	g.mu.Unlock()
}

func (g *Group) failure() error { return nil }

// Done returns a channel that is closed once no task of the pool runs or
// is queued (Join would return at once, without releasing anything); if
// tasks are spawned after that, the next Done returns a new channel. Cost
// and rules as GreenThread.Done's.
func (p *Pool) Done() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.idleLocked() {
		return closedchan
	}
	return p.watchers.done()
}

func (p *Pool) watch(w *watch) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.idleLocked() {
		return false
	}
	p.watchers.push(w)
	return true
}

func (p *Pool) unwatch(w *watch) {
	p.mu.Lock()
	p.watchers.remove(w)
	p.mu.Unlock()
}

func (p *Pool) failure() error { return nil }
