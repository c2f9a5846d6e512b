package gevent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// ServeOption configures a server: Serve, StartServer, ServeDatagram and
// StartDatagramServer. It is made by WithGrace or RefuseWhenFull; the zero
// value changes nothing.
type ServeOption struct{ apply func(*serveConfig) }

type serveConfig struct {
	grace  time.Duration // < 0: no limit
	refuse bool
}

// DefaultGrace is how long a stopping server lets its handlers finish
// before it kills them, unless WithGrace says otherwise. (gevent's
// stop_timeout is 1s.)
const DefaultGrace = 5 * time.Second

// WithGrace sets how long a stopping server lets its handlers finish
// before it kills them (DefaultGrace by default): gevent's stop_timeout.
// A negative d is no limit: the server waits for every handler to return
// by itself (gevent's stop_timeout=None, which joins the pool without a
// timeout); only Stop's context can then cut the wait short. d == 0 kills
// the handlers at once.
func WithGrace(d time.Duration) ServeOption {
	return ServeOption{func(c *serveConfig) { c.grace = d }}
}

// RefuseWhenFull makes the server close a new connection (drop a new
// datagram) at once when its pool is full, instead of waiting for a free
// slot before handling it. A pool made WithNonBlocking refuses the same way.
func RefuseWhenFull() ServeOption {
	return ServeOption{func(c *serveConfig) { c.refuse = true }}
}

// Server is a running stream or datagram server: gevent's StreamServer or
// DatagramServer after start(). StartServer and StartDatagramServer make
// one; Serve and ServeDatagram run one until their context is done.
//
// The server's accept (or read) loop is a green thread of its own, spawned
// with the context given to Start...: on a Hub it is a green thread of the
// hub (it waits for connections inside Blocking, so it never holds the
// turn), and so are the handlers.
//
// A server stops when its context is done, when Stop is called, or when
// accepting fails (then its error is that failure): it stops accepting and
// closes its listener at once (a datagram server stops reading, and keeps
// its socket open for the handlers' replies), lets the running handlers
// finish for the grace period (WithGrace), then kills the ones left (their
// contexts are cancelled, their connections closed) and waits for them to
// return. Go cannot stop a goroutine from outside: a handler that neither
// watches its context nor does I/O on its connection is waited for.
//
// All methods are safe for concurrent use, from any goroutine or green
// thread.
type Server struct {
	addr net.Addr
	loop *Greenlet[struct{}]
	stop context.CancelFunc // ends the loop's context: stop accepting
	// handlers are the running handlers; onKill, if not nil, runs after
	// they are cancelled (a datagram server closes its socket). Set by the
	// loop before it drains.
	handlers Group
	onKill   func()

	mu       sync.Mutex
	draining bool // the loop stopped accepting and waits for the handlers
	cut      bool // a Stop's context ended: no more grace
}

// Addr returns the address the server listens on: the listener's Addr, or
// the packet connection's LocalAddr (gevent's server.address).
func (s *Server) Addr() net.Addr { return s.addr }

// Stop stops the server and waits until it has stopped: gevent's
// server.stop(timeout). It stops accepting and closes the listener,
// lets the handlers finish for the grace period (WithGrace) or until ctx
// is done, whichever comes first, then kills the handlers left and waits
// for them to return: ctx's deadline is gevent's stop timeout, and a
// context already done kills the handlers at once. It returns the
// server's error (see Wait). Stop may be called any number of times, also
// after the server stopped by itself.
func (s *Server) Stop(ctx context.Context) error {
	s.stop()
	stopCut := context.AfterFunc(ctx, s.cutGrace)
	defer stopCut()
	return s.Wait(context.WithoutCancel(ctx))
}

// cutGrace ends the grace period: a Stop's context ended. The handlers are
// killed here, from whatever goroutine, rather than by cancelling a context
// the loop waits with: a green thread of a Hub then waits only with
// contexts of the package.
func (s *Server) cutGrace() {
	s.mu.Lock()
	s.cut = true
	draining := s.draining
	s.mu.Unlock()
	if draining {
		s.killHandlers()
	}
}

// killHandlers cancels the running handlers (see GreenThread.Cancel), then runs
// onKill.
func (s *Server) killHandlers() {
	cancelAll(s.handlers.Active())
	if s.onKill != nil {
		s.onKill()
	}
}

// Wait waits until the server has stopped (its context done, Stop, or an
// accept failure, and its handlers gone): gevent's serve_forever() after
// start(). It returns nil for a server stopped by its context or Stop, the
// error that stopped it otherwise, or ctx's error if ctx ends first (the
// server keeps running).
func (s *Server) Wait(ctx context.Context) error {
	if err := s.loop.Join(ctx); err != nil {
		return err
	}
	return s.loop.Err()
}

// Done returns a channel closed once the server has stopped and its
// handlers are gone.
func (s *Server) Done() <-chan struct{} { return s.loop.Done() }

// newServer starts body, the server's loop, as a green thread spawned with
// ctx.
func newServer(ctx context.Context, addr net.Addr, opts []ServeOption, body func(ctx context.Context, s *Server, cfg *serveConfig) error) *Server {
	cfg := serveConfig{grace: DefaultGrace}
	for _, o := range opts {
		if o.apply != nil {
			o.apply(&cfg)
		}
	}
	sctx, stop := context.WithCancel(ctx)
	s := &Server{addr: addr, stop: stop}
	s.loop = Go(sctx, func(ctx context.Context) error {
		defer stop()
		return body(ctx, s, &cfg)
	}, WithName("server "+addr.String()))
	return s
}

// spawnHandler runs run as a handler: a task of p, or a green thread of its
// own if p is nil. It returns false if run was refused (pool full, with
// RefuseWhenFull or a non-blocking pool) and an error if the loop must
// stop (ctx done while waiting for a slot, or the pool closed).
//
// Handlers outlive ctx by the grace period: their context is not ctx's (a
// kill at the end of the grace period cancels it).
func spawnHandler(ctx context.Context, p *Pool, handlers *Group, cfg *serveConfig, run func(ctx context.Context) error) (bool, error) {
	hctx := context.WithoutCancel(ctx)
	body := func(ctx context.Context) (struct{}, error) { return struct{}{}, run(ctx) }
	if p == nil {
		g := newGreenlet(hctx, body, nil)
		handlers.Add(g)
		g.launch(0)
		return true, nil
	}
	if cfg.refuse {
		if !p.tryAcquire() {
			return false, nil
		}
	} else if err := p.acquire(ctx); err != nil {
		if errors.Is(err, ErrPoolFull) {
			return false, nil
		}
		return false, err
	}
	k := newTask(hctx, p, body, nil)
	handlers.Add(&k.Greenlet)
	startOn(k)
	return true, nil
}

// drain ends a server's handlers, once it has stopped accepting: it waits
// for them for the grace period (unless a Stop's context ended: see
// cutGrace), then kills the ones left and waits for them.
func (s *Server) drain(ctx context.Context, cfg *serveConfig) {
	wctx := context.WithoutCancel(ctx) // the loop's context is done by now
	s.mu.Lock()
	s.draining = true
	cut := s.cut
	s.mu.Unlock()
	if !cut {
		gctx := wctx
		if cfg.grace >= 0 {
			var cancel context.CancelFunc
			gctx, cancel = withTimeout(wctx, cfg.grace, context.DeadlineExceeded) // on the hub's clock
			defer cancel()
		}
		if s.handlers.Join(gctx) == nil {
			return
		}
	}
	s.killHandlers()
	s.handlers.Join(wctx)
}

// StartServer starts serving ln in the background and returns at once:
// gevent's StreamServer(listener, handle, spawn=pool).start(). Each
// connection is handled by handle as a task of p (a connection that
// arrives while p is full waits for a slot, or is closed at once with
// RefuseWhenFull), or, if p is nil, on a green thread of its own, without
// limit (StreamServer's default spawn: a greenlet a connection). The
// connection is closed when handle returns; handle's error is dropped,
// as gevent logs and drops a handler's exception.
//
// The server stops when ctx is done or Stop is called (see Server). Its
// accept loop is a green thread spawned with ctx: on a Hub, it and the
// handlers are green threads of the hub, and the grace period runs on the
// hub's clock. A handler on a hub holds the turn during plain Go I/O on
// its connection: wrap it in Blocking (a handler serving HTTP with
// net/http should run it inside Blocking too).
//
// StartServer takes ownership of ln: the server closes it when it stops.
// It does not close p. The only errors are nil arguments. Cost: a green
// thread for the loop, and per connection a green thread (or a task) and
// a context.AfterFunc registration.
func StartServer(ctx context.Context, ln net.Listener, p *Pool, handle func(ctx context.Context, conn net.Conn) error, opts ...ServeOption) (*Server, error) {
	if ln == nil || handle == nil {
		return nil, fmt.Errorf("gevent: StartServer: nil listener or handler")
	}
	return newServer(ctx, ln.Addr(), opts, func(ctx context.Context, s *Server, cfg *serveConfig) error {
		return s.acceptLoop(ctx, ln, p, handle, cfg)
	}), nil
}

// acceptLoop is a stream server's loop, on its own green thread.
func (s *Server) acceptLoop(ctx context.Context, ln net.Listener, p *Pool, handle func(ctx context.Context, conn net.Conn) error, cfg *serveConfig) error {
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
	var loopErr error
	for {
		conn, err := accept()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				loopErr = err
			}
			break
		}
		ok, err := spawnHandler(ctx, p, &s.handlers, cfg, func(hctx context.Context) error {
			defer conn.Close()
			stop := context.AfterFunc(hctx, func() { conn.Close() })
			defer stop()
			return handle(hctx, conn)
		})
		if !ok {
			conn.Close()
		}
		if err != nil {
			if ctx.Err() == nil {
				loopErr = err
			}
			break
		}
	}
	ln.Close()
	s.drain(ctx, cfg)
	return loopErr
}

// Serve runs a stream server on ln until ctx is done, then stops it
// gracefully and returns: gevent's StreamServer(listener, handle,
// spawn=pool).serve_forever(), and the classic socket server on a
// ThreadPoolExecutor. It is StartServer followed by Wait: see StartServer
// for p (nil: a green thread a connection, without limit), the handlers
// and ownership of ln, and Server for the shutdown (grace period, then
// kill). It returns nil, or the listener's error if accepting failed for
// another reason than the stop, after the same shutdown.
//
// On a Hub, Serve's caller waits like any green thread while the server's
// loop and handlers take their turns.
func Serve(ctx context.Context, ln net.Listener, p *Pool, handle func(ctx context.Context, conn net.Conn) error, opts ...ServeOption) error {
	s, err := StartServer(ctx, ln, p, handle, opts...)
	if err != nil {
		return err
	}
	return s.Wait(context.WithoutCancel(ctx))
}

// maxDatagram is the size of a datagram server's read buffer: the largest
// UDP payload.
const maxDatagram = 64 << 10

// StartDatagramServer starts serving the datagrams that arrive on pc in
// the background and returns at once: gevent's DatagramServer(socket,
// handle, spawn=pool).start(). Each datagram is handled by handle, with a
// copy of its bytes (at most 64 KiB) and its sender's address, as a task
// of p (a datagram that arrives while p is full waits, in the socket's
// buffer, for a slot, or is dropped with RefuseWhenFull), or, if p is nil,
// on a green thread of its own, without limit. A handler replies with
// pc.WriteTo(reply, addr), which is safe for concurrent use. handle's
// error is dropped.
//
// The server stops when ctx is done or Stop is called (see Server): it
// stops reading (it sets pc's read deadline in the past; a PacketConn
// that refuses is closed instead), lets the handlers finish for the grace
// period, so that they can still reply, then kills the ones left, closes
// pc (which interrupts their I/O on it) and waits for them.
//
// The read loop is a green thread spawned with ctx: on a Hub, it reads
// inside Blocking and the handlers are green threads of the hub. It takes
// ownership of pc: the server closes it when it stops. It does not close
// p. The only errors are nil arguments. Cost: a 64 KiB buffer for the
// loop, and per datagram a copy and a green thread (or a task).
func StartDatagramServer(ctx context.Context, pc net.PacketConn, p *Pool, handle func(ctx context.Context, data []byte, addr net.Addr) error, opts ...ServeOption) (*Server, error) {
	if pc == nil || handle == nil {
		return nil, fmt.Errorf("gevent: StartDatagramServer: nil connection or handler")
	}
	return newServer(ctx, pc.LocalAddr(), opts, func(ctx context.Context, s *Server, cfg *serveConfig) error {
		return s.readLoop(ctx, pc, p, handle, cfg)
	}), nil
}

// readLoop is a datagram server's loop, on its own green thread.
func (s *Server) readLoop(ctx context.Context, pc net.PacketConn, p *Pool, handle func(ctx context.Context, data []byte, addr net.Addr) error, cfg *serveConfig) error {
	defer pc.Close()
	s.onKill = func() { pc.Close() } // interrupt the killed handlers' I/O on pc
	stopRead := context.AfterFunc(ctx, func() {
		// Interrupt ReadFrom but keep pc open for the handlers' replies.
		if pc.SetReadDeadline(time.Unix(1, 0)) != nil {
			pc.Close()
		}
	})
	defer stopRead()
	buf := make([]byte, maxDatagram)
	read := pc.ReadFrom
	if schedOf(ctx) != nil {
		read = func(b []byte) (n int, addr net.Addr, err error) {
			Blocking(ctx, func(context.Context) error { n, addr, err = pc.ReadFrom(b); return nil })
			return n, addr, err
		}
	}
	var loopErr error
	for ctx.Err() == nil {
		n, addr, err := read(buf)
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				loopErr = err
			}
			break
		}
		data := bytes.Clone(buf[:n])
		_, err = spawnHandler(ctx, p, &s.handlers, cfg, func(hctx context.Context) error {
			return handle(hctx, data, addr)
		})
		if err != nil {
			if ctx.Err() == nil {
				loopErr = err
			}
			break
		}
	}
	s.drain(ctx, cfg)
	return loopErr
}

// ServeDatagram runs a datagram server on pc until ctx is done, then stops
// it gracefully and returns: gevent's DatagramServer(socket, handle,
// spawn=pool).serve_forever(). It is StartDatagramServer followed by Wait:
// see there for p (nil: a green thread a datagram), the handlers, replies
// and ownership of pc, and Server for the shutdown. It returns nil, or the
// connection's error if reading failed for another reason than the stop.
func ServeDatagram(ctx context.Context, pc net.PacketConn, p *Pool, handle func(ctx context.Context, data []byte, addr net.Addr) error, opts ...ServeOption) error {
	s, err := StartDatagramServer(ctx, pc, p, handle, opts...)
	if err != nil {
		return err
	}
	return s.Wait(context.WithoutCancel(ctx))
}
