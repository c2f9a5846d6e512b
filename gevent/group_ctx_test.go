package gevent

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The green threads spawned with a Group's context register with the
// group and are cancelled by it synchronously (issue 19), in spawn order:
// on a Hub, in the turn that cancels. Three ways the context ends: a
// member's failure (CancelOnError), Wait returning (a green thread spawned
// with the context that is not a member), and the end of NewGroup's own
// context (the green thread that made the group is killed). Every run
// gives the same trace.
func TestHubGroupContextCancelsInTurn(t *testing.T) {
	errFail := errors.New("fail")
	trace := runTraces(t, 300, func(ctx context.Context, trace *[]string) error {
		grp, gctx := NewGroup(ctx, CancelOnError())
		for i := range 4 {
			grp.Go(gctx, func(ctx context.Context) error {
				if i == 2 {
					*trace = append(*trace, "fail")
					return errFail
				}
				err := Sleep(ctx, time.Hour)
				*trace = append(*trace, fmt.Sprintf("member %d: %v, cause %v", i, err != nil, context.Cause(ctx)))
				return nil
			})
		}
		loose := Spawn(gctx, func(ctx context.Context) (int, error) {
			err := Sleep(ctx, 2*time.Hour)
			*trace = append(*trace, fmt.Sprintf("loose: %v", err != nil))
			return 0, err
		})
		if err := grp.Wait(ctx); !errors.Is(err, errFail) {
			return fmt.Errorf("Wait: %v", err)
		}
		*trace = append(*trace, "waited")
		if err := loose.Join(ctx); err != nil {
			return err
		}

		// NewGroup's own context ends: the kill of the green thread that
		// made the group reaches the members through it.
		maker := Go(ctx, func(ctx context.Context) error {
			grp2, gctx2 := NewGroup(ctx)
			for i := range 3 {
				grp2.Go(gctx2, func(ctx context.Context) error {
					err := Sleep(ctx, time.Hour)
					*trace = append(*trace, fmt.Sprintf("grp2 member %d: %v", i, err != nil))
					return err
				})
			}
			return grp2.Wait(ctx)
		})
		if err := Sleep(ctx, time.Minute); err != nil {
			return err
		}
		return maker.Kill(ctx)
	})
	assert.Equal(t, []string{
		"fail",
		// 3 and loose were queued for their first turn when 2 failed:
		// they start cancelled, before 0 and 1, parked, get their turn.
		"member 3: true, cause fail", "loose: true",
		"member 0: true, cause fail", "member 1: true, cause fail",
		"waited",
		"grp2 member 0: true", "grp2 member 1: true", "grp2 member 2: true",
	}, trace)
}

// A green thread spawned with a Group's context after the group cancelled
// it starts cancelled, and one spawned with a context derived from it
// follows it through the context package; in free mode too.
func TestGroupContextLateSpawn(t *testing.T) {
	ctx := context.Background()
	grp, gctx := NewGroup(ctx)
	derived, cancel := context.WithCancel(gctx)
	defer cancel()
	d := Go(derived, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	require.NoError(t, grp.Wait(ctx))
	require.NoError(t, d.Join(ctx))
	assert.ErrorIs(t, d.Err(), context.Canceled)
	late := Go(gctx, func(ctx context.Context) error { return ctx.Err() })
	require.NoError(t, late.Join(ctx))
	assert.ErrorIs(t, late.Err(), context.Canceled)

	// The parent of NewGroup's context is cancelled: members see it.
	parent, stop := context.WithCancel(ctx)
	grp2, gctx2 := NewGroup(parent)
	m := grp2.Go(gctx2, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	stop()
	assert.ErrorIs(t, grp2.Wait(ctx), context.Canceled)
	assert.ErrorIs(t, m.Err(), context.Canceled)
}
