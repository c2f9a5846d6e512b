package gevent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Small gevent programs ported line for line, each run 200 times on a
// virtual-clock Hub: the lines they log are gevent 22.10's (Debian's
// python3-gevent), in gevent's order, with Go's formatting of booleans
// and slices. The Python sources are in the comments.

// Queues with blocked putters and several getters, a Semaphore(1) handed on, a kill while others are ready, AsyncResult readers and a JoinableQueue's join.
//
//	import gevent
//	from gevent.queue import Queue, JoinableQueue
//	from gevent.lock import Semaphore, BoundedSemaphore
//	from gevent.event import AsyncResult
//	out = []
//	log = out.append
//
//	# queue: 2 getters, 1 putter
//	q = Queue()
//	def getter(n):
//	    for _ in range(2):
//	        v = q.get()
//	        log("%s got %s" % (n, v))
//	def putter():
//	    for i in range(4):
//	        q.put(i)
//	        log("put %d" % i)
//	    log("putter done")
//	gs = [gevent.spawn(getter, "A"), gevent.spawn(getter, "B"), gevent.spawn(putter)]
//	gevent.joinall(gs)
//	log("--")
//
//	# semaphore(1): 3 contenders, release order
//	sem = Semaphore(1)
//	def worker(n):
//	    with sem:
//	        log("%s in" % n)
//	        gevent.sleep(0)
//	        log("%s out" % n)
//	gevent.joinall([gevent.spawn(worker, n) for n in "XYZ"])
//	log("--")
//
//	# kill a running greenlet while others are ready
//	def victim():
//	    try:
//	        log("victim sleeping")
//	        gevent.sleep(1)
//	    except gevent.GreenletExit:
//	        log("victim got exit")
//	        raise
//	def other(n):
//	    log("other %d" % n)
//	v = gevent.spawn(victim)
//	gevent.sleep(0)
//	o1 = gevent.spawn(other, 1)
//	o2 = gevent.spawn(other, 2)
//	log("killing")
//	v.kill()
//	log("killed dead=%s" % v.dead)
//	gevent.joinall([o1, o2])
//	log("--")
//
//	# AsyncResult with two getters (its rawlink, which the Go port has no counterpart for, left out)
//	ar = AsyncResult()
//	def reader(n):
//	    log("%s read %s" % (n, ar.get()))
//	rs = [gevent.spawn(reader, n) for n in "PQ"]
//	gevent.sleep(0)
//	ar.set(7)
//	log("set 7")
//	gevent.joinall(rs)
//	log("--")
//
//	# joinable queue
//	jq = JoinableQueue()
//	def consumer():
//	    while True:
//	        item = jq.get()
//	        log("consume %s" % item)
//	        gevent.sleep(0)
//	        jq.task_done()
//	        log("done %s" % item)
//	c = gevent.spawn(consumer)
//	for i in range(2):
//	    jq.put(i)
//	log("joining")
//	jq.join()
//	log("joined")
//	c.kill()
func TestGeventProgramQueuesLocksKills(t *testing.T) {
	trace := runTraces(t, 200, func(ctx context.Context, trace *[]string) error {
		log := traceTo(trace)
		q := NewQueue[int](0)
		getter := func(n string) func(context.Context) error {
			return func(ctx context.Context) error {
				for range 2 {
					v, _ := q.Get(ctx)
					log("%s got %d", n, v)
				}
				return nil
			}
		}
		gs := []*Greenlet[struct{}]{Go(ctx, getter("A")), Go(ctx, getter("B")), Go(ctx, func(ctx context.Context) error {
			for i := range 4 {
				q.Put(ctx, i)
				log("put %d", i)
			}
			log("putter done")
			return nil
		})}
		JoinAll(ctx, gs)
		log("--")

		sem := NewSemaphore(1)
		gs = nil
		for _, n := range []string{"X", "Y", "Z"} {
			gs = append(gs, Go(ctx, func(ctx context.Context) error {
				sem.Acquire(ctx)
				log("%s in", n)
				Sleep(ctx, 0)
				log("%s out", n)
				sem.Release()
				return nil
			}))
		}
		JoinAll(ctx, gs)
		log("--")

		v := Go(ctx, func(ctx context.Context) error {
			log("victim sleeping")
			if err := Sleep(ctx, time.Second); err != nil {
				log("victim got exit")
				return err
			}
			return nil
		})
		Sleep(ctx, 0)
		o1 := Go(ctx, func(ctx context.Context) error { log("other 1"); return nil })
		o2 := Go(ctx, func(ctx context.Context) error { log("other 2"); return nil })
		log("killing")
		v.Kill(ctx)
		log("killed dead=%v", v.Dead())
		JoinAll(ctx, []*Greenlet[struct{}]{o1, o2})
		log("--")

		var ar AsyncResult[int]
		gs = nil
		for _, n := range []string{"P", "Q"} {
			gs = append(gs, Go(ctx, func(ctx context.Context) error {
				x, _ := ar.Get(ctx)
				log("%s read %d", n, x)
				return nil
			}))
		}
		Sleep(ctx, 0)
		ar.Set(7)
		log("set 7")
		JoinAll(ctx, gs)
		log("--")

		jq := NewQueue[int](0)
		c := Go(ctx, func(ctx context.Context) error {
			for {
				item, err := jq.Get(ctx)
				if err != nil {
					return err
				}
				log("consume %d", item)
				Sleep(ctx, 0)
				jq.TaskDone()
				log("done %d", item)
			}
		})
		for i := range 2 {
			jq.Put(ctx, i)
		}
		log("joining")
		jq.Join(ctx)
		log("joined")
		c.Kill(ctx)
		return nil
	})
	assert.Equal(t, []string{
		"put 0",
		"put 1",
		"put 2",
		"put 3",
		"putter done",
		"A got 0",
		"A got 1",
		"B got 2",
		"B got 3",
		"--",
		"X in",
		"X out",
		"Y in",
		"Y out",
		"Z in",
		"Z out",
		"--",
		"victim sleeping",
		"killing",
		"other 1",
		"other 2",
		"victim got exit",
		"killed dead=true",
		"--",
		"set 7",
		"P read 7",
		"Q read 7",
		"--",
		"joining",
		"consume 0",
		"done 0",
		"consume 1",
		"done 1",
		"joined",
	}, trace)
}

// with_timeout, joinall(count=) and joinall(raise_error=), spawn_later against sleep, imap_unordered and imap on a pool of 2, a Timeout scope around several sleeps.
//
//	import gevent
//	from gevent import Timeout
//	from gevent.pool import Pool
//	out = []
//	log = out.append
//
//	def slow(n, t):
//	    gevent.sleep(t)
//	    log("slow %s done" % n)
//	    return n
//
//	# with_timeout around a slow call
//	r = gevent.with_timeout(0.05, slow, "a", 0.1, timeout_value="TIMEOUT")
//	log("with_timeout -> %s" % r)
//
//	# joinall with count
//	gs = [gevent.spawn(slow, n, t) for n, t in [("x", 0.03), ("y", 0.01), ("z", 0.02)]]
//	done = gevent.joinall(gs, count=2)
//	log("joinall count=2 -> %s" % sorted(g.value for g in done))
//	gevent.joinall(gs)
//
//	# joinall raise_error
//	def boom():
//	    gevent.sleep(0.01)
//	    raise ValueError("boom")
//	gs = [gevent.spawn(slow, "p", 0.02), gevent.spawn(boom), gevent.spawn(slow, "q", 0.03)]
//	try:
//	    gevent.joinall(gs, raise_error=True)
//	except ValueError as e:
//	    log("raised %s" % e)
//	gevent.joinall(gs)
//
//	# spawn_later vs sleep
//	gevent.spawn_later(0.02, log, "later 2")
//	gevent.spawn_later(0.01, log, "later 1")
//	gevent.spawn(log, "now")
//	gevent.sleep(0.03)
//
//	# imap_unordered on a pool
//	p = Pool(2)
//	for v in p.imap_unordered(lambda t: slow(t, t / 100.0), [3, 1, 2]):
//	    log("imap_unordered %s" % v)
//	for v in p.imap(lambda t: slow(t, t / 100.0), [3, 1, 2]):
//	    log("imap %s" % v)
//
//	# Timeout as a scope around several sleeps
//	try:
//	    with Timeout(0.025):
//	        for i in range(5):
//	            gevent.sleep(0.01)
//	            log("tick %d" % i)
//	except Timeout:
//	    log("scope timed out")
func TestGeventProgramTimeoutsJoinsMaps(t *testing.T) {
	ms := time.Millisecond
	trace := runTraces(t, 200, func(ctx context.Context, trace *[]string) error {
		log := traceTo(trace)
		slow := func(n string, t time.Duration) func(context.Context) (string, error) {
			return func(ctx context.Context) (string, error) {
				if err := Sleep(ctx, t); err != nil {
					return "", err
				}
				log("slow %s done", n)
				return n, nil
			}
		}
		r, _ := WithTimeoutOr(ctx, 50*ms, "TIMEOUT", slow("a", 100*ms))
		log("with_timeout -> %s", r)

		gs := []*Greenlet[string]{Spawn(ctx, slow("x", 30*ms)), Spawn(ctx, slow("y", 10*ms)), Spawn(ctx, slow("z", 20*ms))}
		done, _ := JoinAll(ctx, gs, JoinCount(2))
		var vs []string
		for _, g := range done {
			vs = append(vs, g.Value())
		}
		slices.Sort(vs)
		log("joinall count=2 -> %v", vs)
		JoinAll(ctx, gs)

		gs = []*Greenlet[string]{Spawn(ctx, slow("p", 20*ms)), Spawn(ctx, func(ctx context.Context) (string, error) {
			Sleep(ctx, 10*ms)
			return "", errors.New("boom")
		}), Spawn(ctx, slow("q", 30*ms))}
		if _, err := JoinAll(ctx, gs, RaiseError()); err != nil {
			log("raised %v", err)
		}
		JoinAll(ctx, gs)

		say := func(s string) func(context.Context) (int, error) {
			return func(context.Context) (int, error) { log("%s", s); return 0, nil }
		}
		SpawnLater(ctx, 20*ms, say("later 2"))
		SpawnLater(ctx, 10*ms, say("later 1"))
		Spawn(ctx, say("now"))
		Sleep(ctx, 30*ms)

		p := NewPool(2)
		items := slices.Values([]int{3, 1, 2})
		f := func(ctx context.Context, t int) (int, error) {
			_, err := slow(fmt.Sprint(t), time.Duration(t)*10*ms)(ctx)
			return t, err
		}
		for r := range IMapUnordered(ctx, p, items, f) {
			log("imap_unordered %d", r.Value)
		}
		for r := range IMap(ctx, p, items, f) {
			log("imap %d", r.Value)
		}

		err := Timeout{After: 25 * ms}.Run(ctx, func(ctx context.Context) error {
			for i := range 5 {
				if err := Sleep(ctx, 10*ms); err != nil {
					return err
				}
				log("tick %d", i)
			}
			return nil
		})
		if errors.Is(err, ErrTimeout) {
			log("scope timed out")
		}
		return nil
	})
	assert.Equal(t, []string{
		"with_timeout -> TIMEOUT",
		"slow y done",
		"slow z done",
		"joinall count=2 -> [y z]",
		"slow x done",
		"raised boom",
		"slow p done",
		"slow q done",
		"now",
		"later 1",
		"later 2",
		"slow 1 done",
		"imap_unordered 1",
		"slow 3 done",
		"slow 2 done",
		"imap_unordered 3",
		"imap_unordered 2",
		"slow 1 done",
		"slow 3 done",
		"slow 2 done",
		"imap 3",
		"imap 1",
		"imap 2",
		"tick 0",
		"tick 1",
		"scope timed out",
	}, trace)
}

// A bounded Queue(1) between two putters and a getter, a Channel rendezvous, Priority and Lifo queues, Event.wait(timeout) before and after a set, Semaphore releases with the releaser going on.
//
//	import gevent
//	from gevent.event import Event
//	from gevent.lock import RLock, Semaphore
//	from gevent.queue import Queue, Channel, PriorityQueue, LifoQueue
//	out = []
//	log = out.append
//
//	# bounded queue: putters block
//	q = Queue(1)
//	def prod(n):
//	    for i in range(2):
//	        q.put("%s%d" % (n, i))
//	        log("%s put %d" % (n, i))
//	def cons():
//	    for _ in range(4):
//	        log("got %s" % q.get())
//	gevent.joinall([gevent.spawn(prod, "a"), gevent.spawn(prod, "b"), gevent.spawn(cons)])
//	log("--")
//
//	# Channel (rendezvous)
//	ch = Channel()
//	def sender():
//	    for i in range(2):
//	        log("sending %d" % i)
//	        ch.put(i)
//	        log("sent %d" % i)
//	def receiver():
//	    for _ in range(2):
//	        log("recv %d" % ch.get())
//	gevent.joinall([gevent.spawn(sender), gevent.spawn(receiver)])
//	log("--")
//
//	# priority & lifo
//	pq = PriorityQueue()
//	for x in [3, 1, 2]: pq.put(x)
//	log("pq %s" % [pq.get() for _ in range(3)])
//	lq = LifoQueue()
//	for x in [3, 1, 2]: lq.put(x)
//	log("lq %s" % [lq.get() for _ in range(3)])
//	log("--")
//
//	# event wait with timeout then set by other
//	e = Event()
//	def setter():
//	    gevent.sleep(0.02)
//	    log("setting")
//	    e.set()
//	gevent.spawn(setter)
//	log("wait1 %s" % e.wait(0.01))
//	log("wait2 %s" % e.wait(0.05))
//	log("--")
//
//	# semaphore: release wakes in FIFO, releaser continues
//	s = Semaphore(0)
//	def acq(n):
//	    s.acquire()
//	    log("%s acquired" % n)
//	for n in "xyz":
//	    gevent.spawn(acq, n)
//	gevent.sleep(0)
//	s.release(); log("released 1")
//	s.release(); log("released 2")
//	gevent.sleep(0)
//	log("after sleep")
//	s.release()
//	gevent.sleep(0)
func TestGeventProgramChannelsEventsSemaphores(t *testing.T) {
	ms := time.Millisecond
	trace := runTraces(t, 200, func(ctx context.Context, trace *[]string) error {
		log := traceTo(trace)
		q := NewQueue[string](1)
		prod := func(n string) func(context.Context) error {
			return func(ctx context.Context) error {
				for i := range 2 {
					q.Put(ctx, fmt.Sprintf("%s%d", n, i))
					log("%s put %d", n, i)
				}
				return nil
			}
		}
		JoinAll(ctx, []*Greenlet[struct{}]{Go(ctx, prod("a")), Go(ctx, prod("b")), Go(ctx, func(ctx context.Context) error {
			for range 4 {
				v, _ := q.Get(ctx)
				log("got %s", v)
			}
			return nil
		})})
		log("--")

		var ch Channel[int]
		JoinAll(ctx, []*Greenlet[struct{}]{Go(ctx, func(ctx context.Context) error {
			for i := range 2 {
				log("sending %d", i)
				ch.Put(ctx, i)
				log("sent %d", i)
			}
			return nil
		}), Go(ctx, func(ctx context.Context) error {
			for range 2 {
				v, _ := ch.Get(ctx)
				log("recv %d", v)
			}
			return nil
		})})
		log("--")

		pq := NewPriorityQueue[int](0, func(a, b int) bool { return a < b })
		lq := NewLifoQueue[int](0)
		for _, x := range []int{3, 1, 2} {
			pq.Put(ctx, x)
			lq.Put(ctx, x)
		}
		var a, b []int
		for range 3 {
			v, _ := pq.Get(ctx)
			a = append(a, v)
			w, _ := lq.Get(ctx)
			b = append(b, w)
		}
		log("pq %v", a)
		log("lq %v", b)
		log("--")

		var e Event
		Go(ctx, func(ctx context.Context) error {
			Sleep(ctx, 20*ms)
			log("setting")
			e.Set()
			return nil
		})
		w1, c1 := TimeoutContext(ctx, 10*ms)
		log("wait1 %v", e.Wait(w1) == nil)
		c1()
		w2, c2 := TimeoutContext(ctx, 50*ms)
		log("wait2 %v", e.Wait(w2) == nil)
		c2()
		log("--")

		s := NewSemaphore(0)
		for _, n := range []string{"x", "y", "z"} {
			Go(ctx, func(ctx context.Context) error {
				s.Acquire(ctx)
				log("%s acquired", n)
				return nil
			})
		}
		Sleep(ctx, 0)
		s.Release()
		log("released 1")
		s.Release()
		log("released 2")
		Sleep(ctx, 0)
		log("after sleep")
		s.Release()
		Sleep(ctx, 0)
		return nil
	})
	assert.Equal(t, []string{
		"a put 0",
		"got a0",
		"a put 1",
		"got a1",
		"b put 0",
		"got b0",
		"b put 1",
		"got b1",
		"--",
		"sending 0",
		"recv 0",
		"sent 0",
		"sending 1",
		"recv 1",
		"sent 1",
		"--",
		"pq [1 2 3]",
		"lq [2 1 3]",
		"--",
		"wait1 false",
		"setting",
		"wait2 true",
		"--",
		"released 1",
		"released 2",
		"x acquired",
		"y acquired",
		"after sleep",
		"z acquired",
	}, trace)
}

// Python's timeout arguments on a Queue, a Semaphore and an AsyncResult, nested Timeouts, a Timeout cutting a join short.
//
//	import gevent
//	from gevent import Timeout
//	from gevent.queue import Queue, Empty
//	from gevent.lock import Semaphore
//	from gevent.event import AsyncResult
//	out = []
//	log = out.append
//
//	q = Queue()
//	try:
//	    q.get(timeout=0.01)
//	except Empty:
//	    log("queue empty after timeout")
//	gevent.spawn_later(0.01, q.put, "x")
//	log("got %s" % q.get(timeout=0.05))
//
//	s = Semaphore(0)
//	log("acquire -> %s" % s.acquire(timeout=0.01))
//	gevent.spawn_later(0.01, s.release)
//	log("acquire2 -> %s" % s.acquire(timeout=0.05))
//
//	ar = AsyncResult()
//	try:
//	    ar.get(timeout=0.01)
//	except Timeout:
//	    log("ar timeout")
//
//	# nested timeouts: inner shorter
//	def nested():
//	    try:
//	        with Timeout(0.05):
//	            try:
//	                with Timeout(0.01):
//	                    gevent.sleep(0.03)
//	            except Timeout:
//	                log("inner fired")
//	            gevent.sleep(0.1)
//	    except Timeout:
//	        log("outer fired")
//	nested()
//
//	# timeout fires while a greenlet joins another
//	def slow():
//	    gevent.sleep(0.1)
//	    log("slow done")
//	g = gevent.spawn(slow)
//	try:
//	    with Timeout(0.02):
//	        g.join()
//	except Timeout:
//	    log("join interrupted, g dead=%s" % g.dead)
//	g.kill()
//	log("killed slow dead=%s" % g.dead)
func TestGeventProgramTimedCalls(t *testing.T) {
	ms := time.Millisecond
	trace := runTraces(t, 200, func(ctx context.Context, trace *[]string) error {
		log := traceTo(trace)
		q := NewQueue[string](0)
		tctx, c := ContextWithTimeout(ctx, 10*ms)
		if _, err := q.Get(tctx); errors.Is(err, ErrEmpty) {
			log("queue empty after timeout")
		} else {
			log("queue get: %v", err)
		}
		c()
		SpawnLater(ctx, 10*ms, func(ctx context.Context) (int, error) { return 0, q.Put(ctx, "x") })
		tctx, c = TimeoutContext(ctx, 50*ms)
		v, _ := q.Get(tctx)
		c()
		log("got %s", v)

		s := NewSemaphore(0)
		tctx, c = TimeoutContext(ctx, 10*ms)
		log("acquire -> %v", s.Acquire(tctx) == nil)
		c()
		SpawnLater(ctx, 10*ms, func(ctx context.Context) (int, error) { s.Release(); return 0, nil })
		tctx, c = TimeoutContext(ctx, 50*ms)
		log("acquire2 -> %v", s.Acquire(tctx) == nil)
		c()

		var ar AsyncResult[int]
		tctx, c = TimeoutContext(ctx, 10*ms)
		if _, err := ar.Get(tctx); errors.Is(err, ErrTimeout) {
			log("ar timeout")
		}
		c()

		err := WithTimeout(ctx, 50*ms, func(ctx context.Context) error {
			err := WithTimeout(ctx, 10*ms, func(ctx context.Context) error { return Sleep(ctx, 30*ms) })
			if errors.Is(err, ErrTimeout) {
				log("inner fired")
			}
			return Sleep(ctx, 100*ms)
		})
		if errors.Is(err, ErrTimeout) {
			log("outer fired")
		}

		g := Go(ctx, func(ctx context.Context) error {
			if err := Sleep(ctx, 100*ms); err != nil {
				return err
			}
			log("slow done")
			return nil
		})
		if err := WithTimeout(ctx, 20*ms, g.Join); errors.Is(err, ErrTimeout) {
			log("join interrupted, g dead=%v", g.Dead())
		}
		g.Kill(ctx)
		log("killed slow dead=%v", g.Dead())
		return nil
	})
	assert.Equal(t, []string{
		"queue empty after timeout",
		"got x",
		"acquire -> false",
		"acquire2 -> true",
		"ar timeout",
		"inner fired",
		"outer fired",
		"join interrupted, g dead=false",
		"killed slow dead=true",
	}, trace)
}

// joinall(raise_error=True) with two failures (the first to fail is raised), joinall(timeout=0), wait(timeout=) and wait(count=).
//
//	import gevent
//	out = []
//	log = out.append
//	def fail(n, t):
//	    gevent.sleep(t)
//	    log("fail %s" % n)
//	    raise ValueError(n)
//	def ok(n, t):
//	    gevent.sleep(t)
//	    log("ok %s" % n)
//	    return n
//	gs = [gevent.spawn(fail, "a", 0.03), gevent.spawn(ok, "b", 0.01), gevent.spawn(fail, "c", 0.02)]
//	try:
//	    gevent.joinall(gs, raise_error=True)
//	except ValueError as e:
//	    log("raised %s" % e)
//	gevent.joinall(gs)
//	log("a exc=%s c exc=%s b ok=%s" % (gs[0].exception, gs[2].exception, gs[1].successful()))
//	done = gevent.joinall(gs, timeout=0)
//	log("done %d" % len(done))
//	# wait with count and timeout
//	gs = [gevent.spawn(ok, n, t) for n, t in [("x", 0.03), ("y", 0.01), ("z", 0.02)]]
//	r = gevent.wait(gs, timeout=0.015)
//	log("wait timeout -> %s" % [g.value for g in r])
//	r = gevent.wait(gs, count=2)
//	log("wait count -> %s" % sorted(g.value for g in r))
//	gevent.joinall(gs)
func TestGeventProgramJoinAllAndWait(t *testing.T) {
	ms := time.Millisecond
	trace := runTraces(t, 200, func(ctx context.Context, trace *[]string) error {
		log := traceTo(trace)
		fail := func(n string, t time.Duration) func(context.Context) (string, error) {
			return func(ctx context.Context) (string, error) {
				Sleep(ctx, t)
				log("fail %s", n)
				return "", errors.New(n)
			}
		}
		ok := func(n string, t time.Duration) func(context.Context) (string, error) {
			return func(ctx context.Context) (string, error) {
				Sleep(ctx, t)
				log("ok %s", n)
				return n, nil
			}
		}
		gs := []*Greenlet[string]{Spawn(ctx, fail("a", 30*ms)), Spawn(ctx, ok("b", 10*ms)), Spawn(ctx, fail("c", 20*ms))}
		if _, err := JoinAll(ctx, gs, RaiseError()); err != nil {
			log("raised %v", err)
		}
		JoinAll(ctx, gs)
		log("a exc=%v c exc=%v b ok=%v", gs[0].Err(), gs[2].Err(), gs[1].Successful())
		done, _ := JoinAll(ctx, gs, JoinTimeout(0))
		log("done %d", len(done))
		gs = []*Greenlet[string]{Spawn(ctx, ok("x", 30*ms)), Spawn(ctx, ok("y", 10*ms)), Spawn(ctx, ok("z", 20*ms))}
		r, _ := Wait(ctx, gs, JoinTimeout(15*ms))
		var vs []string
		for _, g := range r {
			vs = append(vs, g.Value())
		}
		log("wait timeout -> %v", vs)
		r, _ = Wait(ctx, gs, JoinCount(2))
		vs = nil
		for _, g := range r {
			vs = append(vs, g.Value())
		}
		slices.Sort(vs)
		log("wait count -> %v", vs)
		JoinAll(ctx, gs)
		return nil
	})
	assert.Equal(t, []string{
		"ok b",
		"fail c",
		"raised c",
		"fail a",
		"a exc=a c exc=c b ok=true",
		"done 3",
		"ok y",
		"wait timeout -> [y]",
		"ok z",
		"wait count -> [y z]",
		"ok x",
	}, trace)
}
