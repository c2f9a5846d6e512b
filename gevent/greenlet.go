package gevent

import (
	"context"
	"time"

	"github.com/geventgo/geventgo/panics"
)

// Greenlet is a green thread with a result of type T, that is a typed
// future you can also kill: gevent's Greenlet (the name is Python's, kept
// for porters; it is not package greenlet's Greenlet, a symmetric
// coroutine), and multiprocessing's Process with a return value. In free mode its body runs
// on its own goroutine, on all cores; spawned on a Hub it takes turns with
// the hub's other green threads.
//
// The GreenThread methods (ID, Name, Join, Kill, Cancel, Ready, Err, ...) are
// promoted. All methods are safe for concurrent use.
//
// In free mode a Greenlet costs one goroutine and two allocations (the
// Greenlet, 128 B for a Greenlet[int], and the go statement's 16-byte
// closure); a failure or a kill adds one more (64 B: its error and its
// cancellation), a name, a Link or a Wait on it one or two (its rarely used
// parts), once. Spawning it from another green thread,
// which links it to that green thread's cancellation, costs a little
// more. On a Hub it runs on one of the hub's reused coroutines instead of a
// goroutine (see Hub).
type Greenlet[T any] struct {
	GreenThread
	fn    func(context.Context) (T, error)
	value T
}

// Spawn starts fn on a new green thread and returns at once: gevent.spawn.
// fn receives the green thread's context: it is cancelled by Kill, and when
// ctx is. If ctx belongs to a Hub (or to one of its green threads), the new
// green thread runs on that hub.
func Spawn[T any](ctx context.Context, fn func(context.Context) (T, error), opts ...SpawnOption) *Greenlet[T] {
	g := newGreenlet(ctx, fn, opts)
	g.launch(0)
	return g
}

// launch starts g's body after delay: on a goroutine of its own in free
// mode, as a coroutine taking turns on its hub.
func (g *Greenlet[T]) launch(delay time.Duration) {
	if s := g.sched(); s != nil {
		s.start(&g.GreenThread, func() { g.run(delay) })
		return
	}
	if delay == 0 {
		go g.run(0) // the go statement's closure then holds g alone: a smaller allocation
		return
	}
	go g.run(delay)
}

// SpawnLater is Spawn with fn started after d: gevent.spawn_later. Killing
// the green thread during the delay means fn never runs. The delay is a
// Sleep, so it runs on the hub's clock under a Hub.
func SpawnLater[T any](ctx context.Context, d time.Duration, fn func(context.Context) (T, error), opts ...SpawnOption) *Greenlet[T] {
	g := newGreenlet(ctx, fn, opts)
	g.launch(d)
	return g
}

// Runner is a value with a Run method: the "subclass Process and override
// run" idiom. SpawnRunner runs it on a green thread.
type Runner interface {
	Run(ctx context.Context) error
}

// SpawnRunner starts r.Run on a new green thread, like Process.start on a
// subclass with a run method.
func SpawnRunner(ctx context.Context, r Runner, opts ...SpawnOption) *Greenlet[struct{}] {
	return Spawn(ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, r.Run(ctx) }, opts...)
}

// Go starts fn on a new green thread, for bodies without a result.
func Go(ctx context.Context, fn func(context.Context) error, opts ...SpawnOption) *Greenlet[struct{}] {
	return Spawn(ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) }, opts...)
}

func newGreenlet[T any](ctx context.Context, fn func(context.Context) (T, error), opts []SpawnOption) *Greenlet[T] {
	g := &Greenlet[T]{fn: fn}
	g.init(ctx, opts)
	return g
}

// run is the green thread's goroutine.
func (g *Greenlet[T]) run(delay time.Duration) { g.runBody(delay, nil, nil, nil) }

// runBody is run for a green thread whose body is fn0 instead of g.fn, if
// fn0 is not nil (a body without a result: Go), that is m, a member of a
// Group, if m is not nil, and whose end h completes, if not nil (see
// GreenThread.finishIn, whose result it returns).
func (g *Greenlet[T]) runBody(delay time.Duration, fn0 func(context.Context) error, m *member, h endHook) *claim {
	t := &g.GreenThread
	if s := t.sched(); s != nil {
		defer s.leave(t)
	}
	if delay > 0 {
		if err := Sleep(t.context(), delay); err != nil {
			t.killed.Store(true)
		}
	}
	if !t.start() {
		return t.finishIn(errKilledUnstarted, m, h)
	}
	if profileLabels.Load() {
		defer labelThread(t)()
	}
	var err error
	if fn0 != nil {
		err = callSafely0(t.context(), fn0)
	} else {
		g.value, err = g.call() // published to readers by finish's mutex and state store
	}
	return t.finishIn(err, m, h)
}

// call runs the body, turning a panic into a *PanicError.
func (g *Greenlet[T]) call() (T, error) { return callSafely(g.context(), g.fn) }

// callSafely calls fn, turning a panic into a *PanicError with the stack.
func callSafely[T any](ctx context.Context, fn func(context.Context) (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panics.New(r)
		}
	}()
	return fn(ctx)
}

// callSafely0 is callSafely for a body without a result.
func callSafely0(ctx context.Context, fn func(context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panics.New(r)
		}
	}()
	return fn(ctx)
}

// Get waits for the green thread to finish and returns its value and error:
// gevent's get(). If ctx ends first it returns ctx's error and the green
// thread goes on; when that end is ctx's deadline, the error also matches
// ErrTimeout, as gevent's get(timeout=...) raises Timeout.
func (g *Greenlet[T]) Get(ctx context.Context) (T, error) {
	if err := g.Join(ctx); err != nil {
		var zero T
		return zero, deadlineAs(ctx, err, ErrTimeout)
	}
	return g.value, g.Err()
}

// Value is the body's result once the green thread has finished, and T's
// zero value before: gevent's value.
func (g *Greenlet[T]) Value() T {
	if !g.Ready() {
		var zero T
		return zero
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.value
}

// Link arranges for f to be called once g has finished: at once, on the
// caller's goroutine, if it already has; otherwise on g's goroutine right
// after the body (and after g left its group and gave its pool slot back),
// in the order links were made. gevent's link(). On a Hub, g's end work
// (its group and pool, then its Links) has a turn of its own, behind the
// green threads that were ready when the body returned, as gevent's links
// run from a callback queued at the greenlet's death: two green threads
// that end one after the other both end before either's Links run. There
// a Link made until that turn runs in it, after the others, and one made
// later (while some green thread holds the hub's turn) in a turn of its
// own behind the green threads ready then, never inside Link. As in
// gevent, where a join waits through a link made after the earlier ones, a
// Join on g returns after the Links made before g finished have run (on a
// Hub the joiners are made ready first but run after them, once g's turn
// is over). So f must not block for long, nor wait for a joiner of g: g's
// goroutine (and, on a Hub, the hub's turn) and g's joiners are held until
// f returns. A Link counts as reading g's error: a linked green thread's
// panic is not reported (see SetFailureHandler).
func (g *Greenlet[T]) Link(f func(*Greenlet[T])) {
	g.onFinish(func() { g.markRead(); f(g) })
}
