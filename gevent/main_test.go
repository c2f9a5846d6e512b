package gevent

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves a goroutine behind. The goroutines
// running when the tests start are not the tests': ants starts a default
// pool (with two housekeeping goroutines) when it is imported.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m, goleak.IgnoreCurrent()) }
