package gevent

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"
)

// ErrBrokenBarrier is Python's BrokenBarrierError: Barrier.Wait returns an
// error matching it when the barrier is broken (by Abort, by a Reset while
// it waits, by another waiter whose wait ended, or by a failing action), or
// breaks while the caller waits.
var ErrBrokenBarrier = errors.New("gevent: broken barrier")

// Barrier states, as in Python's threading.Barrier.
const (
	barrierFilling   = 0
	barrierDraining  = 1
	barrierResetting = -1
	barrierBroken    = -2
)

// Barrier is threading's (and multiprocessing's) Barrier: a fixed number of
// parties wait for each other; once the last has arrived, an optional
// action runs and all of them go on together. The barrier then fills
// again for the next cycle, any number of times.
//
// If a waiter's wait ends before the cycle completes (ctx's deadline, the
// barrier's timeout, a Kill), the barrier breaks, as in Python: every
// waiter of the cycle, and every later Wait until Reset, returns an error
// matching ErrBrokenBarrier.
//
// The zero Barrier is not usable (it has no parties): make one with
// NewBarrier. All methods are safe for concurrent use. The barrier is built
// like Python's, on a Condition over a Lock: a Wait costs a lock and, but
// for the last party, one park; the last one wakes all of a cycle at once.
type Barrier struct {
	lock    Lock
	cond    Condition // over lock
	action  func(ctx context.Context) error
	timeout time.Duration
	parties int

	state int    // barrierFilling, ... (lock)
	count int    // waiters of this cycle, arrived and not yet gone (lock)
	cycle uint64 // cycles released so far (lock)

	waiting atomic.Int64 // NWaiting, published under lock
	broken  atomic.Bool  // Broken, published under lock
}

// NewBarrier returns a barrier for parties green threads: Python's
// Barrier(parties, action, timeout).
//
// action, if not nil, is called once a cycle, by the last party to arrive,
// before any party is released, with that party's context and the barrier's
// lock held (it must not call the barrier's methods). If it returns an
// error or panics, the barrier breaks: that party's Wait returns an error
// matching both ErrBrokenBarrier and the action's error (a *PanicError for
// a panic), the others ErrBrokenBarrier.
//
// timeout, if not zero, is the longest a party waits for the others (on a
// Hub, on the hub's clock): Python's default timeout. When it expires, the
// barrier breaks and that Wait's error matches ErrBrokenBarrier and
// ErrTimeout. Zero means no limit (Python's None), a negative timeout that
// the time is already up, as for Timeout. A deadline in the context of
// Wait is a timeout for that call (Python's wait(timeout)).
//
// parties < 1 panics, as Python raises ValueError.
func NewBarrier(parties int, action func(ctx context.Context) error, timeout time.Duration) *Barrier {
	if parties < 1 {
		panic("gevent: NewBarrier(" + strconv.Itoa(parties) + "): parties must be >= 1")
	}
	b := &Barrier{action: action, timeout: timeout, parties: parties}
	b.cond.l = &b.lock
	return b
}

// Wait waits until all parties have called Wait, and returns this party's
// arrival index in the cycle, from 0 to Parties()-1 (the last to arrive
// gets Parties()-1): Python's wait(). Only one party of a cycle can run
// the action, so the index is handy to elect one to do a job of its own.
//
// It returns an error matching ErrBrokenBarrier when the barrier is or
// becomes broken (see Barrier). When the caller's own wait ended it (ctx
// done, the barrier's timeout, a Kill), the error also matches that reason
// (ctx's error, ErrTimeout, ErrGreenletExit) and the barrier breaks for the
// others. While the barrier drains or resets from the previous cycle, Wait
// first waits for that, as Python's does; if ctx ends then, it returns
// ctx's error without breaking anything. On a barrier made with parties 1,
// Wait runs the action and returns 0 without blocking.
func (b *Barrier) Wait(ctx context.Context) (int, error) {
	if b.parties < 1 {
		panic("gevent: Barrier.Wait on a Barrier not made by NewBarrier")
	}
	if err := b.lock.Acquire(ctx); err != nil {
		return 0, err
	}
	defer b.lock.Release()
	// Wait while the previous cycle drains or resets.
	for b.state == barrierDraining || b.state == barrierResetting {
		if err := b.cond.Wait(ctx); err != nil {
			return 0, err
		}
	}
	if b.state == barrierBroken {
		return 0, ErrBrokenBarrier
	}
	index := b.count
	b.count++
	b.publish()
	defer b.exit()
	if index+1 == b.parties {
		return index, b.release(ctx)
	}
	return index, b.waitRelease(ctx, b.cycle)
}

// release ends the cycle: it runs the action and releases the waiters.
// b.lock held.
func (b *Barrier) release(ctx context.Context) error {
	if b.action != nil {
		_, err := callSafely(ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, b.action(ctx) })
		if err != nil {
			b.breakLocked()
			return fmt.Errorf("%w: action: %w", ErrBrokenBarrier, err)
		}
	}
	b.state = barrierDraining
	b.cycle++
	b.publish()
	b.cond.NotifyAll(ctx)
	return nil
}

// waitRelease waits for the last party of cycle, breaking the barrier if
// the wait ends first. b.lock held.
func (b *Barrier) waitRelease(ctx context.Context, cycle uint64) error {
	// Released means the cycle was released, even if the barrier was
	// aborted or reset since: Python's wait_for(lambda: state != 0) then
	// "if state < 0: raise" would report a released party as broken when
	// another released party aborts before it runs again.
	released := func() bool { return b.cycle != cycle }
	pred := func() bool { return released() || b.state < 0 }
	var ok bool
	var err error
	if b.timeout != 0 {
		err = Timeout{After: b.timeout}.Run(ctx, func(ctx context.Context) error {
			var werr error
			ok, werr = b.cond.WaitFor(ctx, pred)
			return werr
		})
	} else {
		ok, err = b.cond.WaitFor(ctx, pred)
	}
	if !ok {
		b.breakLocked()
		return fmt.Errorf("%w: %w", ErrBrokenBarrier, err)
	}
	if !released() { // broken or reset while waiting
		return ErrBrokenBarrier
	}
	return nil
}

// exit is a party's leaving the cycle; the last one to leave after a
// release or a reset makes the barrier fill again. b.lock held.
func (b *Barrier) exit() {
	b.count--
	if b.count == 0 && (b.state == barrierResetting || b.state == barrierDraining) {
		b.state = barrierFilling
		b.cond.NotifyAll(context.Background()) // a Lock's Notify needs no caller
	}
	b.publish()
}

// breakLocked breaks the barrier and wakes every waiter. b.lock held.
func (b *Barrier) breakLocked() {
	b.state = barrierBroken
	b.publish()
	b.cond.NotifyAll(context.Background())
}

// publish updates what NWaiting and Broken read. b.lock held.
func (b *Barrier) publish() {
	n := 0
	if b.state == barrierFilling {
		n = b.count
	}
	b.waiting.Store(int64(n))
	b.broken.Store(b.state == barrierBroken)
}

// Reset returns the barrier to its initial, empty state: Python's reset().
// The parties waiting now return an error matching ErrBrokenBarrier; a
// broken barrier becomes usable again once they have gone. It waits for
// the barrier's lock (held briefly, or while the action runs), and returns
// ctx's error if ctx ends first, changing nothing.
func (b *Barrier) Reset(ctx context.Context) error {
	if err := b.lock.Acquire(ctx); err != nil {
		return err
	}
	defer b.lock.Release()
	if b.count > 0 {
		if b.state == barrierFilling || b.state == barrierBroken {
			b.state = barrierResetting // cleared by the last party to leave
		}
	} else {
		b.state = barrierFilling
	}
	b.publish()
	b.cond.NotifyAll(ctx)
	return nil
}

// Abort breaks the barrier: the parties waiting now, and every Wait until
// Reset, return an error matching ErrBrokenBarrier: Python's abort(), to
// let the parties go when one of them cannot come. It waits for the
// barrier's lock as Reset does.
func (b *Barrier) Abort(ctx context.Context) error {
	if err := b.lock.Acquire(ctx); err != nil {
		return err
	}
	defer b.lock.Release()
	b.breakLocked()
	return nil
}

// Parties returns the number of parties the barrier waits for: Python's
// parties.
func (b *Barrier) Parties() int { return b.parties }

// NWaiting returns the number of parties waiting in the current cycle (0
// while the barrier drains, resets or is broken): Python's n_waiting.
func (b *Barrier) NWaiting() int { return int(b.waiting.Load()) }

// Broken reports whether the barrier is broken: Python's broken.
func (b *Barrier) Broken() bool { return b.broken.Load() }
