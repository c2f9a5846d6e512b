package coro

import "strconv"

// State is where a generator is in its life: Python's
// inspect.getgeneratorstate. Gen.State reports it.
type State uint8

// The states of a generator, in the order a generator goes through them.
const (
	// Created: the body has not started (GEN_CREATED). New returns a
	// generator in this state.
	Created State = iota
	// Running: a step or a push-mode range is executing the generator
	// (GEN_RUNNING). Only code running inside that step sees it: the
	// body, or the loop body of a push-mode range (see Gen.State).
	Running
	// Suspended: the body is parked at a Yield in pull mode, waiting for
	// the next step (GEN_SUSPENDED).
	Suspended
	// Closed: the body has returned (or panicked), or the generator was
	// closed or thrown into before it started (GEN_CLOSED). Done reports
	// true exactly in this state.
	Closed
)

// String returns Python's name for the state: "GEN_CREATED",
// "GEN_RUNNING", "GEN_SUSPENDED" or "GEN_CLOSED" ("State(n)" for a value
// that is none of these).
func (s State) String() string {
	switch s {
	case Created:
		return "GEN_CREATED"
	case Running:
		return "GEN_RUNNING"
	case Suspended:
		return "GEN_SUSPENDED"
	case Closed:
		return "GEN_CLOSED"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// State reports the generator's state: Python's
// inspect.getgeneratorstate(g).
//
// Called from inside the body, or from anything the body calls, it reports
// Running, as Python does from inside the generator's frame; that includes
// the body's cleanup while Close (or a break) waits for it. In a range over
// All that runs the body push-style (the generator had not started), the
// range's loop body runs inside the body's Yield, so it sees Running too,
// where Python's for loop sees GEN_SUSPENDED: the generator really is
// executing there, and a step made from the loop body is refused with
// ErrRunning. A range over a generator started in pull mode sees Suspended
// in its loop body, as in Python. After a break out of either kind of range
// the generator is Closed (Python leaves it GEN_SUSPENDED until it is
// garbage collected).
//
// Like Done and Result, State must not be called from another goroutine
// while a step of the generator is executing on one; from the body, from
// the loop body of a range over All, and between steps, it is safe.
func (g *Gen[Y, S, R]) State() State {
	switch {
	case g.state == finished:
		return Closed
	case g.busy.Load():
		return Running
	case g.state == unstarted:
		return Created
	}
	return Suspended
}
