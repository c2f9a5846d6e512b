package geventtest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/geventgo/geventgo/gevent"
	"github.com/geventgo/geventgo/gevent/geventtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// A plain goleak check fails in any package that imports gevent (ants'
// default pool); with LeakOptions it passes, and it still sees real leaks.
func TestLeakOptions(t *testing.T) {
	err := goleak.Find()
	require.Error(t, err, "ants' default pool runs from import")
	assert.Contains(t, err.Error(), "ants")
	require.NoError(t, goleak.Find(geventtest.LeakOptions()...))

	stop := make(chan struct{})
	leaked := make(chan struct{})
	go func() { close(leaked); <-stop }()
	<-leaked
	assert.Error(t, goleak.Find(geventtest.LeakOptions()...), "a goroutine of the test's own is still reported")
	close(stop)
	geventtest.VerifyNone(t)

	// A Pool's ants pool is housekeeping too until the Pool is joined.
	ctx := context.Background()
	p := gevent.NewPool(2)
	require.NoError(t, p.Go(ctx, func(context.Context) error { return nil }).Join(ctx))
	require.NoError(t, goleak.Find(geventtest.LeakOptions()...))
	release := make(chan struct{})
	var running gevent.Event
	task := p.Go(ctx, func(context.Context) error { running.Set(); <-release; return nil })
	require.NoError(t, running.Wait(ctx))
	assert.Error(t, goleak.Find(geventtest.LeakOptions()...), "a task still running on a pool worker is reported")
	close(release)
	require.NoError(t, task.Join(ctx))
	p.Close()
	require.NoError(t, p.Join(ctx))
	geventtest.VerifyNone(t)
}

// TestMain in a package that imports gevent:
//
//	func TestMain(m *testing.M) { geventtest.VerifyTestMain(m) }
//
// and in a single test, goleak.VerifyNone(t, geventtest.LeakOptions()...)
// or geventtest.VerifyNone(t). The check below is what they do.
func ExampleLeakOptions() {
	ctx := context.Background()
	g := gevent.Spawn(ctx, func(context.Context) (int, error) { return 42, nil })
	v, _ := g.Get(ctx)
	fmt.Println(v)
	runner := goleak.IgnoreAnyFunction("testing.runExample.func1") // go test's own goroutine of an Example
	fmt.Println("plain goleak sees ants:", goleak.Find(runner) != nil)
	fmt.Println("with LeakOptions:", goleak.Find(append(geventtest.LeakOptions(), runner)...))
	// Output:
	// 42
	// plain goleak sees ants: true
	// with LeakOptions: <nil>
}
