package crawl

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"time"

	"github.com/geventgo/geventgo/gevent"
)

// clock is the time the scheduler waits by: host delays, backoffs and
// Retry-After. Tests scale it so that a run with second-long waits takes
// milliseconds; fetch timing and deadlines always use the real clock.
type clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) stopper
}

type stopper interface{ Stop() bool }

type realClock struct{}

func (realClock) Now() time.Time                              { return time.Now() }
func (realClock) AfterFunc(d time.Duration, f func()) stopper { return time.AfterFunc(d, f) }

// runWorkers runs n copies of work as the tasks of a gevent.Pool of n
// green threads and returns when all have returned: the crawl's only use
// of gevent, kept in one place.
func runWorkers(ctx context.Context, n int, work func()) error {
	pool := gevent.NewPool(max(n, 1))
	defer func() {
		pool.Close()
		_ = pool.Join(context.WithoutCancel(ctx)) // the workers have returned: releases the pool's goroutines
	}()
	_, err := gevent.Map(context.WithoutCancel(ctx), pool, make([]struct{}, n), func(context.Context, struct{}) (struct{}, error) {
		work()
		return struct{}{}, nil
	})
	return err
}

// task is one distinct URL of the list (or a host's robots.txt) from the
// moment it is read until its result is emitted.
type task struct {
	url       string
	key       urlKey
	lines     []int // where it appeared, while it is open (under engine.mu)
	host      *host
	robots    bool   // fetches host's robots.txt; never emitted
	skip      string // why it is not fetched (robots.txt)
	attempts  int
	duration  time.Duration // all attempts
	notBefore time.Time     // a retry's earliest start
	last      attempt
	finished  bool // under engine.emitMu
}

// host is the politeness state of one origin: its queue and retries, its
// requests in flight and when the next may start.
type host struct {
	origin     string
	queue      []*task // read, not yet started, in list order
	retries    []*task // waiting for their notBefore
	robotsTask *task   // robots.txt, to be fetched before anything else
	robotsBusy bool    // robots.txt not yet known: the queue waits
	rules      *robotsRules
	inflight   int
	nextAt     time.Time // earliest start of the next request (delay, Retry-After)
	lastStart  time.Time
	gap        time.Duration // delay between starts
	inReady    bool
	timer      stopper
	timerGen   int
	timerAt    time.Time
	busy       time.Duration // time in requests, for the ideal speed-up
	requests   int
}

// engine crawls one pass over a list: a reader goroutine feeds per-host
// queues, a gevent pool of workers takes the next request from any host
// that may start one, and every result is emitted as it finishes.
type engine struct {
	o    Options
	mode Mode
	conc int
	f    *fetcher
	clk  clock
	emit func(Event) error

	emitMu  sync.Mutex // orders emission; taken before mu
	emitErr error
	stats   runStats

	mu        sync.Mutex
	work      *sync.Cond // workers: a host is ready, a skip is queued, or the end
	room      *sync.Cond // reader: the lookahead has room, or the crawl stopped
	hosts     map[string]*host
	ready     []*host
	skips     []*task
	seen      map[urlKey]int32 // first line of every URL read
	open      map[urlKey]*task // read and not yet emitted
	robots    map[string]*robotsRules
	queued    int // read, not yet started (queues and skips): bounded by Lookahead
	live      int // tasks (robots.txt included) not yet finished
	inputDone bool
	stopped   bool
	stopErr   error
	lastLine  int
	maxOpen   int // high-water mark of len(open), for tests
	hostBound time.Duration
	robotsN   int
}

func newEngine(o Options, mode Mode, f *fetcher, emit func(Event) error) *engine {
	e := &engine{
		o: o, mode: mode, conc: o.Concurrency, f: f, clk: o.clock, emit: emit,
		hosts: make(map[string]*host), seen: make(map[urlKey]int32),
		open: make(map[urlKey]*task), robots: make(map[string]*robotsRules),
	}
	if mode == Serial {
		e.conc = 1
	}
	e.work = sync.NewCond(&e.mu)
	e.room = sync.NewCond(&e.mu)
	return e
}

// run crawls the items src yields and returns the pass's summary. The
// error is the list's read error, ctx's cause, or emit's first error.
func (e *engine) run(ctx context.Context, src func(yield func(item) bool) error) (*Run, error) {
	start := time.Now()
	if ctx.Err() != nil {
		// Cancelled already: AfterFunc would halt on its own goroutine,
		// after a worker may have started a request.
		e.halt(context.Cause(ctx))
	}
	stop := context.AfterFunc(ctx, func() { e.halt(context.Cause(ctx)) })
	defer stop()
	var readErr error
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		err := src(e.add)
		e.mu.Lock()
		readErr = err
		e.inputDone = true
		e.work.Broadcast()
		e.mu.Unlock()
	}()
	if err := runWorkers(ctx, e.conc, func() { e.worker(ctx) }); err != nil {
		e.halt(err)
	}
	<-readerDone
	e.drain()

	e.emitMu.Lock()
	defer e.emitMu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	run := e.stats.run(e.mode, time.Since(start), e.o)
	run.Lines = e.lastLine
	run.RobotsFetches = e.robotsN
	run.IdealSpeedup, run.IdealBound = ideal(e.stats.sum, e.stats.maxDur, e.hostBound, e.o.Concurrency)
	err := readErr
	switch {
	case readErr != nil:
		err = fmt.Errorf("crawl: reading the list after line %d: %w", e.lastLine, readErr)
	case e.stopped:
		err = e.stopErr
		run.Interrupted = ctx.Err() != nil
	}
	return run, err
}

// halt stops the crawl: no new request starts, the reader stops reading.
func (e *engine) halt(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.stopped {
		e.stopped, e.stopErr = true, err
	}
	e.work.Broadcast()
	e.room.Broadcast()
}

// add takes one item of the list (on the reader goroutine); false stops
// the reading.
func (e *engine) add(it item) bool {
	if it.problem != nil {
		e.mu.Lock()
		e.lastLine = it.line
		e.mu.Unlock()
		e.send(Event{BadLine: it.problem}, func(s *runStats) { s.badLines++ })
		return true
	}
	norm, origin := normalize(it.url)
	k := keyOf(norm)
	e.mu.Lock()
	if first, ok := e.seen[k]; ok {
		e.lastLine = it.line
		if t := e.open[k]; t != nil {
			t.lines = append(t.lines, it.line)
			e.mu.Unlock()
			e.send(Event{}, func(s *runStats) { s.duplicates++ })
			return true
		}
		e.mu.Unlock()
		e.send(Event{Duplicate: &Duplicate{Line: it.line, URL: it.url, FirstLine: int(first)}}, func(s *runStats) { s.duplicates++ })
		return true
	}
	for e.queued >= e.o.Lookahead && !e.stopped {
		e.room.Wait()
	}
	if e.stopped {
		e.mu.Unlock()
		return false
	}
	e.lastLine = it.line
	e.seen[k] = int32(it.line)
	t := &task{url: it.url, key: k, lines: []int{it.line}}
	e.open[k] = t
	e.maxOpen = max(e.maxOpen, len(e.open))
	e.live++
	e.queued++
	h := e.hostFor(origin)
	t.host = h
	if h.rules != nil {
		if why := h.rules.disallows(t.url); why != "" {
			t.skip = why
			e.skips = append(e.skips, t)
			e.work.Signal()
			e.mu.Unlock()
			return true
		}
	}
	h.queue = append(h.queue, t)
	e.consider(h, e.clk.Now())
	e.mu.Unlock()
	return true
}

// hostFor returns origin's state, made on first use (with its robots.txt
// task when Robots is set and the cache does not know the host).
func (e *engine) hostFor(origin string) *host {
	h := e.hosts[origin]
	if h != nil {
		return h
	}
	h = &host{origin: origin, gap: e.o.HostDelay}
	e.hosts[origin] = h
	if e.o.Robots && origin != "" {
		if r, ok := e.robots[origin]; ok {
			e.setRules(h, r)
		} else {
			h.robotsTask = &task{url: origin + "/robots.txt", robots: true, host: h}
			h.robotsBusy = true
			e.live++
		}
	}
	return h
}

// workAt is when h next has a request to start, were it free: ok is false
// when it has none.
func (h *host) workAt() (at time.Time, ok bool) {
	if h.robotsTask != nil || (!h.robotsBusy && len(h.queue) > 0) {
		return time.Time{}, true
	}
	for _, t := range h.retries {
		if !ok || t.notBefore.Before(at) {
			at, ok = t.notBefore, true
		}
	}
	return at, ok
}

// consider puts h on the ready list if it may start a request now, sets
// its timer if it may later, and forgets it once it is idle and cooled
// down. Called with mu held whenever h's state changes.
func (e *engine) consider(h *host, now time.Time) {
	if h.inReady {
		return
	}
	at, ok := h.workAt()
	if !ok || h.inflight >= e.o.HostConcurrency {
		if !ok && h.inflight == 0 && !h.robotsBusy {
			if now.Before(h.nextAt) {
				e.setTimer(h, h.nextAt, now) // forget it once its delay is over
			} else {
				e.dropHost(h)
			}
		}
		return
	}
	if h.nextAt.After(at) {
		at = h.nextAt
	}
	if at.After(now) {
		e.setTimer(h, at, now)
		return
	}
	h.inReady = true
	e.ready = append(e.ready, h)
	e.work.Signal()
}

func (e *engine) setTimer(h *host, at, now time.Time) {
	if h.timer != nil {
		if !h.timerAt.After(at) {
			return
		}
		h.timer.Stop()
	}
	h.timerGen++
	gen := h.timerGen
	h.timerAt = at
	h.timer = e.clk.AfterFunc(at.Sub(now), func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if h.timerGen != gen || h.timer == nil {
			return
		}
		h.timer = nil
		e.consider(h, e.clk.Now())
	})
}

// dropHost forgets an idle host, keeping its share of the ideal bound.
func (e *engine) dropHost(h *host) {
	if h.timer != nil {
		h.timer.Stop()
		h.timer = nil
	}
	if e.hosts[h.origin] == h {
		delete(e.hosts, h.origin)
	}
	e.foldHost(h)
}

// foldHost adds h's lower bound on a concurrent crawl's wall time: its
// request time spread over its permitted concurrency, or its delays.
func (e *engine) foldHost(h *host) {
	if h.requests == 0 {
		return
	}
	b := h.busy / time.Duration(min(e.o.HostConcurrency, h.requests))
	if h.gap > 0 {
		b = max(b, time.Duration(h.requests-1)*h.gap)
	}
	e.hostBound = max(e.hostBound, b)
	h.busy, h.requests = 0, 0
}

// next returns the next task for a worker, blocking until one may start;
// nil when the crawl is over or stopped.
func (e *engine) next() *task {
	e.mu.Lock()
	defer e.mu.Unlock()
	for {
		if e.stopped {
			return nil
		}
		if len(e.skips) > 0 {
			t := e.skips[0]
			e.skips[0] = nil
			e.skips = e.skips[1:]
			e.queued--
			e.room.Signal()
			return t
		}
		now := e.clk.Now()
		for len(e.ready) > 0 {
			h := e.ready[0]
			e.ready[0] = nil
			e.ready = e.ready[1:]
			h.inReady = false
			if t := e.take(h, now); t != nil {
				return t
			}
		}
		if e.inputDone && e.live == 0 {
			return nil
		}
		e.work.Wait()
	}
}

// take starts h's next request, if h may start one now.
func (e *engine) take(h *host, now time.Time) *task {
	at, ok := h.workAt()
	if !ok || h.inflight >= e.o.HostConcurrency || now.Before(h.nextAt) || now.Before(at) {
		e.consider(h, now)
		return nil
	}
	var t *task
	switch {
	case h.robotsTask != nil:
		t, h.robotsTask = h.robotsTask, nil
	case !h.robotsBusy && len(h.queue) > 0 && !e.retryDue(h, now):
		t = h.queue[0]
		h.queue[0] = nil
		h.queue = h.queue[1:]
		e.queued--
		e.room.Signal()
	default:
		i := e.firstDue(h, now)
		t = h.retries[i]
		h.retries = append(h.retries[:i], h.retries[i+1:]...)
	}
	h.inflight++
	h.requests++
	h.lastStart = now
	if h.gap > 0 {
		h.nextAt = now.Add(h.gap + time.Duration(float64(h.gap)*e.o.Jitter*rand.Float64()))
	}
	e.consider(h, now)
	return t
}

// retryDue reports whether one of h's retries may start now: retries go
// before the rest of the queue.
func (e *engine) retryDue(h *host, now time.Time) bool { return e.firstDue(h, now) >= 0 }

func (e *engine) firstDue(h *host, now time.Time) int {
	best := -1
	for i, t := range h.retries {
		if !t.notBefore.After(now) && (best < 0 || t.notBefore.Before(h.retries[best].notBefore)) {
			best = i
		}
	}
	return best
}

// worker is one green thread of the pool: it takes tasks until the end.
func (e *engine) worker(ctx context.Context) {
	for t := e.next(); t != nil; t = e.next() {
		e.process(ctx, t)
	}
}

// process makes one attempt at t and either queues a retry or finishes
// it. A panic (a bug) becomes t's error and stops the crawl.
func (e *engine) process(ctx context.Context, t *task) {
	defer func() {
		if r := recover(); r != nil {
			err := fmt.Errorf("crawl: panic fetching %s: %v\n%s", t.url, r, debug.Stack())
			t.last.res.Err, t.last.res.Error = err, err.Error()
			e.halt(err)
			e.finish(t)
		}
	}()
	if t.skip != "" {
		e.finish(t)
		return
	}
	a := e.f.fetch(ctx, t.url, t.robots, e.clk.Now)
	t.attempts++
	t.duration += a.res.Duration
	t.last = a
	retry := t.attempts <= e.o.Retries && retryable(ctx, a.res)
	var wait time.Duration
	if retry {
		wait = backoff(t.attempts, e.o.RetryBackoff, e.o.MaxBackoff, e.o.Jitter)
		if a.retryAfter > e.o.MaxBackoff {
			retry = false // the server asks for more than we wait: report its answer
		} else {
			wait = max(wait, a.retryAfter)
		}
	}
	e.mu.Lock()
	now := e.clk.Now()
	h := t.host
	h.inflight--
	h.busy += a.res.Duration
	if a.retryAfter > 0 && (a.res.Status == 429 || a.res.Status == 503) {
		if until := now.Add(min(a.retryAfter, e.o.MaxBackoff)); until.After(h.nextAt) {
			h.nextAt = until // the server asked the whole host to wait
		}
	}
	if retry && !e.stopped {
		t.notBefore = now.Add(wait)
		h.retries = append(h.retries, t)
		e.consider(h, now)
		e.mu.Unlock()
		return
	}
	if t.robots {
		e.robotsN += t.attempts
		e.setRules(h, e.cacheRobots(h.origin, newRobotsRules(a, e.o)))
		e.live--
		if e.live == 0 && e.inputDone {
			e.work.Broadcast()
		}
		t.finished = true
	}
	e.consider(h, now)
	e.mu.Unlock()
	if !t.robots {
		e.finish(t)
	}
}

// setRules applies a host's robots.txt: its Crawl-delay, and the queued
// URLs it disallows move to the skip list.
func (e *engine) setRules(h *host, r *robotsRules) {
	h.rules, h.robotsBusy = r, false
	if r.delay > 0 {
		h.gap = max(h.gap, min(r.delay, e.o.MaxBackoff))
		if !h.lastStart.IsZero() && h.lastStart.Add(h.gap).After(h.nextAt) {
			h.nextAt = h.lastStart.Add(h.gap) // counted from robots.txt's own request
		}
	}
	kept := h.queue[:0]
	for _, t := range h.queue {
		if why := r.disallows(t.url); why != "" {
			t.skip = why
			e.skips = append(e.skips, t)
			e.work.Signal()
		} else {
			kept = append(kept, t)
		}
	}
	clear(h.queue[len(kept):])
	h.queue = kept
}

// cacheRobots keeps r for origin, forgetting an arbitrary host's rules
// when the cache is full.
func (e *engine) cacheRobots(origin string, r *robotsRules) *robotsRules {
	if len(e.robots) >= robotsCacheSize {
		for k := range e.robots {
			delete(e.robots, k)
			break
		}
	}
	e.robots[origin] = r
	return r
}

const robotsCacheSize = 10000

// finish emits t's result with every line it appeared on so far.
func (e *engine) finish(t *task) {
	e.emitMu.Lock()
	defer e.emitMu.Unlock()
	if t.finished {
		return
	}
	t.finished = true
	e.mu.Lock()
	if e.open[t.key] == t {
		delete(e.open, t.key)
	}
	lines := t.lines
	t.lines = nil
	e.live--
	if e.live == 0 && e.inputDone {
		e.work.Broadcast()
	}
	stopErr := e.stopErr
	e.mu.Unlock()
	res := t.last.res
	res.URL, res.Lines, res.Attempts, res.Duration = t.url, lines, t.attempts, t.duration
	switch {
	case t.skip != "":
		res = Result{URL: t.url, Lines: lines, Skipped: t.skip}
	case t.attempts == 0:
		if stopErr == nil {
			stopErr = context.Canceled
		}
		res.Err, res.Error = stopErr, stopErr.Error()
	}
	e.sendLocked(Event{Result: &res}, func(s *runStats) { s.add(res, e.o.FailStatus) })
	if e.o.Progress != nil && e.emitErr == nil {
		e.safely(func() { e.o.Progress(e.mode, e.stats.done, 0) })
	}
}

// send emits ev (if set) after updating the statistics.
func (e *engine) send(ev Event, count func(*runStats)) {
	e.emitMu.Lock()
	defer e.emitMu.Unlock()
	e.sendLocked(ev, count)
}

func (e *engine) sendLocked(ev Event, count func(*runStats)) {
	count(&e.stats)
	if e.emitErr != nil || (ev.Result == nil && ev.BadLine == nil && ev.Duplicate == nil) {
		return
	}
	e.safely(func() {
		if err := e.emit(ev); err != nil {
			e.emitErr = err
			e.halt(err)
		}
	})
}

// safely runs a user callback with emitMu held; a panic stops the crawl
// with the panic as its error.
func (e *engine) safely(f func()) {
	defer func() {
		if r := recover(); r != nil {
			err := fmt.Errorf("crawl: panic in a callback: %v\n%s", r, debug.Stack())
			e.emitErr = err
			e.halt(err)
		}
	}()
	f()
}

// drain, after the workers and the reader have ended, finishes every task
// left: queued, waiting for a retry or skipped. A task that was tried
// keeps its last attempt's result; one never tried gets the stop error.
func (e *engine) drain() {
	e.mu.Lock()
	rest := e.skips
	e.skips = nil
	for _, h := range e.hosts {
		if h.timer != nil {
			h.timer.Stop()
			h.timer = nil
		}
		rest = append(rest, h.queue...)
		for _, t := range h.retries {
			if !t.robots {
				rest = append(rest, t)
			}
		}
		h.queue, h.retries = nil, nil
		e.foldHost(h)
	}
	e.mu.Unlock()
	for _, t := range rest {
		e.finish(t)
	}
}
