package gevent

import (
	"context"
	"sync"
	"time"
)

// Joinable is any green thread: a *Greenlet[T] of any T, or a *GreenThread.
// JoinAll and KillAll take slices of it.
type Joinable interface {
	Join(ctx context.Context) error
	Kill(ctx context.Context) error
	Ready() bool
	Err() error
	thread() *GreenThread
}

func (t *GreenThread) thread() *GreenThread { return t }

// JoinOption configures JoinAll, Wait and IWait. It is made by
// JoinTimeout, JoinCount or RaiseError; the zero value changes nothing.
type JoinOption struct{ apply func(*joinConfig) }

type joinConfig struct {
	timeout    time.Duration
	count      int
	raiseError bool
}

// JoinTimeout bounds the wait, like joinall(timeout=d). It is the same as
// giving JoinAll a context with that timeout.
func JoinTimeout(d time.Duration) JoinOption {
	return JoinOption{func(c *joinConfig) { c.timeout = d }}
}

// JoinCount makes JoinAll return once n of the green threads have finished,
// like joinall(count=n).
func JoinCount(n int) JoinOption {
	return JoinOption{func(c *joinConfig) { c.count = n }}
}

// RaiseError makes JoinAll return at the first green thread that fails, with
// its error, like joinall(raise_error=True). As in gevent, a green thread
// ended by a kill (an error matching ErrGreenletExit) has not failed.
func RaiseError() JoinOption {
	return JoinOption{func(c *joinConfig) { c.raiseError = true }}
}

// JoinAll waits for the green threads to finish: gevent.joinall. It returns
// the ones that have finished, in their order in gs, and an error: nil when
// it waited for all of them (or for the JoinCount), the first failure's
// error with RaiseError, or ctx's error (context.DeadlineExceeded for
// JoinTimeout) when the wait was cut short. The green threads themselves
// are never killed by JoinAll: use KillAll.
func JoinAll[G Joinable](ctx context.Context, gs []G, opts ...JoinOption) ([]G, error) {
	var cfg joinConfig
	for _, o := range opts {
		if o.apply != nil {
			o.apply(&cfg)
		}
	}
	if cfg.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = withTimeout(ctx, cfg.timeout, context.DeadlineExceeded)
		defer cancel()
	}
	var err error
	if cfg.count > 0 || cfg.raiseError {
		err = joinSome(ctx, gs, cfg)
	} else {
		// Wait for the last one first: green threads tend to finish in the
		// order they started, so by the time the last has, the others
		// mostly have too, and the caller parks once instead of once each.
		for i := len(gs) - 1; i >= 0; i-- {
			if err = gs[i].thread().joinEnd(ctx); err != nil {
				break
			}
		}
	}
	done := make([]G, 0, len(gs))
	for _, g := range gs {
		if g.Ready() {
			done = append(done, g)
		}
	}
	return done, err
}

// joinSome waits for a count of finishes, or the first failure.
func joinSome[G Joinable](ctx context.Context, gs []G, cfg joinConfig) error {
	want := len(gs)
	if cfg.count > 0 && cfg.count < want {
		want = cfg.count
	}
	var (
		mu       sync.Mutex
		finished int
		failure  error
		failedT  *GreenThread
		w        = getWaiter(ctx, nil)
		parked   bool
	)
	defer putWaiter(w, nil)
	for _, g := range gs {
		t := g.thread()
		t.onFinish(func() {
			mu.Lock()
			defer mu.Unlock()
			finished++
			if err := t.finalErr(false); failure == nil && failed(err) {
				failure, failedT = err, t
			}
			if parked && (finished >= want || (cfg.raiseError && failure != nil)) {
				parked = false
				w.wake()
			}
		})
	}
	for {
		mu.Lock()
		if finished >= want || (cfg.raiseError && failure != nil) {
			err := failure
			mu.Unlock()
			if !cfg.raiseError {
				err = nil
			} else if failedT != nil {
				failedT.markRead() // returned to the caller: read
			}
			return err
		}
		parked = true
		mu.Unlock()
		if err := w.wait(ctx); err != nil {
			mu.Lock()
			woken := !parked
			parked = false
			mu.Unlock()
			if !woken {
				return waitError(ctx, err)
			}
		}
	}
}

// KillAll kills every green thread in gs and waits for all of them to end or
// for ctx to be done: gevent.killall. It cancels them all before it waits,
// so they wind down together.
func KillAll[G Joinable](ctx context.Context, gs []G) error {
	for _, g := range gs {
		g.thread().Cancel()
	}
	for _, g := range gs {
		if err := g.Join(ctx); err != nil {
			return err
		}
	}
	return nil
}

// KillAllWith is KillAll with e as the reason of every kill (see
// GreenThread.CancelWith): gevent.killall(greenlets, exception=e).
func KillAllWith[G Joinable](ctx context.Context, gs []G, e error) error {
	for _, g := range gs {
		g.thread().CancelWith(e)
	}
	for _, g := range gs {
		if err := g.Join(ctx); err != nil {
			return err
		}
	}
	return nil
}
