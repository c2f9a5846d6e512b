package gevent

import (
	"context"
	"sync"
)

// Locker is a lock a Condition can be built on: *Lock or *RLock of this
// package. Its other methods are unexported, so no other type satisfies it:
// a Condition must release and re-take the lock from inside (all the levels
// of an RLock at once, as Python's _release_save and _acquire_restore do).
type Locker interface {
	// Acquire takes the lock (see Lock.Acquire and RLock.Acquire).
	Acquire(ctx context.Context) error
	// Locked reports whether the lock is held.
	Locked() bool

	tryAcquire(ctx context.Context) bool
	release(ctx context.Context)
	// owned reports whether the caller of ctx holds the lock, as far as
	// the lock can tell: for a Lock, whether anyone holds it.
	owned(ctx context.Context) bool
	// releaseSave releases the lock entirely and returns what
	// acquireRestore needs to take it back as it was.
	releaseSave(ctx context.Context) int
	// acquireRestore takes the lock back, waiting for it even once ctx
	// has ended (it fails only with ErrLoopExit on a virtual Hub).
	acquireRestore(ctx context.Context, saved int) error
}

// Condition is threading's (and multiprocessing's, and gevent's
// monkey-patched) Condition: a lock, plus a queue of green threads that
// wait, with the lock released, until another one holding the lock notifies
// them.
//
// The zero value is ready to use and, like Python's Condition(), works over
// an RLock of its own: the green thread holding it may take it again (see
// RLock for what "holding" means outside green threads). NewCondition makes
// one over a Lock or RLock of the caller's, Python's Condition(lock).
//
// Waiters are woken in FIFO order. Wait re-takes the lock before it returns,
// whatever ended its wait, as Python's does. All methods are safe for
// concurrent use; a Condition must not be copied after first use.
//
// Cost: Notify costs a mutex and, per waiter woken, a wake (a channel send,
// or on a Hub making the waiter ready); Wait costs the release and re-take
// of the lock and one park. Neither allocates in the steady state.
type Condition struct {
	l       Locker // nil: own
	own     RLock  // the zero Condition's lock
	mu      sync.Mutex
	waiters waitq
}

// NewCondition returns a condition over l, which must be a *Lock or an
// *RLock: Python's Condition(lock). A nil l gives a condition over an RLock
// of its own, as the zero Condition is.
func NewCondition(l Locker) *Condition { return &Condition{l: l} }

func (c *Condition) lock() Locker {
	if c.l != nil {
		return c.l
	}
	return &c.own
}

// Locker returns the condition's lock.
func (c *Condition) Locker() Locker { return c.lock() }

// Acquire takes the condition's lock: Python's acquire(), and the entry of
// "with cond:". It blocks as the lock's Acquire does.
func (c *Condition) Acquire(ctx context.Context) error { return c.lock().Acquire(ctx) }

// TryAcquire takes the lock if it is free (or, for an RLock, already the
// caller's) and reports whether it did: Python's acquire(blocking=False).
func (c *Condition) TryAcquire(ctx context.Context) bool { return c.lock().tryAcquire(ctx) }

// Release releases the lock: Python's release(). ctx names the caller for an
// RLock; a Lock ignores it. It panics with ErrNotLocked if the lock is not
// held (by the caller, for an RLock), as Lock.Release does.
func (c *Condition) Release(ctx context.Context) { c.lock().release(ctx) }

// Wait releases the lock, blocks until another green thread notifies the
// condition or ctx is done, then takes the lock back (as many levels as the
// caller held of an RLock) and returns: Python's wait(timeout), with the
// timeout as a deadline in ctx.
//
// It returns nil when notified (Python's True); when ctx ended first, ctx's
// error (Python's False on a deadline; an error matching ErrGreenletExit for
// a killed green thread). A notification that comes as ctx ends wins. In
// both cases the lock is held again when Wait returns: re-taking it waits
// for the lock even after ctx has ended, as Python's wait re-acquires in a
// finally, so a caller killed while another holds the lock waits for that
// holder. The only exception is a virtual Hub with nothing left to run,
// where the error matches ErrLoopExit and the lock may not be held (check
// Locked).
//
// Called without holding the lock (by the caller, for an RLock; by anyone,
// for a Lock, which has no owner), it panics with ErrNotLocked: a
// programming error, as sync.Cond's Wait without its lock (Python's
// RuntimeError "cannot wait on un-acquired lock"). With ctx already done it
// returns ctx's error at once, the lock still held.
func (c *Condition) Wait(ctx context.Context) error {
	l := c.lock()
	if !l.owned(ctx) {
		panic(ErrNotLocked)
	}
	if ctx.Err() != nil {
		return ctxError(ctx)
	}
	// Queue first, then release the lock: a Notify needs the lock and then
	// c.mu, so it cannot run between the release and the push.
	c.mu.Lock()
	saved := l.releaseSave(ctx)
	err := block(ctx, &c.mu, &c.waiters)
	if rerr := l.acquireRestore(ctx, saved); rerr != nil && err == nil {
		err = rerr
	}
	return err
}

// WaitFor waits until pred returns true: Python's wait_for(predicate,
// timeout). pred is called with the lock held, first before any wait and
// then after each wakeup. It returns (true, nil) as soon as pred is true,
// even if ctx ended meanwhile, and (false, err) when a Wait failed and pred
// was still false once the lock was back (err is Wait's error: ctx's). The
// lock is held on return, as Wait leaves it; like Wait, it panics with
// ErrNotLocked when pred is false and the caller does not hold the lock.
func (c *Condition) WaitFor(ctx context.Context, pred func() bool) (bool, error) {
	for !pred() {
		if err := c.Wait(ctx); err != nil {
			if pred() {
				return true, nil
			}
			return false, err
		}
	}
	return true, nil
}

// Notify wakes up to n of the green threads waiting on the condition, the
// oldest first; they return from Wait once they get the lock, which the
// caller still holds. n <= 0 wakes none. Python's notify(n).
//
// The caller must hold the lock: otherwise Notify wakes no one and panics
// with ErrNotLocked, a programming error (Python's RuntimeError "cannot
// notify on un-acquired lock"). For an RLock that means the green thread of
// ctx (see RLock); a Lock has no owner, so Notify can only check that
// someone holds it.
func (c *Condition) Notify(ctx context.Context, n int) {
	if !c.lock().owned(ctx) {
		panic(ErrNotLocked)
	}
	c.mu.Lock()
	for ; n > 0 && c.waiters.wakeOne(); n-- {
	}
	c.mu.Unlock()
}

// NotifyAll wakes every green thread waiting on the condition: Python's
// notify_all(). The caller must hold the lock, as for Notify.
func (c *Condition) NotifyAll(ctx context.Context) {
	if !c.lock().owned(ctx) {
		panic(ErrNotLocked)
	}
	c.mu.Lock()
	c.waiters.wakeAll()
	c.mu.Unlock()
}

// Waiters returns the number of green threads waiting in Wait.
func (c *Condition) Waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waiters.n
}

// The Locker methods of Lock and RLock.

func (l *Lock) tryAcquire(context.Context) bool      { return l.grab() }
func (l *Lock) release(context.Context)              { l.Release() }
func (l *Lock) owned(context.Context) bool           { return l.Locked() }
func (l *Lock) releaseSave(context.Context) int      { l.Release(); return 1 }
func (l *RLock) tryAcquire(ctx context.Context) bool { return l.TryAcquire(ctx) }
func (l *RLock) release(ctx context.Context)         { l.Release(ctx) }

func (l *Lock) acquireRestore(ctx context.Context, _ int) error {
	if l.grab() {
		return nil
	}
	if ctx.Err() == nil {
		// The usual case: the notifier releases the lock soon. Acquire
		// spins briefly before parking (in free mode).
		err := l.Acquire(ctx)
		if err == nil || ctx.Err() == nil {
			return err // nil, or ErrLoopExit
		}
	}
	// ctx has ended: wait for the lock regardless.
	nc := context.WithoutCancel(ctx)
	for {
		l.mu.Lock()
		if l.grabOrFlag() {
			l.mu.Unlock()
			return nil
		}
		if _, err := parkUncancelled(ctx, nc, &l.mu, &l.waiters); err != nil {
			return err
		}
		// Woken by Release (or spuriously): compete for the lock again.
	}
}

func (l *RLock) owned(ctx context.Context) bool {
	me := threadFrom(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held && l.owner == me
}

// releaseSave releases every level the owner holds; the owner holds it.
func (l *RLock) releaseSave(context.Context) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.count
	if w := l.waiters.pop(); w != nil {
		l.owner, l.count = w.th, 1
		w.wake()
		return n
	}
	l.held, l.owner, l.count = false, nil, 0
	return n
}

func (l *RLock) acquireRestore(ctx context.Context, saved int) error {
	me := threadFrom(ctx)
	var nc context.Context
	l.mu.Lock()
	for l.held {
		if nc == nil {
			nc = context.WithoutCancel(ctx)
		}
		woken, err := parkUncancelled(ctx, nc, &l.mu, &l.waiters)
		if err != nil {
			return err
		}
		l.mu.Lock()
		if woken { // Release handed the lock over
			l.count = saved
			l.mu.Unlock()
			return nil
		}
	}
	l.held, l.owner, l.count = true, me, saved
	l.mu.Unlock()
	return nil
}

// parkUncancelled parks the caller in q until a wake, whatever happens to
// ctx; it is called with mu held and returns with it released. nc is ctx
// without its cancellation. It reports whether the caller was woken (popped
// from q by a waker); false means the wait ended without a wake: the
// caller is out of q and tries again. The error is ErrLoopExit, from a virtual Hub
// with nothing left to run.
func parkUncancelled(ctx, nc context.Context, mu *sync.Mutex, q *waitq) (bool, error) {
	w := getWaiter(ctx, q)
	q.push(w)
	mu.Unlock()
	err := w.wait(nc)
	mu.Lock()
	woken := !q.remove(w)
	mu.Unlock()
	putWaiter(w, q)
	if woken {
		return true, nil
	}
	return false, err
}
