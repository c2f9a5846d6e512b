package natsembed_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/nats-io/nats.go"
	"go.uber.org/goleak"

	"github.com/geventgo/geventgo/internal/natsembed"
)

// Shutdown waits for every goroutine of the server.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestBadListenAddress(t *testing.T) {
	for _, addr := range []string{"nonsense", "127.0.0.1:x", "127.0.0.1:70000"} {
		if _, err := natsembed.Start(addr, t.TempDir()); err == nil {
			t.Errorf("%q: no error", addr)
		}
	}
}

// Start an embedded server with JetStream on a file store, connect, stop.
func ExampleStart() {
	dir, _ := os.MkdirTemp("", "natsembed-")
	defer os.RemoveAll(dir)
	srv, err := natsembed.Start("127.0.0.1:0", dir)
	if err != nil {
		panic(err)
	}
	defer srv.Shutdown()
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		panic(err)
	}
	defer nc.Close()
	fmt.Println(srv.JetStreamEnabled(), nc.IsConnected())
	// Output: true true
}
