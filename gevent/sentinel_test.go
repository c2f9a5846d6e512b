package gevent_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geventgo/geventgo/coro"
	"github.com/geventgo/geventgo/gevent"
	"github.com/geventgo/geventgo/greenlet"
	"github.com/geventgo/geventgo/panics"
)

// One sentinel per meaning: gevent's GreenletExit is greenlet's, as in
// Python (gevent.GreenletExit is greenlet.GreenletExit).
func TestGreenletExitIsOneSentinel(t *testing.T) {
	assert.Same(t, greenlet.ErrGreenletExit, gevent.ErrGreenletExit)
	g := gevent.Go(context.Background(), func(ctx context.Context) error {
		<-ctx.Done()
		return gevent.Sleep(ctx, 0)
	})
	require.NoError(t, g.Kill(context.Background()))
	assert.ErrorIs(t, g.Err(), greenlet.ErrGreenletExit)
	assert.ErrorIs(t, g.Err(), gevent.ErrGreenletExit)
	assert.ErrorIs(t, g.Err(), context.Canceled)
	assert.NotErrorIs(t, g.Err(), coro.ErrGeneratorExit)

}

// Every panic, from coro, greenlet or gevent, is one type.
func TestPanicErrorIsOneType(t *testing.T) {
	gen := coro.New(func(y *coro.Yielder[int, int]) (int, error) { panic("in a generator") })
	_, err := gen.Next()
	var cp *coro.PanicError
	require.ErrorAs(t, err, &cp)
	var pp *panics.Error
	require.ErrorAs(t, err, &pp)
	var gp *gevent.PanicError
	require.ErrorAs(t, err, &gp)
	var lp *greenlet.PanicError
	require.ErrorAs(t, err, &lp)
	assert.Equal(t, "in a generator", pp.Value)
	assert.NotEmpty(t, pp.Stack())

	err = greenlet.Run(func(main *greenlet.Greenlet[int]) error { panic("in a greenlet") })
	require.ErrorAs(t, err, &gp)
	assert.Equal(t, "in a greenlet", gp.Value)

	prev := gevent.FailureHandler()
	gevent.SetFailureHandler(nil)
	defer gevent.SetFailureHandler(prev)
	g := gevent.Go(context.Background(), func(context.Context) error { panic(errBoomSentinel) })
	_, err = g.Get(context.Background())
	require.ErrorAs(t, err, &cp)
	assert.ErrorIs(t, err, errBoomSentinel)
}

var errBoomSentinel = errors.New("boom")
