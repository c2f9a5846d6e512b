package gevent_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"

	"github.com/geventgo/geventgo/gevent"
)

// gevent's StreamServer with its default spawn (a greenlet a connection),
// started in the background and stopped with a timeout. A nil pool is a
// green thread a connection; Stop's context bounds the grace period.
//
//	from gevent import monkey; monkey.patch_all()
//	from gevent.server import StreamServer
//	import socket
//
//	def handle(sock, addr):
//	    f = sock.makefile('rwb')
//	    line = f.readline()
//	    f.write(b'echo: ' + line); f.flush()
//
//	server = StreamServer(('127.0.0.1', 0), handle)
//	server.start()
//	c = socket.create_connection(server.address)
//	c.sendall(b'hello\n')
//	print(c.makefile('rb').readline().decode(), end='')
//	c.close()
//	server.stop(timeout=1)
//	print('stopped', server.closed)
func ExampleStartServer() {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	server, err := gevent.StartServer(context.Background(), ln, nil, func(ctx context.Context, conn net.Conn) error {
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(conn, "echo: %s", line)
		return err
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	c, _ := net.Dial("tcp", server.Addr().String())
	fmt.Fprintln(c, "hello")
	reply, _ := bufio.NewReader(c).ReadString('\n')
	fmt.Print(reply)
	c.Close()

	// server.stop(timeout=1): a context with a 1s timeout would bound the
	// grace period; Background keeps the server's own (WithGrace).
	err = server.Stop(context.Background())
	select {
	case <-server.Done():
		fmt.Println("stopped", err)
	default:
	}
	// Output:
	// echo: hello
	// stopped <nil>
}

// gevent's DatagramServer: each datagram is handled on a task of the pool
// (or a green thread of its own with a nil pool), which replies with
// WriteTo on the server's socket.
//
//	class Upper(DatagramServer):
//	    def handle(self, data, addr):
//	        self.socket.sendto(data.upper(), addr)
//
//	u = Upper(('127.0.0.1', 0), spawn=Pool(4))
//	u.start()
//	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
//	s.sendto(b'ping', u.address)
//	print(s.recvfrom(100)[0])
//	u.stop()
func ExampleServeDatagram() {
	ctx, stop := context.WithCancel(context.Background())
	pool := gevent.NewPool(4)
	pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
	server := gevent.Go(context.Background(), func(context.Context) error {
		return gevent.ServeDatagram(ctx, pc, pool, func(ctx context.Context, data []byte, addr net.Addr) error {
			_, err := pc.WriteTo(bytes.ToUpper(data), addr)
			return err
		})
	})

	c, _ := net.Dial("udp", pc.LocalAddr().String())
	c.Write([]byte("ping"))
	buf := make([]byte, 100)
	n, _ := c.Read(buf)
	fmt.Printf("%s\n", buf[:n])
	c.Close()

	stop() // u.stop(): stop reading, let the handlers finish, close pc
	server.Join(context.Background())
	pool.Close()
	pool.Join(context.Background())
	fmt.Println("stopped:", server.Err())
	// Output:
	// PING
	// stopped: <nil>
}
