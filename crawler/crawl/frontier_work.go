package crawl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// WorkOptions configure Frontier.Work; the zero value is usable. The
// fetch and politeness settings are the crawl's (Serve records them).
type WorkOptions struct {
	// Concurrency is this worker's requests in flight: the green threads
	// of its gevent pool; default the crawl's Options.Concurrency.
	Concurrency int
	// ID names the worker in its leases and results; default
	// "<hostname>-<pid>-<random>". Two live workers must not share one.
	ID string
	// Dial replaces the dialer, as Options.Dial does.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// WorkStats is what one Frontier.Work call did.
type WorkStats struct {
	Published int // results published (each acknowledged URL's)
	Sessions  int // times it (re)joined the crawl: more than 1 after lost leases
}

// Work is a worker of the crawl: it takes URLs from the partitions it
// holds leases on, fetches them as Stream does (the crawl's fetch,
// per-host and retry settings, on a gevent.Pool of Concurrency green
// threads), publishes each result and then acknowledges its URL. It
// joins a crawl that does not exist yet when Serve creates it, takes its
// share of the partitions (Partitions over the live workers, rebalanced
// as workers come and go), and confirms the URLs it holds every AckWait/3.
//
// It blocks until the crawl is done (nil), or ctx is cancelled (ctx's
// error: requests in flight are cut and every URL held is handed back at
// once), or the connection is closed. When it cannot renew its leases or
// publish, it stops every request, hands its URLs back and joins again.
// Safe to call concurrently, with distinct IDs.
func (f Frontier) Work(ctx context.Context, wo WorkOptions) (WorkStats, error) {
	var stats WorkStats
	f, err := f.withDefaults()
	if err != nil {
		return stats, err
	}
	if wo.ID == "" {
		host, _ := os.Hostname()
		wo.ID = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), nuid.Next()[:8])
	}
	if !nameRE.MatchString(wo.ID) {
		wo.ID = strings.Map(func(r rune) rune {
			if r < 128 && nameRE.MatchString(string(r)) {
				return r
			}
			return '_'
		}, wo.ID)
	}
	for {
		s, err := f.join(ctx, wo, &stats)
		if err == nil {
			stats.Sessions++
			err = s.run()
		}
		switch {
		case errors.Is(err, errCrawlDone):
			return stats, nil
		case ctx.Err() != nil:
			return stats, context.Cause(ctx)
		case f.JetStream.Conn().IsClosed():
			return stats, fmt.Errorf("crawl: worker %s: %w", wo.ID, err)
		}
		select { // lost the leases or the server: join again
		case <-ctx.Done():
			return stats, context.Cause(ctx)
		case <-time.After(time.Second):
		}
	}
}

var (
	errCrawlDone = errors.New("crawl: the crawl is done")
	errLeaseLost = errors.New("crawl: lost a partition lease")
)

// join waits for the crawl to exist and prepares a session of it.
func (f Frontier) join(ctx context.Context, wo WorkOptions, stats *WorkStats) (*session, error) {
	js := f.JetStream
	for {
		s, err := func() (*session, error) {
			meta, err := js.KeyValue(ctx, f.metaBucket())
			if err != nil {
				return nil, err
			}
			if e, err := meta.Get(ctx, keyState); err == nil && string(e.Value()) == stateDone {
				return nil, errCrawlDone
			}
			e, err := meta.Get(ctx, keyConfig)
			if err != nil {
				return nil, err
			}
			var cfg frontierConfig
			if err := json.Unmarshal(e.Value(), &cfg); err != nil {
				return nil, fmt.Errorf("crawl: the crawl's configuration: %w", err)
			}
			leases, err := js.KeyValue(ctx, f.leaseBucket())
			if err != nil {
				return nil, err
			}
			f.Partitions, f.AckWait, f.LeaseTTL = cfg.Partitions, cfg.AckWait, cfg.LeaseTTL
			o := cfg.Options.options()
			if wo.Concurrency > 0 {
				o.Concurrency = wo.Concurrency
			}
			o.Dial = wo.Dial
			return &session{f: f, o: o.withDefaults(), id: wo.ID, parent: ctx, meta: meta, leases: leases, stats: stats}, nil
		}()
		if err == nil || errors.Is(err, errCrawlDone) {
			return s, err
		}
		if ctx.Err() != nil || js.Conn().IsClosed() {
			return nil, err
		}
		select { // not created yet: Serve has not started
		case <-ctx.Done():
			return nil, err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// session is one stint of a worker in the crawl: an engine fed by the
// partitions it holds, a lease loop, and an acknowledger.
type session struct {
	f      Frontier
	o      Options
	id     string
	parent context.Context
	meta   jetstream.KeyValue
	leases jetstream.KeyValue
	stats  *WorkStats

	ctx    context.Context // the engine's: cancelled with the reason the session ends
	cancel context.CancelCauseFunc
	in     chan *heldURL
	end    chan struct{} // closed: no more input (the crawl is done)
	acks   chan ackJob

	mu        sync.Mutex
	held      map[stableKey]*heldURL
	parts     map[int]*partition
	consumers map[int]jetstream.Consumer

	batchMu     sync.Mutex
	batch       []byte // a JSON array being built
	batchHeld   []*heldURL
	batchClosed bool
}

// heldURL is a URL whose messages this worker holds (more than one when
// it was delivered again while held).
type heldURL struct {
	key  stableKey
	line int
	url  string
	part int
	msgs []*heldMsg
}

// heldMsg is a work message held: a batch of URLs of one partition,
// acknowledged once every one of them is published.
type heldMsg struct {
	m    jetstream.Msg
	part int
	seq  uint64 // its stream sequence
	n    int    // URLs in it
	left int    // URLs not yet published
	done bool   // acknowledged or handed back
}

// partition is a partition this worker holds the lease of.
type partition struct {
	rev       uint64
	cancel    context.CancelFunc // stops its fetching
	fetching  chan struct{}      // closed when its fetching has stopped
	open      int                // messages held
	releasing bool
}

// ackJob acknowledges the messages of held URLs once their results'
// publication is confirmed (fu nil: at once, repeats of URLs already
// published).
type ackJob struct {
	fu   jetstream.PubAckFuture
	held []*heldURL
}

func (s *session) leaseKey(p int) string { return "p." + strconv.Itoa(p) }

func (s *session) run() error {
	s.ctx, s.cancel = context.WithCancelCause(s.parent)
	defer s.cancel(nil)
	s.in = make(chan *heldURL)
	s.end = make(chan struct{})
	s.acks = make(chan ackJob, 1024)
	s.held = make(map[stableKey]*heldURL)
	s.parts = make(map[int]*partition)
	s.consumers = make(map[int]jetstream.Consumer)

	ackerDone := make(chan struct{})
	go func() { defer close(ackerDone); s.acknowledge() }()
	engineDone := make(chan struct{})
	var engineErr error
	go func() {
		defer close(engineDone)
		f := newFetcher(s.ctx, s.o)
		defer f.close()
		e := newEngine(s.o, Concurrent, f, s.emit)
		_, engineErr = e.run(s.ctx, s.source)
	}()

	err := s.lead(engineDone, func() error { return engineErr })
	s.cancel(err)
	s.mu.Lock()
	var fetching []chan struct{}
	for _, p := range s.parts {
		p.cancel()
		fetching = append(fetching, p.fetching)
	}
	s.mu.Unlock()
	<-engineDone
	for _, ch := range fetching {
		<-ch
	}
	s.closeBatches()
	close(s.acks)
	<-ackerDone
	// What is still held was never handed to the engine or never
	// finished: back to the queue, and the leases are freed at once.
	s.mu.Lock()
	for _, h := range s.held {
		s.settleLocked(h, false)
	}
	s.held = nil
	parts := s.parts
	s.mu.Unlock()
	bg, cancel := context.WithTimeout(context.WithoutCancel(s.parent), s.f.LeaseTTL/2)
	defer cancel()
	for n, p := range parts {
		_ = s.leases.Delete(bg, s.leaseKey(n), jetstream.LastRevision(p.rev))
	}
	_ = s.leases.Delete(bg, "w."+s.id)
	return err
}

var (
	errEngineEnded = errors.New("crawl: the worker's crawl ended")
	// errShort: a balance round claimed fewer partitions than its share
	// because another worker was quicker: the next round comes soon.
	errShort = errors.New("crawl: short of partitions")
)

// lead holds the session's leases: it claims, renews and releases
// partitions, confirms held URLs, and returns why the session ends:
// errCrawlDone, the parent's cancellation, or a failure.
func (s *session) lead(engineDone chan struct{}, engineErr func() error) error {
	renew := time.NewTicker(s.f.LeaseTTL / 4)
	defer renew.Stop()
	progress := time.NewTicker(s.f.AckWait / 3)
	defer progress.Stop()
	if err := s.heartbeat(); err != nil {
		return err
	}
	// The crawl's end is seen at once, not at the next round.
	watch, err := s.meta.Watch(s.ctx, keyState, jetstream.UpdatesOnly())
	if err != nil {
		return fmt.Errorf("crawl: watching the crawl's state: %w", err)
	}
	defer func() { _ = watch.Stop() }()
	updates := watch.Updates()
	done := func() error {
		close(s.end)
		s.mu.Lock()
		for _, p := range s.parts {
			p.cancel()
		}
		s.mu.Unlock()
		<-engineDone
		return errCrawlDone
	}
	// Let workers started together register before shares are computed.
	settle := time.NewTimer(min(20*time.Millisecond, s.f.LeaseTTL/4))
	defer settle.Stop()
	for {
		var err error
		select {
		case <-s.parent.Done():
			return context.Cause(s.parent)
		case <-engineDone:
			if err := engineErr(); err != nil {
				return fmt.Errorf("%w: %w", errEngineEnded, err)
			}
			return errEngineEnded
		case e, ok := <-updates:
			if !ok {
				updates = nil // the rounds still see the end
			} else if e != nil && string(e.Value()) == stateDone {
				return done()
			}
		case <-progress.C:
			s.confirm()
		case <-settle.C:
			err = s.balance()
		case <-renew.C:
			err = s.balance()
		}
		switch {
		case errors.Is(err, errCrawlDone):
			return done()
		case errors.Is(err, errShort):
			settle.Reset(20 * time.Millisecond)
		case err != nil:
			return err
		}
	}
}

func (s *session) opCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(s.ctx, s.f.LeaseTTL/2)
}

func (s *session) heartbeat() error {
	ctx, cancel := s.opCtx()
	defer cancel()
	if _, err := s.leases.Put(ctx, "w."+s.id, nil); err != nil {
		return fmt.Errorf("crawl: registering the worker: %w", err)
	}
	return nil
}

// balance is one round of the lease loop: the crawl's state, the
// heartbeat, the renewals, then claims up to this worker's share or
// releases above it.
func (s *session) balance() (err error) {
	short := false
	defer func() {
		if short && err == nil {
			err = errShort
		}
	}()
	ctx, cancel := s.opCtx()
	defer cancel()
	if e, err := s.meta.Get(ctx, keyState); err == nil && string(e.Value()) == stateDone {
		return errCrawlDone
	}
	if err := s.heartbeat(); err != nil {
		return err
	}
	s.mu.Lock()
	owned := make(map[int]*partition, len(s.parts))
	for n, p := range s.parts {
		owned[n] = p
	}
	s.mu.Unlock()
	// Renewals go out at once: a round must end well within LeaseTTL
	// however slow the server answers.
	var lost error
	var lostMu sync.Mutex
	var wg sync.WaitGroup
	for n, p := range owned {
		wg.Go(func() {
			rev, err := s.leases.Update(ctx, s.leaseKey(n), []byte(s.id), p.rev)
			if err != nil {
				lostMu.Lock()
				lost = fmt.Errorf("%w %d: %w", errLeaseLost, n, err)
				lostMu.Unlock()
				return
			}
			s.mu.Lock()
			p.rev = rev
			s.mu.Unlock()
		})
	}
	wg.Wait()
	if lost != nil {
		return lost
	}
	keys, err := s.leases.Keys(ctx)
	if err != nil && !errors.Is(err, jetstream.ErrNoKeysFound) {
		return fmt.Errorf("crawl: listing the leases: %w", err)
	}
	var ids []string
	taken := make(map[string]bool)
	for _, k := range keys {
		if id, ok := strings.CutPrefix(k, "w."); ok {
			ids = append(ids, id)
		}
		taken[k] = true
	}
	workers := len(ids)
	share := (s.f.Partitions + max(workers, 1) - 1) / max(workers, 1)
	active := 0
	for _, p := range owned {
		if !p.releasing {
			active++
		}
	}
	switch {
	case active < share:
		// Free partitions of this worker's rank among the live ones
		// first (rank r of W: r, r+W, r+2W, ...), so that workers
		// started together claim disjoint sets, spread over the range.
		slices.Sort(ids)
		rank, w := max(slices.Index(ids, s.id), 0), max(workers, 1)
		var claims []int
		for pass := range 2 {
			for n := range s.f.Partitions {
				mine := n%w == rank%w
				if active+len(claims) < share && (pass == 0) == mine && owned[n] == nil && !taken[s.leaseKey(n)] {
					claims = append(claims, n)
				}
			}
		}
		var failed error
		for _, n := range claims {
			wg.Go(func() {
				rev, err := s.leases.Create(ctx, s.leaseKey(n), []byte(s.id))
				if err != nil {
					lostMu.Lock()
					short = true // another worker was quicker: try others soon
					lostMu.Unlock()
					return
				}
				if err := s.take(ctx, n, rev); err != nil {
					lostMu.Lock()
					failed = err
					lostMu.Unlock()
				}
			})
		}
		wg.Wait()
		if failed != nil {
			return failed
		}
	case active > share:
		// Give up the partitions holding the fewest URLs: they stop
		// fetching now and are released once their URLs are done.
		var mine []int
		for n, p := range owned {
			if !p.releasing {
				mine = append(mine, n)
			}
		}
		s.mu.Lock()
		slices.SortFunc(mine, func(a, b int) int { return s.parts[a].open - s.parts[b].open })
		for _, n := range mine[:active-share] {
			s.parts[n].releasing = true
			s.parts[n].cancel()
		}
		s.mu.Unlock()
	}
	// Release the partitions whose URLs are all done.
	s.mu.Lock()
	var free []int
	for n, p := range s.parts {
		if p.releasing && p.open == 0 && closedChan(p.fetching) {
			free = append(free, n)
		}
	}
	s.mu.Unlock()
	for _, n := range free {
		s.mu.Lock()
		p := s.parts[n]
		s.mu.Unlock()
		if err := s.leases.Delete(ctx, s.leaseKey(n), jetstream.LastRevision(p.rev)); err != nil {
			return fmt.Errorf("%w %d: %w", errLeaseLost, n, err)
		}
		s.mu.Lock()
		delete(s.parts, n)
		s.mu.Unlock()
	}
	return nil
}

func closedChan(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// take starts fetching partition n, whose lease this worker now holds.
func (s *session) take(ctx context.Context, n int, rev uint64) error {
	s.mu.Lock()
	cons := s.consumers[n]
	s.mu.Unlock()
	if cons == nil {
		var err error
		if cons, err = s.f.JetStream.Consumer(ctx, s.f.workStream(), "p"+strconv.Itoa(n)); err != nil {
			_ = s.leases.Delete(ctx, s.leaseKey(n), jetstream.LastRevision(rev))
			return fmt.Errorf("crawl: consumer of partition %d: %w", n, err)
		}
		s.mu.Lock()
		s.consumers[n] = cons
		s.mu.Unlock()
	}
	pctx, cancel := context.WithCancel(s.ctx)
	p := &partition{rev: rev, cancel: cancel, fetching: make(chan struct{})}
	s.mu.Lock()
	s.parts[n] = p
	s.mu.Unlock()
	go s.fetch(pctx, n, cons, p.fetching)
	return nil
}

// prefetch is how many URLs of one partition the client pulls ahead.
const prefetch = 64

// fetch pulls partition n's URLs and hands them to the engine until
// pctx is done; a URL pulled but not handed over goes back to the queue.
func (s *session) fetch(pctx context.Context, n int, cons jetstream.Consumer, done chan struct{}) {
	defer close(done)
	it, err := cons.Messages(jetstream.PullMaxMessages(prefetch))
	if err != nil {
		s.cancel(fmt.Errorf("crawl: pulling partition %d: %w", n, err))
		return
	}
	// Drain: what was pulled ahead is still delivered (and handed back).
	stop := context.AfterFunc(pctx, it.Drain)
	defer stop()
	for {
		m, err := it.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return
			}
			select { // a missed heartbeat and the like: the iterator goes on
			case <-pctx.Done():
				it.Stop()
				return
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		if pctx.Err() != nil {
			_ = m.Nak()
			continue
		}
	handOver:
		for _, h := range s.hold(m, n) {
			select {
			case s.in <- h:
			case <-pctx.Done():
				s.handBack(m)
				break handOver
			}
		}
	}
}

// hold registers a message of partition n and returns its URLs the
// engine does not have yet (none when it is malformed or was delivered
// too often).
func (s *session) hold(m jetstream.Msg, n int) []*heldURL {
	entries, err := parseWorkMessage(m.Data())
	if err != nil {
		_ = m.Term() // not URLs: nothing will ever do it
		return nil
	}
	hm := &heldMsg{m: m, part: n, n: len(entries), left: len(entries)}
	md, mdErr := m.Metadata()
	if mdErr == nil {
		hm.seq = md.Sequence.Stream
	}
	var fresh []*heldURL
	s.mu.Lock()
	if p := s.parts[n]; p != nil {
		p.open++
	}
	for _, e := range entries {
		k := stableKeyOf(e.url)
		h := s.held[k]
		if h == nil {
			h = &heldURL{key: k, line: e.line, url: e.url, part: n}
			s.held[k] = h
			fresh = append(fresh, h)
		}
		h.msgs = append(h.msgs, hm)
	}
	s.mu.Unlock()
	if mdErr == nil && md.NumDelivered > maxDeliveries {
		for _, h := range fresh {
			res := Result{URL: h.url, Err: ErrRedelivered, Error: fmt.Sprintf("%v (%d times)", ErrRedelivered, md.NumDelivered-1)}
			if err := s.publish(h.key, res); err != nil {
				s.cancel(err)
			}
		}
		return nil
	}
	return fresh
}

// handBack returns a message to the queue: its URLs the engine does not
// have are forgotten.
func (s *session) handBack(m jetstream.Msg) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, h := range s.held {
		for _, hm := range h.msgs {
			if hm.m == m && !hm.done {
				hm.done = true
				_ = m.Nak()
				s.doneLocked(hm.part, 1)
			}
		}
		h.msgs = slices.DeleteFunc(h.msgs, func(hm *heldMsg) bool { return hm.m == m })
		if len(h.msgs) == 0 {
			delete(s.held, k)
		}
	}
}

// settleLocked is the end of h on this worker: published (each of its
// messages with no URL left is acknowledged) or not (its messages go
// back to the queue, to be fetched by whoever holds the partition).
func (s *session) settleLocked(h *heldURL, published bool) {
	for _, hm := range h.msgs {
		if hm.done {
			continue
		}
		hm.left--
		if published && hm.left > 0 {
			continue
		}
		hm.done = true
		if published {
			_ = hm.m.Ack()
		} else {
			_ = hm.m.Nak()
		}
		s.doneLocked(hm.part, 1)
	}
}

func (s *session) doneLocked(part, n int) {
	if p := s.parts[part]; p != nil {
		p.open -= n
	}
}

// source feeds the engine with the URLs the partitions deliver.
func (s *session) source(yield func(item) bool) error {
	for {
		select {
		case h := <-s.in:
			if !yield(item{line: h.line, url: h.url}) {
				return nil
			}
		case <-s.end:
			return nil
		case <-s.ctx.Done():
			return nil
		}
	}
}

// emit takes the engine's events: a result is published, then its
// messages acknowledged; a result the session's end cut short hands its
// URL back instead.
func (s *session) emit(ev Event) error {
	switch {
	case ev.Result != nil:
		res := *ev.Result
		k := stableKeyOf(res.URL)
		if s.ctx.Err() != nil && res.Err != nil &&
			(res.Attempts == 0 || errors.Is(res.Err, context.Canceled) || errors.Is(res.Err, context.Cause(s.ctx))) {
			s.mu.Lock()
			if h := s.held[k]; h != nil {
				delete(s.held, k)
				s.settleLocked(h, false)
			}
			s.mu.Unlock()
			return nil
		}
		return s.publish(k, res)
	case ev.Duplicate != nil:
		// A URL delivered again after its result was published here.
		s.mu.Lock()
		h := s.held[stableKeyOf(ev.Duplicate.URL)]
		delete(s.held, stableKeyOf(ev.Duplicate.URL))
		s.mu.Unlock()
		if h != nil {
			s.acks <- ackJob{held: []*heldURL{h}}
		}
	}
	return nil
}

// Results are published in batches of up to resultBatch (or
// resultBatchBytes), at most resultDelay after the first: one message,
// one store and one delivery for many URLs.
const (
	resultBatch      = 32
	resultBatchBytes = 256 << 10
	resultDelay      = 2 * time.Millisecond
)

// publish queues key's result for the next batch; its messages are
// acknowledged once the batch is stored.
func (s *session) publish(k stableKey, res Result) error {
	s.mu.Lock()
	h := s.held[k]
	delete(s.held, k)
	s.mu.Unlock()
	if h == nil {
		return nil // handed back meanwhile
	}
	res.Lines = nil
	data, err := json.Marshal(wireResult{Key: k.String(), Seq: h.msgs[0].seq, N: h.msgs[0].n, Line: h.line, Worker: s.id, Kinds: kindsOf(res.Err), Result: res})
	if err != nil {
		s.handBackAll([]*heldURL{h})
		return fmt.Errorf("crawl: encoding a result: %w", err)
	}
	s.batchMu.Lock()
	defer s.batchMu.Unlock()
	if s.batchClosed {
		s.handBackAll([]*heldURL{h})
		return nil
	}
	if len(s.batch) == 0 {
		s.batch = append(s.batch, '[')
		time.AfterFunc(resultDelay, func() {
			s.batchMu.Lock()
			defer s.batchMu.Unlock()
			if err := s.flushLocked(); err != nil {
				s.cancel(err)
			}
		})
	} else {
		s.batch = append(s.batch, ',')
	}
	s.batch = append(s.batch, data...)
	s.batchHeld = append(s.batchHeld, h)
	if len(s.batchHeld) >= resultBatch || len(s.batch) >= resultBatchBytes {
		return s.flushLocked()
	}
	return nil
}

// flushLocked publishes the batch (batchMu held).
func (s *session) flushLocked() error {
	if len(s.batchHeld) == 0 || s.batchClosed {
		return nil
	}
	held := s.batchHeld
	fu, err := s.f.JetStream.PublishAsync(s.f.resultSubject(), append(s.batch, ']'))
	s.batch, s.batchHeld = nil, nil
	if err != nil {
		s.handBackAll(held)
		return fmt.Errorf("crawl: publishing results: %w", err)
	}
	s.acks <- ackJob{fu: fu, held: held}
	return nil
}

// closeBatches publishes what is batched; later results are handed back.
func (s *session) closeBatches() {
	s.batchMu.Lock()
	defer s.batchMu.Unlock()
	if err := s.flushLocked(); err != nil {
		s.cancel(err)
	}
	s.batchClosed = true
}

// handBackAll returns the messages of held URLs to the queue.
func (s *session) handBackAll(held []*heldURL) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range held {
		s.settleLocked(h, false)
	}
}

// acknowledge acknowledges each job's messages once its results are
// stored, in order; a failed publication ends the session (its URLs are
// handed back).
func (s *session) acknowledge() {
	for j := range s.acks {
		ok := true
		if j.fu != nil {
			t := time.NewTimer(s.f.AckWait)
			select {
			case <-j.fu.Ok():
			case err := <-j.fu.Err():
				ok = false
				s.cancel(fmt.Errorf("crawl: publishing results: %w", err))
			case <-t.C:
				ok = false
				s.cancel(errors.New("crawl: publishing results: no answer within AckWait"))
			}
			t.Stop()
		}
		if !ok {
			s.handBackAll(j.held)
			continue
		}
		s.mu.Lock()
		for _, h := range j.held {
			s.settleLocked(h, true)
		}
		if j.fu != nil {
			s.stats.Published += len(j.held)
		}
		s.mu.Unlock()
	}
}

// confirm tells the server every URL held is being worked on, so that
// AckWait runs from now.
func (s *session) confirm() {
	s.mu.Lock()
	msgs := make(map[*heldMsg]bool)
	for _, h := range s.held {
		for _, hm := range h.msgs {
			if !hm.done {
				msgs[hm] = true
			}
		}
	}
	s.mu.Unlock()
	for hm := range msgs {
		_ = hm.m.InProgress()
	}
}
