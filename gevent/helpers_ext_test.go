package gevent_test

import "github.com/geventgo/geventgo/gevent"

// startErr is the error a refused spawn (Submit, ApplyAsync, Pool.Go)
// finished its green thread with at once, or nil when the task started or
// was queued.
func startErr[T any](g *gevent.Greenlet[T]) error {
	if g.Started() || !g.Ready() {
		return nil
	}
	return g.Err()
}
