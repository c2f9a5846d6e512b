package gevent_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/geventgo/geventgo/gevent"
)

// A program counts (or logs) the panics of green threads whose error
// nobody read, instead of the default print to standard error. The report
// comes when the finished green thread is garbage collected: here the
// collector is run by hand.
func ExampleSetFailureHandler() {
	reports := make(chan string, 1)
	prev := gevent.FailureHandler()
	gevent.SetFailureHandler(func(name string, err error) {
		var pe *gevent.PanicError
		if name == "worker" && errors.As(err, &pe) {
			reports <- fmt.Sprintf("%s panicked: %v", name, pe.Value)
		}
	})
	defer gevent.SetFailureHandler(prev)

	ctx := context.Background()
	g := gevent.Go(ctx, func(context.Context) error { panic("boom") }, gevent.WithName("worker"))
	_ = g.Join(ctx) // joined, but its error is never read
	g = nil
	_ = g

	for {
		runtime.GC()
		select {
		case r := <-reports:
			fmt.Println(r)
			return
		case <-time.After(time.Millisecond):
		}
	}
	// Output: worker panicked: boom
}

// FailurePrinter is the default handler; given a writer it prints there: a
// line naming the green thread and the panic, then the panic's stack.
// Reading the error (here Get) is all it takes for the panic not to be
// reported at all: the handler is called directly.
func ExampleFailurePrinter() {
	ctx := context.Background()
	g := gevent.Go(ctx, func(context.Context) error { panic("boom") }, gevent.WithName("reader"))
	_, err := g.Get(ctx) // read: no report
	var buf bytes.Buffer
	gevent.FailurePrinter(&buf)(g.Name(), err)
	first, _, _ := strings.Cut(buf.String(), "\n")
	fmt.Println(first)
	// Output: gevent: reader failed and nobody read its error: panic: boom
}
