package gevent

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geventgo/geventgo/panics"
)

// GreenThread is the part of every green thread that does not depend on its result
// type: identity, state, kill and join. A *Greenlet[T] embeds one; Current
// returns one. All methods are safe for concurrent use.
//
// A GreenThread also carries the context its body runs with. That context is built
// into the GreenThread instead of made with context.WithCancel, so spawning pays
// no extra allocation: it is cancelled by Kill or Cancel, and when the
// context Spawn was given is cancelled. It is not cancelled when the body
// returns, so green threads spawned with it outlive their spawner, as in
// gevent; use a Group (or Kill them) to end them together.
//
// Only what every green thread uses lives in the GreenThread itself (112 bytes,
// so that a Greenlet[int] fits in a 128-byte allocation); the parts most
// never use (a name, Links, a kill's reason, a failure, the cancellation's
// error and registrations, Waits on it) are in a threadExt made on first
// use.
type GreenThread struct {
	id     uint64
	parent context.Context
	co     *hubCo // on a Hub: t's coroutine, where it is parked, and the hub (co.sched); nil in free mode

	state  atomic.Int32 // pending, running, finished, endTurn, ended
	killed atomic.Bool

	mu      sync.Mutex
	joiners joinq                         // parked in Join
	done    atomic.Pointer[chan struct{}] // ctx.Done, made on first use
	// spare is the waiter t's next wait takes (see getWaiter); on a Hub it
	// is first the waiter t starts with.
	spare atomic.Pointer[waiter]
	// inParent is t's registration with its parent's cancellation: with
	// the parent green thread (child is t), or, for another cancellable
	// parent context, f unregisters t's context.AfterFunc.
	inParent afterReg
	x        atomic.Pointer[threadExt] // written under mu; made on first use
}

// threadExt holds the rarely used parts of a green thread, guarded by its
// mutex unless said otherwise: what a failure, a cancellation or a queue
// needs (64 bytes, so that a queued pool task carries one in its own
// allocation), and the rarer still in a threadMore made on first use.
type threadExt struct {
	// unstarted: t finished without its body being entered (set before
	// the finished state is published, then never changed).
	unstarted bool
	unread    atomic.Bool // a failure report is pending (see SetFailureHandler)
	err       error       // the body's error, once finished, if not nil
	ctxErr    error       // set once the context is cancelled
	// member is t's place in a Group: the one whose Go spawned it on a
	// pool (or refused it), or the first Add made: the group counts t's
	// end before the joiners wake (see onFinishGroup). A member Go spawns
	// itself has its place in its own allocation too (see memberThread).
	member *member
	// queued is the claim of t, a free-mode task queued in a pool: the
	// cancellation of t's context gives it up (before the afters run). It
	// is left set once the task got its slot: giving up a claim that is
	// no longer queued does nothing.
	queued *claim
	more   atomic.Pointer[threadMore] // written under t's mutex; made on first use
}

// threadMore holds the parts of a green thread that only names, kills
// with a reason, registrations, Links and Waits use, guarded by its mutex
// unless said otherwise.
type threadMore struct {
	name     string
	named    bool      // set by WithName, before t is shared
	killErr  error     // KillWith's error, if the kill came with one
	afters   afterList // AfterFunc registrations and children, in order
	onEnd    []func()  // Link callbacks, in link order
	watchers watchList // the Waits on t and its Done channel (see wait.go)
}

// ext returns t's threadExt, making it; t.mu held, or t not shared yet.
func (t *GreenThread) ext() *threadExt {
	x := t.x.Load()
	if x == nil {
		x = new(threadExt)
		t.x.Store(x)
	}
	return x
}

// more returns t's threadMore, making it (and its threadExt); t.mu held,
// or t not shared yet.
func (t *GreenThread) more() *threadMore {
	x := t.ext()
	m := x.more.Load()
	if m == nil {
		m = new(threadMore)
		x.more.Store(m)
	}
	return m
}

// moreIfAny returns t's threadMore, or nil if it has none.
func (t *GreenThread) moreIfAny() *threadMore {
	if x := t.x.Load(); x != nil {
		return x.more.Load()
	}
	return nil
}

// sched returns the Hub t runs on, or nil in free mode.
func (t *GreenThread) sched() scheduler {
	if co := t.co; co != nil {
		return co.sched
	}
	return nil
}

// context returns the context t's body runs with.
func (t *GreenThread) context() *threadCtx { return (*threadCtx)(t) }

// The states of a green thread, in order. finished, endTurn and ended are
// all Ready: ended once what its end does before its joiners wake (leaving
// its group, its pool's slot and callbacks) is done, which JoinAll and
// Wait wait for. endTurn is a green thread of a Hub waiting for the turn
// of its end work (see finishIn): Links made meanwhile run with it, and
// Join returns at once for it, as for an ended one.
const (
	pending int32 = iota
	running
	finished
	endTurn
	ended
)

var lastID atomic.Uint64

// SpawnOption configures a green thread at spawn. It is made by WithName;
// the zero value changes nothing.
type SpawnOption struct{ apply func(*GreenThread) }

// WithName names the green thread, like multiprocessing.Process(name=...).
// Without it the name is "Greenlet-<id>".
func WithName(name string) SpawnOption {
	return SpawnOption{func(t *GreenThread) { m := t.more(); m.name, m.named = name, true }}
}

// init prepares t to run under parent. It links t's context to parent's
// cancellation only when parent can be cancelled at all.
func (t *GreenThread) init(parent context.Context, opts []SpawnOption) { t.initIn(parent, opts, nil) }

// initIn is init for a green thread that is m, a member of m.g, too (nil:
// none): m joins m.g's members last, under the lock that registers t with
// m.g's context when parent is that context.
func (t *GreenThread) initIn(parent context.Context, opts []SpawnOption, m *member) {
	t.id = lastID.Add(1)
	t.parent = parent
	var s scheduler
	gc, _ := parent.(*groupCtx)
	if gc != nil {
		s = gc.sched // parent's: worked out once, by makeContext
	} else if p := threadFrom(parent); p != nil {
		s = p.sched()
	} else {
		s = schedulerFrom(parent)
	}
	for _, o := range opts {
		if o.apply != nil {
			o.apply(t)
		}
	}
	if s != nil {
		s.spawned(t) // makes t.co, with s in it
	} else if freeInfo.on.Load() {
		trackFree(t)
	}
	if parent.Done() != nil {
		if err := parent.Err(); err != nil {
			t.cancel(err)
		} else if pc, ok := parent.(*threadCtx); ok {
			// Spawned by a green thread: follow its cancellation
			// synchronously (a Hub's turns then stay deterministic).
			// The registration lives in t: no allocation.
			t.inParent.child = t
			(*GreenThread)(pc).register(&t.inParent)
		} else if gc != nil {
			// Spawned with a Group's context: likewise, with the group.
			t.inParent.child = t
			var mine *member
			if m != nil && m.g == gc.g {
				mine, m = m, nil
			}
			if !gc.g.register(&t.inParent, mine) {
				// The group has cancelled its context already.
				t.inParent.child = nil
				t.cancel(cmp.Or(parent.Err(), context.Canceled))
			}
		} else {
			stop := context.AfterFunc(parent, func() { t.cancel(parent.Err()) })
			t.inParent.f = func() { stop() }
		}
	}
	if m != nil {
		m.g.join(m)
	}
}

// ID is a process-wide unique number, like a pid: the first green thread is 1.
func (t *GreenThread) ID() uint64 { return t.id }

// Name is the name given with WithName, or "Greenlet-<id>".
func (t *GreenThread) Name() string {
	if m := t.moreIfAny(); m != nil && m.named {
		return m.name
	}
	return "Greenlet-" + strconv.FormatUint(t.id, 10)
}

// String returns the name.
func (t *GreenThread) String() string { return t.Name() }

// Started reports whether the body has been entered. Unlike Alive, it is
// false between Spawn and the green thread's first turn.
func (t *GreenThread) Started() bool {
	switch t.state.Load() {
	case running:
		return true
	case finished, endTurn, ended:
		x := t.x.Load()
		return x == nil || !x.unstarted
	}
	return false
}

// Ready reports whether the green thread has finished: its body returned,
// panicked, or it was killed before it started. gevent's ready() and dead.
func (t *GreenThread) Ready() bool { return t.state.Load() >= finished }

// Dead is Ready under gevent's other name (its dead property), kept for
// code ported from Python; Go code reads better with Ready.
func (t *GreenThread) Dead() bool { return t.Ready() }

// Alive reports whether the green thread has not finished yet: true from
// Spawn (or Go, or a Pool's Submit) until it ends, including before its body
// first runs, like gevent's bool(g) after spawn and multiprocessing's
// is_alive() after start(). Started tells whether the body was entered.
func (t *GreenThread) Alive() bool { return t.state.Load() < finished }

// Successful reports whether the green thread finished without an error, or
// was ended by a plain kill: gevent's successful(), which counts a
// GreenletExit as success (exception is None). Err still reports the kill,
// as an error matching ErrGreenletExit, so that Go code can tell the two
// apart. A green thread killed with an error of its own (KillWith) is not
// successful, as gevent's kill(exception=E) leaves exception set to E.
func (t *GreenThread) Successful() bool {
	if !t.Ready() {
		return false
	}
	err := t.Err()
	return err == nil || errors.Is(err, ErrGreenletExit)
}

// failed reports whether err, a finished green thread's error, is a failure
// in gevent's sense: not nil and not a GreenletExit.
func failed(err error) bool { return err != nil && !errors.Is(err, ErrGreenletExit) }

// Err is the error the green thread finished with: nil while it runs and
// when it succeeded, a *PanicError if the body panicked, and an error
// matching ErrGreenletExit (and context.Canceled) if it was killed: before
// it started, or by a blocking call of this package that the kill
// interrupted and whose error the body returned; for KillWith(ctx, e), an
// error matching e (and context.Canceled) instead. gevent's exception is None
// for a kill (its value is the GreenletExit); Err reports it so that Go code
// can tell a kill from a success, while Successful counts it as gevent does.
// Reading a panic's error with Err cancels its report (see
// SetFailureHandler); so do Get and Successful, which call it.
func (t *GreenThread) Err() error {
	if !t.Ready() {
		return nil
	}
	return t.finalErr(true)
}

// finalErr is the error of t, which has finished, marking it read if read
// is set. finish stores it before it publishes the finished state, and
// nothing changes it after: no lock is needed.
func (t *GreenThread) finalErr(read bool) error {
	x := t.x.Load()
	if x == nil || x.err == nil {
		return nil
	}
	if read {
		t.markRead()
	}
	return x.err
}

// Join blocks until the green thread has finished or ctx is done, and returns
// nil or ctx's error. It does not report the body's error: use Err or
// Greenlet.Get. Join is multiprocessing's join and gevent's join. It
// returns once the green thread's end work is done (its pool slot given
// back, its callbacks and Links run), except on a Hub for a green thread
// that had finished and waits for the turn of that work when Join was
// called: then it returns at once, as gevent's join does for a dead
// greenlet whose links have not run yet (JoinAll and Wait still wait for
// it, as gevent's joinall and wait do).
func (t *GreenThread) Join(ctx context.Context) error {
	if t.state.Load() >= endTurn {
		return nil
	}
	return t.joinEnd(ctx)
}

// joinEnd is Join that waits for the end work in every case.
func (t *GreenThread) joinEnd(ctx context.Context) error {
	if t.state.Load() == ended {
		return nil
	}
	if threadFrom(ctx) == t {
		return ErrJoinSelf
	}
	t.mu.Lock()
	if t.state.Load() == ended {
		t.mu.Unlock()
		return nil
	}
	return t.joiners.block(ctx, &t.mu)
}

// Cancel asks the green thread to stop and returns at once: its context is
// cancelled, so it wakes with ErrGreenletExit from any blocking call of this
// package, and a green thread that has not started never runs its body.
// gevent's kill(block=False).
func (t *GreenThread) Cancel() {
	if t.state.Load() >= finished {
		return
	}
	t.killed.Store(true)
	t.cancel(context.Canceled)
}

// Kill cancels the green thread (see Cancel) and waits for it to finish or
// for ctx to be done. Killing a finished green thread does nothing. Go cannot
// stop a goroutine from outside: a body that neither blocks in this package
// nor watches its context runs until it returns, and Kill waits for that;
// plain Go I/O is not interrupted unless it was given the context or a
// deadline. The killed body sees the kill as the error of its blocking call
// and must return it (or stop): a loop that drops Sleep's error spins.
//
// Unlike gevent, a kill also reaches the green threads spawned with the
// killed one's context (they end with ErrGreenletExit; spawn them with
// context.WithoutCancel(ctx) to let them outlive it), and the killed green
// thread's context stays cancelled during its cleanup: clean up with
// context.WithoutCancel(ctx) (see Example_killCleanup). A killed green thread
// is Successful, as in gevent; its Err matches ErrGreenletExit.
func (t *GreenThread) Kill(ctx context.Context) error {
	if t.state.Load() == ended { // as Join: a finished one may still be ending
		return nil
	}
	if threadFrom(ctx) == t {
		return ErrJoinSelf
	}
	t.Cancel()
	return t.Join(ctx)
}

// CancelWith is Cancel with e as the reason of the kill: gevent's
// kill(exception=e, block=False). The body's blocking calls of this package
// return an error matching e and context.Canceled (not ErrGreenletExit),
// and so does Err once the green thread has finished, if the body returned
// that error or was killed before it started; the green thread is then not
// Successful. A nil e, or ErrGreenletExit itself, makes it a plain Cancel.
// Only the first kill gives the reason: a green thread already killed or
// cancelled keeps its own, and the green threads spawned with its context
// end with ErrGreenletExit, as for a plain kill.
func (t *GreenThread) CancelWith(e error) {
	if t.state.Load() >= finished {
		return
	}
	if e != nil && e != ErrGreenletExit {
		t.mu.Lock()
		if x := t.x.Load(); (x == nil || x.ctxErr == nil) && !t.killed.Load() {
			t.more().killErr = e
			t.killed.Store(true)
		}
		t.mu.Unlock()
	}
	t.Cancel()
}

// KillWith is Kill with e as the reason of the kill (see CancelWith):
// gevent's kill(exception=e). It waits for the green thread to finish or
// for ctx to be done, as Kill does.
func (t *GreenThread) KillWith(ctx context.Context, e error) error {
	if t.state.Load() == ended { // as Join: a finished one may still be ending
		return nil
	}
	if threadFrom(ctx) == t {
		return ErrJoinSelf
	}
	t.CancelWith(e)
	return t.Join(ctx)
}

// killReason is what t's kill reports: KillWith's error, or ErrGreenletExit.
func (t *GreenThread) killReason() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if m := t.moreIfAny(); m != nil && m.killErr != nil {
		return m.killErr
	}
	return ErrGreenletExit
}

// start moves t from pending to running, unless it was killed first.
func (t *GreenThread) start() bool {
	if t.killed.Load() || !t.state.CompareAndSwap(pending, running) {
		return false
	}
	return true
}

// finish records the body's error, wakes the joiners and runs the links.
func (t *GreenThread) finish(err error) { t.finishIn(err, nil, nil) }

// endHook is what a pool task does once it has finished and before its
// joiners wake: its ApplyAsync callbacks, and giving its slot back.
type endHook interface {
	// ended returns the queued task the slot went to, if any, for the
	// caller to run (see Pool.drain) once the joiners are awake. With
	// links set, the task's Links are still to run: the pool's Join waits
	// on until settle.
	ended(links bool) *claim
	settle()
}

// finishIn is finish for a green thread that is m, a member of m.g, too
// (nil: none, or its place is in its threadExt), and whose end h, if not
// nil, completes. After the finished state is published, the green thread
// leaves its group, h runs, then (in free mode) its Links, and only then
// do its joiners and Waits wake, and its group's and pool's joiners once
// the Links are done (settle): as in gevent, where the group's and the
// pool's links are made at spawn, the user's after, and a join's switch
// after those. Once Join returns, the slot is free, the callbacks and
// Links have run and the member is out of its group. On a Hub, in t's
// turn, all of that comes in a turn of its own behind the green threads
// ready when the body returned (see Greenlet.Link), and Links run after
// the joiners are made ready (they run after t's turn anyway). It returns
// what h did: the queued task that got the slot, if any.
func (t *GreenThread) finishIn(err error, m *member, h endHook) (next *claim) {
	if freeInfo.on.Load() {
		untrackFree(t)
	}
	if err != nil && t.killed.Load() && errors.Is(err, context.Canceled) {
		if reason := t.killReason(); err == errKilledUnstarted {
			if reason != ErrGreenletExit {
				err = &canceledError{context.Canceled, reason}
			}
		} else if !errors.Is(err, reason) {
			err = &canceledError{err, reason}
		}
	}
	t.mu.Lock()
	x := t.x.Load()
	if err != nil || t.state.Load() == pending {
		x = t.ext()
		x.unstarted = t.state.Load() == pending
		x.err = err
		if err != nil {
			t.armReport(err)
		}
	}
	var also *member // the place x keeps, besides m, t's own (see onFinishGroup)
	if x != nil {
		also = x.member
	}
	if m == nil {
		m, also = also, nil
	}
	more := t.moreIfAny()
	hasLinks := more != nil && len(more.onEnd) > 0
	// With end work to do first (leaving a group, giving a pool slot
	// back, and in free mode running the Links), t is finished (Ready) but
	// not ended: the joiners and Waits are woken after that work, under
	// the lock again, and a Join that comes meanwhile parks until then. On
	// a Hub the joiners only run once t's turn is over, after its Links
	// anyway: they are made ready first, as before.
	linksFirst := hasLinks && t.co == nil
	later := m != nil || also != nil || h != nil || linksFirst
	// On a Hub, in t's turn, the end work and the wake of whoever waits
	// for t come in a turn of their own, at the back of the ready queue:
	// gevent runs a dead greenlet's links (its pool's and group's, the
	// user's, its joiners' switches) from a callback queued at its death,
	// after the greenlets that were ready then. Two green threads that end
	// one after the other run both their bodies' ends before either's
	// Links, as there. A green thread killed before it started does its
	// end work in the turn it would have started in, without yielding:
	// gevent handles that death in kill itself, and its links run from
	// a callback queued then, usually right behind the spawn's.
	yield := t.co != nil && (later || hasLinks || t.joiners.head != nil || t.watched()) &&
		t.state.Load() != pending && t.co.sched.holds(t)
	var links []func()
	switch {
	case yield:
		// The Links are taken in the end turn: those made until then
		// join the others, as gevent's join the pending notification.
		t.state.Store(endTurn)
	case later:
		links = t.takeLinks()
		t.state.Store(finished)
	default:
		links = t.takeLinks()
		t.wakeEndLocked()
	}
	t.mu.Unlock()
	if yield {
		t.co.sched.yieldToReady(t)
		t.mu.Lock()
		t.state.Store(finished)
		links = t.takeLinks()
		t.mu.Unlock()
	}
	kid := false // t is registered with m.g's context: m.g forgets both at once
	if t.inParent.child != nil {
		switch p := t.parent.(type) {
		case *threadCtx:
			(*GreenThread)(p).unregister(&t.inParent)
		case *groupCtx:
			if kid = m != nil && p.g == m.g; !kid {
				p.g.unregister(&t.inParent)
			}
		}
	} else if t.inParent.f != nil {
		t.inParent.f()
	}
	// With Links to run first, t's group and pool wait for them too: they
	// settle after the joiners are woken.
	settleM := m != nil && m.g.finished(m, kid, linksFirst)
	settleAlso := also != nil && also.g.finished(also, false, linksFirst)
	if h != nil {
		next = h.ended(linksFirst)
	}
	if linksFirst {
		runLinks(links)
		links = nil
	}
	if later || yield {
		t.mu.Lock()
		t.wakeEndLocked()
		t.mu.Unlock()
	}
	if settleM {
		m.g.settle()
	}
	if settleAlso {
		also.g.settle()
	}
	if h != nil && linksFirst {
		h.settle()
	}
	runLinks(links)
	return next
}

// takeLinks returns t's Links and forgets them; t.mu held.
func (t *GreenThread) takeLinks() (links []func()) {
	if more := t.moreIfAny(); more != nil {
		links, more.onEnd = more.onEnd, nil
	}
	return links
}

// watched reports whether a Wait or a Done channel watches t; t.mu held.
func (t *GreenThread) watched() bool {
	more := t.moreIfAny()
	return more != nil && more.watchers.head != nil
}

// wakeEndLocked marks t ended and wakes its joiners and Waits, t having
// finished; t.mu held.
func (t *GreenThread) wakeEndLocked() {
	t.state.Store(ended)
	t.joiners.wakeAll()
	if more := t.moreIfAny(); more != nil {
		more.watchers.fire()
	}
}

// runLinks runs the Links of a green thread that has finished, in the
// order they were made.
func runLinks(links []func()) {
	for _, f := range links {
		runLink(f)
	}
}

// runLink runs a Link or ApplyAsync callback. A panic in it must not kill the goroutine
// of the green thread that finished (or crash the program): it is printed to
// standard error with its stack, as gevent prints a failed callback.
func runLink(f func()) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "gevent: a Link or ApplyAsync callback failed: %v\n", panics.New(r))
		}
	}()
	f()
}

// onFinish runs f once t has finished: on the finishing goroutine, or, if
// t already has, at once on the caller's goroutine. On a Hub whose turn
// someone holds, f made after the end runs with the end work if that is
// still to come, and otherwise in a turn of its own behind the green
// threads ready then: gevent schedules the links of a dead greenlet, it
// never calls them inside link().
func (t *GreenThread) onFinish(f func()) {
	t.mu.Lock()
	if s := t.state.Load(); s < finished || s == endTurn {
		m := t.more()
		m.onEnd = append(m.onEnd, f)
		t.mu.Unlock()
		return
	}
	t.mu.Unlock()
	if h, ok := t.sched().(*Hub); ok && h.current.Load() != 0 {
		Go(context.WithoutCancel(t.parent), func(context.Context) error { runLink(f); return nil })
		return
	}
	runLink(f)
}

// onFinishGroup makes m.g count t's end (Group.finished) once t has
// finished, before its joiners wake and its Links run: at once if it
// already has. It takes the place of an onFinish closure, for Group.Go on
// a pool and Group.Add. A green thread has room for one such group; for
// another (a green thread added to several groups) the end is counted by
// a Link, after the joiners wake.
func (t *GreenThread) onFinishGroup(m *member) {
	t.mu.Lock()
	if t.state.Load() >= finished {
		t.mu.Unlock()
		m.g.finished(m, false, false)
		return
	}
	if x := t.ext(); x.member == nil {
		x.member = m
	} else {
		more := t.more()
		more.onEnd = append(more.onEnd, func() { m.g.finished(m, false, false) })
	}
	t.mu.Unlock()
}

// cancel cancels t's context with err, once.
func (t *GreenThread) cancel(err error) {
	t.mu.Lock()
	x := t.ext()
	if x.ctxErr != nil {
		t.mu.Unlock()
		return
	}
	x.ctxErr = err
	if d := t.done.Load(); d != nil {
		close(*d)
	} else {
		t.done.Store(&closedchan)
	}
	var afters []*afterReg
	if m := x.more.Load(); m != nil {
		afters = m.afters.take()
	}
	queued := x.queued
	x.queued = nil
	t.mu.Unlock()
	if queued != nil {
		queued.job.giveUp()
	}
	// Derived contexts and child green threads are cancelled synchronously,
	// as a context.cancelCtx cancels its children (context.AfterFunc still
	// runs a user's function on a goroutine of its own), in the order they
	// registered.
	killed := t.killed.Load()
	for _, a := range afters {
		if a.child != nil {
			if killed {
				// A kill reaches the green threads spawned with t's
				// context as a kill too: they end with ErrGreenletExit.
				a.child.killed.Store(true)
			}
			a.child.cancel(err)
		} else {
			a.f()
		}
	}
	if s := t.sched(); s != nil {
		s.cancelled(t)
	}
}

// queueOn records c, the claim of t queued in a pool, for t's
// cancellation to give up, unless t's context is cancelled already (it
// returns false). It takes the place of a registration (and its closure).
// x, allocated with c, becomes t's threadExt if t has none yet.
func (t *GreenThread) queueOn(c *claim, x *threadExt) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if have := t.x.Load(); have != nil {
		x = have
	} else {
		t.x.Store(x)
	}
	if x.ctxErr != nil {
		return false
	}
	x.queued = c
	return true
}

// cancelledNow reports whether t's context has been cancelled, without
// taking t's mutex: cancel closes (or stores a closed) Done channel after
// recording the error.
func (t *GreenThread) cancelledNow() bool {
	d := t.done.Load()
	return d != nil && isClosed(*d)
}

var closedchan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// threadCtx is the context.Context of a green thread's body: the GreenThread
// itself, under another type (t.context()), so that it costs no field.
type threadCtx GreenThread

type (
	threadKey struct{}
	schedKey  struct{}
)

func (c *threadCtx) Deadline() (time.Time, bool) { return c.parent.Deadline() }

func (c *threadCtx) Done() <-chan struct{} {
	t := (*GreenThread)(c)
	if d := t.done.Load(); d != nil {
		return *d
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if d := t.done.Load(); d != nil {
		return *d
	}
	d := make(chan struct{})
	t.done.Store(&d)
	return d
}

func (c *threadCtx) Err() error {
	t := (*GreenThread)(c)
	if d := t.done.Load(); d == nil || !isClosed(*d) {
		return nil // cancel closes Done after recording the error
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.x.Load().ctxErr
}

func (c *threadCtx) Value(key any) any {
	switch key.(type) {
	case threadKey:
		return (*GreenThread)(c)
	case schedKey:
		if s := (*GreenThread)(c).sched(); s != nil {
			return s
		}
	}
	return c.parent.Value(key)
}

func (c *threadCtx) String() string { return "gevent.GreenThread(" + (*GreenThread)(c).Name() + ")" }

// threadFrom returns the green thread ctx belongs to, or nil.
func threadFrom(ctx context.Context) *GreenThread {
	if c, ok := ctx.(*threadCtx); ok {
		return (*GreenThread)(c)
	}
	t, _ := ctx.Value(threadKey{}).(*GreenThread)
	return t
}

// schedulerFrom returns the Hub scheduler ctx runs under, or nil in free mode.
func schedulerFrom(ctx context.Context) scheduler {
	s, _ := ctx.Value(schedKey{}).(scheduler)
	return s
}

// Current returns the green thread whose body is running with ctx (or a
// context derived from it), or nil when ctx belongs to no green thread: gevent's
// getcurrent() and multiprocessing's current_process().
func Current(ctx context.Context) *GreenThread { return threadFrom(ctx) }
