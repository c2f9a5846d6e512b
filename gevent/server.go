package gevent

import (
	"context"
	"errors"
	"net"
	"time"
)

// ServeOption configures Serve.
type ServeOption func(*serveConfig)

type serveConfig struct {
	grace  time.Duration
	refuse bool
}

// WithGrace sets how long Serve lets handlers finish after ctx is done
// before it kills them (5s by default).
func WithGrace(d time.Duration) ServeOption { return func(c *serveConfig) { c.grace = d } }

// RefuseWhenFull makes Serve close a new connection at once when the pool
// is full, instead of waiting for a free slot before handling it.
func RefuseWhenFull() ServeOption { return func(c *serveConfig) { c.refuse = true } }

// Serve accepts connections on ln and handles each with handle as a task
// of p, until ctx is done: gevent's StreamServer(listener, handle,
// spawn=pool).serve_forever(), and seed 004's socket server on a
// ThreadPoolExecutor. A connection that arrives while the pool is full
// waits for a slot (or is closed at once, with RefuseWhenFull). The
// connection is closed when handle returns.
//
// When ctx is done Serve stops accepting (it closes ln), gives running
// handlers the grace period (WithGrace) to finish, then cancels their
// contexts and closes their connections, waits for them, and returns nil.
// It returns the listener's error if accepting fails for another reason,
// after the same shutdown. Serve does not close p.
//
// On a Hub, Serve accepts inside Blocking, so the hub's other green threads
// (the handlers among them) run while it waits for a connection, and the
// grace period runs on the hub's clock. Handlers are green threads of the
// hub: plain Go I/O on the connection holds the turn, so wrap it in
// Blocking (a handler serving HTTP with net/http should run it inside
// Blocking too).
func Serve(ctx context.Context, ln net.Listener, p *Pool, handle func(ctx context.Context, conn net.Conn) error, opts ...ServeOption) error {
	cfg := serveConfig{grace: 5 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	var handlers Group
	stopClose := context.AfterFunc(ctx, func() { ln.Close() })
	defer stopClose()
	accept := ln.Accept
	if schedOf(ctx) != nil {
		// On a Hub, Accept blocks outside the package: it must not hold
		// the turn, or the handlers would never run.
		accept = func() (conn net.Conn, err error) {
			Blocking(ctx, func(context.Context) error { conn, err = ln.Accept(); return nil })
			return conn, err
		}
	}
	var acceptErr error
	for {
		conn, err := accept()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				acceptErr = err
			}
			break
		}
		run := func(hctx context.Context) error {
			defer conn.Close()
			stop := context.AfterFunc(hctx, func() { conn.Close() })
			defer stop()
			return handle(hctx, conn)
		}
		if cfg.refuse {
			if !p.tryAcquire() {
				conn.Close()
				continue
			}
		} else if err := p.acquire(ctx); err != nil {
			conn.Close()
			if ctx.Err() == nil {
				acceptErr = err
			}
			break
		}
		// Handlers outlive ctx by the grace period: their context is not
		// ctx's; Kill cancels it at the end of the grace period.
		g := newGreenlet(context.WithoutCancel(ctx), func(ctx context.Context) (struct{}, error) {
			return struct{}{}, run(ctx)
		}, nil)
		startOn(p, g, nil)
		handlers.Add(g)
	}
	ln.Close()
	gctx, cancel := withTimeout(context.WithoutCancel(ctx), cfg.grace, context.DeadlineExceeded) // on the hub's clock
	defer cancel()
	if err := handlers.Join(gctx); err != nil {
		handlers.Kill(context.WithoutCancel(ctx))
	}
	return acceptErr
}
