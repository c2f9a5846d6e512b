package gevent

import (
	"context"
	"strconv"
	"sync"
)

// Semaphore is gevent's (and multiprocessing's) Semaphore: a counter of
// permits. Acquire takes one, blocking while there are none; Release gives
// one back, handing it to the oldest waiter if there is one (FIFO). All
// methods are safe for concurrent use.
//
// The zero value has one permit, like Python's Semaphore() (whose value
// defaults to 1); NewSemaphore makes one with any other count.
type Semaphore struct {
	mu sync.Mutex
	// extra is the number of free permits minus one, so that the zero
	// value holds Python's default single permit.
	extra int
	// limit is, for a semaphore made by NewBoundedSemaphore, the most
	// permits it may hold minus one (see BoundedSemaphore).
	limit   int
	bounded bool
	waiters waitq
}

// NewSemaphore returns a semaphore with n permits: Python's Semaphore(n).
// A negative n is a programming error and panics, as Python raises
// ValueError("semaphore initial value must be >= 0").
func NewSemaphore(n int) *Semaphore {
	checkPermits("NewSemaphore", n)
	return &Semaphore{extra: n - 1}
}

// checkPermits panics when n, a semaphore's initial count, is negative.
func checkPermits(fn string, n int) {
	if n < 0 {
		panic("gevent: " + fn + "(" + strconv.Itoa(n) + "): the initial count must be >= 0")
	}
}

// BoundedSemaphore is a Semaphore that refuses to be released more times
// than it was acquired: Python's BoundedSemaphore. Its Release returns
// ErrOverRelease when the count would exceed the initial one. The zero value
// has one permit and a bound of one, like Python's BoundedSemaphore().
type BoundedSemaphore struct{ Semaphore }

// NewBoundedSemaphore returns a bounded semaphore with n permits, which is
// also the most it can ever hold: NewBoundedSemaphore(0) refuses every
// Release that no Acquire is waiting for. A negative n panics, as
// NewSemaphore's does.
func NewBoundedSemaphore(n int) *BoundedSemaphore {
	checkPermits("NewBoundedSemaphore", n)
	return &BoundedSemaphore{Semaphore{extra: n - 1, limit: n - 1, bounded: true}}
}

// Acquire takes a permit, blocking until one is free or ctx is done, and
// returns nil or ctx's error. A killed green thread wakes with
// ErrGreenletExit.
func (s *Semaphore) Acquire(ctx context.Context) error {
	s.mu.Lock()
	if s.extra >= 0 {
		s.extra--
		s.mu.Unlock()
		return nil
	}
	if err := ctx.Err(); err != nil {
		s.mu.Unlock()
		return ctxError(ctx)
	}
	return block(ctx, &s.mu, &s.waiters) // Release hands the permit over
}

// TryAcquire takes a permit if one is free and reports whether it did:
// Python's acquire(blocking=False).
func (s *Semaphore) TryAcquire() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.extra >= 0 {
		s.extra--
		return true
	}
	return false
}

// Release gives a permit back, to the oldest waiter if there is one. A
// plain Semaphore's count may grow without bound, as in Python; one made by
// NewBoundedSemaphore refuses, as its own Release does, a release that
// would exceed its initial count: it panics with ErrOverRelease and
// changes nothing.
func (s *Semaphore) Release() { s.release(s.bounded) }

// Release gives a permit back, to the oldest waiter if there is one. A
// release that would raise the count above the initial one is a
// programming error: it panics with ErrOverRelease and changes nothing, as
// x/sync/semaphore's Release panics (Python raises ValueError("Semaphore
// released too many times"); in a green thread the panic becomes its
// error, a *PanicError matching ErrOverRelease).
func (s *BoundedSemaphore) Release() { s.release(true) }

func (s *Semaphore) release(bounded bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waiters.wakeOne() {
		return
	}
	if bounded && s.extra >= s.limit {
		panic(ErrOverRelease)
	}
	s.extra++
}

// Counter returns the number of free permits: gevent's counter.
func (s *Semaphore) Counter() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.extra + 1
}

// Waiters returns the number of callers blocked in Acquire.
func (s *Semaphore) Waiters() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiters.n
}
