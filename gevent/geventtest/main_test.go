package geventtest_test

import (
	"testing"

	"github.com/geventgo/geventgo/gevent/geventtest"
)

// TestMain checks that no test leaves a goroutine behind, with the options
// the package gives every importer of gevent.
func TestMain(m *testing.M) { geventtest.VerifyTestMain(m) }
