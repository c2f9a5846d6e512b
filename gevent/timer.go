package gevent

import (
	"context"
	"time"
)

// afterFunc calls f on its own goroutine after d on the clock ctx runs
// under: the hub's (possibly virtual) clock on a Hub, the wall clock in
// free mode. stop reports whether it prevented the call.
func afterFunc(ctx context.Context, d time.Duration, f func()) (stop func() bool) {
	if s := schedOf(ctx); s != nil {
		return s.afterFunc(d, f)
	}
	return time.AfterFunc(d, f).Stop
}

// withTimeout is context.WithTimeout on ctx's clock (see afterFunc): the
// returned context is cancelled with cause once d has passed. Every timeout
// of the package goes through it, so timeouts follow a Hub's clock.
func withTimeout(ctx context.Context, d time.Duration, cause error) (context.Context, context.CancelFunc) {
	var tctx context.Context
	tctx, cancel := context.WithCancelCause(ctx)
	end := cancel
	if h, ok := schedOf(ctx).(*Hub); ok {
		tctx, end = h.watchTimeout(ctx, tctx, cancel)
	}
	stop := afterFunc(ctx, d, func() { end(cause) })
	return tctx, func() {
		stop()
		end(context.Canceled)
	}
}
