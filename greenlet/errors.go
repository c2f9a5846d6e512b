package greenlet

import (
	"errors"

	"github.com/geventgo/geventgo/panics"
)

// ErrGreenletExit is Python's GreenletExit. Throw sends it by default and
// Close sends it to every suspended greenlet of the tree. A greenlet whose
// run function returns it (or an error wrapping it) dies quietly: its parent's
// pending Switch returns the value run returned and a nil error.
//
// gevent.ErrGreenletExit is this same value (in Python gevent.GreenletExit
// is greenlet.GreenletExit), so errors.Is matches a gevent kill with either
// sentinel. It does not match coro.ErrGeneratorExit.
var ErrGreenletExit = errors.New("greenlet: GreenletExit")

// ErrNoRun is delivered, like any error of a run function, to the parent of a
// greenlet that is started but was created with a nil run function (Python's
// AttributeError "run").
var ErrNoRun = errors.New("greenlet: greenlet has no run function")

// ErrClosed is returned by any Switch or Throw of a tree that was closed
// (its Run returned, or Close was called).
var ErrClosed = errors.New("greenlet: tree is closed")

// ErrNotCurrent is returned by Switch, Throw and Close when called through a
// greenlet that is not the running greenlet of its tree: typically a
// goroutine other than the tree's running one, or a stale handle of a
// greenlet that is suspended. Nothing is switched.
var ErrNotCurrent = errors.New("greenlet: switch from a greenlet that is not the running one of its tree (wrong goroutine?)")

// ErrOtherTree is returned when a greenlet is switched to, thrown into or
// made the parent of a greenlet of another tree. Nothing is switched.
var ErrOtherTree = errors.New("greenlet: greenlet belongs to another tree")

// ErrNilGreenlet is returned when a nil *Greenlet is switched to, thrown
// into or made a parent.
var ErrNilGreenlet = errors.New("greenlet: nil greenlet")

// ErrCycle is returned by SetParent when the new parent chain would loop back
// to the greenlet itself (Python: ValueError "cyclic parent chain").
var ErrCycle = errors.New("greenlet: cyclic parent chain")

// ErrIgnoredExit is part of Close's error when a greenlet answered the
// GreenletExit thrown into it by switching away instead of returning. Close
// then stops it: from then on every Switch of that greenlet returns
// ErrGreenletExit at once, without switching, until its run returns.
var ErrIgnoredExit = errors.New("greenlet: greenlet ignored GreenletExit")

// PanicError is the error delivered to a greenlet's parent (and returned by
// Run) when a run function panicked: Value is what was passed to panic,
// Stack the panicking goroutine's stack. It is an alias of panics.Error, the
// type coro.PanicError and gevent.PanicError name too, so
// errors.As(err, new(*greenlet.PanicError)) finds a panic whichever package
// recovered it. A panic(err) unwraps to err.
type PanicError = panics.Error
