package gevent

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"sync/atomic"
)

// Group is gevent's Group: an unbounded set of green threads to join or kill
// together, and multiprocessing's view of a parent's children
// (active_children). A green thread leaves the group when it finishes,
// before its joiners wake (once Join on a member returns, Len no longer
// counts it), as gevent's Group discards a greenlet in a link made before
// any join's (for a green thread added to several groups, the second and
// later count its end after). The zero value is an empty Group, ready to
// use. All methods are safe for concurrent use.
//
// Spawn any green thread and Add it (g.Add(gevent.Spawn(ctx, fn))), or use
// Go for one without a result.
//
// A Group is also errgroup's Group and conc's pool: Wait waits for every
// member and returns the first failure (or all of them, with AllErrors);
// NewGroup with CancelOnError cancels the others' context at the first
// failure (errgroup.WithContext); SetLimit bounds how many members Go
// runs at once, and TryGo starts one only if that bound leaves room. See
// group_errors.go for the two waits: Join is gevent's (it returns when its
// context ends and reports no error), Wait is errgroup's.
type Group struct {
	mu      sync.Mutex
	members memberList
	// index finds a green thread's place in members; made by the first
	// Add or Discard (Go alone never needs it), then kept up to date.
	index map[*GreenThread]*member
	empty waitq // parked in Join and Wait: waiting for no member
	// watchers are the Waits on g and its Done channel (see wait.go).
	watchers watchList

	cfg     groupConfig             // NewGroup's options; SetLimit changes cfg.limit
	limited atomic.Bool             // cfg.limit > 0: Go reads it without the lock
	ctx     *groupCtx               // made by NewGroup: the members' context
	cancel  context.CancelCauseFunc // cancels ctx (NewGroup only)
	// kids are the registrations of the green threads spawned with ctx,
	// in order: they follow its cancellation synchronously, as children of
	// a green thread do (see groupCtx).
	kids     afterList
	kidsGone bool        // kids were cancelled: later ones are cancelled at once
	stopKids func() bool // stops the registration with NewGroup's ctx
	active   int         // members Go started on a slot of the limit
	slots    waitq       // parked in Go: waiting for a slot
	first    error       // the first failure of a member
	errs     []error     // every failure, in finishing order (AllErrors)
	// failedT are the members whose failures Wait returns (the first, or
	// every one with AllErrors): Wait marks them read (see
	// SetFailureHandler); a failure it does not return stays unread.
	failedT []*GreenThread
	// ending counts the members that have left but still run their Links
	// (free mode): Join and Wait wait for them too (see settle).
	ending int
}

// Add puts a green thread in the group until it finishes: gevent's
// Group.add. Adding a finished one, or one already in, does nothing.
//
// A member's failure (an error other than a kill's, or a panic) counts
// for Wait if it finishes while in the group.
func (g *Group) Add(j Joinable) {
	t := j.thread()
	g.mu.Lock()
	if g.lookup(t) != nil || t.Ready() {
		g.mu.Unlock()
		return
	}
	m := &member{t: t, g: g}
	g.joinLocked(m)
	g.mu.Unlock()
	t.onFinishGroup(m)
}

// Go spawns fn as a green thread (see Go) and adds it to the group:
// gevent's Group.spawn, and errgroup's Group.Go. With a limit (SetLimit,
// Limit) it first waits, ctx-aware and first come first served, until
// fewer than the limit of the members Go started are running; if ctx ends
// during that wait, fn never runs and the returned green thread, a member,
// finishes with ctx's error. A member that calls Go on its own full group
// waits for another member to finish, as with errgroup.
//
// If the group was made by NewGroup, give fn the context NewGroup
// returned (or one derived from it) so that CancelOnError reaches it. On a
// Hub, ctx also says who waits for a slot, as for every blocking call: it
// must be the calling green thread's context or derived from it (NewGroup's
// context is, for the green thread that called NewGroup); a green thread
// that waits with another's context blocks the hub.
//
// Cost: a member Go starts at once (no pool) is one allocation (its
// Greenlet with its place in the group) and a goroutine, as for Spawn.
func (g *Group) Go(ctx context.Context, fn func(context.Context) error, opts ...SpawnOption) *Greenlet[struct{}] {
	gl, _ := spawnIn[struct{}](g, ctx, nil, fn, opts, false)
	return gl
}

// member is a green thread's place in a Group's members, an intrusive
// list in the order they joined, guarded by the group's mutex.
type member struct {
	t          *GreenThread
	g          *Group
	slot       bool // t holds a slot of g's limit (Go)
	listed     bool
	prev, next *member
}

// memberList is a Group's members, oldest first.
type memberList struct {
	head, tail *member
	n          int
}

func (l *memberList) push(m *member) {
	m.listed = true
	m.prev, m.next = l.tail, nil
	if l.tail == nil {
		l.head = m
	} else {
		l.tail.next = m
	}
	l.tail = m
	l.n++
}

// remove unlinks m and reports whether it was listed.
func (l *memberList) remove(m *member) bool {
	if !m.listed {
		return false
	}
	if m.prev == nil {
		l.head = m.next
	} else {
		m.prev.next = m.next
	}
	if m.next == nil {
		l.tail = m.prev
	} else {
		m.next.prev = m.prev
	}
	m.prev, m.next, m.listed = nil, nil, false
	l.n--
	return true
}

// join adds m to g's members.
func (g *Group) join(m *member) {
	g.mu.Lock()
	g.joinLocked(m)
	g.mu.Unlock()
}

// joinLocked adds m to g's members; g.mu held.
func (g *Group) joinLocked(m *member) {
	g.members.push(m)
	if g.index != nil {
		g.index[m.t] = m
	}
}

// leaveLocked removes m from g's members, waking the waits for an empty
// group if it was the last, and reports whether it was listed; g.mu held.
func (g *Group) leaveLocked(m *member) bool {
	if !g.members.remove(m) {
		return false
	}
	if g.index != nil && g.index[m.t] == m {
		delete(g.index, m.t)
	}
	g.wakeIfEmptyLocked()
	return true
}

// emptyLocked reports whether Join and Wait are done waiting: no member,
// and none that left still running its Links (see settle); g.mu held.
func (g *Group) emptyLocked() bool { return g.members.n == 0 && g.ending == 0 }

// wakeIfEmptyLocked wakes Join's and Wait's callers and the Waits on g if
// g is empty; g.mu held.
func (g *Group) wakeIfEmptyLocked() {
	if g.emptyLocked() {
		g.empty.wakeAll()
		g.watchers.fire()
	}
}

// settle counts the end of a member that left g while its Links had still
// to run (finished with ending set), and wakes g's waiters if that made g
// empty: as in gevent, a join of the group returns after the Links of its
// last member have run.
func (g *Group) settle() {
	g.mu.Lock()
	g.ending--
	g.wakeIfEmptyLocked()
	g.mu.Unlock()
}

// lookup returns t's place in g's members, or nil; g.mu held. The first
// call makes the index.
func (g *Group) lookup(t *GreenThread) *member {
	if g.index == nil {
		g.index = make(map[*GreenThread]*member, g.members.n)
		for m := g.members.head; m != nil; m = m.next {
			g.index[m.t] = m
		}
	}
	return g.index[t]
}

// Discard removes a green thread from the group without waiting for it:
// gevent's Group.discard.
func (g *Group) Discard(j Joinable) {
	t := j.thread()
	g.mu.Lock()
	defer g.mu.Unlock()
	if m := g.lookup(t); m != nil {
		g.leaveLocked(m)
	}
}

// Len returns the number of green threads in the group: len(group).
func (g *Group) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.members.n
}

// Active returns the green threads in the group, in the order they were
// spawned: multiprocessing's active_children().
func (g *Group) Active() []*GreenThread {
	g.mu.Lock()
	defer g.mu.Unlock()
	ts := make([]*GreenThread, 0, g.members.n)
	for m := g.members.head; m != nil; m = m.next {
		ts = append(ts, m.t)
	}
	// Added green threads join in the order of the Adds: sort by spawn.
	slices.SortFunc(ts, func(a, b *GreenThread) int { return cmp.Compare(a.id, b.id) })
	return ts
}

// Join waits until the group is empty (every member finished or was
// discarded, and the Links of those that finished have run, as in gevent),
// or ctx is done, and returns nil or ctx's error: gevent's Group.join.
// Green threads added while it waits are waited for too.
//
// Join does not report the members' errors, and it returns when ctx ends
// even though members still run: to wait for every member whatever
// happens to a context, and get their errors, use Wait (errgroup's Wait).
func (g *Group) Join(ctx context.Context) error {
	g.mu.Lock()
	for !g.emptyLocked() {
		if err := block(ctx, &g.mu, &g.empty); err != nil {
			return err
		}
		g.mu.Lock()
	}
	g.mu.Unlock()
	return nil
}

// Kill cancels every member and waits for the group to be empty or ctx to
// be done: gevent's Group.kill. The members are cancelled in the order
// they were spawned (on a Hub they wind down in that order); gevent's
// kill goes through the group's set, in an order that follows memory
// addresses and changes from run to run.
func (g *Group) Kill(ctx context.Context) error {
	cancelAll(g.Active())
	return g.Join(ctx)
}
