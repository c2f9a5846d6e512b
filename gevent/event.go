package gevent

import (
	"context"
	"sync"
	"sync/atomic"
)

// Event is gevent's Event and multiprocessing's Event: a flag that green
// threads wait on until it is set. The zero value is a clear Event, ready
// to use. All methods are safe for concurrent use.
//
// Set, Clear and IsSet cost a few nanoseconds when no one waits; waking a
// parked waiter costs about what a channel handoff does. A plain goroutine
// that waits with a context that is never done (context.Background) parks
// on a runtime semaphore rather than a channel, a green thread or a
// cancellable wait on a channel of its own (reused, so waits allocate
// nothing).
type Event struct {
	set     atomic.Bool
	mu      sync.Mutex
	waiters flagq
	// watchers are the Waits on e and its Done channel (see wait.go).
	watchers watchList
}

// Set sets the flag and wakes every green thread waiting for it. Waits that
// start while it stays set return at once.
func (e *Event) Set() {
	e.mu.Lock()
	e.set.Store(true)
	e.waiters.notifyAll()
	e.watchers.fire()
	e.mu.Unlock()
}

// Clear resets the flag: later waits block until the next Set.
func (e *Event) Clear() { e.set.Store(false) }

// IsSet reports whether the flag is set: Python's is_set().
func (e *Event) IsSet() bool { return e.set.Load() }

// Wait blocks until the flag is set or ctx is done, and returns nil or
// ctx's error. Python's wait(timeout) returns the flag instead; with a
// context that has a deadline, a nil error is the True and an error that
// is errors.Is(err, context.DeadlineExceeded) the False. A killed green
// thread wakes with ErrGreenletExit.
func (e *Event) Wait(ctx context.Context) error {
	return waitFlag(ctx, &e.set, &e.mu, &e.waiters)
}
