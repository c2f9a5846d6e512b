// Package natsembed starts the NATS server with JetStream that the
// crawler embeds: the coordinator of `crawler serve` and `crawler
// -workers N`, and the tests of the distributed crawl.
package natsembed

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Server is an embedded NATS server with JetStream on a file store.
type Server struct {
	*server.Server
	StoreDir string
}

// Start listens on listen ("host:port"; port 0 picks a free one, a
// missing host is every interface) with JetStream storing in storeDir,
// and returns once the server accepts connections (or fails after 10s).
// It installs no signal handlers and logs nothing. Shutdown stops it and
// waits until every goroutine of the server has returned.
func Start(listen, storeDir string) (*Server, error) {
	host, portStr, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("listen address %q: bad port", listen)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	if host == "" {
		host = "0.0.0.0"
	}
	s, err := server.NewServer(&server.Options{
		Host: host, Port: port, JetStream: true, StoreDir: storeDir,
		NoSigs: true, NoLog: true, ServerName: "crawler",
	})
	if err != nil {
		return nil, err
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		s.WaitForShutdown()
		return nil, errors.New("embedded NATS server not ready after 10s")
	}
	return &Server{Server: s, StoreDir: storeDir}, nil
}

// Shutdown stops the server and waits for it.
func (s *Server) Shutdown() {
	s.Server.Shutdown()
	s.WaitForShutdown()
}
