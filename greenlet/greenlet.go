package greenlet

import (
	"errors"
	"iter"

	"github.com/geventgo/geventgo/panics"
)

type state uint8

const (
	stateUnstarted     state = iota
	stateActive              // started and not dead: running or suspended in a switch
	stateDead                // ran, then returned (or panicked, or was killed)
	stateDeadUnstarted       // killed before it ever ran
)

// A Greenlet is one symmetric coroutine of a Tree: Python's greenlet.greenlet.
// Its handle is also its identity: a greenlet switches away by calling Switch
// or Throw on its own handle (the self its run function receives, or the
// main greenlet Run hands out), naming the target.
//
// A Greenlet is not safe for concurrent use; use it only from the goroutine
// that runs its tree.
type Greenlet[V any] struct {
	tree   *Tree[V]
	parent *Greenlet[V]
	run    func(self *Greenlet[V], arg V) (V, error)
	state  state
	// onStack: running, or blocked resuming another greenlet (see transfer).
	onStack bool

	// Set once started: the runtime coroutine this greenlet runs on.
	pull  func() (struct{}, bool)
	stop  func()
	yield func(struct{}) bool

	lprev, lnext *Greenlet[V] // the tree's live list
}

// New returns a new, unstarted greenlet of parent's tree whose parent is
// parent (Python: greenlet(run, parent), where the parent defaults to the
// current greenlet: pass the current one). The first Switch to it calls
// run(self, arg) with the switched value as arg; the value and error run
// returns are handed to its parent (to the first ancestor not dead) as the
// result of that parent's pending Switch, and the greenlet is dead.
//
// A nil run is reported when the greenlet is started: it dies and ErrNoRun
// goes to its parent. A nil parent makes a greenlet of no tree: every switch
// to it reports ErrNilGreenlet. Creating a greenlet, running it to its end
// and getting its result costs about 300ns and 8 allocations, most of it the
// runtime coroutine (BenchmarkGreenletStart).
func New[V any](parent *Greenlet[V], run func(self *Greenlet[V], arg V) (V, error)) *Greenlet[V] {
	if parent == nil {
		return &Greenlet[V]{run: run, state: stateDeadUnstarted}
	}
	return &Greenlet[V]{tree: parent.tree, parent: parent, run: run}
}

// Switch suspends g, which must be the running greenlet of its tree, and
// resumes to with v: v becomes the result of to's pending Switch, or run's
// arg if to is not started. Switch returns when some greenlet switches back
// to g: with the value it passes, or with the value and error of a run that
// returned to g as its parent, or with the error thrown into g.
//
// Switching to a dead greenlet goes to its parent; switching to g itself
// returns v at once. Misuse changes nothing and returns an error:
// ErrNotCurrent if g is not the running greenlet (a wrong goroutine or stale
// handle), ErrOtherTree, ErrNilGreenlet, ErrClosed. Once a closing tree has
// stopped g, Switch returns ErrGreenletExit without switching.
//
// A switch costs one runtime coroutine switch when the target is
// suspended or is the greenlet that resumed g (a ping-pong between any two
// greenlets: about 40ns), one per level when it goes further down the chain
// of resumers, and allocates nothing.
func (g *Greenlet[V]) Switch(to *Greenlet[V], v V) (V, error) {
	t := g.tree
	if t == nil || to == nil || t.current != g || to.tree != t || to == g {
		return g.switchSelfOrRefuse(to, v)
	}
	t.target, t.val = to, v
	// transfer's loop, written out here: every call level between the
	// coroutine switch and the caller costs a mispredicted return per switch.
	for {
		to := t.target
		if to.state != stateActive {
			to = t.resolve(to)
		}
		if to == g {
			t.current = g
			return t.take()
		}
		if to.onStack {
			if !g.yield(struct{}{}) {
				return g.stopped()
			}
			continue
		}
		if to.state == stateUnstarted {
			to.start()
		}
		to.onStack = true
		to.pull()
		to.onStack = false
	}
}

// switchSelfOrRefuse is Switch's rare path.
func (g *Greenlet[V]) switchSelfOrRefuse(to *Greenlet[V], v V) (V, error) {
	t := g.tree
	if t == nil || to == nil || t.current != g || to.tree != t {
		return g.misuse(to)
	}
	return v, nil // to == g
}

// Throw is Switch with an error: it suspends g and resumes to with err
// returned by to's pending Switch (Python's g.throw(err)). A nil err means
// ErrGreenletExit, which kills to quietly when its run returns it: to's
// parent gets run's value and a nil error. Throwing into an unstarted
// greenlet kills it without running it and hands err on to its parent;
// throwing into a dead one hands err to its parent (a dead greenlet eats
// ErrGreenletExit). Throwing into g itself returns err at once.
// Errors and costs are those of Switch.
func (g *Greenlet[V]) Throw(to *Greenlet[V], err error) (V, error) {
	t := g.tree
	var zero V
	if t == nil || to == nil || t.current != g || to.tree != t {
		return g.misuse(to)
	}
	if err == nil {
		err = ErrGreenletExit
	}
	if to == g {
		return zero, err
	}
	t.target, t.err = to, err
	return g.transfer()
}

// misuse explains why a switch was refused.
func (g *Greenlet[V]) misuse(to *Greenlet[V]) (V, error) {
	var zero V
	t := g.tree
	switch {
	case t == nil || to == nil || to.tree == nil:
		return zero, ErrNilGreenlet
	case t.closed:
		return zero, ErrClosed
	case to.tree != t:
		return zero, ErrOtherTree
	default:
		return zero, ErrNotCurrent
	}
}

// transfer carries out the switch whose target and payload are in the
// tree's transfer slot, and returns when the slot is handed back to g.
//
// The greenlets that are running or blocked resuming another one form a
// stack, main at the bottom, the running greenlet on top: each was resumed
// (its coroutine pulled) by the one below it. A target that is suspended (or
// not started) is resumed directly from the top: one coroutine switch. A
// target on the stack is reached by yielding down to it, one coroutine
// switch per level. So a ping-pong between any two greenlets, main or not,
// costs one coroutine switch per switch.
func (g *Greenlet[V]) transfer() (V, error) {
	t := g.tree
	for {
		to := t.target
		if to.state != stateActive {
			to = t.resolve(to)
		}
		if to == g {
			t.current = g
			return t.take()
		}
		if to.onStack {
			// to is below g: hand the slot down to the greenlet that resumed g.
			if !g.yield(struct{}{}) {
				return g.stopped()
			}
			continue
		}
		if to.state == stateUnstarted {
			to.start()
		}
		to.onStack = true
		to.pull()
		to.onStack = false
	}
}

// stopped is what a switch of g returns once the closing tree has stopped
// g: nothing was switched.
func (g *Greenlet[V]) stopped() (V, error) {
	g.tree.take()
	var zero V
	return zero, ErrGreenletExit
}

// start creates g's coroutine; the driver resumes it right after.
func (g *Greenlet[V]) start() {
	g.state = stateActive
	g.pull, g.stop = iter.Pull(iter.Seq[struct{}](g.body))
	g.tree.link(g)
}

// body is g's coroutine: it runs run with the start value and hands the
// result to the parent.
func (g *Greenlet[V]) body(yield func(struct{}) bool) {
	g.yield = yield
	t := g.tree
	defer g.die() // also when run calls runtime.Goexit
	t.current = g
	v, _ := t.take()
	rv, err := g.call(v)
	if err != nil && errors.Is(err, ErrGreenletExit) {
		err = nil
	}
	t.target, t.val, t.err = g.parent, rv, err
}

// call runs g's run function, turning a panic into an error with its stack.
func (g *Greenlet[V]) call(v V) (rv V, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = panics.New(p)
		}
	}()
	return g.run(g, v)
}

// die marks g dead and lets the garbage collector have its coroutine.
func (g *Greenlet[V]) die() {
	g.state = stateDead
	g.tree.unlink(g)
	g.pull, g.stop, g.yield, g.run = nil, nil, nil, nil
	// Until the driver picks the next greenlet, main is the running one; this
	// also keeps the tree usable from main if run called runtime.Goexit.
	g.tree.current = g.tree.main
}

// Parent returns g's parent: the greenlet that receives run's result when
// g dies. The main greenlet has no parent (nil).
func (g *Greenlet[V]) Parent() *Greenlet[V] { return g.parent }

// SetParent reassigns g's parent (Python: g.parent = p). It refuses, leaving
// the parent unchanged, a nil parent (ErrNilGreenlet), a greenlet of another
// tree (ErrOtherTree) and a parent whose own chain leads back to g (ErrCycle;
// this includes any new parent for the main greenlet).
func (g *Greenlet[V]) SetParent(p *Greenlet[V]) error {
	if p == nil || g.tree == nil {
		return ErrNilGreenlet
	}
	if p.tree != g.tree {
		return ErrOtherTree
	}
	for a := p; a != nil; a = a.parent {
		if a == g {
			return ErrCycle
		}
	}
	g.parent = p
	return nil
}

// Tree returns the tree g belongs to (nil for a greenlet made with a nil
// parent).
func (g *Greenlet[V]) Tree() *Tree[V] { return g.tree }

// IsMain reports whether g is its tree's main greenlet.
func (g *Greenlet[V]) IsMain() bool { return g.tree != nil && g.tree.main == g }

// Started reports whether g has been switched to at least once (the main
// greenlet always has). A dead greenlet that was killed before it ever ran
// reports false.
func (g *Greenlet[V]) Started() bool {
	return g.state == stateActive || g.state == stateDead || g.IsMain()
}

// Dead reports whether g has finished: its run returned (or panicked), or it
// was killed, including killed before it started (Python: g.dead).
func (g *Greenlet[V]) Dead() bool { return g.state >= stateDead }

// Active reports whether g is started and not dead: running or suspended in
// a switch (Python: bool(g)).
func (g *Greenlet[V]) Active() bool { return g.state == stateActive }
