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
		// 2's failure reaches the group in its end work, in a turn of its
		// own behind those already queued (as gevent's links run from a
		// callback queued at the death): 3 and loose start and park
		// first, then the cancellation wakes the four in the order they
		// parked.
		"member 0: true, cause fail", "member 1: true, cause fail",
		"member 3: true, cause fail", "loose: true",
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

// A Group's members are an intrusive list (issue 19, round 2): Go's
// members join it as they are made, Add and Discard find a member through
// an index made on first use. On a Hub, a mix of Go (with and without the
// group's context, with a limit), Add, Discard, re-Add, a failure and a
// Kill gives the same trace every run; Active lists in spawn order, Len
// and Wait see exactly the members.
func TestHubGroupMembersList(t *testing.T) {
	errFail := errors.New("fail")
	trace := runTraces(t, 500, func(ctx context.Context, trace *[]string) error {
		log := traceTo(trace)
		grp, gctx := NewGroup(ctx, Limit(3))
		base := Current(ctx).ID()
		ids := func() []uint64 {
			var out []uint64
			for _, th := range grp.Active() {
				out = append(out, th.ID()-base)
			}
			return out
		}
		var gs []*Greenlet[struct{}]
		for i := range 5 {
			c := gctx
			if i%2 == 1 {
				c = ctx // not the group's context: a member all the same
			}
			gs = append(gs, grp.Go(c, func(ctx context.Context) error {
				log("member %d starts, len %d", i, grp.Len())
				if err := Sleep(ctx, time.Duration(5-i)*time.Second); err != nil {
					return err
				}
				if i == 3 {
					return errFail
				}
				return nil
			}))
			log("spawned %d, len %d, active %v", i, grp.Len(), ids())
		}
		loose := Spawn(ctx, func(ctx context.Context) (int, error) {
			err := Sleep(ctx, 10*time.Second)
			log("loose ends: %v", err)
			return 0, err
		})
		grp.Add(loose)
		grp.Add(loose) // once only
		grp.Discard(gs[0])
		log("discarded 0: len %d, active %v", grp.Len(), ids())
		grp.Add(gs[0]) // back in, found through the index
		grp.Discard(gs[4])
		log("len %d, active %v", grp.Len(), ids())
		if err := grp.Wait(ctx); !errors.Is(err, errFail) {
			return fmt.Errorf("Wait: %v", err)
		}
		log("waited: len %d, loose ready %v, 4 ready %v", grp.Len(), loose.Ready(), gs[4].Ready())
		// The group is reusable, and Kill ends what is left.
		for i := range 2 {
			grp.Go(ctx, func(ctx context.Context) error {
				err := Sleep(ctx, time.Hour)
				log("late %d: %v", i, errors.Is(err, ErrGreenletExit))
				return err
			})
		}
		if err := Sleep(ctx, 0); err != nil { // the late ones start and park
			return err
		}
		if err := grp.Kill(ctx); err != nil {
			return err
		}
		log("killed: len %d", grp.Len())
		return nil
	})
	// Limit 3: member 3 (id 4) waits for member 2's end (3s), member 4
	// (id 5) for member 1's (4s); loose is id 6.
	assert.Equal(t, []string{
		"spawned 0, len 1, active [1]", "spawned 1, len 2, active [1 2]", "spawned 2, len 3, active [1 2 3]",
		"member 0 starts, len 3", "member 1 starts, len 3", "member 2 starts, len 3",
		"spawned 3, len 3, active [1 2 4]", "member 3 starts, len 3",
		"spawned 4, len 3, active [1 4 5]",
		"discarded 0: len 3, active [4 5 6]", "len 3, active [1 4 6]",
		"member 4 starts, len 3", "loose ends: <nil>",
		"waited: len 0, loose ready true, 4 ready true",
		"late 0: true", "late 1: true", "killed: len 0",
	}, trace)
}

// Free mode, many members: every one joins and leaves the members once,
// whichever of Go, Add and Discard a goroutine calls while the others
// finish; Wait sees the group empty and the first failure.
func TestGroupMembersConcurrent(t *testing.T) {
	ctx := context.Background()
	errFail := errors.New("fail")
	grp, gctx := NewGroup(ctx)
	var gs []*Greenlet[struct{}]
	for i := range 300 {
		gs = append(gs, grp.Go(gctx, func(context.Context) error {
			if i == 151 { // i%3 == 1: never discarded
				return errFail
			}
			return nil
		}))
		switch i % 3 {
		case 1:
			grp.Discard(gs[i-1])
		case 2:
			grp.Add(gs[i-1]) // a member already: nothing changes
			grp.Add(gs[i-2]) // back in, unless it has finished
		}
	}
	require.ErrorIs(t, grp.Wait(ctx), errFail)
	assert.Zero(t, grp.Len())
	assert.Empty(t, grp.Active())
	for _, g := range gs {
		assert.True(t, g.Ready())
	}
}
