package gevent

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/panjf2000/ants/v2"
)

// ErrPoolClosed is returned by spawning on a Pool after Close (and Kill).
var ErrPoolClosed = errors.New("gevent: pool closed")

// ErrPoolFull is returned by spawning on a full Pool made WithNonBlocking.
var ErrPoolFull = errors.New("gevent: pool full")

// ErrPoolDeadlock is returned to a task of a Pool that spawns into its own
// full pool when every slot is held by a task doing the same: none of them
// could ever get a slot (gevent#368, ants#197). A task that would have to
// wait for other tasks to end waits instead.
var ErrPoolDeadlock = errors.New("gevent: pool deadlock: every task of the pool waits for a slot of it")

// PoolOption configures a Pool. It is made by WithPreAlloc,
// WithNonBlocking, WithQueue or WithExpiry; the zero value changes nothing.
type PoolOption struct{ apply func(*poolConfig) }

type poolConfig struct {
	preAlloc    bool
	nonBlocking bool
	expiry      time.Duration
	queue       int // WithQueue: 0 none, < 0 unbounded, > 0 its bound
}

// WithPreAlloc allocates the worker queue up front (ants' WithPreAlloc):
// worth it for large pools that are kept busy.
func WithPreAlloc() PoolOption {
	return PoolOption{func(c *poolConfig) { c.preAlloc = true }}
}

// WithNonBlocking makes spawning on a full pool fail at once with
// ErrPoolFull instead of waiting for a slot (or, for ApplyAsync, instead of
// queueing the task).
func WithNonBlocking() PoolOption {
	return PoolOption{func(c *poolConfig) { c.nonBlocking = true }}
}

// WithQueue puts a queue in front of the pool for Submit and Go, as
// concurrent.futures' ThreadPoolExecutor has: on a full pool they no
// longer wait for a slot but queue the task and return at once with its
// green thread (its future, pending until a slot comes to it); queued
// tasks start in submission order, in turn with ApplyAsync's (they share
// its queue). n > 0 bounds the queue: on a full queue Submit and Go wait
// for a place (ctx-aware, first come first served), or fail with
// ErrPoolFull WithNonBlocking, and ApplyAsync, which never waits, fails
// with ErrPoolFull. n < 0 makes it unbounded. n == 0 is no queue, the
// default: Submit and Go wait for a slot, ApplyAsync queues without bound
// (and fails on a full pool WithNonBlocking).
//
// A queued task holds no goroutine in free mode, and costs two
// allocations where a task started at once costs one: its task, and its
// 128-byte claim, which also holds what the green thread's failure and
// cancellation need; on a Hub it holds its green thread's goroutine,
// parked.
func WithQueue(n int) PoolOption {
	return PoolOption{func(c *poolConfig) { c.queue = n }}
}

// WithExpiry sets how long an idle worker goroutine is kept for reuse
// before it exits (ants' expiry duration; 1s by default).
func WithExpiry(d time.Duration) PoolOption {
	return PoolOption{func(c *poolConfig) { c.expiry = d }}
}

// Pool runs green threads, at most Size at once, on recycled goroutines
// (an ants pool): gevent's Pool, multiprocessing's Pool and
// concurrent.futures' ThreadPoolExecutor. Every task is a *Greenlet, which
// is also its future: Get waits for its result.
//
// Slots are handed out first come, first served: when a slot frees up it
// goes to the oldest claim on it, whether that is a caller parked in
// Submit (Go, Apply, WaitAvailable) or a task queued by ApplyAsync. A
// blocking spawn waits for its turn (ctx-aware; on a Hub it gives the turn
// away); ApplyAsync never waits: on a full pool its task is queued in the
// pool and started, in submission order, on the goroutine of the task
// whose slot it takes. A queued task is pending (not Started); if its
// context ends first, it finishes with the context's error without running.
// WithQueue gives Submit and Go that queue too (ThreadPoolExecutor's), with
// or without a bound.
//
// At run time, Stats counts the waiting, running, completed and failed
// tasks, and Resize changes the size (ants' Tune).
//
// Lifecycle: Join waits until no task runs or is queued, and may be called
// any number of times, with or without Close (gevent's join). Close stops
// new spawns (ErrPoolClosed) but not the tasks already queued; Join after
// Close also releases the pool's goroutines (multiprocessing's close() then
// join(); concurrent.futures' shutdown(wait=True)). Kill closes, kills the
// running and queued tasks, and joins (shutdown(cancel_futures=True)): a
// queued task's future reports an error matching ErrGreenletExit and
// context.Canceled. A
// Pool that is never closed and joined keeps its idle worker goroutines
// (and ants' housekeeping goroutines) alive.
//
// In free mode a task gives its slot back on its worker just after its
// green thread has finished, so a Get or Join of the task may return a
// moment before FreeCount counts the slot (gevent frees it first); Pool's
// own Join waits for it, and on a Hub it comes back within the task's turn.
//
// There is no Add or Discard (gevent's adoption of a greenlet spawned
// elsewhere): see Len for why, and use a Group to track such green threads.
//
// There is no initializer (multiprocessing's Pool(initializer=f,
// initargs=...), run once in each worker process to set up its globals).
// Go has no worker-local state for it to set up: no goroutine-local
// storage, and a task does not know which ants worker runs it (ants has no
// per-worker hook, workers come and go with WithExpiry, and on a Hub the
// tasks are the hub's coroutines, not pool workers). Set up per task
// instead, or share expensive per-worker state through a sync.Pool (taken
// and put back in the task) or a value made once with sync.OnceValue.
//
// The zero Pool is ready to use and unbounded, like gevent's
// Pool(size=None): every spawn starts its task at once on a new goroutine
// (no ants pool), Size returns 0 and FreeCount math.MaxInt, and Map and
// IMap keep at most max(64, GOMAXPROCS) calls in flight. NewPool makes a
// bounded pool.
//
// Importing this package imports ants, whose init starts a default pool
// of its own with two housekeeping goroutines (a leak checker sees them
// before any test runs).
//
// All methods are safe for concurrent use. A panic in a task is that task's
// error; the pool keeps its full size. Spawning a task on a free slot costs
// one allocation (the task, with its place among the running tasks; the
// worker is handed the task itself, without a closure; Pool.Go adds the
// closure that gives its function a result); queueing one costs its claim
// too (see WithQueue). Map costs one atomic add and a function call an
// item.
type Pool struct {
	size int // 0: unbounded
	cfg  poolConfig
	// ants runs free-mode tasks; made by the first (see workers), never
	// for an unbounded pool nor for one used only on a Hub, whose tasks
	// are the hub's coroutines. nil: tasks run on goroutines of their own.
	ants     *ants.PoolWithFunc
	antsOnce sync.Once
	resizeMu sync.Mutex // serialises Resize, so that ants' capacity follows the last one

	mu       sync.Mutex
	running  int      // slots taken (more than size after a Resize down, until tasks end)
	closed   bool     // Close was called
	released bool     // the ants pool was released
	live     taskList // tasks holding a slot, for Kill and "is the caller my task"
	selfWait int      // tasks of the pool parked waiting for a slot of it
	claims   claimq   // claims on the next free slot, oldest first; not empty only if the pool is full
	queued   int      // queued tasks in claims, or leaving it without a slot and not yet finished; places handed to roomq's claims
	roomq    claimq   // spawners waiting for a place in a full bounded queue (WithQueue), oldest first
	idle     waitq    // parked in Join: waiting for idleLocked
	done     int      // tasks that held a slot and finished (Stats.Completed)
	failures int      // of those, the failures (Stats.Failed)
	dropped  int      // queued tasks that finished without a slot (Stats.Cancelled)
	ending   int      // tasks that gave their slot back and still run their Links (see settle)
	// watchers are the Waits on p and its Done channel (see wait.go).
	watchers watchList
}

// NewPool returns a pool that runs at most size tasks at once: Pool(size),
// ThreadPoolExecutor(max_workers=size). A size below 1 is a programming
// error and panics, as conc's pool does: the zero Pool (var p gevent.Pool)
// is the unbounded pool, and gevent's Pool(0), which is always full, has no
// equivalent (see the README's "Differences from Python").
func NewPool(size int, opts ...PoolOption) *Pool {
	if size <= 0 {
		panic(fmt.Sprintf("gevent: NewPool(%d): the size must be at least 1 (the zero Pool is unbounded)", size))
	}
	p := &Pool{size: size}
	for _, o := range opts {
		if o.apply != nil {
			o.apply(&p.cfg)
		}
	}
	return p
}

// workers returns the ants pool free-mode tasks run on, made on first use
// (nil for an unbounded pool, or if ants refused the options).
func (p *Pool) workers() *ants.PoolWithFunc {
	p.antsOnce.Do(func() {
		p.mu.Lock() // never held by a caller of workers, nor around antsOnce
		defer p.mu.Unlock()
		if p.size == 0 {
			return
		}
		aopts := []ants.Option{
			ants.WithPreAlloc(p.cfg.preAlloc),
			// Admission is ours: ants must never block or refuse. A
			// finished task's worker may not be back in ants' queue yet
			// when its slot is reused, so ants has room for a second
			// worker per slot.
			ants.WithNonblocking(true),
		}
		if p.cfg.expiry > 0 {
			aopts = append(aopts, ants.WithExpiryDuration(p.cfg.expiry))
		}
		p.ants, _ = ants.NewPoolWithFunc(2*p.size, p.work, aopts...) // valid options: cannot fail
	})
	return p.ants
}

// Size returns the most tasks the pool runs at once, or 0 for an unbounded
// pool (the zero Pool).
func (p *Pool) Size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.size
}

// Running returns the number of tasks running (or about to run); queued
// ApplyAsync tasks are not counted.
func (p *Pool) Running() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.running
}

// FreeCount returns the number of free slots: gevent's free_count().
// It is math.MaxInt for an unbounded pool.
func (p *Pool) FreeCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.size == 0 {
		return math.MaxInt
	}
	return max(0, p.size-p.running)
}

// mapLimit is how many calls Map and IMap keep in flight on p.
func (p *Pool) mapLimit() int {
	if n := p.Size(); n > 0 {
		return n
	}
	return max(64, runtime.GOMAXPROCS(0))
}

// isTask reports whether ctx belongs to one of p's running tasks; p.mu held.
func (p *Pool) isTask(ctx context.Context) bool {
	t := threadFrom(ctx)
	return t != nil && p.live.lookup(t) != nil
}

// hasRoom reports whether a slot is free for a newcomer; p.mu held. The
// claims are not empty only while the pool is full: a freed slot goes to
// the oldest claim at once (see release).
func (p *Pool) hasRoom() bool { return p.size == 0 || p.running < p.size }

// acquire takes a slot, waiting for one unless the pool is non-blocking.
func (p *Pool) acquire(ctx context.Context) error { return p.take(ctx, !p.cfg.nonBlocking) }

// take takes a slot, waiting for one (behind the older claims) if wait is
// set.
func (p *Pool) take(ctx context.Context, wait bool) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrPoolClosed
	}
	if p.hasRoom() {
		p.running++
		p.mu.Unlock()
		return nil
	}
	if !wait {
		p.mu.Unlock()
		return ErrPoolFull
	}
	err := p.claimIn(ctx, &p.claims)
	p.mu.Unlock()
	return err
}

// claimIn parks the caller in q, p.mu held, until what q hands out (a slot,
// a place in the bounded queue) is handed to it, FIFO; it returns with p.mu
// held: nil, ctx's error, ErrPoolClosed if Close took the claim back, or
// ErrPoolDeadlock if the caller is a task of p and every slot is held by a
// task waiting on p.
func (p *Pool) claimIn(ctx context.Context, q *claimq) error {
	self := p.isTask(ctx)
	if self && p.selfWait+1 >= p.size {
		return ErrPoolDeadlock
	}
	if ctx.Err() != nil {
		return ctxError(ctx)
	}
	c := parkedClaim(nil)
	q.push(c)
	if self {
		p.selfWait++
	}
	err := blockOr(ctx, &p.mu, c.q, func() { q.remove(c) })
	p.mu.Lock()
	if self {
		p.selfWait--
	}
	if err == nil && !c.got {
		err = ErrPoolClosed // Close took the claim back
	}
	return err
}

// tryAcquire takes a free slot without waiting and reports whether it did.
func (p *Pool) tryAcquire() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || !p.hasRoom() {
		return false
	}
	p.running++
	return true
}

// WaitAvailable blocks until a slot is free or ctx is done, and returns nil
// or ctx's error (ErrPoolClosed on a closed pool): gevent's
// wait_available(). It waits its turn behind the older claims on a slot;
// the slot is not reserved.
func (p *Pool) WaitAvailable(ctx context.Context) error {
	if err := p.take(ctx, true); err != nil {
		return err
	}
	p.releaseSlot()
	return nil
}

// release forgets the task n (nil for a slot no task held) and gives its
// slot to the oldest claim: it returns the queued free-mode task to run on
// it, if that is who gets it, and otherwise wakes the claimant or frees
// the slot.
func (p *Pool) release(n *taskNode) *claim { return p.releaseEnding(n, false) }

// releaseEnding is release for the task n whose Links are still to run if
// links is set: the slot goes back now, but Join waits on until settle.
func (p *Pool) releaseEnding(n *taskNode, links bool) *claim {
	// Counting a failure is not reading it: a panic nobody reads is
	// still reported (see SetFailureHandler).
	fail := n != nil && failed(n.t.finalErr(false))
	p.mu.Lock()
	defer p.mu.Unlock()
	if links {
		p.ending++
	}
	if n != nil {
		p.live.remove(n)
		p.done++
		if fail {
			p.failures++
		}
	}
	var c *claim
	if p.size == 0 || p.running <= p.size { // not over the size since a Resize down
		c = p.claims.pop()
	}
	if c == nil {
		p.running--
		p.wakeIdle()
		return nil
	}
	return p.handOver(c)
}

// handOver gives a slot to c, taken from the claims: it returns c if it is
// a queued free-mode task, for the caller to run, and otherwise wakes the
// claimant; p.mu held.
func (p *Pool) handOver(c *claim) *claim {
	c.got = true
	if c.task != nil {
		p.unqueue()
		p.live.push(c.task)
	}
	if c.job != nil {
		return c
	}
	c.q.wakeOne() // a parked spawner, or a queued task's own goroutine on a Hub
	return nil
}

// unqueue frees the place of a task that left the queue: it goes to the
// oldest spawner waiting for one, if any; p.mu held. The caller wakes Join
// if the pool may be idle.
func (p *Pool) unqueue() {
	if c := p.roomq.pop(); c != nil {
		c.got = true // the place is its own: queued stays
		c.q.wakeOne()
		return
	}
	p.queued--
}

// idleLocked reports whether no task runs, is queued, or still runs its
// Links after giving its slot back (see settle); p.mu held.
func (p *Pool) idleLocked() bool { return p.running == 0 && p.queued == 0 && p.ending == 0 }

// settle counts the end of the Links of a task that gave its slot back
// before running them, and wakes Join's callers if that left the pool
// idle: as in gevent, a join of the pool returns after the Links of its
// last task have run.
func (p *Pool) settle() {
	p.mu.Lock()
	p.ending--
	p.wakeIdle()
	p.mu.Unlock()
}

// wakeIdle wakes Join's callers if no task runs or is queued; p.mu held.
func (p *Pool) wakeIdle() {
	if p.idleLocked() {
		p.idle.wakeAll()
		p.watchers.fire()
	}
}

// releaseSlot gives back a slot no task held, starting the queued task that
// gets it, if any, on a worker.
func (p *Pool) releaseSlot() { p.releaseTask(nil) }

// drain runs the queued task c, which got a slot, then, on the same
// goroutine, every queued task that gets the slot after it.
func (p *Pool) drain(c *claim) {
	for c != nil {
		c = c.job.run()
	}
}

// spawn runs job on a worker goroutine: a task that holds a slot (a
// jobRunner), or a queued task's claim that got one (a *claim, drained).
// ants is handed job itself, in an interface, so that starting a task
// allocates nothing more.
func (p *Pool) spawn(job any) {
	w := p.workers()
	if w == nil {
		go p.work(job)
		return
	}
	if err := w.Invoke(job); err != nil {
		go p.work(job) // cannot happen with room for two workers a slot; never lose a task
	}
}

// work is what p's workers run for a job spawn hands them.
func (p *Pool) work(job any) {
	switch j := job.(type) {
	case jobRunner:
		j.runJob()
	case *claim:
		p.drain(j)
	}
}

// jobRunner is a task that holds a slot of its pool, for a worker to run:
// a *poolTask.
type jobRunner interface{ runJob() }

// poolTask is a task of a pool: its Greenlet, its place among the pool's
// running tasks and ApplyAsync's callbacks, in one allocation.
type poolTask[T any] struct {
	Greenlet[T]
	p       *Pool
	node    taskNode
	onValue func(T)
	onError func(error)
}

// newTask makes a task of p running fn (see newGreenlet).
func newTask[T any](ctx context.Context, p *Pool, fn func(context.Context) (T, error), opts []SpawnOption) *poolTask[T] {
	k := &poolTask[T]{p: p}
	k.fn = fn
	k.node.t = &k.GreenThread
	k.init(ctx, opts)
	return k
}

// hasCallbacks reports whether ApplyAsync gave k a callback.
func (k *poolTask[T]) hasCallbacks() bool { return k.onValue != nil || k.onError != nil }

// callback calls ApplyAsync's onValue or onError, once k has finished
// (so k.value is published and no longer changes: no lock is needed).
// Handing the error to onError reads it (no failure report).
func (k *poolTask[T]) callback() {
	if err := k.Err(); err != nil {
		if k.onError != nil {
			k.onError(err)
		}
	} else if k.onValue != nil {
		k.onValue(k.value)
	}
}

// runJob runs k on its worker, free mode: the body, the callbacks, then
// the slot goes back (see ended), to the queued tasks that get it first.
func (k *poolTask[T]) runJob() { k.p.drain(k.runBody(0, nil, nil, k)) }

// ended completes the end of k, a free-mode task that held a slot, before
// its joiners wake: its callbacks, then its slot goes back. It returns the
// queued task that got the slot, if any.
func (k *poolTask[T]) ended(links bool) *claim {
	if k.hasCallbacks() {
		runLink(k.callback)
	}
	return k.p.releaseEnding(&k.node, links)
}

// settle counts the end of k's Links (see Pool.settle).
func (k *poolTask[T]) settle() { k.p.settle() }

// unslotted is a free-mode task that ends without having held a slot: its
// end is its callbacks alone.
type unslotted[T any] poolTask[T]

func (u *unslotted[T]) ended(bool) *claim {
	if k := (*poolTask[T])(u); k.hasCallbacks() {
		runLink(k.callback)
	}
	return nil
}

func (u *unslotted[T]) settle() {}

// startOn runs k on the pool; its slot is taken. ApplyAsync's callbacks,
// if any, run once k has finished.
//
// On a Hub, what follows the body (the callbacks, and giving back the
// slot, which may wake Join or hand the slot to a parked green thread)
// must happen in k's turn, or the hub could see nothing left to run and
// report a loop exit, and the order of wakes would depend on the
// goroutines: it runs as k's first Link.
func startOn[T any](k *poolTask[T]) {
	k.p.mu.Lock()
	k.p.live.push(&k.node)
	k.p.mu.Unlock()
	launchTask(k)
}

// launchTask is startOn for k, listed among the running tasks already.
func launchTask[T any](k *poolTask[T]) {
	p, t := k.p, &k.GreenThread
	if t.sched() != nil {
		t.onFinish(func() {
			if k.hasCallbacks() {
				runLink(k.callback)
			}
			p.releaseTask(&k.node)
		})
		k.launch(0)
		return
	}
	p.spawn(k)
}

// releaseTask gives back the slot of the task n, starting the queued task
// that gets it, if any, on a worker.
func (p *Pool) releaseTask(n *taskNode) {
	if c := p.release(n); c != nil {
		p.spawn(c)
	}
}

// taskNode is a task's place in its pool's running tasks.
type taskNode struct {
	t          *GreenThread
	prev, next *taskNode
}

// taskList is a pool's running tasks, an intrusive list guarded by its
// mutex; the index, made by the first lookup (a caller that must wait
// for a slot asks whether it is a task of the pool), finds a task's place.
type taskList struct {
	head, tail *taskNode
	n          int
	index      map[*GreenThread]*taskNode
}

func (l *taskList) push(n *taskNode) {
	n.prev, n.next = l.tail, nil
	if l.tail == nil {
		l.head = n
	} else {
		l.tail.next = n
	}
	l.tail = n
	l.n++
	if l.index != nil {
		l.index[n.t] = n
	}
}

// remove unlinks n if it is listed.
func (l *taskList) remove(n *taskNode) {
	if n.prev == nil && l.head != n {
		return // not listed
	}
	if n.prev == nil {
		l.head = n.next
	} else {
		n.prev.next = n.next
	}
	if n.next == nil {
		l.tail = n.prev
	} else {
		n.next.prev = n.prev
	}
	n.prev, n.next = nil, nil
	l.n--
	if l.index != nil {
		delete(l.index, n.t)
	}
}

// lookup returns t's place in l, or nil.
func (l *taskList) lookup(t *GreenThread) *taskNode {
	if l.index == nil {
		l.index = make(map[*GreenThread]*taskNode, l.n)
		for n := l.head; n != nil; n = n.next {
			l.index[n.t] = n
		}
	}
	return l.index[t]
}

// inSpawnOrder returns the listed green threads, oldest first.
func (l *taskList) inSpawnOrder() []*GreenThread {
	ts := make([]*GreenThread, 0, l.n)
	for n := l.head; n != nil; n = n.next {
		ts = append(ts, n.t)
	}
	slices.SortFunc(ts, func(a, b *GreenThread) int { return cmp.Compare(a.id, b.id) })
	return ts
}

// claim is one claim on the next free slot of a full pool: a spawner parked
// in take (task == nil), or a task queued by ApplyAsync (task is its place
// among the running tasks, once it runs). A
// queued task runs on the slot's worker when it gets one (job, free mode),
// or, on a Hub, on its own goroutine, parked like a spawner (job == nil).
type claim struct {
	prev, next *claim
	inq        bool
	got        bool      // the slot was handed over (p.mu)
	q          *waitq    // the parked claimant (see parkedClaim); nil for a job
	task       *taskNode // the queued task
	job        queuedJob // free mode: how to run or abandon the queued task
}

// parkedClaim returns a claim for a claimant that parks until it is handed
// over (a spawner, or a queued task's own goroutine on a Hub), with its
// wait queue in the same allocation. A free-mode queued task's claim parks
// no one, and has none.
func parkedClaim(task *taskNode) *claim {
	c := new(struct {
		claim
		q waitq
	})
	c.task, c.claim.q = task, &c.q
	return &c.claim
}

// queuedJob is a queued free-mode task.
type queuedJob interface {
	giveUp() // its context ended: abandon it if it is still queued
	// run runs it, having got a slot (or abandons it if its context
	// ended), and gives the slot back: it returns the queued task that
	// got the slot next, if any.
	run() *claim
	abandon() // finish it with its context's error, without running it
}

// queuedTask is a queued free-mode task and its claim, in one allocation
// (128 bytes), with the threadExt that holds the claim for its context's
// end (see GreenThread.queueOn).
type queuedTask[T any] struct {
	claim
	k *poolTask[T]
	x threadExt
}

func (j *queuedTask[T]) run() *claim {
	t := &j.k.GreenThread
	if t.cancelledNow() {
		return t.finishIn(ctxError(t.context()), nil, j.k)
	}
	return j.k.runBody(0, nil, nil, j.k)
}

func (j *queuedTask[T]) giveUp() { j.k.p.giveUp(&j.claim) }

func (j *queuedTask[T]) abandon() {
	t := &j.k.GreenThread
	t.finishIn(ctxError(t.context()), nil, (*unslotted[T])(j.k))
}

// claimq is an intrusive FIFO of claims, guarded by the pool's mutex.
type claimq struct{ head, tail *claim }

func (q *claimq) push(c *claim) {
	c.inq = true
	c.prev, c.next = q.tail, nil
	if q.tail == nil {
		q.head = c
	} else {
		q.tail.next = c
	}
	q.tail = c
}

func (q *claimq) pop() *claim {
	c := q.head
	if c != nil {
		q.remove(c)
	}
	return c
}

// remove unlinks c if it is queued and reports whether it was.
func (q *claimq) remove(c *claim) bool {
	if !c.inq {
		return false
	}
	if c.prev == nil {
		q.head = c.next
	} else {
		c.prev.next = c.next
	}
	if c.next == nil {
		q.tail = c.prev
	} else {
		c.next.prev = c.prev
	}
	c.prev, c.next, c.inq = nil, nil, false
	return true
}

// Submit runs fn as a task of p and returns its green thread, which is its
// future: concurrent.futures' submit and gevent's Pool.spawn. It waits
// while the pool is full, for its turn among the claims on a slot.
//
// Submit always returns a green thread, as every Go and Spawn of the module
// does (and as pond's Submit returns a task): when the task cannot start,
// because ctx ended while it waited, the pool is closed (ErrPoolClosed) or
// full in non-blocking mode (ErrPoolFull), or the caller is a task of p and
// waiting could never end (ErrPoolDeadlock), fn never runs and the green
// thread is returned already finished with that error (Started reports
// false; Get, Join and Err return the error). fn's own error or panic is
// the green thread's.
//
// WithQueue, on a full pool it queues the task instead and returns at once
// with its pending green thread (see WithQueue and ApplyAsync, whose queue
// it shares); it waits only for a place in a full bounded queue.
func Submit[T any](ctx context.Context, p *Pool, fn func(context.Context) (T, error), opts ...SpawnOption) *Greenlet[T] {
	g, _ := submit(ctx, p, fn, opts)
	return g
}

// submit is Submit, returning also the error a refused task's green thread
// is finished with.
func submit[T any](ctx context.Context, p *Pool, fn func(context.Context) (T, error), opts []SpawnOption) (*Greenlet[T], error) {
	if p.cfg.queue != 0 {
		return submitAsync(ctx, p, fn, nil, nil, opts, true)
	}
	if err := p.acquire(ctx); err != nil {
		return refused[T](ctx, err, opts), err
	}
	k := newTask(ctx, p, fn, opts)
	startOn(k)
	return &k.Greenlet, nil
}

// refused returns a green thread that never runs: finished at once with
// err, the reason its task could not start.
func refused[T any](ctx context.Context, err error, opts []SpawnOption) *Greenlet[T] {
	g := newGreenlet[T](ctx, nil, opts)
	finishUnstarted(&g.GreenThread, err)
	return g
}

// finishUnstarted finishes t, which never ran, with err; on a Hub it
// leaves the hub as a green thread whose body ended does.
func finishUnstarted(t *GreenThread, err error) {
	t.finish(err)
	if s := t.sched(); s != nil {
		s.leave(t)
	}
}

// Go is Submit for a task without a result: gevent's Pool.spawn and
// multiprocessing's Process started on a pool. Like Submit it always
// returns a green thread; one whose task could not start is finished with
// the reason (ErrPoolClosed, ErrPoolFull, ctx's error, ErrPoolDeadlock).
func (p *Pool) Go(ctx context.Context, fn func(context.Context) error, opts ...SpawnOption) *Greenlet[struct{}] {
	return Submit(ctx, p, func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) }, opts...)
}

// Apply runs fn on the pool and waits for its result: Pool.apply. Called
// from a task of p while the pool is full, it runs fn inline instead, as
// gevent does, so a task can use its own pool without deadlock.
func Apply[T any](ctx context.Context, p *Pool, fn func(context.Context) (T, error)) (T, error) {
	p.mu.Lock()
	inline := !p.hasRoom() && p.isTask(ctx)
	p.mu.Unlock()
	if inline {
		return callSafely(ctx, fn)
	}
	return Submit(ctx, p, fn).Get(ctx)
}

// ApplyAsync runs fn on the pool and returns at once with its green thread:
// Pool.apply_async(func, callback=..., error_callback=...), which never
// blocks. On a full pool the task is queued: it starts when a slot comes to
// it, in submission order and in turn with the callers parked in Submit;
// until then it is pending (Started reports false). Queued tasks do not
// hold goroutines in free mode (the worker of the task that frees a slot
// runs the next queued task); on a Hub each holds one, as in gevent, whose
// apply_async spawns a greenlet that waits in spawn.
//
// If ctx ends (or the green thread is killed, or the pool killed) before
// the task gets a slot, it finishes with ctx's error (an error matching
// ErrGreenletExit when killed) without running fn. Close does not stop
// queued tasks: they run, and Join waits for them.
//
// ApplyAsync always returns a green thread. When the task is refused, it
// is returned already finished, without running fn, with ErrPoolClosed
// after Close, or ErrPoolFull on a full pool made WithNonBlocking (without
// WithQueue) or on a full bounded queue (WithQueue(n), n > 0: ApplyAsync
// never waits for a place); onError gets that error before ApplyAsync
// returns, so every task's outcome reaches its callbacks exactly once.
//
// Once the green thread has finished, onValue is called with its result if
// it succeeded, onError with its error if not; either may be nil. They run
// on the task's goroutine, so they must not block for long: in free mode
// before its joiners wake and its Links run (they are not Links: that
// saves a Link's allocations), on a Hub as its first Link, in the turn of
// its end work (see Greenlet.Link).
// Either way, once Join or Get on the task returns, they have run and its
// slot is free, as in gevent, whose pool and callback links are made
// before any join's. For a task that never got a
// slot they run on the goroutine that ended its wait (the one that
// cancelled ctx or killed it; ApplyAsync's own caller if ctx was already
// done).
//
// Cost: what Submit costs, on a free slot or queued (see WithQueue); the
// callbacks are kept in the task's own allocation (a goroutine more on a
// Hub for a queued task).
func ApplyAsync[T any](ctx context.Context, p *Pool, fn func(context.Context) (T, error), onValue func(T), onError func(error)) *Greenlet[T] {
	g, _ := submitAsync(ctx, p, fn, onValue, onError, nil, false)
	return g
}

// submitAsync starts fn as a task of p on a free slot, or queues it if the
// pool is full (see ApplyAsync and WithQueue); onValue or onError, if not
// nil, is called once its green thread has finished (see ApplyAsync). On a
// full bounded queue it waits for a place if wait is set (and the pool is
// not non-blocking), and otherwise fails with ErrPoolFull. It always
// returns the green thread; when the task is refused, that is finished
// with the error, which is returned too.
func submitAsync[T any](ctx context.Context, p *Pool, fn func(context.Context) (T, error), onValue func(T), onError func(error), opts []SpawnOption, wait bool) (*Greenlet[T], error) {
	// In free mode the green thread is made before taking p.mu, to keep
	// the lock short when many submit at once (and to list it among the
	// running tasks under the lock that takes its slot); one that is
	// refused is finished unstarted with the error. On a Hub it is made
	// under p.mu, as it is spawned in the hub there and then.
	var k *poolTask[T]
	mk := func() {
		if k == nil {
			k = newTask(ctx, p, fn, opts)
			k.onValue, k.onError = onValue, onError
		}
	}
	if freeModeCtx(ctx) {
		mk()
	}
	refuse := func(err error) (*Greenlet[T], error) {
		mk()
		finishUnstarted(&k.GreenThread, err)
		if k.hasCallbacks() {
			runLink(k.callback)
		}
		return &k.Greenlet, err
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return refuse(ErrPoolClosed)
	}
	if p.hasRoom() {
		p.running++
		if k != nil {
			p.live.push(&k.node)
			p.mu.Unlock()
			launchTask(k)
			return &k.Greenlet, nil
		}
		p.mu.Unlock()
		mk()
		startOn(k)
		return &k.Greenlet, nil
	}
	switch bound := p.cfg.queue; {
	case bound == 0 && p.cfg.nonBlocking:
		p.mu.Unlock()
		return refuse(ErrPoolFull)
	case bound > 0 && (p.queued >= bound || p.roomq.head != nil):
		if !wait || p.cfg.nonBlocking {
			p.mu.Unlock()
			return refuse(ErrPoolFull)
		}
		if err := p.waitRoom(ctx); err != nil {
			return refuse(err) // p.mu released
		}
		if p.hasRoom() { // a Resize made room meanwhile
			p.unqueue()
			p.running++
			p.mu.Unlock()
			mk()
			startOn(k)
			return &k.Greenlet, nil
		}
		p.queued-- // counted again below
	}
	// Queue it, under p.mu so that the order of the claims is the order of
	// the calls. Making the green thread takes its parent's or the hub's
	// mutex (never the other way round).
	mk()
	t := &k.GreenThread
	p.queued++
	if t.sched() != nil {
		queueOnHub(p, k)
		p.mu.Unlock()
		return &k.Greenlet, nil
	}
	j := &queuedTask[T]{k: k}
	j.task, j.job = &k.node, j
	p.claims.push(&j.claim)
	cancelled := !t.queueOn(&j.claim, &j.x)
	p.mu.Unlock()
	if cancelled {
		p.giveUp(&j.claim)
	}
	return &k.Greenlet, nil
}

// freeModeCtx reports whether a green thread spawned under ctx runs in
// free mode, not on a Hub (what GreenThread.init decides).
func freeModeCtx(ctx context.Context) bool {
	if t := threadFrom(ctx); t != nil {
		return t.sched() == nil
	}
	return schedulerFrom(ctx) == nil
}

// waitRoom parks the caller, p.mu held, until a place in the bounded queue
// is handed to it; it returns nil with p.mu held and the place counted in
// p.queued, or an error with p.mu released: ctx's, ErrPoolClosed, or
// ErrPoolDeadlock if the caller is a task of p and every slot is held by a
// task waiting on p.
func (p *Pool) waitRoom(ctx context.Context) error {
	if err := p.claimIn(ctx, &p.roomq); err != nil {
		p.mu.Unlock()
		return err
	}
	if p.closed { // the place came, then Close: give it back
		p.unqueue()
		p.wakeIdle()
		p.mu.Unlock()
		return ErrPoolClosed
	}
	return nil
}

// giveUp abandons the queued free-mode task of c if it is still queued:
// its context ended before it got a slot.
func (p *Pool) giveUp(c *claim) {
	p.mu.Lock()
	if !p.claims.remove(c) {
		p.mu.Unlock()
		return // it got a slot: it runs (or is abandoned) there
	}
	p.mu.Unlock()
	c.job.abandon()
	p.mu.Lock()
	p.dropped++
	p.unqueue()
	p.wakeIdle()
	p.mu.Unlock()
}

// queueOnHub queues k, a green thread of a Hub, on p; p.mu is held. A green
// thread of a hub takes its turns from its spawn on, so it runs at once on
// a goroutine of its own: its body first waits for the slot, parked like a
// spawner in Submit (deterministically), then calls the task's function.
func queueOnHub[T any](p *Pool, k *poolTask[T]) {
	t := &k.GreenThread
	c := parkedClaim(&k.node)
	p.claims.push(c)
	fn := k.fn
	k.fn = func(ctx context.Context) (T, error) {
		if err := p.awaitClaim(ctx, c); err != nil {
			var zero T
			return zero, err
		}
		return fn(ctx)
	}
	t.onFinish(func() { // in k's turn: see startOn
		if k.hasCallbacks() {
			runLink(k.callback)
		}
		p.mu.Lock()
		p.claims.remove(c) // killed before its body began
		got := c.got
		if !got {
			p.dropped++
			p.unqueue()
			p.wakeIdle()
		}
		p.mu.Unlock()
		if got {
			p.releaseTask(&k.node)
		}
	})
	k.launch(0)
}

// awaitClaim parks the caller until c got a slot, or ctx ends (it then
// takes c back and returns ctx's error).
func (p *Pool) awaitClaim(ctx context.Context, c *claim) error {
	p.mu.Lock()
	if c.got {
		p.mu.Unlock()
		return ctxError(ctx)
	}
	if err := blockOr(ctx, &p.mu, c.q, func() { p.claims.remove(c) }); err != nil {
		return err
	}
	// Killed (or ctx ended) as the slot came: it does not run.
	return ctxError(ctx)
}

// Close stops the pool from taking new tasks: multiprocessing's close().
// Spawners waiting for a slot fail with ErrPoolClosed; tasks already
// spawned, or queued by ApplyAsync, run to their end. Closing twice does
// nothing. It never blocks, and cannot fail: it returns nothing.
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closeLocked()
}

// closeLocked closes p and takes back the claims of parked spawners (on a
// slot, or on a place in the queue); p.mu held.
func (p *Pool) closeLocked() {
	p.closed = true
	for c := p.roomq.pop(); c != nil; c = p.roomq.pop() {
		c.q.wakeOne() // it fails with ErrPoolClosed
	}
	for c := p.claims.head; c != nil; {
		next := c.next
		if c.task == nil {
			p.claims.remove(c)
			c.q.wakeOne() // it fails with ErrPoolClosed
		}
		c = next
	}
}

// Join waits until no task of the pool runs or is queued, and the tasks'
// callbacks and Links have run (as in gevent, whose pool wakes its joiners
// from a link): gevent's join(), and multiprocessing's join() after
// close(). It needs no Close: without
// one the pool stays usable, and tasks spawned while Join waits are waited
// for too, so Join returns at a moment the pool was idle. After Close it
// also releases the pool's worker goroutines. It returns nil, or ctx's
// error if ctx ends first (Join may be called again).
func (p *Pool) Join(ctx context.Context) error {
	p.mu.Lock()
	for !p.idleLocked() {
		if err := block(ctx, &p.mu, &p.idle); err != nil {
			return err
		}
		p.mu.Lock()
	}
	release := p.closed && !p.released
	p.released = p.released || release
	p.mu.Unlock()
	if release {
		// Closed, and no task runs or is queued: none will be spawned.
		p.antsOnce.Do(func() {}) // no ants pool is made from now on
		release = p.ants != nil
	}
	if release {
		// Every task has finished; its worker exits as soon as it is back.
		if err := p.ants.ReleaseContext(context.WithoutCancel(ctx)); err != nil && !errors.Is(err, ants.ErrPoolClosed) {
			return fmt.Errorf("gevent: pool: %w", err)
		}
	}
	return nil
}

// Kill closes the pool, kills every running and queued task (see
// GreenThread.Cancel; queued ones finish without running, with an error
// matching ErrGreenletExit) and joins: gevent's Pool.kill and
// multiprocessing's terminate(). The running tasks are cancelled in the
// order they were spawned, as Group.Kill's members.
func (p *Pool) Kill(ctx context.Context) error {
	p.mu.Lock()
	p.closeLocked()
	tasks := p.live.inSpawnOrder()
	// Take the queued tasks out of the claims first, so that no slot freed
	// meanwhile starts one of them.
	var dropped []*claim
	for c := p.claims.pop(); c != nil; c = p.claims.pop() {
		dropped = append(dropped, c)
		tasks = append(tasks, c.task.t)
	}
	p.mu.Unlock()
	cancelAll(tasks)
	for _, c := range dropped {
		if c.job != nil { // free mode; on a Hub the task's own goroutine does this
			c.job.abandon()
			p.mu.Lock()
			p.dropped++
			p.unqueue()
			p.wakeIdle()
			p.mu.Unlock()
		}
	}
	return p.Join(ctx)
}

// Len returns the number of tasks holding a slot (running, or about to):
// gevent's len(pool). It is Running under gevent's name; tasks queued by
// ApplyAsync are not counted, as gevent counts only the greenlets it
// tracks.
//
// The Pool has no Add or Discard (gevent's add(greenlet) and discard, which
// adopt a greenlet spawned elsewhere, blocking while the pool is full). A
// Go green thread starts running when it is spawned: adopting one would
// count it against Size only after it had already run outside the bound,
// and its goroutine is not one of the pool's workers. Spawn on the pool
// with Submit or Go instead; to track green threads spawned elsewhere, use
// a Group, which has Add and Discard.
func (p *Pool) Len() int { return p.Running() }

// Full reports whether every slot is taken, so that a spawn would wait
// (or fail with ErrPoolFull): gevent's full(). An unbounded pool is never
// full.
func (p *Pool) Full() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.size != 0 && p.running >= p.size
}

// PoolStats is a snapshot of a Pool's counts (pond's metrics).
type PoolStats struct {
	// Waiting is the number of queued tasks (WithQueue, ApplyAsync), not
	// yet given a slot (with, for a moment, a place in a bounded queue just
	// handed to a parked spawner). Spawners parked in Submit without a
	// queue are not counted: they have no task yet.
	Waiting int
	// Running is the number of slots taken: Running().
	Running int
	// Completed is the number of tasks that held a slot and finished:
	// succeeded, failed, or killed.
	Completed int
	// Failed is the number of completed tasks that failed: returned an
	// error or panicked. A kill (an error matching ErrGreenletExit) is not
	// a failure; the error of a task whose context ended is.
	Failed int
	// Cancelled is the number of queued tasks that finished without a
	// slot: killed (or the pool killed: shutdown(cancel_futures=True)), or
	// their context ended in the queue.
	Cancelled int
}

// Stats returns the pool's counts, taken together under its lock. The
// counts of finished tasks only grow; a task is counted once its slot is
// given back: before its joiners wake (a Get on it returns after), before
// its Links in free mode. It costs one lock.
func (p *Pool) Stats() PoolStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return PoolStats{Waiting: p.queued, Running: p.running, Completed: p.done, Failed: p.failures, Cancelled: p.dropped}
}

// Resize sets the most tasks the pool runs at once to n, at run time:
// ants' Tune. Growing starts queued tasks (and wakes parked spawners) on
// the new slots at once, oldest first; shrinking stops nothing: running
// tasks finish, and their slots are not reused until fewer than n run.
// The ants pool under a free-mode pool, if made, is tuned to follow (not
// one made WithPreAlloc: ants cannot tune those, and a task ants refuses
// runs on a goroutine of its own). n < 1, or resizing an unbounded pool
// (the zero Pool), is a programming error and panics, changing nothing
// (pond's Resize panics on a negative size too).
//
// Cost: one lock, and one goroutine for each queued free-mode task
// started.
func (p *Pool) Resize(n int) {
	if n <= 0 {
		panic(fmt.Sprintf("gevent: Pool.Resize(%d): the size must be at least 1", n))
	}
	p.resizeMu.Lock()
	defer p.resizeMu.Unlock()
	p.mu.Lock()
	if p.size == 0 {
		p.mu.Unlock()
		panic("gevent: Pool.Resize: an unbounded pool (the zero Pool) cannot be resized")
	}
	p.size = n
	var start []*claim
	for p.running < p.size {
		c := p.claims.pop()
		if c == nil {
			break
		}
		p.running++
		if c := p.handOver(c); c != nil {
			start = append(start, c)
		}
	}
	w := p.ants // written under p.mu (see workers)
	p.wakeIdle()
	p.mu.Unlock()
	for _, c := range start {
		p.spawn(c)
	}
	if w != nil && !p.cfg.preAlloc {
		w.Tune(2 * n)
	}
}

// TrySubmit is Submit that never waits: it starts fn as a task of p only if
// a slot is free (and p is not closed), and reports whether it did; nothing
// runs when it did not. A slot is free only if no claim waits for one, so
// TrySubmit never jumps the queue. errgroup's TryGo for a Pool. Cost: as
// Submit's on a free slot.
func TrySubmit[T any](ctx context.Context, p *Pool, fn func(context.Context) (T, error), opts ...SpawnOption) (*Greenlet[T], bool) {
	if !p.tryAcquire() {
		return nil, false
	}
	k := newTask(ctx, p, fn, opts)
	startOn(k)
	return &k.Greenlet, true
}

// TryGo is TrySubmit for a task without a result.
func (p *Pool) TryGo(ctx context.Context, fn func(context.Context) error, opts ...SpawnOption) (*Greenlet[struct{}], bool) {
	return TrySubmit(ctx, p, func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) }, opts...)
}
