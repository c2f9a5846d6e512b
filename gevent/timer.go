package gevent

import (
	"context"
	"time"
)

// afterFunc calls f after d on the clock ctx runs under: on a Hub, on the
// hub's (possibly virtual) clock and in the hub's turn; in free mode, on
// the wall clock and a goroutine of its own. stop reports whether it
// prevented the call.
func afterFunc(ctx context.Context, d time.Duration, f func()) (stop func() bool) {
	if s := schedOf(ctx); s != nil {
		return s.afterFunc(d, f)
	}
	return time.AfterFunc(d, f).Stop
}

// withTimeout is context.WithTimeoutCause on ctx's clock (see afterFunc):
// the returned context ends with cause once d has passed (at once for a
// negative d), and reports its deadline. Every timeout of the package goes
// through it, so timeouts follow a Hub's clock.
//
// In free mode it is context.WithTimeoutCause itself: Err is then
// context.DeadlineExceeded, as net/http and database drivers expect. On a
// Hub the context is a cancel context the hub's timer cancels (Err is
// context.Canceled, Cause is cause) whose Deadline reports the deadline on
// the hub's clock; the hub registers it (watchTimeout) so that green
// threads parked with it are woken directly.
func withTimeout(ctx context.Context, d time.Duration, cause error) (context.Context, context.CancelFunc) {
	s := schedOf(ctx)
	h, ok := s.(*Hub)
	if !ok {
		return context.WithTimeoutCause(ctx, d, cause)
	}
	cctx, cancel := context.WithCancelCause(ctx)
	dctx := newHubDeadlineCtx(ctx, cctx, h.Now().Add(d))
	if d < 0 {
		cancel(cause) // the time is up already
		return dctx, func() { cancel(context.Canceled) }
	}
	tctx, end := h.watchTimeout(ctx, dctx, cancel)
	stop := afterFunc(ctx, d, func() { end(cause) })
	return tctx, func() {
		stop()
		end(context.Canceled)
	}
}

// hubDeadlineCtx is a timeout context of a Hub: the cancel context the
// hub's timer ends, reporting the deadline on the hub's clock. Everything
// but Deadline is the cancel context's, so contexts derived from it are
// its children as they would be of a context.WithCancel.
type hubDeadlineCtx struct {
	context.Context
	deadline time.Time
	to       *hubTimeout // its registration with the hub (see Hub.watchTimeout)
}

// Value answers hubTimeoutKey with the registration, so that a timeout made
// inside this one nests in it; everything else is the cancel context's.
func (c *hubDeadlineCtx) Value(key any) any {
	if _, ok := key.(hubTimeoutKey); ok && c.to != nil {
		return c.to
	}
	return c.Context.Value(key)
}

// newHubDeadlineCtx wraps cctx, made from parent, with deadline, or with
// parent's deadline if that is earlier (as context.WithDeadline does).
func newHubDeadlineCtx(parent, cctx context.Context, deadline time.Time) *hubDeadlineCtx {
	if d, ok := parent.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	return &hubDeadlineCtx{Context: cctx, deadline: deadline}
}

// Deadline reports the deadline on the hub's clock.
func (c *hubDeadlineCtx) Deadline() (time.Time, bool) { return c.deadline, true }

// String describes the context, as context's own types do.
func (c *hubDeadlineCtx) String() string {
	return "gevent.hubTimeout(" + c.deadline.String() + ")"
}
