package gevent

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return ln
}

func listenUDP(t *testing.T) net.PacketConn {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	return pc
}

// dialLine connects to addr and sends a line.
func dialLine(t *testing.T, addr net.Addr, line string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr.String())
	require.NoError(t, err)
	fmt.Fprintln(conn, line)
	return conn
}

// A nil pool runs each connection on a green thread of its own, without
// limit: every connection is handled at once.
func TestServeNilPoolIsUnbounded(t *testing.T) {
	const clients = 20
	ctx, cancel := context.WithCancel(context.Background())
	ln := listen(t)
	entered := make(chan struct{}, clients)
	release := make(chan struct{})
	served := Go(context.Background(), func(context.Context) error {
		return Serve(ctx, ln, nil, func(_ context.Context, conn net.Conn) error {
			line, err := bufio.NewReader(conn).ReadString('\n')
			if err != nil {
				return err
			}
			entered <- struct{}{}
			<-release
			_, err = fmt.Fprintf(conn, "echo: %s", line)
			return err
		}, WithGrace(-1))
	})
	var conns []net.Conn
	for i := range clients {
		c := dialLine(t, ln.Addr(), fmt.Sprint(i))
		defer c.Close()
		conns = append(conns, c)
	}
	for range clients {
		<-entered // all handlers run at the same time
	}
	close(release)
	for i, c := range conns {
		line, err := bufio.NewReader(c).ReadString('\n')
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("echo: %d\n", i), line)
	}
	cancel()
	require.NoError(t, served.Join(context.Background()))
	require.NoError(t, served.Err())
}

// Stop with an unlimited grace waits for a running handler to finish by
// itself; the listener is closed as soon as Stop begins.
func TestServerStopWaitsForHandlers(t *testing.T) {
	for _, pool := range []bool{false, true} {
		t.Run(fmt.Sprint("pool=", pool), func(t *testing.T) {
			var p *Pool
			if pool {
				p = newPool(t, 2)
			}
			ln := listen(t)
			entered := make(chan struct{})
			release := make(chan struct{})
			var handlerErr error
			s, err := StartServer(context.Background(), ln, p, func(ctx context.Context, conn net.Conn) error {
				close(entered)
				<-release
				handlerErr = ctx.Err()
				_, err := fmt.Fprintln(conn, "done")
				return err
			}, WithGrace(-1))
			require.NoError(t, err)
			assert.Equal(t, ln.Addr(), s.Addr())
			c := dialLine(t, s.Addr(), "x")
			defer c.Close()
			<-entered
			stopped := make(chan error, 1)
			go func() { stopped <- s.Stop(context.Background()) }()
			// The listener closes; the handler is still running.
			until(t, func() bool {
				c2, err := net.Dial("tcp", ln.Addr().String())
				if err == nil {
					c2.Close()
				}
				return err != nil
			})
			select {
			case <-s.Done():
				t.Fatal("stopped while a handler runs, with no grace limit")
			default:
			}
			close(release)
			require.NoError(t, <-stopped)
			assert.NoError(t, handlerErr, "the handler was not killed")
			line, err := bufio.NewReader(c).ReadString('\n')
			require.NoError(t, err)
			assert.Equal(t, "done\n", line)
			<-s.Done()
			assert.NoError(t, s.Stop(context.Background()), "a second Stop")
			assert.NoError(t, s.Wait(context.Background()))
		})
	}
}

// Stop's context cuts the grace period short: the handlers left are killed
// (their context cancelled, their connection closed).
func TestServerStopContextKills(t *testing.T) {
	ln := listen(t)
	entered := make(chan struct{})
	var handlerErr error
	s, err := StartServer(context.Background(), ln, nil, func(ctx context.Context, conn net.Conn) error {
		close(entered)
		_, err := conn.Read(make([]byte, 1)) // the client never writes
		handlerErr = err
		return err
	}, WithGrace(-1))
	require.NoError(t, err)
	c, err := net.Dial("tcp", s.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, s.Stop(ctx))
	assert.Error(t, handlerErr, "the connection was closed under the handler")
	_, err = c.Read(make([]byte, 1))
	assert.Error(t, err, "the client sees the connection closed")
}

// WithGrace(0) kills at once when the server's context ends.
func TestServerGraceZero(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ln := listen(t)
	entered := make(chan struct{})
	s, err := StartServer(ctx, ln, nil, func(ctx context.Context, conn net.Conn) error {
		close(entered)
		<-ctx.Done()
		return ctx.Err()
	}, WithGrace(0))
	require.NoError(t, err)
	c, err := net.Dial("tcp", s.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	<-entered
	cancel()
	require.NoError(t, s.Wait(context.Background()))
}

// errListener fails its first Accept with err.
type errListener struct {
	net.Listener
	err  error
	once sync.Once
}

func (l *errListener) Accept() (net.Conn, error) {
	var err error
	l.once.Do(func() { err = l.err })
	if err != nil {
		return nil, err
	}
	return l.Listener.Accept()
}

// An accept failure stops the server; Wait and Stop return it.
func TestServerAcceptError(t *testing.T) {
	boom := errors.New("boom")
	ln := &errListener{Listener: listen(t), err: boom}
	s, err := StartServer(context.Background(), ln, nil, func(context.Context, net.Conn) error { return nil })
	require.NoError(t, err)
	assert.ErrorIs(t, s.Wait(context.Background()), boom)
	assert.ErrorIs(t, s.Stop(context.Background()), boom)
	_, err = net.Dial("tcp", ln.Addr().String())
	assert.Error(t, err, "the listener is closed")
}

// Wait returns ctx's error if ctx ends first; the server keeps running.
func TestServerWaitContext(t *testing.T) {
	s, err := StartServer(context.Background(), listen(t), nil, echo)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, s.Wait(ctx), context.Canceled)
	c := dialLine(t, s.Addr(), "still here")
	defer c.Close()
	line, err := bufio.NewReader(c).ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "echo: still here\n", line)
	c.Close()
	require.NoError(t, s.Stop(context.Background()))
}

func TestStartServerNil(t *testing.T) {
	_, err := StartServer(context.Background(), nil, nil, echo)
	assert.Error(t, err)
	_, err = StartDatagramServer(context.Background(), nil, nil, nil)
	assert.Error(t, err)
}

// A pool made WithNonBlocking refuses a connection while full instead of
// stopping the server.
func TestServeNonBlockingPoolRefuses(t *testing.T) {
	p := newPool(t, 1, WithNonBlocking())
	entered := make(chan struct{})
	release := make(chan struct{})
	s, err := StartServer(context.Background(), listen(t), p, func(ctx context.Context, conn net.Conn) error {
		close(entered)
		<-release
		return nil
	})
	require.NoError(t, err)
	first := dialLine(t, s.Addr(), "a")
	defer first.Close()
	<-entered
	second := dialLine(t, s.Addr(), "b")
	defer second.Close()
	_, err = second.Read(make([]byte, 1))
	assert.Error(t, err, "refused")
	close(release)
	require.NoError(t, s.Stop(context.Background()))
}

// upper is a datagram handler replying with the datagram in upper case.
func upper(pc net.PacketConn) func(ctx context.Context, data []byte, addr net.Addr) error {
	return func(_ context.Context, data []byte, addr net.Addr) error {
		_, err := pc.WriteTo(bytes.ToUpper(data), addr)
		return err
	}
}

// udpExchange sends each message to addr, waiting for its reply, and
// returns the replies. It may run off the test's goroutine: it asserts.
func udpExchange(t *testing.T, addr net.Addr, msgs ...string) []string {
	t.Helper()
	c, err := net.Dial("udp", addr.String())
	if !assert.NoError(t, err) {
		return nil
	}
	defer c.Close()
	assert.NoError(t, c.SetReadDeadline(time.Now().Add(10*time.Second))) // a bound, not a synchronisation
	var replies []string
	buf := make([]byte, 100)
	for _, m := range msgs {
		if _, err := c.Write([]byte(m)); !assert.NoError(t, err) {
			return replies
		}
		n, err := c.Read(buf)
		if !assert.NoError(t, err) {
			return replies
		}
		replies = append(replies, string(buf[:n]))
	}
	return replies
}

func TestServeDatagram(t *testing.T) {
	for _, pool := range []bool{false, true} {
		t.Run(fmt.Sprint("pool=", pool), func(t *testing.T) {
			var p *Pool
			if pool {
				p = newPool(t, 2)
			}
			ctx, cancel := context.WithCancel(context.Background())
			pc := listenUDP(t)
			served := Go(context.Background(), func(context.Context) error { return ServeDatagram(ctx, pc, p, upper(pc)) })
			assert.Equal(t, []string{"HELLO", "WORLD", ""}, udpExchange(t, pc.LocalAddr(), "hello", "world", ""))
			cancel()
			require.NoError(t, served.Join(context.Background()))
			require.NoError(t, served.Err())
			_, err := pc.WriteTo([]byte("x"), pc.LocalAddr())
			assert.ErrorIs(t, err, net.ErrClosed, "the server closed pc")
		})
	}
}

// A stopping datagram server stops reading but keeps its socket open for
// the replies of the handlers still running in the grace period.
func TestDatagramServerRepliesDuringGrace(t *testing.T) {
	pc := listenUDP(t)
	entered := make(chan struct{})
	release := make(chan struct{})
	s, err := StartDatagramServer(context.Background(), pc, nil, func(ctx context.Context, data []byte, addr net.Addr) error {
		close(entered)
		<-release
		_, err := pc.WriteTo(append([]byte("late "), data...), addr)
		return err
	}, WithGrace(-1))
	require.NoError(t, err)
	assert.Equal(t, pc.LocalAddr(), s.Addr())
	c, err := net.Dial("udp", s.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("ping"))
	require.NoError(t, err)
	<-entered
	stopped := make(chan error, 1)
	go func() { stopped <- s.Stop(context.Background()) }()
	close(release)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
	buf := make([]byte, 100)
	n, err := c.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "late ping", string(buf[:n]))
	require.NoError(t, <-stopped)
}

// Killing datagram handlers at the end of the grace period cancels them.
func TestDatagramServerKill(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pc := listenUDP(t)
	entered := make(chan struct{})
	var handlerErr error
	s, err := StartDatagramServer(ctx, pc, newPool(t, 1), func(ctx context.Context, data []byte, addr net.Addr) error {
		close(entered)
		<-ctx.Done()
		handlerErr = ctx.Err()
		return handlerErr
	}, WithGrace(0))
	require.NoError(t, err)
	c, err := net.Dial("udp", s.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("x"))
	require.NoError(t, err)
	<-entered
	cancel()
	require.NoError(t, s.Wait(context.Background()))
	assert.ErrorIs(t, handlerErr, context.Canceled)
}

// On a Hub: StartServer from a green thread with a nil pool, handlers are
// hub green threads (no lock needed on hub state), Stop from a green
// thread with an unlimited grace waits for them.
func TestHubStartServer(t *testing.T) {
	ln := listen(t)
	const clients = 4
	replies := make(chan string, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", ln.Addr().String())
			if !assert.NoError(t, err) {
				replies <- ""
				return
			}
			defer conn.Close()
			fmt.Fprintf(conn, "hello %d\n", i)
			line, err := bufio.NewReader(conn).ReadString('\n')
			assert.NoError(t, err)
			replies <- line
		}()
	}
	defer wg.Wait()
	var handled int // hub state: no lock
	var got []string
	err := RunHub(context.Background(), func(ctx context.Context) error {
		s, err := StartServer(ctx, ln, nil, func(ctx context.Context, conn net.Conn) error {
			var line string
			if err := Blocking(ctx, func(context.Context) error {
				var err error
				line, err = bufio.NewReader(conn).ReadString('\n')
				return err
			}); err != nil {
				return err
			}
			handled++
			return Blocking(ctx, func(context.Context) error {
				_, err := fmt.Fprintf(conn, "echo: %s", line)
				return err
			})
		}, WithGrace(-1))
		if err != nil {
			return err
		}
		// Wait, as a green thread, for every client's reply.
		if err := Blocking(ctx, func(context.Context) error {
			for range clients {
				got = append(got, <-replies)
			}
			return nil
		}); err != nil {
			return err
		}
		return s.Stop(ctx)
	})
	require.NoError(t, err)
	assert.Equal(t, clients, handled)
	slices.Sort(got)
	assert.Equal(t, []string{"echo: hello 0\n", "echo: hello 1\n", "echo: hello 2\n", "echo: hello 3\n"}, got)
}

// On a Hub: a datagram server on a pool, its handlers hub green threads
// replying inside Blocking, stopped by Stop from the main green thread.
func TestHubServeDatagram(t *testing.T) {
	pc := listenUDP(t)
	var handled int // hub state: no lock
	var got []string
	err := RunHub(context.Background(), func(ctx context.Context) error {
		p := NewPool(2)
		defer p.Close()
		s, err := StartDatagramServer(ctx, pc, p, func(ctx context.Context, data []byte, addr net.Addr) error {
			handled++
			return Blocking(ctx, func(context.Context) error {
				_, err := pc.WriteTo(bytes.ToUpper(data), addr)
				return err
			})
		})
		if err != nil {
			return err
		}
		if err := Blocking(ctx, func(context.Context) error {
			got = udpExchange(t, s.Addr(), "a", "b", "c")
			return nil
		}); err != nil {
			return err
		}
		return s.Stop(ctx)
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"A", "B", "C"}, got)
	assert.Equal(t, 3, handled)
}

// On a Hub: Stop's context, already done, cuts an unlimited grace short
// and kills a handler blocked in I/O (inside Blocking) by closing its
// connection; Stop is called from a goroutine outside the hub.
func TestHubServerStopFromOutsideKills(t *testing.T) {
	ln := listen(t)
	started := make(chan *Server, 1)
	entered := make(chan struct{})
	var handlerErr error
	done := make(chan error, 1)
	go func() {
		done <- RunHub(context.Background(), func(ctx context.Context) error {
			s, err := StartServer(ctx, ln, nil, func(ctx context.Context, conn net.Conn) error {
				close(entered)
				handlerErr = Blocking(ctx, func(context.Context) error {
					_, err := conn.Read(make([]byte, 1)) // the client never writes
					return err
				})
				return handlerErr
			}, WithGrace(-1))
			if err != nil {
				return err
			}
			started <- s
			return s.Wait(ctx)
		})
	}()
	s := <-started
	c, err := net.Dial("tcp", s.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, s.Stop(ctx))
	require.NoError(t, <-done)
	assert.Error(t, handlerErr, "the connection was closed under the handler")
}

// On a Hub: WithGrace's period runs on the hub's clock; a handler that
// outlives it is killed out of a hub Sleep.
func TestHubServerGraceKillsSleeper(t *testing.T) {
	ln := listen(t)
	var handlerErr error
	err := RunHub(context.Background(), func(ctx context.Context) error {
		var entered Event
		sctx, stop := context.WithCancel(ctx)
		defer stop()
		s, err := StartServer(sctx, ln, nil, func(ctx context.Context, conn net.Conn) error {
			entered.Set()
			handlerErr = Sleep(ctx, time.Hour)
			return handlerErr
		}, WithGrace(time.Millisecond))
		if err != nil {
			return err
		}
		var c net.Conn
		if err := Blocking(ctx, func(context.Context) error {
			c, err = net.Dial("tcp", s.Addr().String())
			return err
		}); err != nil {
			return err
		}
		defer c.Close()
		if err := entered.Wait(ctx); err != nil {
			return err
		}
		stop()
		return s.Wait(ctx)
	})
	require.NoError(t, err)
	assert.ErrorIs(t, handlerErr, context.Canceled)
}
