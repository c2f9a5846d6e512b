package geventtest_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geventgo/geventgo/gevent"
	"github.com/geventgo/geventgo/gevent/geventtest"
)

func TestPlantedBugs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		prog   func(fixed bool) func(ctx context.Context, t testing.TB) error
		reason string
	}{
		{"lostUpdate", lostUpdate, "t.Error"},
		{"abba", abba, "deadlock"},
		{"missedWake", missedWake, "deadlock"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fn := tc.prog(false)
			require.Nil(t, geventtest.Replay(tc.name, gevent.Schedule{}, fn), "FIFO does not show the bug")
			r := geventtest.Search(tc.name, fn)
			require.NotNil(t, r.Failure, "found within the default budget")
			f := r.Failure
			t.Logf("%s: found at schedule %d (%v): %s", tc.name, r.Schedules, f.Schedule, f.Reason)
			t.Log(f.Error())
			assert.Contains(t, f.Reason, tc.reason)
			assert.True(t, f.Reproduced)
			again := geventtest.Replay(tc.name, f.Schedule, fn)
			require.NotNil(t, again, "the seed replays the bug")
			assert.Equal(t, f.Reason, again.Reason)
			assert.Equal(t, f.Log, again.Log)

			fixed := geventtest.Search(tc.name, tc.prog(true))
			assert.Nil(t, fixed.Failure)
			assert.Equal(t, geventtest.DefaultSchedules, fixed.Schedules)
		})
	}
}
