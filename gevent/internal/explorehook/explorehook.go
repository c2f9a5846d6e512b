// Package explorehook is the bridge between package gevent and package
// gevent/geventtest: what geventtest needs to watch a hub it explores,
// which is no part of gevent's public API. Package gevent sets WithObserver
// when it is initialised.
package explorehook

import "sync/atomic"

// Observer is what a hub tells geventtest about one run.
type Observer struct {
	// Failed, when set, is called when a green thread of the hub ends
	// with a panic (err is, or wraps, a *panics.Error), in that green
	// thread's turn.
	Failed func(name string, err error)
	// MaxTurns, when not 0, bounds the turns of the run: once the hub
	// has given that many, it kills every green thread it has (once)
	// and sets Exceeded.
	MaxTurns uint64
	// Turns counts the turns the hub has given.
	Turns atomic.Uint64
	// Exceeded is set once MaxTurns was reached.
	Exceeded atomic.Bool
}

// WithObserver returns a gevent.HubOption (as any: this package cannot
// name gevent's types) that makes the hub report to o.
var WithObserver func(o *Observer) any
