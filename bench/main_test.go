package bench

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no benchmark leaves a goroutine behind; ants's
// default pool, started when ants is imported, is not one of them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m, goleak.IgnoreCurrent()) }
