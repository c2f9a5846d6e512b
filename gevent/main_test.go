package gevent

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves a goroutine behind. The goroutines
// running when the tests start are not the tests': ants starts a default
// pool (with two housekeeping goroutines) when it is imported.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m, goleak.IgnoreCurrent()) }

// startErr is the error a refused spawn (Submit, ApplyAsync, Pool.Go)
// finished its green thread with at once, or nil when the task started or
// was queued: what those calls returned as a second result before they
// took the module's one shape of Go.
func startErr[T any](g *Greenlet[T]) error {
	if g.Started() || !g.Ready() {
		return nil
	}
	return g.Err()
}
