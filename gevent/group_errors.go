package gevent

import (
	"context"
	"errors"
	"slices"
	"sync"
)

// This file gives Group the errors of its members: errgroup's
// Group (WithContext, Go, Wait, SetLimit, TryGo) and conc's pools
// (WithErrors, WithFirstError, WithCancelOnError, ResultPool).
//
// Which wait is which:
//
//   - Group.Join(ctx) is gevent's join: it returns nil once the group is
//     empty, or ctx's error as soon as ctx ends, members still running; it
//     reports no member's error.
//   - Group.Wait(ctx) is errgroup's Wait: it always waits until every
//     member has finished, whatever ctx says, then returns the first
//     failure (or all of them joined, with AllErrors).

// GroupOption configures a Group made by NewGroup (or a ResultGroup made by
// NewResultGroup).
type GroupOption struct{ apply func(*groupConfig) }

type groupConfig struct {
	limit         int   // > 0: most members Go runs at once
	cancelOnError bool  // the first failure cancels the group's context
	allErrors     bool  // Wait joins every failure
	pool          *Pool // Go and TryGo run their members on it
}

// CancelOnError makes the first member to fail cancel the context NewGroup
// returns, with its error as the context's cause (context.Cause):
// errgroup.WithContext, conc's WithCancelOnError. The members that were
// given that context (or one derived from it) see it end; they are not
// killed: whatever they return is their result, and a failure counts for
// Wait like any other.
func CancelOnError() GroupOption {
	return GroupOption{func(c *groupConfig) { c.cancelOnError = true }}
}

// AllErrors makes Wait return every member's failure, joined with
// errors.Join in the order they finished, instead of the first one: conc's
// WithErrors (the default, as errgroup's, is conc's WithFirstError).
func AllErrors() GroupOption {
	return GroupOption{func(c *groupConfig) { c.allErrors = true }}
}

// Limit bounds how many members Go and TryGo run at once: SetLimit(n) from
// the start, errgroup's SetLimit and conc's WithMaxGoroutines.
func Limit(n int) GroupOption {
	return GroupOption{func(c *groupConfig) { c.limit = n }}
}

// OnPool makes Go and TryGo run the members on p, as p's tasks (Submit and
// TrySubmit): the group then collects the errors of tasks of a Pool, and
// the pool's size bounds them (besides the group's own limit, if any). If
// the pool refuses a task (closed, or full in non-blocking mode) or ctx
// ends while Go waits for a slot, fn never runs and Go's green thread, a
// member started off the pool, finishes with that error.
func OnPool(p *Pool) GroupOption {
	return GroupOption{func(c *groupConfig) { c.pool = p }}
}

// NewGroup returns a group with the options, and the context its members
// should be given: a child of ctx, cancelled when Wait returns (with the
// error Wait returns as its cause, or context.Canceled), and, with
// CancelOnError, at the first failure. It is errgroup.WithContext when
// given CancelOnError. The zero Group needs no NewGroup: it has no limit,
// returns the first failure and cancels nothing.
//
// Cost: one context.WithCancelCause and a small wrapper, and one
// context.AfterFunc if ctx can be cancelled. A green thread spawned with
// the returned context registers with the group without allocating.
func NewGroup(ctx context.Context, opts ...GroupOption) (*Group, context.Context) {
	g := &Group{}
	for _, o := range opts {
		if o.apply != nil {
			o.apply(&g.cfg)
		}
	}
	g.limited.Store(g.cfg.limit > 0)
	return g, g.makeContext(ctx)
}

// groupCtx is the context NewGroup returns: a context.WithCancelCause
// child of NewGroup's ctx (Err, Done, Deadline, Value and so
// context.Cause are its), under a type that Spawn recognises. A green
// thread spawned with it registers with the group (Group.register), as a
// child of a green thread registers with its parent, instead of through
// context.AfterFunc: the group cancels it synchronously when it cancels
// the context, and one context.AfterFunc of the group follows NewGroup's
// ctx for all of them. Contexts derived from it are children of the
// inner context, as usual.
type groupCtx struct {
	context.Context
	g     *Group
	sched scheduler // the Hub the members run on (nil: free mode), as GreenThread.init finds it
}

// makeContext makes g's context, a child of parent: NewGroup.
func (g *Group) makeContext(parent context.Context) context.Context {
	inner, cancel := context.WithCancelCause(parent)
	var s scheduler
	if p := threadFrom(parent); p != nil {
		s = p.sched()
	} else {
		s = schedulerFrom(parent)
	}
	g.ctx, g.cancel = &groupCtx{inner, g, s}, cancel
	if parent.Done() != nil {
		// parent's error, not inner's: the AfterFunc's goroutine may run
		// before parent's cancellation has reached inner, whose error is
		// then still nil (the members' contexts would end without one).
		g.stopKids = context.AfterFunc(parent, func() { g.cancelKids(parent.Err()) })
	}
	return g.ctx
}

// register adds a, the registration of a green thread spawned with g's
// context, unless g has cancelled its kids already (it returns false);
// and m, that green thread's place in g's members, if not nil, in any
// case.
func (g *Group) register(a *afterReg, m *member) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if m != nil {
		g.joinLocked(m)
	}
	if g.kidsGone {
		return false
	}
	g.kids.push(a)
	return true
}

// unregister removes a, when its green thread has finished.
func (g *Group) unregister(a *afterReg) {
	g.mu.Lock()
	g.kids.remove(a)
	g.mu.Unlock()
}

// cancelWith cancels g's context with cause, then the green threads
// spawned with it, in the order they were spawned; g.mu not held.
func (g *Group) cancelWith(cause error) {
	g.cancel(cause)
	if g.stopKids != nil {
		g.stopKids()
	}
	g.cancelKids(g.ctx.Err())
}

// cancelKids cancels the green threads spawned with g's context with err,
// once, in the order they registered.
func (g *Group) cancelKids(err error) {
	g.mu.Lock()
	if g.kidsGone {
		g.mu.Unlock()
		return
	}
	g.kidsGone = true
	kids := g.kids.take()
	g.mu.Unlock()
	for _, a := range kids {
		a.child.cancel(err)
	}
}

// SetLimit makes Go wait, and TryGo fail, while n members started by them
// run: errgroup's SetLimit. n <= 0 removes the limit (unlike errgroup,
// where 0 lets nothing run and a change while members run panics here it
// is allowed: raising or removing the limit starts waiting Go calls at
// once; lowering it stops nobody, and Go waits until fewer than n run).
// Members added with Add do not count.
func (g *Group) SetLimit(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cfg.limit = n
	g.limited.Store(n > 0)
	for (n <= 0 || g.active < n) && g.slots.wakeOne() {
		g.active++ // handed to the woken Go
	}
}

// TryGo is Go that never waits: it starts fn only if the limit leaves room
// (always without a limit), and reports whether it did: errgroup's TryGo.
// With OnPool it also needs a free slot of the pool.
func (g *Group) TryGo(ctx context.Context, fn func(context.Context) error, opts ...SpawnOption) (*Greenlet[struct{}], bool) {
	return spawnIn[struct{}](g, ctx, nil, fn, opts, true)
}

// Wait waits until every member has finished (or was discarded), then
// returns the first member's failure, or nil: errgroup's Wait. With
// AllErrors it returns every failure joined instead. A member killed (an
// error matching ErrGreenletExit) has not failed, as in gevent; a panic is
// a failure (a *PanicError). Members added while Wait waits are waited for
// too. The failures are kept: a later Wait returns them again. Returning a
// failure reads it (see SetFailureHandler): a member's panic that Wait
// returns is not reported; one it does not return (a later failure,
// without AllErrors), or in a group nobody waits for, is.
//
// Unlike Join, Wait always waits: ctx's end does not cut it short. ctx only
// tells who waits: on a Hub, pass the caller's context so that the wait
// gives its turn away. There, if no green thread is left that could end a
// member, Wait returns ErrLoopExit instead of blocking forever. A member
// that waits for its own group never returns.
//
// For a group made by NewGroup, Wait then cancels the group's context,
// with the error it returns as the cause, as errgroup's Wait does.
//
// Cost: nothing beyond Join's when the group is already empty; one
// context.WithoutCancel when it must wait with a cancellable ctx.
func (g *Group) Wait(ctx context.Context) error {
	g.mu.Lock()
	if !g.emptyLocked() && ctx.Done() != nil {
		ctx = context.WithoutCancel(ctx)
	}
	for !g.emptyLocked() {
		if err := block(ctx, &g.mu, &g.empty); err != nil {
			return err // ErrLoopExit: nothing can end a member
		}
		g.mu.Lock()
	}
	err := g.first
	if g.cfg.allErrors {
		err = errors.Join(g.errs...)
	}
	read := g.failedT
	g.mu.Unlock()
	for _, t := range read {
		t.markRead()
	}
	if g.cancel != nil {
		g.cancelWith(err)
	}
	return err
}

// acquire takes a slot of the limit for Go (waiting unless try) and
// reports whether it took one; without a limit it takes none. On failure
// (try: the limit is reached; or ctx ended) it returns an error.
func (g *Group) acquire(ctx context.Context, try bool) (bool, error) {
	if !g.limited.Load() {
		return false, nil // a Go racing with SetLimit comes before it
	}
	g.mu.Lock()
	if g.cfg.limit <= 0 {
		g.mu.Unlock()
		return false, nil
	}
	if g.active < g.cfg.limit && g.slots.n == 0 {
		g.active++
		g.mu.Unlock()
		return true, nil
	}
	if try {
		g.mu.Unlock()
		return false, errGroupFull
	}
	if ctx.Err() != nil {
		g.mu.Unlock()
		return false, ctxError(ctx)
	}
	if err := block(ctx, &g.mu, &g.slots); err != nil {
		return false, err
	}
	return true, nil // handed over by release
}

var errGroupFull = errors.New("gevent: group at its limit")

// releaseLocked gives a slot back, to the oldest waiting Go if the limit
// leaves room; g.mu held.
func (g *Group) releaseLocked() {
	if g.cfg.limit > 0 && g.active > g.cfg.limit {
		g.active-- // the limit was lowered
		return
	}
	if !g.slots.wakeOne() {
		g.active--
	}
}

// spawnIn spawns fn (or, if fn is nil, fn0, a body without a result) as
// a member of g, on g's pool if it has one: Go (try false) and TryGo (try
// true). Go always returns a member; TryGo returns nil, false when there
// is no room.
func spawnIn[T any](g *Group, ctx context.Context, fn func(context.Context) (T, error), fn0 func(context.Context) error, opts []SpawnOption, try bool) (*Greenlet[T], bool) {
	slot, err := g.acquire(ctx, try)
	if err != nil && try {
		return nil, false
	}
	if err == nil && g.cfg.pool == nil {
		// Started at once: the member's place is in its own allocation,
		// and it joins the members as it is made.
		m := &memberThread[T]{fn0: fn0}
		m.fn = fn
		m.m = member{t: &m.GreenThread, g: g, slot: slot}
		m.initIn(ctx, opts, &m.m)
		if s := m.sched(); s != nil {
			s.start(&m.GreenThread, m.run)
		} else {
			go m.run()
		}
		return &m.Greenlet, true
	}
	if fn == nil {
		fn = func(ctx context.Context) (T, error) { var zero T; return zero, fn0(ctx) }
	}
	var gl *Greenlet[T]
	if err == nil {
		if try {
			var ok bool
			if gl, ok = TrySubmit(ctx, g.cfg.pool, fn, opts...); !ok {
				if slot {
					g.mu.Lock()
					g.releaseLocked()
					g.mu.Unlock()
				}
				return nil, false
			}
		} else {
			gl = Submit(ctx, g.cfg.pool, fn, opts...) // refused: finished with why
		}
	} else {
		gl = refused[T](ctx, err, opts) // fn does not run; the member reports why
	}
	t := &gl.GreenThread
	m := &member{t: t, g: g, slot: slot}
	g.join(m)
	t.onFinishGroup(m)
	return gl, true
}

// memberThread is a member Go starts at once: its Greenlet, its body
// without a result (Group.Go: no wrapper of fn) and its place in the
// group, in one allocation.
type memberThread[T any] struct {
	Greenlet[T]
	fn0 func(context.Context) error // the body, if Greenlet.fn is nil
	m   member
}

// run is the member's goroutine (or coroutine, on a Hub).
func (m *memberThread[T]) run() { m.runBody(0, m.fn0, &m.m, nil) }

// finished records the end of member m, and gives back its slot; kid: m's
// green thread is registered with g's context, and is forgotten there too.
// With ending set (its Links are still to run) m leaves the members but
// Join and Wait wait on until settle: finished reports whether the caller
// must call it.
func (g *Group) finished(m *member, kid, ending bool) (settle bool) {
	t := m.t
	g.mu.Lock()
	if kid {
		g.kids.remove(&t.inParent)
	}
	if m.slot {
		g.releaseLocked()
	}
	if !m.listed {
		g.mu.Unlock()
		return false // discarded: its end does not count
	}
	if ending {
		g.ending++
	}
	// Counting a failure is not reading it: Wait reads the ones it
	// returns, and a panic nobody reads is reported.
	if err := t.finalErr(false); failed(err) {
		first := g.first == nil
		if first {
			g.first = err
		}
		if g.cfg.allErrors {
			g.errs = append(g.errs, err)
		}
		if first || g.cfg.allErrors {
			g.failedT = append(g.failedT, t)
		}
		if first && g.cfg.cancelOnError && g.cancel != nil {
			// Cancel the members before waking Wait: the context first,
			// so that a member that wakes sees the cause, then the green
			// threads spawned with it, here, in spawn order (and on a Hub
			// in this turn, so that every run wakes them the same way).
			g.mu.Unlock()
			g.cancelWith(err)
			g.mu.Lock()
		}
	}
	g.leaveLocked(m)
	g.mu.Unlock()
	return ending
}

// ResultGroup is a Group whose members return a value: Wait returns their
// values in the order Go started them, and the error as Group.Wait does:
// conc's ResultPool and ResultErrorPool (with WithCollectErrored: a failed
// member's value is kept, at its place). The zero ResultGroup is ready to
// use; NewResultGroup takes the Group's options. Safe for concurrent use.
type ResultGroup[T any] struct {
	g     Group
	mu    sync.Mutex
	tasks []*Greenlet[T] // in the order Go started them
}

// NewResultGroup is NewGroup for a ResultGroup: it returns the group and
// the context its members should be given.
func NewResultGroup[T any](ctx context.Context, opts ...GroupOption) (*ResultGroup[T], context.Context) {
	r := &ResultGroup[T]{}
	for _, o := range opts {
		if o.apply != nil {
			o.apply(&r.g.cfg)
		}
	}
	r.g.limited.Store(r.g.cfg.limit > 0)
	return r, r.g.makeContext(ctx)
}

// Go starts fn as a member, as Group.Go does (waiting for the limit), and
// keeps its place in the results: the place of the call, even if a later
// call got a slot first.
func (r *ResultGroup[T]) Go(ctx context.Context, fn func(context.Context) (T, error), opts ...SpawnOption) *Greenlet[T] {
	// The place is taken under r.mu, the wait for a slot made without it:
	// on a Hub a green thread must not block on a sync.Mutex.
	r.mu.Lock()
	i := len(r.tasks)
	r.tasks = append(r.tasks, nil)
	r.mu.Unlock()
	gl, _ := spawnIn(&r.g, ctx, fn, nil, opts, false)
	r.mu.Lock()
	r.tasks[i] = gl
	r.mu.Unlock()
	return gl
}

// TryGo is Go that never waits, as Group.TryGo; a member it did not start
// has no place in the results.
func (r *ResultGroup[T]) TryGo(ctx context.Context, fn func(context.Context) (T, error), opts ...SpawnOption) (*Greenlet[T], bool) {
	r.mu.Lock() // TryGo never blocks: it may hold r.mu
	defer r.mu.Unlock()
	gl, ok := spawnIn(&r.g, ctx, fn, nil, opts, true)
	if ok {
		r.tasks = append(r.tasks, gl)
	}
	return gl, ok
}

// SetLimit is Group.SetLimit.
func (r *ResultGroup[T]) SetLimit(n int) { r.g.SetLimit(n) }

// Group returns the underlying Group, for Join, Kill, Len, Active and Done.
// Green threads added to it directly count for Wait's error, not for the
// results.
func (r *ResultGroup[T]) Group() *Group { return &r.g }

// Wait waits for every member, as Group.Wait, and returns the values of the
// members Go started, in the order of the calls (a failed member's value
// is whatever it returned with its error; the zero value if it never ran),
// and the error as Group.Wait. Cost: one slice of the results.
func (r *ResultGroup[T]) Wait(ctx context.Context) ([]T, error) {
	err := r.g.Wait(ctx)
	r.mu.Lock()
	tasks := slices.Clone(r.tasks)
	r.mu.Unlock()
	if err == ErrLoopExit {
		return nil, err
	}
	vs := make([]T, len(tasks))
	for i, gl := range tasks {
		if gl != nil { // nil: a Go still under way, called while Wait returned
			vs[i] = gl.Value()
		}
	}
	return vs, err
}
