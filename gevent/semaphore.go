package gevent

import (
	"context"
	"sync"
)

// Semaphore is gevent's (and multiprocessing's) Semaphore: a counter of
// permits. Acquire takes one, blocking while there are none; Release gives
// one back, handing it to the oldest waiter if there is one (FIFO). Make
// one with NewSemaphore; the zero value has no permits. All methods are
// safe for concurrent use.
type Semaphore struct {
	mu      sync.Mutex
	count   int
	bound   int // > 0 for a BoundedSemaphore: count never exceeds it
	waiters waitq
}

// NewSemaphore returns a semaphore with n permits: Python's Semaphore(n).
func NewSemaphore(n int) *Semaphore { return &Semaphore{count: n} }

// BoundedSemaphore is a Semaphore that refuses to be released more times
// than it was acquired: Python's BoundedSemaphore.
type BoundedSemaphore struct{ Semaphore }

// NewBoundedSemaphore returns a bounded semaphore with n permits, which is
// also the most it can ever hold.
func NewBoundedSemaphore(n int) *BoundedSemaphore {
	return &BoundedSemaphore{Semaphore{count: n, bound: n}}
}

// Acquire takes a permit, blocking until one is free or ctx is done, and
// returns nil or ctx's error. A killed green thread wakes with
// ErrGreenletExit.
func (s *Semaphore) Acquire(ctx context.Context) error {
	s.mu.Lock()
	if s.count > 0 {
		s.count--
		s.mu.Unlock()
		return nil
	}
	if err := ctx.Err(); err != nil {
		s.mu.Unlock()
		return ctxError(ctx)
	}
	return block(ctx, &s.mu, &s.waiters) // Release hands the permit over
}

// TryAcquire takes a permit if one is free and reports whether it did.
func (s *Semaphore) TryAcquire() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.count > 0 {
		s.count--
		return true
	}
	return false
}

// Release gives a permit back, to the oldest waiter if there is one. For a
// BoundedSemaphore, a release that would exceed the initial count returns
// ErrOverRelease and changes nothing; a plain Semaphore's count may grow
// without bound, as in Python.
func (s *Semaphore) Release() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waiters.wakeOne() {
		return nil
	}
	if s.bound > 0 && s.count >= s.bound {
		return ErrOverRelease
	}
	s.count++
	return nil
}

// Counter returns the number of free permits: gevent's counter.
func (s *Semaphore) Counter() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// Waiters returns the number of green threads blocked in Acquire.
func (s *Semaphore) Waiters() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiters.n
}
