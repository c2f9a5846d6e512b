package bench

import (
	"context"
	"sync"
	"testing"
	"unsafe"

	"github.com/geventgo/geventgo/gevent"
)

// The floor sub-benchmarks (named "<baseline>+future" and "by-hand") are
// the hand-written baseline of a benchmark doing one thing more: carrying,
// for each task, an object of the size of what geventgo allocates for it.
// A green thread is a future (its result, error, kill, join and context
// live in it), so a Go developer who wants one per task writes at least
// this; the ratio of the floor to its baseline is what the size of the
// object alone costs, in allocation and garbage collection, on this
// machine. Where that ratio is above a goal, the goal needs a smaller
// object, not less work.

// future128 is a future of a Greenlet[int]'s size (128 bytes, pointers
// where a green thread has them): the body, its result and error, and room
// for the joiners, context and cancellation a green thread keeps.
type future128 struct {
	fn    func(context.Context) (int, error)
	wg    *sync.WaitGroup
	value int
	err   error
	_     [11]*byte
}

// run is future128's goroutine: the body, then the join's count.
func (f *future128) run() {
	f.value, f.err = f.fn(context.Background())
	f.wg.Done()
}

// future176 is a future of the size of a group member or a pool task (176
// bytes: a green thread with its place in the group or pool and its
// function, or its callbacks).
type future176 struct {
	value int
	err   error
	_     [19]*byte
}

// The sizes above follow geventgo's: a floor of the wrong size would
// mislead.
func init() {
	if unsafe.Sizeof(future128{}) != unsafe.Sizeof(gevent.Greenlet[int]{}) {
		panic("bench: future128 no longer has the size of a Greenlet[int]")
	}
}

// waitgroupFutureBatches is waitgroupBatches with a future128 per task,
// made by the spawner and filled by the task, the go statement's closure
// holding it alone (as a green thread's does).
func waitgroupFutureBatches(b *testing.B, batch int, body func(context.Context) (int, error)) {
	b.ReportAllocs()
	fs := make([]*future128, batch)
	for i := 0; i < b.N; i += batch {
		var wg sync.WaitGroup
		wg.Add(batch)
		for j := range fs {
			f := &future128{fn: body, wg: &wg}
			fs[j] = f
			go f.run()
		}
		wg.Wait()
	}
}

// handGen is a generator written by hand with the shape of coro's push
// mode: an object holding its body, which gets a pointer to it, and the
// range's loop body, stored in it while the range runs. Through the body's
// function value the compiler cannot see, so the object and the loop body
// escape: any generator whose body is a function taking its yielder pays
// these allocations.
type handGen struct {
	yield func(int) bool
	body  func(*handGen)
}

//go:noinline
func newHandGen(body func(*handGen)) *handGen { return &handGen{body: body} }

func (g *handGen) all(yield func(int) bool) {
	g.yield = yield
	g.body(g)
	g.yield = nil
}
