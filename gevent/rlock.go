package gevent

import (
	"context"
	"sync"
)

// RLock is gevent's (and multiprocessing's) RLock: a lock that the green
// thread holding it may acquire again; it is free once released as many
// times as acquired. The zero value is an unlocked RLock. All methods are
// safe for concurrent use.
//
// The owner is the green thread of the context passed to Acquire (see
// Current). Mutual exclusion holds between any two callers that are not the
// same green thread. Code outside green threads (a plain goroutine, an HTTP
// handler passing r.Context()) has no identity Go can see, so each of its
// acquisitions is an owner of its own: two such goroutines exclude each
// other, and such code cannot re-enter (a second Acquire waits, like
// sync.Mutex's); its Release frees the acquisition of whichever goroutine
// outside green threads holds the lock. Python's threading.RLock is
// reentrant per OS thread; here reentrance needs a green thread. A green
// thread's context names that green thread wherever it is passed: do not
// hand it to goroutines of your own that take the same RLock, or they count
// as the same owner.
type RLock struct {
	mu      sync.Mutex
	held    bool
	owner   *GreenThread // nil: an acquisition from outside green threads
	count   int
	waiters waitq
}

// reenters reports whether an acquisition by me is a re-entry; l.mu held.
func (l *RLock) reenters(me *GreenThread) bool { return l.held && me != nil && l.owner == me }

// Acquire takes the lock for the green thread of ctx, at once if it is
// free or already that thread's, else blocking until it is handed over
// (FIFO) or ctx is done; it returns nil or ctx's error. Outside green
// threads it never re-enters: it waits for any holder (see RLock).
func (l *RLock) Acquire(ctx context.Context) error {
	me := threadFrom(ctx)
	l.mu.Lock()
	switch {
	case !l.held:
		l.held, l.owner, l.count = true, me, 1
		l.mu.Unlock()
		return nil
	case l.reenters(me):
		l.count++
		l.mu.Unlock()
		return nil
	}
	if err := ctx.Err(); err != nil {
		l.mu.Unlock()
		return ctxError(ctx)
	}
	return block(ctx, &l.mu, &l.waiters) // Release hands over with count 1
}

// TryAcquire takes the lock if it is free or held by the green thread of
// ctx, and reports whether it did: Python's acquire(blocking=False).
func (l *RLock) TryAcquire(ctx context.Context) bool {
	me := threadFrom(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case !l.held:
		l.held, l.owner, l.count = true, me, 1
	case l.reenters(me):
		l.count++
	default:
		return false
	}
	return true
}

// Release undoes one Acquire by the green thread of ctx (or, outside green
// threads, the acquisition held from outside them). When that was the last
// one, the lock goes to the oldest waiter, or becomes free. Releasing an
// RLock that the caller does not hold is a programming error: it panics
// with ErrNotLocked and changes nothing (Python's RuntimeError "cannot
// release un-acquired lock"; see Lock.Release).
func (l *RLock) Release(ctx context.Context) {
	me := threadFrom(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.held || l.owner != me {
		panic(ErrNotLocked)
	}
	if l.count--; l.count > 0 {
		return
	}
	if w := l.waiters.pop(); w != nil {
		l.owner, l.count = w.th, 1
		w.wake()
		return
	}
	l.held, l.owner = false, nil
}

// Locked reports whether the lock is held.
func (l *RLock) Locked() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held
}
