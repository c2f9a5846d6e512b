package gevent

import (
	"context"
	"runtime"
	"time"
)

// Sleep pauses the calling green thread for d, or until ctx is done, and
// returns nil or ctx's error (ErrGreenletExit when the green thread is
// killed): gevent.sleep. Sleep(ctx, 0) yields: in free mode it lets other
// goroutines run (runtime.Gosched); on a Hub it gives the turn to every green
// thread already ready, as gevent.sleep(0) does. On a Hub the time is the
// hub's clock, which may be virtual; a virtual clock moves only when no
// green thread is ready, so a loop of Sleep(ctx, 0) never lets a timer or
// Timeout fire (gevent's real clock would): poll with a small d instead.
//
// A kill makes Sleep return at once with an error matching ErrGreenletExit:
// a loop must check it, or it spins after the kill.
func Sleep(ctx context.Context, d time.Duration) error {
	if s := schedOf(ctx); s != nil {
		return s.sleep(ctx, d)
	}
	return sleepFree(ctx, d)
}

// sleepFree is Sleep in free mode.
func sleepFree(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		runtime.Gosched()
		return ctxError(ctx)
	}
	if ctx.Err() != nil {
		return ctxError(ctx)
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctxError(ctx)
	}
}

// schedOf returns the scheduler of the green thread or hub ctx belongs to.
//
// A green thread of a hub that does not hold the turn (inside Blocking)
// has none: its calls wait as in free mode.
func schedOf(ctx context.Context) scheduler {
	if t := threadFrom(ctx); t != nil {
		s := t.sched()
		if s != nil && !s.holds(t) {
			return nil
		}
		return s
	}
	return schedulerFrom(ctx)
}
