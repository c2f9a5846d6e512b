package gevent

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// On a Hub a green thread's end work (its Links, its pool's and group's
// bookkeeping, ApplyAsync's callbacks, the wake of its joiners and Waits)
// runs in a turn of its own behind the green threads that were ready when
// its body returned, as gevent runs a dead greenlet's links from a callback
// queued at its death. Each scenario below is a small gevent program whose
// output was taken from gevent 22.10 (Debian's python3-gevent); the Go port
// on a virtual clock gives the same lines in the same order, every run.

// g1 = spawn(f, 1); g1.link(...); g2 = spawn(f, 2); g2.link(...);
// joinall([g1, g2]): both bodies end before either's links run.
func TestHubLinksAfterTheReadyGreenThreads(t *testing.T) {
	trace := runTraces(t, 1_000, func(ctx context.Context, trace *[]string) error {
		log := traceTo(trace)
		var gs []*Greenlet[int]
		for i := 1; i <= 2; i++ {
			g := Spawn(ctx, func(context.Context) (int, error) { log("end %d", i); return i, nil })
			g.Link(func(g *Greenlet[int]) { log("link %d", g.Value()) })
			gs = append(gs, g)
		}
		_, err := JoinAll(ctx, gs)
		log("joined")
		return err
	})
	assert.Equal(t, []string{"end 1", "end 2", "link 1", "link 2", "joined"}, trace)
}

// Three members of a Group wait on an Event; after e.set() they wake in
// order, and each one's link runs after all three have woken, seeing the
// group shrink as the links of the discards before it have run:
//
//	for i in range(3):
//	    g = grp.spawn(waiter, i); g.link(lambda g: log("link %d len=%d" % (g.value, len(grp))))
//	gevent.sleep(0); e.set(); grp.join()
func TestHubGroupLinksAfterTheWoken(t *testing.T) {
	trace := runTraces(t, 1_000, func(ctx context.Context, trace *[]string) error {
		log := traceTo(trace)
		var e Event
		var grp Group
		for i := range 3 {
			g := Spawn(ctx, func(ctx context.Context) (int, error) {
				log("wait %d", i)
				if err := e.Wait(ctx); err != nil {
					return 0, err
				}
				log("woke %d", i)
				return i, nil
			})
			grp.Add(&g.GreenThread)
			g.Link(func(g *Greenlet[int]) { log("link %d len=%d", g.Value(), grp.Len()) })
		}
		if err := Sleep(ctx, 0); err != nil {
			return err
		}
		log("setting")
		e.Set()
		log("set")
		err := grp.Join(ctx)
		log("group joined")
		return err
	})
	assert.Equal(t, []string{
		"wait 0", "wait 1", "wait 2", "setting", "set",
		"woke 0", "woke 1", "woke 2",
		"link 0 len=2", "link 1 len=1", "link 2 len=0",
		"group joined",
	}, trace)
}

// gevent.wait(gs) reports the green threads in the order they became
// ready; two whose timers fire at the same moment both end before their
// links run.
func TestHubWaitOrderWithLinks(t *testing.T) {
	trace := runTraces(t, 1_000, func(ctx context.Context, trace *[]string) error {
		log := traceTo(trace)
		var gs []*Greenlet[int]
		for i, d := range []time.Duration{20 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond} {
			g := Spawn(ctx, func(ctx context.Context) (int, error) {
				if err := Sleep(ctx, d); err != nil {
					return 0, err
				}
				log("done %d", i)
				return i, nil
			})
			g.Link(func(g *Greenlet[int]) { log("l%d", g.Value()) })
			gs = append(gs, g)
		}
		ready, err := Wait(ctx, gs)
		var order []int
		for _, g := range ready {
			order = append(order, g.Value())
		}
		log("wait: %v", order)
		return err
	})
	assert.Equal(t, []string{"done 1", "done 2", "l1", "l2", "done 0", "l0", "wait: [1 2 0]"}, trace)
}

// ApplyAsync's callbacks on a pool of 2: the two tasks that share the
// pool run their bodies to the end before either callback (gevent's
// callback is a link of the task).
func TestHubApplyAsyncCallbacksAfterTheReady(t *testing.T) {
	trace := runTraces(t, 1_000, func(ctx context.Context, trace *[]string) error {
		log := traceTo(trace)
		p := NewPool(2)
		for i := range 2 {
			ApplyAsync(ctx, p, func(ctx context.Context) (int, error) {
				log("work %d", i)
				if err := Sleep(ctx, 0); err != nil {
					return 0, err
				}
				log("work %d done", i)
				return i, nil
			}, func(v int) { log("cb %d", v) }, nil)
			log("submitted %d", i)
		}
		err := p.Join(ctx)
		log("pool joined")
		return err
	})
	assert.Equal(t, []string{
		"submitted 0", "submitted 1", "work 0", "work 1", "work 0 done", "work 1 done",
		"cb 0", "cb 1", "pool joined",
	}, trace)
}

// A pool of 2 that five spawns share, one of them killed before it
// started (kill(block=False) right after its spawn): a spawn on the full
// pool waits for a slot, slots come back in the ends' turns, and the
// killed task's link runs before the next spawn's body, since gevent
// handles that death in kill itself.
func TestHubPoolSpawnsWithAnUnstartedKill(t *testing.T) {
	ms := time.Millisecond
	trace := runTraces(t, 1_000, func(ctx context.Context, trace *[]string) error {
		log := traceTo(trace)
		p := NewPool(2)
		for i, d := range []time.Duration{30 * ms, 10 * ms, 20 * ms, 50 * ms, 10 * ms} {
			log("spawning %d", i)
			g := Submit(ctx, p, func(ctx context.Context) (int, error) {
				log("start %d", i)
				if err := Sleep(ctx, d); err != nil {
					return 0, err
				}
				log("end %d", i)
				return i * 10, nil
			})
			g.Link(func(g *Greenlet[int]) {
				if errors.Is(g.Err(), ErrGreenletExit) {
					log("link GreenletExit")
					return
				}
				log("link %d", g.Value())
			})
			log("spawned %d free=%d", i, p.FreeCount())
			if i == 3 {
				g.Cancel()
				log("kill sent 3")
			}
		}
		err := p.Join(ctx)
		log("joined free=%d", p.FreeCount())
		return err
	})
	assert.Equal(t, []string{
		"spawning 0", "spawned 0 free=1", "spawning 1", "spawned 1 free=0", "spawning 2",
		"start 0", "start 1", "end 1", "link 10", "spawned 2 free=0", "spawning 3",
		"start 2", "end 0", "end 2", "link 0", "link 20", "spawned 3 free=1", "kill sent 3",
		"spawning 4", "spawned 4 free=0", "link GreenletExit", "start 4", "end 4", "link 40",
		"joined free=2",
	}, trace)
}

// A Link made on a Hub after the green thread has ended runs in a turn of
// its own behind the green threads ready then, not inside Link (gevent
// schedules a dead greenlet's links); one made while its end work waits
// for its turn runs with the earlier ones, after them:
//
//	g = spawn(body); g.join(); g.link(cb); log("after link"); sleep(0)
//	g1 = spawn(a); g1.link(cb1); g2 = spawn(b)  # b links cb2 to the dead g1
func TestHubLateLinks(t *testing.T) {
	trace := runTraces(t, 1_000, func(ctx context.Context, trace *[]string) error {
		log := traceTo(trace)
		g := Go(ctx, func(context.Context) error { log("g body"); return nil })
		if err := g.Join(ctx); err != nil {
			return err
		}
		g.Link(func(*Greenlet[struct{}]) { log("late link") })
		log("after link")
		if err := Sleep(ctx, 0); err != nil {
			return err
		}
		log("after sleep")
		g1 := Go(ctx, func(context.Context) error { log("a body"); return nil })
		g1.Link(func(*Greenlet[struct{}]) { log("a link 1") })
		g2 := Go(ctx, func(context.Context) error {
			log("b body, a dead=%v", g1.Dead())
			g1.Link(func(*Greenlet[struct{}]) { log("a link 2 (made by b)") })
			log("b after link")
			return nil
		})
		_, err := JoinAll(ctx, []*Greenlet[struct{}]{g1, g2})
		log("joined")
		return err
	})
	assert.Equal(t, []string{
		"g body", "after link", "late link", "after sleep",
		"a body", "b body, a dead=true", "b after link", "a link 1", "a link 2 (made by b)", "joined",
	}, trace)
}

// While a green thread waits for its end turn it is Ready, Dead, Started
// and not Alive, as a dead greenlet whose links have not run yet is in
// gevent; there Join, Get and Kill return at once, and Wait and JoinAll
// wait for the links, as gevent 22.10 prints for
//
//	g = spawn(lambda: log("g body")); g.link(lambda g: log("link"))
//	def other():
//	    log("ready=%s" % g.ready()); g.join(); log("joined"); g.kill(); log("killed")
//	    log("value %s" % g.get()); log("waited %d" % len(gevent.wait([g]))); gevent.joinall([g]); log("joinall")
//	joinall([spawn(other)])
func TestHubStateDuringTheEndTurn(t *testing.T) {
	trace := runTraces(t, 1_000, func(ctx context.Context, trace *[]string) error {
		log := traceTo(trace)
		g := Spawn(ctx, func(context.Context) (int, error) { log("g body"); return 7, nil })
		g.Link(func(*Greenlet[int]) { log("link") })
		other := Go(ctx, func(ctx context.Context) error {
			log("ready=%v dead=%v started=%v alive=%v", g.Ready(), g.Dead(), g.Started(), g.Alive())
			if err := g.Join(ctx); err != nil {
				return err
			}
			log("joined")
			if err := g.Kill(ctx); err != nil {
				return err
			}
			log("killed")
			v, err := g.Get(ctx)
			log("value %d %v", v, err)
			ready, err := Wait(ctx, []*Greenlet[int]{g})
			log("waited %d %v", len(ready), err)
			if _, err := JoinAll(ctx, []*Greenlet[int]{g}); err != nil {
				return err
			}
			log("joinall")
			return nil
		})
		return other.Join(ctx)
	})
	assert.Equal(t, []string{
		"g body", "ready=true dead=true started=true alive=false", "joined", "killed",
		"value 7 <nil>", "link", "waited 1 <nil>", "joinall",
	}, trace)
}
