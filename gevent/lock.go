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
// Unlock do (two atomic operations). Under contention a waiter spins
// briefly, then parks; Release wakes the oldest parked waiter, which then
// competes with newcomers for the lock, as with sync.Mutex: throughput over
// strict FIFO order.
type Lock struct {
	state   atomic.Int32 // lockHeld and lockWaiting bits
	mu      sync.Mutex   // guards waiters and the lockWaiting bit's setting
	waiters waitq
}

// lockSpins is how many times Acquire looks at a held Lock before parking.
const lockSpins = 256

const (
	lockHeld    int32 = 1 << iota // the lock is taken
	lockWaiting                   // waiters may be parked: Release takes mu
)

// Acquire blocks until the lock is the caller's or ctx is done, and returns
// nil or ctx's error: Python's acquire(), with the timeout in ctx. A
// killed green thread wakes with ErrGreenletExit.
func (l *Lock) Acquire(ctx context.Context) error {
	if l.state.CompareAndSwap(0, lockHeld) {
		return nil
	}
	return l.acquireSlow(ctx)
}

// grab takes the lock if it is free, whether or not others wait.
func (l *Lock) grab() bool {
	s := l.state.Load()
	return s&lockHeld == 0 && l.state.CompareAndSwap(s, s|lockHeld)
}

func (l *Lock) acquireSlow(ctx context.Context) error {
	for {
		// A short critical section elsewhere often ends within a few
		// hundred nanoseconds: spin briefly before parking, as sync.Mutex
		// does. Not on a Hub, where the holder cannot run until the caller
		// parks.
		if schedOf(ctx) == nil {
			for range lockSpins {
				if l.grab() {
					return nil
				}
			}
		}
		l.mu.Lock()
		if l.grabOrFlag() {
			l.mu.Unlock()
			return nil
		}
		if err := ctx.Err(); err != nil {
			l.mu.Unlock()
			return ctxError(ctx)
		}
		if err := block(ctx, &l.mu, &l.waiters); err != nil {
			return err
		}
		// Woken by Release: compete for the lock again.
	}
}

// grabOrFlag takes the lock if it is free, or else marks it as having
// waiters (so that Release wakes one), and reports whether it took it;
// l.mu is held.
func (l *Lock) grabOrFlag() bool {
	for {
		if l.grab() {
			return true
		}
		s := l.state.Load()
		if s&lockHeld != 0 && (s&lockWaiting != 0 || l.state.CompareAndSwap(s, s|lockWaiting)) {
			return false
		}
	}
}

// TryAcquire takes the lock if it is free and reports whether it did:
// Python's acquire(blocking=False).
func (l *Lock) TryAcquire() bool { return l.grab() }

// Release unlocks the lock and wakes the oldest waiter, if any. Releasing
// an unlocked Lock is a programming error: it panics with ErrNotLocked and
// changes nothing, as sync.Mutex's Unlock fails (Python raises
// RuntimeError, which ends the greenlet unless caught; in a green thread the
// panic likewise becomes its error, a *PanicError matching ErrNotLocked).
func (l *Lock) Release() {
	if l.state.CompareAndSwap(lockHeld, 0) {
		return
	}
	l.releaseSlow()
}

func (l *Lock) releaseSlow() {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.state.Load()
	if s&lockHeld == 0 {
		panic(ErrNotLocked)
	}
	w := l.waiters.pop()
	next := int32(0)
	if l.waiters.n > 0 {
		next = lockWaiting
	}
	// Only Release clears lockHeld, and spinners only set it once it is
	// clear, so nothing changes state between the load and this store.
	l.state.Store(next)
	if w != nil {
		w.wake()
	}
}

// Locked reports whether the lock is held.
func (l *Lock) Locked() bool { return l.state.Load()&lockHeld != 0 }
