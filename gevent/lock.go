package gevent

import (
	"context"
	"sync"
	"sync/atomic"
)

// Lock is gevent's (and multiprocessing's) Lock: a mutex whose Acquire
// takes a context, so a wait for it can time out or be killed, and which,
// unlike sync.Mutex, parks green threads through this package (on a Hub it
// gives the turn away). The zero value is an unlocked Lock. Any green
// thread may release it, as in Python. All methods are safe for concurrent
// use.
//
// An uncontended Acquire and Release cost about what sync.Mutex's Lock and
// Unlock do (two atomic operations). A released Lock is handed to the
// oldest waiter directly, so waiters are served in FIFO order.
type Lock struct {
	state   atomic.Int32 // unlocked, locked, or locked with waiters
	mu      sync.Mutex   // guards waiters and the move to/from contended
	waiters waitq
}

// lockSpins is how many times Acquire looks at a held Lock before parking.
const lockSpins = 64

const (
	lockFree int32 = iota
	lockHeld
	lockContended // held, and waiters may be queued: Release takes mu
)

// Acquire blocks until the lock is the caller's or ctx is done, and returns
// nil or ctx's error: Python's acquire(), with the timeout in ctx. A
// killed green thread wakes with ErrGreenletExit.
func (l *Lock) Acquire(ctx context.Context) error {
	if l.state.CompareAndSwap(lockFree, lockHeld) {
		return nil
	}
	return l.acquireSlow(ctx)
}

func (l *Lock) acquireSlow(ctx context.Context) error {
	// A short critical section elsewhere often ends within a few hundred
	// nanoseconds: spin briefly before parking, as sync.Mutex does. Not on
	// a Hub, where the holder cannot run until this green thread parks.
	if schedOf(ctx) == nil {
		for range lockSpins {
			if l.state.Load() == lockFree && l.state.CompareAndSwap(lockFree, lockHeld) {
				return nil
			}
		}
	}
	l.mu.Lock()
	for {
		switch s := l.state.Load(); {
		case s == lockFree && l.state.CompareAndSwap(lockFree, lockHeld):
			l.mu.Unlock()
			return nil
		case s == lockHeld && !l.state.CompareAndSwap(lockHeld, lockContended):
			continue
		case s == lockFree:
			continue
		}
		break
	}
	if err := ctx.Err(); err != nil {
		l.mu.Unlock()
		return ctxError(ctx)
	}
	// Release hands the lock over: woken means it is ours.
	return block(ctx, &l.mu, &l.waiters)
}

// TryAcquire takes the lock if it is free and reports whether it did:
// Python's acquire(blocking=False).
func (l *Lock) TryAcquire() bool { return l.state.CompareAndSwap(lockFree, lockHeld) }

// Release unlocks the lock, handing it to the oldest waiter if there is
// one. Releasing an unlocked Lock returns ErrNotLocked and changes nothing
// (Python raises RuntimeError).
func (l *Lock) Release() error {
	if l.state.CompareAndSwap(lockHeld, lockFree) {
		return nil
	}
	return l.releaseSlow()
}

func (l *Lock) releaseSlow() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch l.state.Load() {
	case lockFree:
		return ErrNotLocked
	case lockHeld:
		l.state.Store(lockFree)
		return nil
	}
	if w := l.waiters.pop(); w != nil {
		if l.waiters.n == 0 {
			l.state.Store(lockHeld)
		}
		w.wake() // still held: ownership passes to w
		return nil
	}
	l.state.Store(lockFree)
	return nil
}

// Locked reports whether the lock is held.
func (l *Lock) Locked() bool { return l.state.Load() != lockFree }
