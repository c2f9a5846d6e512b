package explorehook_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/geventgo/geventgo/gevent"
	"github.com/geventgo/geventgo/gevent/internal/explorehook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m, goleak.IgnoreCurrent()) }

// Importing gevent sets WithObserver; the option it makes lets the hub
// count turns, report a panicking green thread and stop at MaxTurns.
func TestObserverSeesTurnsPanicsAndMaxTurns(t *testing.T) {
	require.NotNil(t, explorehook.WithObserver, "package gevent sets the bridge when it is initialised")
	ctx := context.Background()

	var failed []string
	o := &explorehook.Observer{Failed: func(name string, err error) { failed = append(failed, name) }}
	opt, ok := explorehook.WithObserver(o).(gevent.HubOption)
	require.True(t, ok, "the bridge returns a gevent.HubOption")
	err := gevent.RunHub(ctx, func(ctx context.Context) error {
		g := gevent.Go(ctx, func(context.Context) error { panic("boom") }, gevent.WithName("bad"))
		_ = g.Join(ctx)
		var pe *gevent.PanicError
		if !errors.As(g.Err(), &pe) {
			return errors.New("the green thread's error is not its panic")
		}
		return gevent.Sleep(ctx, 0)
	}, gevent.WithVirtualClock(time.Time{}), opt)
	require.NoError(t, err)
	assert.Equal(t, []string{"bad"}, failed, "reported once, with the green thread's name")
	assert.Positive(t, o.Turns.Load())
	assert.False(t, o.Exceeded.Load())

	// A run that never ends is killed at MaxTurns.
	bounded := &explorehook.Observer{MaxTurns: 50}
	opt = explorehook.WithObserver(bounded).(gevent.HubOption)
	err = gevent.RunHub(ctx, func(ctx context.Context) error {
		for {
			if err := gevent.Sleep(ctx, 0); err != nil {
				return err
			}
		}
	}, gevent.WithVirtualClock(time.Time{}), opt)
	assert.ErrorIs(t, err, gevent.ErrGreenletExit, "the looping green thread was killed")
	assert.True(t, bounded.Exceeded.Load())
	assert.GreaterOrEqual(t, bounded.Turns.Load(), uint64(50))
}
