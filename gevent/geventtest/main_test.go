package geventtest_test

import (
	"testing"

	"github.com/geventgo/geventgo/gevent/geventtest"
)

func TestMain(m *testing.M) { geventtest.VerifyTestMain(m) }
