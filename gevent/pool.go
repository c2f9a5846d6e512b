package gevent

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/panjf2000/ants/v2"
)

// ErrPoolClosed is returned by spawning on a Pool after Close (and Kill).
var ErrPoolClosed = errors.New("gevent: pool closed")

// ErrPoolNotClosed is returned by Join before Close: multiprocessing's
// ValueError "Pool is still running".
var ErrPoolNotClosed = errors.New("gevent: pool still running: Close it before Join")

// ErrPoolFull is returned by spawning on a full Pool made WithNonBlocking.
var ErrPoolFull = errors.New("gevent: pool full")

// ErrPoolDeadlock is returned to a task of a Pool that spawns into its own
// full pool when every slot is held by a task doing the same: none of them
// could ever get a slot (gevent#368, ants#197). A task that would have to
// wait for other tasks to end waits instead.
var ErrPoolDeadlock = errors.New("gevent: pool deadlock: every task of the pool waits for a slot of it")

// PoolOption configures a Pool.
type PoolOption func(*poolConfig)

type poolConfig struct {
	preAlloc    bool
	nonBlocking bool
	expiry      time.Duration
}

// WithPreAlloc allocates the worker queue up front (ants' WithPreAlloc):
// worth it for large pools that are kept busy.
func WithPreAlloc() PoolOption { return func(c *poolConfig) { c.preAlloc = true } }

// WithNonBlocking makes spawning on a full pool fail at once with
// ErrPoolFull instead of waiting for a slot.
func WithNonBlocking() PoolOption { return func(c *poolConfig) { c.nonBlocking = true } }

// WithExpiry sets how long an idle worker goroutine is kept for reuse
// before it exits (ants' expiry duration; 1s by default).
func WithExpiry(d time.Duration) PoolOption { return func(c *poolConfig) { c.expiry = d } }

// Pool runs green threads, at most Size at once, on recycled goroutines
// (an ants pool): gevent's Pool, multiprocessing's Pool and
// concurrent.futures' ThreadPoolExecutor. Spawning on a full pool waits
// for a slot (ctx-aware, and on a Hub it gives the turn away). Every task
// is a *Greenlet, which is also its future: Get waits for its result.
//
// Lifecycle, as multiprocessing's: Close stops new spawns, then Join waits
// for every task (including tasks spawned by tasks before the Close) and
// releases the pool's goroutines; Kill cancels the running tasks and does
// the same. A Pool that is never closed and joined keeps its idle worker
// goroutines (and ants' housekeeping goroutines) alive.
//
// Importing this package imports ants, whose init starts a default pool
// of its own with two housekeeping goroutines (a leak checker sees them
// before any test runs).
//
// All methods are safe for concurrent use. A panic in a task is that task's
// error; the pool keeps its full size. Spawning a task costs about what
// Spawn does; Map hands items out in chunks and costs a few tens of
// nanoseconds an item.
type Pool struct {
	size int
	cfg  poolConfig
	ants *ants.Pool

	mu       sync.Mutex
	running  int       // slots taken
	closed   bool      // Close was called
	released bool      // the ants pool was released
	live     threadSet // admitted tasks, for Kill and "is the caller my task"
	selfWait int       // tasks of the pool parked waiting for a slot of it
	slots    waitq     // parked waiting for a free slot
	idle     waitq     // parked in Join: waiting for running == 0
}

// NewPool returns a pool that runs at most size tasks at once: Pool(size).
func NewPool(size int, opts ...PoolOption) (*Pool, error) {
	if size <= 0 {
		return nil, fmt.Errorf("gevent: pool size %d: must be positive", size)
	}
	p := &Pool{size: size, live: make(threadSet, size)}
	for _, o := range opts {
		o(&p.cfg)
	}
	aopts := []ants.Option{
		ants.WithPreAlloc(p.cfg.preAlloc),
		// Admission is ours: ants must never block or refuse. A finished
		// task's worker may not be back in ants' queue yet when its slot is
		// reused, so ants has room for a second worker per slot.
		ants.WithNonblocking(true),
	}
	if p.cfg.expiry > 0 {
		aopts = append(aopts, ants.WithExpiryDuration(p.cfg.expiry))
	}
	ap, err := ants.NewPool(2*size, aopts...)
	if err != nil {
		return nil, fmt.Errorf("gevent: pool: %w", err)
	}
	p.ants = ap
	return p, nil
}

// Size returns the most tasks the pool runs at once.
func (p *Pool) Size() int { return p.size }

// Running returns the number of tasks running (or about to run).
func (p *Pool) Running() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.running
}

// FreeCount returns the number of free slots: gevent's free_count().
func (p *Pool) FreeCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.size - p.running
}

// isTask reports whether ctx belongs to one of p's running tasks; p.mu held.
func (p *Pool) isTask(ctx context.Context) bool {
	t := threadFrom(ctx)
	if t == nil {
		return false
	}
	ok := p.live.has(t)
	return ok
}

// acquire takes a slot, waiting for one unless the pool is non-blocking.
func (p *Pool) acquire(ctx context.Context) error { return p.take(ctx, !p.cfg.nonBlocking) }

// take takes a slot, waiting for one if wait is set.
func (p *Pool) take(ctx context.Context, wait bool) error {
	p.mu.Lock()
	for {
		if p.closed {
			p.mu.Unlock()
			return ErrPoolClosed
		}
		if p.running < p.size {
			p.running++
			p.mu.Unlock()
			return nil
		}
		if !wait {
			p.mu.Unlock()
			return ErrPoolFull
		}
		self := p.isTask(ctx)
		if self && p.selfWait+1 >= p.size {
			p.mu.Unlock()
			return ErrPoolDeadlock
		}
		if err := ctx.Err(); err != nil {
			p.mu.Unlock()
			return ctxError(ctx)
		}
		if self {
			p.selfWait++
		}
		err := block(ctx, &p.mu, &p.slots)
		p.mu.Lock()
		if self {
			p.selfWait--
		}
		if err != nil {
			p.mu.Unlock()
			return err
		}
	}
}

// tryAcquire takes a free slot without waiting and reports whether it did.
func (p *Pool) tryAcquire() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.running >= p.size {
		return false
	}
	p.running++
	return true
}

// WaitAvailable blocks until at least one slot is free or ctx is done, and
// returns nil or ctx's error (ErrPoolClosed on a closed pool): gevent's
// wait_available(). The slot is not reserved.
func (p *Pool) WaitAvailable(ctx context.Context) error {
	if err := p.take(ctx, true); err != nil {
		return err
	}
	p.release(nil)
	return nil
}

// release gives back a slot and forgets t.
func (p *Pool) release(t *Thread) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t != nil {
		delete(p.live, t)
	}
	p.running--
	if !p.slots.wakeOne() && p.running == 0 {
		p.idle.wakeAll()
	}
}

// start runs g on the pool; its slot is taken.
func startOn[T any](p *Pool, g *Greenlet[T], after func(*Greenlet[T])) {
	t := &g.Thread
	p.mu.Lock()
	p.live.add(t)
	p.mu.Unlock()
	task := func() {
		g.run(0)
		if after != nil {
			runLink(func() { after(g) })
		}
		p.release(t)
	}
	if err := p.ants.Submit(task); err != nil {
		go task() // cannot happen with room for two workers a slot; never lose a task
	}
}

// Submit runs fn as a task of p and returns its green thread, which is its
// future: concurrent.futures' submit and gevent's Pool.spawn. It waits
// while the pool is full; it returns an error, and runs nothing, when the
// wait ends with ctx, the pool is closed (ErrPoolClosed) or full in
// non-blocking mode (ErrPoolFull), or the caller is a task of p and waiting
// could never end (ErrPoolDeadlock). fn's own error or panic is the green
// thread's.
func Submit[T any](ctx context.Context, p *Pool, fn func(context.Context) (T, error), opts ...SpawnOption) (*Greenlet[T], error) {
	return submit(ctx, p, fn, opts, nil)
}

// submit takes a slot of p (see Submit) and starts fn as a task of p;
// after, if not nil, runs in the task once its green thread has finished.
func submit[T any](ctx context.Context, p *Pool, fn func(context.Context) (T, error), opts []SpawnOption, after func(*Greenlet[T])) (*Greenlet[T], error) {
	if err := p.acquire(ctx); err != nil {
		return nil, err
	}
	g := newGreenlet(ctx, fn, opts)
	startOn(p, g, after)
	return g, nil
}

// Go is Submit for a task without a result: gevent's Pool.spawn and
// multiprocessing's Process started on a pool.
func (p *Pool) Go(ctx context.Context, fn func(context.Context) error, opts ...SpawnOption) (*Greenlet[struct{}], error) {
	return Submit(ctx, p, func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) }, opts...)
}

// Apply runs fn on the pool and waits for its result: Pool.apply. Called
// from a task of p while the pool is full, it runs fn inline instead, as
// gevent does, so a task can use its own pool without deadlock.
func Apply[T any](ctx context.Context, p *Pool, fn func(context.Context) (T, error)) (T, error) {
	p.mu.Lock()
	inline := p.running >= p.size && p.isTask(ctx)
	p.mu.Unlock()
	if inline {
		return callSafely(ctx, fn)
	}
	g, err := Submit(ctx, p, fn)
	if err != nil {
		var zero T
		return zero, err
	}
	return g.Get(ctx)
}

// ApplyAsync runs fn on the pool and returns at once with its green thread:
// Pool.apply_async(func, callback=..., error_callback=...). Once fn ends,
// onValue is called with its result if it succeeded, onError with its
// error if not; either may be nil. They run on the task's goroutine after
// it has finished, so they must not block for long.
//
// The callbacks run in the task itself, after the green thread has
// finished (and after its Links), not through a Link: that saves the Link's
// allocations.
func ApplyAsync[T any](ctx context.Context, p *Pool, fn func(context.Context) (T, error), onValue func(T), onError func(error)) (*Greenlet[T], error) {
	var after func(*Greenlet[T])
	if onValue != nil || onError != nil {
		after = func(g *Greenlet[T]) {
			if err := g.Err(); err != nil {
				if onError != nil {
					onError(err)
				}
			} else if onValue != nil {
				onValue(g.Value())
			}
		}
	}
	return submit(ctx, p, fn, nil, after)
}

// Close stops the pool from taking new tasks: multiprocessing's close().
// Tasks already spawned run to their end. Closing twice does nothing.
func (p *Pool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	p.slots.wakeAll() // waiting spawners fail with ErrPoolClosed
	return nil
}

// Join waits for every task to end, then releases the pool's goroutines:
// multiprocessing's join(). It must come after Close (ErrPoolNotClosed
// otherwise). It returns nil, or ctx's error if ctx ends first (Join may be
// called again).
func (p *Pool) Join(ctx context.Context) error {
	p.mu.Lock()
	if !p.closed {
		p.mu.Unlock()
		return ErrPoolNotClosed
	}
	for p.running > 0 {
		if err := block(ctx, &p.mu, &p.idle); err != nil {
			return err
		}
		p.mu.Lock()
	}
	release := !p.released
	p.released = true
	p.mu.Unlock()
	if release {
		// Every task has finished; its worker exits as soon as it is back.
		if err := p.ants.ReleaseContext(context.WithoutCancel(ctx)); err != nil && !errors.Is(err, ants.ErrPoolClosed) {
			return fmt.Errorf("gevent: pool: %w", err)
		}
	}
	return nil
}

// Kill closes the pool, kills every running task (see Thread.Cancel) and
// joins: gevent's Pool.kill and multiprocessing's terminate().
func (p *Pool) Kill(ctx context.Context) error {
	p.mu.Lock()
	p.closed = true
	p.slots.wakeAll()
	tasks := p.live.inSpawnOrder()
	p.mu.Unlock()
	cancelAll(tasks)
	return p.Join(ctx)
}
