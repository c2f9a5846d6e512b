package bench

import (
	"context"
	"testing"

	"github.com/sourcegraph/conc/pool"
	"golang.org/x/sync/errgroup"

	"github.com/geventgo/geventgo/gevent"
)

// groupTasks is how many tasks one op of BenchmarkGroupWait starts.
const groupTasks = 100

// BenchmarkGroupWait measures a group of 100 tasks that return nil, then
// the wait for their first error: geventgo is gevent.NewGroup with
// CancelOnError (first-error propagation, the others' context cancelled at
// a failure) and Group.Wait; errgroup is errgroup.WithContext and Wait;
// conc is conc's pool.New().WithContext(ctx).WithCancelOnError() with
// WithFirstError. The figure is per op (100 tasks and the wait); goal:
// geventgo <= 1.3x errgroup.
//
// Missed (issue 19's second round: 48 µs against 25 µs, 1.96x; 57 µs,
// 2.6x, after the first; 134 µs, 5.9x, before it). A member Go starts is
// two allocations, as errgroup's are (its Greenlet with its place in the
// group and fn as given, 176 B, and the go statement's closure), and
// joins and leaves the group's members (an intrusive list) under the
// group's lock, once each. What is left is mostly the size of a green
// thread: a go statement with a WaitGroup and an object of 184 bytes a
// task alone measured 1.4x errgroup's (about 50 B a task) in one run on
// this machine, one of 104 bytes 1.2x: the allocation and the garbage
// collector's share of it.
func BenchmarkGroupWait(b *testing.B) {
	ctx := context.Background()
	nop := func(context.Context) error { return nil }
	b.Run("geventgo", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			grp, gctx := gevent.NewGroup(ctx, gevent.CancelOnError())
			for range groupTasks {
				grp.Go(gctx, nop)
			}
			if err := grp.Wait(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("errgroup", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			grp, gctx := errgroup.WithContext(ctx)
			for range groupTasks {
				grp.Go(func() error { return nop(gctx) })
			}
			if err := grp.Wait(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("errgroup+future", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			grp, gctx := errgroup.WithContext(ctx)
			for range groupTasks {
				f := &future176{}
				grp.Go(func() error { f.err = nop(gctx); return f.err })
			}
			if err := grp.Wait(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("conc", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p := pool.New().WithContext(ctx).WithCancelOnError().WithFirstError()
			for range groupTasks {
				p.Go(nop)
			}
			if err := p.Wait(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
