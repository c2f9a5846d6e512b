package gevent

import (
	"context"
	"sync"
)

// RLock is gevent's (and multiprocessing's) RLock: a lock that the green
// thread holding it may acquire again; it is free once released as many
// times as acquired. The owner is the green thread of the context passed to
// Acquire (see Current); code outside any green thread counts as one owner,
// like gevent's main greenlet. The zero value is an unlocked RLock. All
// methods are safe for concurrent use.
type RLock struct {
	mu      sync.Mutex
	held    bool
	owner   *Thread // nil: the code outside green threads
	count   int
	waiters waitq
}

// Acquire takes the lock for the green thread of ctx, at once if it is
// free or already that thread's, else blocking until it is handed over or
// ctx is done; it returns nil or ctx's error.
func (l *RLock) Acquire(ctx context.Context) error {
	me := threadFrom(ctx)
	l.mu.Lock()
	switch {
	case !l.held:
		l.held, l.owner, l.count = true, me, 1
		l.mu.Unlock()
		return nil
	case l.owner == me:
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

// TryAcquire takes the lock if it is free or the caller's, and reports
// whether it did: Python's acquire(blocking=False).
func (l *RLock) TryAcquire(ctx context.Context) bool {
	me := threadFrom(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case !l.held:
		l.held, l.owner, l.count = true, me, 1
	case l.owner == me:
		l.count++
	default:
		return false
	}
	return true
}

// Release undoes one Acquire by the green thread of ctx. When that was the
// last one, the lock goes to the oldest waiter, or becomes free. Releasing
// an RLock that the caller does not hold returns ErrNotLocked and changes
// nothing.
func (l *RLock) Release(ctx context.Context) error {
	me := threadFrom(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.held || l.owner != me {
		return ErrNotLocked
	}
	if l.count--; l.count > 0 {
		return nil
	}
	if w := l.waiters.pop(); w != nil {
		l.owner, l.count = w.th, 1
		w.wake()
		return nil
	}
	l.held, l.owner = false, nil
	return nil
}

// Locked reports whether some green thread holds the lock.
func (l *RLock) Locked() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held
}
