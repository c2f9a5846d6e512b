package greenlet

import (
	"errors"
	"fmt"

	"github.com/geventgo/geventgo/panics"
)

// A Tree is a set of greenlets that switch among themselves: its main
// greenlet (the goroutine that created the tree) and every greenlet created
// under it. Exactly one greenlet of a tree runs at a time; the others are
// suspended in a Switch (or not started yet, or dead).
//
// Each non-main greenlet runs as a runtime coroutine (the mechanism behind
// iter.Pull): a switch resumes the target's coroutine directly when it is
// suspended, or yields back down the chain of greenlets that resumed the
// running one when the target is among them. The coroutines run one at a
// time on the tree's goroutine's behalf; no greenlet ever runs in parallel
// with another.
//
// A Tree is not safe for concurrent use: all its greenlets must be used from
// the goroutine that runs it. Misuse is reported as ErrNotCurrent where it
// can be seen (a switch through a greenlet that is not the running one).
type Tree[V any] struct {
	main    *Greenlet[V]
	current *Greenlet[V]
	closed  bool

	// The transfer slot: what the switching greenlet hands to its target.
	target *Greenlet[V]
	val    V
	err    error

	// live lists the started, not yet dead non-main greenlets (most recently
	// started last), the ones Close must kill.
	live *Greenlet[V]
}

// NewTree returns a new tree whose main greenlet is the calling goroutine.
// The caller must Close it (or use Run, which does) from that goroutine when
// done: Close kills the greenlets still suspended, so none is left behind.
func NewTree[V any]() *Tree[V] {
	t := &Tree[V]{}
	t.main = &Greenlet[V]{tree: t, state: stateActive, onStack: true}
	t.current = t.main
	return t
}

// Run is greenlet's whole-program idiom: it creates a tree whose main
// greenlet is the calling goroutine, calls fn with that main greenlet, and
// closes the tree when fn returns, killing every greenlet left suspended
// with ErrGreenletExit (their deferred cleanup runs). It returns fn's error
// joined with Close's. A panic in fn is recovered and returned as a
// *PanicError carrying its stack.
func Run[V any](fn func(main *Greenlet[V]) error) (err error) {
	t := NewTree[V]()
	defer func() {
		if v := recover(); v != nil {
			t.current = t.main // fn panicked in main; the tree is idle again
			err = panics.New(v)
		}
		err = errors.Join(err, t.Close())
	}()
	return fn(t.main)
}

// Main returns the tree's main greenlet: the one that created the tree, the
// root of every parent chain.
func (t *Tree[V]) Main() *Greenlet[V] { return t.main }

// Current returns the running greenlet (Python's greenlet.getcurrent()), or
// nil once the tree is closed. Call it only from the tree's goroutine.
func (t *Tree[V]) Current() *Greenlet[V] { return t.current }

// Closed reports whether Close has run.
func (t *Tree[V]) Closed() bool { return t.closed }

// Close kills every started, not yet dead greenlet of the tree, most
// recently started first, the way CPython kills a greenlet it collects: its
// parent is set to main for the duration, ErrGreenletExit is thrown in at
// its switch point, and the cleanup it runs (defers, code after the failed
// Switch) may still switch to other greenlets. A greenlet that switches back
// to main instead of returning is stopped: its later Switch calls return
// ErrGreenletExit without switching until its run returns; Close reports
// ErrIgnoredExit for it. Errors other than GreenletExit that the killed
// greenlets return are joined into Close's error.
//
// Close must be called from the main greenlet while it runs (ErrNotCurrent
// otherwise). After Close every Switch and Throw returns ErrClosed. Close is
// idempotent. Unstarted greenlets hold no resources and are simply dropped.
func (t *Tree[V]) Close() error {
	if t.closed {
		return nil
	}
	if t.current != t.main {
		return ErrNotCurrent
	}
	var errs []error
	for t.live != nil {
		g := t.live.lprev // the most recently started
		parent := g.parent
		g.parent = t.main
		_, err := t.main.Throw(g, ErrGreenletExit)
		if err != nil && !errors.Is(err, ErrGreenletExit) {
			errs = append(errs, err)
		}
		if g.state == stateActive {
			errs = append(errs, fmt.Errorf("%w (greenlet %p)", ErrIgnoredExit, g))
			t.current = g
			g.stop()
			t.current = t.main
			t.take()
		}
		g.parent = parent
	}
	t.closed = true
	t.current = nil
	t.main.state = stateDead
	return errors.Join(errs...)
}

// take empties the transfer slot, returning what it held.
func (t *Tree[V]) take() (V, error) {
	var zero V
	v, err := t.val, t.err
	t.val, t.err, t.target = zero, nil, nil
	return v, err
}

// resolve follows greenlet's rules from the target of a switch to the
// greenlet that actually receives it (an active one, or an unstarted one to
// start with the slot's value): a dead greenlet passes the transfer to
// its parent, an unstarted one receiving an error dies without running and
// passes the error on, an unstarted one without run dies with ErrNoRun.
func (t *Tree[V]) resolve(to *Greenlet[V]) *Greenlet[V] {
	for {
		switch to.state {
		case stateActive:
			return to
		case stateDead, stateDeadUnstarted:
			if t.err != nil && errors.Is(t.err, ErrGreenletExit) {
				t.err = nil // a dead greenlet eats GreenletExit
			}
		case stateUnstarted:
			if t.err == nil && to.run != nil {
				return to
			}
			to.state = stateDeadUnstarted
			if t.err == nil {
				t.err = ErrNoRun
			} else if errors.Is(t.err, ErrGreenletExit) {
				t.err = nil
			}
		}
		var zero V
		if t.err != nil {
			t.val = zero
		}
		to = to.parent
	}
}

// link adds g to the live list (a ring through prev/next).
func (t *Tree[V]) link(g *Greenlet[V]) {
	if t.live == nil {
		g.lprev, g.lnext = g, g
		t.live = g
		return
	}
	last := t.live.lprev
	g.lprev, g.lnext = last, t.live
	last.lnext = g
	t.live.lprev = g
}

// unlink removes g from the live list.
func (t *Tree[V]) unlink(g *Greenlet[V]) {
	if g.lnext == g {
		t.live = nil
	} else {
		g.lprev.lnext = g.lnext
		g.lnext.lprev = g.lprev
		if t.live == g {
			t.live = g.lnext
		}
	}
	g.lprev, g.lnext = nil, nil
}
