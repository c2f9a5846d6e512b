package gevent

import (
	"context"
	"sync"
)

// Group is gevent's Group: an unbounded set of green threads to join or kill
// together, and multiprocessing's view of a parent's children
// (active_children). A green thread leaves the group when it finishes. The
// zero value is an empty Group, ready to use. All methods are safe for
// concurrent use.
//
// Spawn any green thread and Add it (g.Add(gevent.Spawn(ctx, fn))), or use
// Go for one without a result.
type Group struct {
	mu      sync.Mutex
	members threadSet
	empty   waitq // parked in Join: waiting for no member
	// watchers are the Waits on g and its Done channel (see wait.go).
	watchers watchList
}

// Add puts a green thread in the group until it finishes: gevent's
// Group.add. Adding a finished one, or one already in, does nothing.
func (g *Group) Add(j Joinable) {
	t := j.thread()
	g.mu.Lock()
	if g.members.has(t) || t.Ready() {
		g.mu.Unlock()
		return
	}
	g.members.add(t)
	g.mu.Unlock()
	t.onFinish(func() { g.Discard(t) })
}

// Go spawns fn as a green thread (see Go) and adds it to the group:
// gevent's Group.spawn.
func (g *Group) Go(ctx context.Context, fn func(context.Context) error, opts ...SpawnOption) *Greenlet[struct{}] {
	gl := Go(ctx, fn, opts...)
	g.Add(gl)
	return gl
}

// Discard removes a green thread from the group without waiting for it:
// gevent's Group.discard.
func (g *Group) Discard(j Joinable) {
	t := j.thread()
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.members.has(t) {
		return
	}
	delete(g.members, t)
	if len(g.members) == 0 {
		g.empty.wakeAll()
		g.watchers.fire()
	}
}

// Len returns the number of green threads in the group: len(group).
func (g *Group) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.members)
}

// Active returns the green threads in the group, in the order they were
// spawned: multiprocessing's active_children().
func (g *Group) Active() []*Thread {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.members.inSpawnOrder()
}

// Join waits until the group is empty (every member finished or was
// discarded), or ctx is done, and returns nil or ctx's error: gevent's
// Group.join. Green threads added while it waits are waited for too.
func (g *Group) Join(ctx context.Context) error {
	g.mu.Lock()
	for len(g.members) > 0 {
		if err := block(ctx, &g.mu, &g.empty); err != nil {
			return err
		}
		g.mu.Lock()
	}
	g.mu.Unlock()
	return nil
}

// Kill cancels every member and waits for the group to be empty or ctx to
// be done: gevent's Group.kill.
func (g *Group) Kill(ctx context.Context) error {
	cancelAll(g.Active())
	return g.Join(ctx)
}
