package gevent

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// ErrAlreadySet is returned by AsyncResult.Set and SetError once a result
// is there: readers may already have seen it, so it never changes.
var ErrAlreadySet = errors.New("gevent: AsyncResult already set")

// AsyncResult is gevent's AsyncResult and a future: a value, or an error,
// that one green thread sets once and any number wait for. The zero value
// is an empty AsyncResult, ready to use. All methods are safe for
// concurrent use.
type AsyncResult[T any] struct {
	ready   atomic.Bool
	mu      sync.Mutex
	value   T
	err     error
	waiters flagq
	// watchers are the Waits on r and its Done channel (see wait.go).
	watchers watchList
}

// Set stores v as the result and wakes every waiter. It returns
// ErrAlreadySet, and changes nothing, if a result was already set. Unlike
// gevent's, a second Set is refused: a result that readers may have seen
// never changes.
func (r *AsyncResult[T]) Set(v T) error { return r.settle(v, nil) }

// SetError stores err as the result (gevent's set_exception) and wakes every
// waiter; Get then returns it. A nil err is a successful result with T's
// zero value. ErrAlreadySet as for Set.
func (r *AsyncResult[T]) SetError(err error) error {
	var zero T
	return r.settle(zero, err)
}

func (r *AsyncResult[T]) settle(v T, err error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ready.Load() {
		return ErrAlreadySet
	}
	r.value, r.err = v, err
	r.ready.Store(true)
	r.waiters.notifyAll()
	r.watchers.fire()
	return nil
}

// Wait blocks until the result is set or ctx is done, and returns nil or
// ctx's error. It does not report the result's error: use Get or Err.
func (r *AsyncResult[T]) Wait(ctx context.Context) error {
	return waitFlag(ctx, &r.ready, &r.mu, &r.waiters)
}

// Get waits for the result (see Wait) and returns it: the value and the
// error given to SetError, or T's zero value and ctx's error (which also
// matches ErrTimeout when it is ctx's deadline, as gevent's
// get(timeout=...) raises Timeout).
func (r *AsyncResult[T]) Get(ctx context.Context) (T, error) {
	if err := r.Wait(ctx); err != nil {
		var zero T
		return zero, deadlineAs(ctx, err, ErrTimeout)
	}
	return r.value, r.err
}

// Ready reports whether a result is set.
func (r *AsyncResult[T]) Ready() bool { return r.ready.Load() }

// Successful reports whether a result is set and it is not an error.
func (r *AsyncResult[T]) Successful() bool { return r.ready.Load() && r.err == nil }

// Value is the value once set, and T's zero value before.
func (r *AsyncResult[T]) Value() T {
	if !r.ready.Load() {
		var zero T
		return zero
	}
	return r.value
}

// Err is the error given to SetError once set (gevent's exception), and
// nil before.
func (r *AsyncResult[T]) Err() error {
	if !r.ready.Load() {
		return nil
	}
	return r.err
}
