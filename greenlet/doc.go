// Package greenlet brings Python's greenlet to Go: symmetric coroutines that
// hand control to each other explicitly. Exactly one greenlet of a tree runs
// at a time; any greenlet can switch to any other of its tree, passing a
// value, and resumes where it left off when some greenlet switches back.
//
// A greenlet.Greenlet is a coroutine that runs only when switched to; it is
// not gevent.Greenlet, a scheduled green thread with a result (a future).
// Both keep Python's names, from the two Python libraries they port.
//
// # From Python to Go
//
//	Python                                  Go
//	from greenlet import greenlet           greenlet.Run(func(main *greenlet.Greenlet[V]) error { ... })
//	main = greenlet.getcurrent()            the main argument of Run (or NewTree().Main())
//	g = greenlet(run, parent)               g := greenlet.New(parent, run)  // run(self, arg) (V, error)
//	def run(*args): ...                     func(self *greenlet.Greenlet[V], arg V) (V, error)
//	v = g.switch(x)                         v, err := self.Switch(g, x)
//	greenlet.getcurrent()                   self (run's argument), tree.Current()
//	g.parent.switch(x)                      self.Switch(self.Parent(), x)
//	return x  (value to the parent)         return x, nil
//	raise E   (raised in the parent)        return x, err  (the parent's Switch returns err)
//	g.throw(E) / g.throw()                  self.Throw(g, err) / self.Throw(g, nil)  // nil: GreenletExit
//	except GreenletExit                     errors.Is(err, greenlet.ErrGreenletExit)
//	g.dead, bool(g)                         g.Dead(), g.Active()
//	g.parent, g.parent = p                  g.Parent(), g.SetParent(p) (ErrCycle on a loop)
//	greenlet collected while suspended      Run returns / Tree.Close: GreenletExit into every suspended one
//	greenlet.error (other thread)           ErrNotCurrent, ErrOtherTree, ErrClosed
//
// # Switching is explicit about who switches
//
// Python finds the current greenlet in thread-local state. Go has no
// goroutine-local state, so a greenlet switches through its own handle:
// run receives self, Run hands out main, and self.Switch(target, v) reads
// "self switches to target". The handle doubles as a check: a Switch through
// a greenlet that is not the running one of its tree (a suspended
// greenlet's handle used from another goroutine, a handle of a closed tree,
// a target of another tree) changes nothing and returns an error instead of
// corrupting or deadlocking the tree. Using the running greenlet's own
// handle from a second goroutine at the same time is a data race, which the
// race detector reports; keep a tree on one goroutine.
//
// # Values are generic
//
// A tree carries one value type V: Greenlet[V]. Python's switch passes any
// objects; pick V = any for that, or a concrete type (int, a struct, a
// message interface) to have the compiler check what flows between the
// greenlets and to switch without allocating. A single value instead of
// Python's *args avoids a slice per switch; pass a struct for several.
// Errors travel beside the value, as Go errors: what run returns goes to its
// parent, and an error thrown in comes out of the target's pending Switch.
//
// # Rules (those of greenlet)
//
//   - The first switch to a greenlet calls run with the switched value; later
//     switches make it the result of the greenlet's pending Switch.
//   - When run returns, the greenlet is dead and its value and error go to
//     its parent, or to the first ancestor not dead; an unstarted ancestor is
//     started with the value.
//   - Switching to a dead greenlet goes to its parent.
//   - Throw into an unstarted greenlet kills it without running it; an
//     ErrGreenletExit (thrown, or returned by run) kills quietly: the parent
//     receives a nil error.
//   - A panic in run is recovered and goes to the parent as a
//     *PanicError carrying the stack; it never crashes the program.
//   - Closing the tree (Run returning) throws ErrGreenletExit into every
//     suspended greenlet, so deferred cleanup runs and no goroutine is left.
//
// # Cost
//
// Each started greenlet is a runtime coroutine, the mechanism behind
// iter.Pull. A switch resumes the target's coroutine directly, or yields
// back to it when the target is the greenlet that resumed the running one,
// so a ping-pong between two greenlets costs one coroutine switch per switch
// (about 40ns, no allocation), whether or not main is one of them: less than
// half of a CPython greenlet switch (about 107ns), and less than one
// iter.Pull step (two coroutine switches, about 62ns). A goroutine per
// greenlet handing off over unbuffered channels costs about 3 times as much.
// A greenlet's whole life (create, run to its end, result to main) costs
// about 300ns and 8 allocations. See BenchmarkGreenletSwitch and
// BenchmarkGreenletStart in package bench.
package greenlet
