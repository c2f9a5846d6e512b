package crawl

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Serve is the coordinator of the crawl: it reads a URL list from r line
// by line (the rules of ParseURLList), enqueues each distinct URL once
// (duplicates and bad lines are handled here, as Stream does), and calls
// emit with each event as it happens: results in the order the workers
// publish them, with every line their URL was on. emit is called from one
// goroutine at a time; an error from it (or a panic) stops the crawl and
// is returned. o's fetch and politeness settings are recorded for the
// workers (Concurrency is each worker's); o.Mode must be Concurrent or
// empty. Serve fetches nothing itself: it returns when every URL of the
// list has a result, which takes workers (Frontier.Work).
//
// Serve resumes: a crawl of the same name on the same JetStream store is
// continued, its results so far reported (not fetched again) and its
// queue kept. The list must be the one the crawl started with; a list
// that differs from the recorded progress is enqueued again in full
// (JetStream's duplicate window and the results keep what was done).
//
// It returns the pass's summary (Run without Results): OK, Errors and the
// rest as Stream counts them; RobotsFetches is not known here and stays
// 0. When ctx is cancelled, Serve stops reading and waiting, emits the
// URLs not done with ctx's error, and returns the summary marked
// Interrupted with ctx's error; the crawl stays in JetStream, ready to be
// resumed. A read error of r ends the reading: the URLs read are waited
// for and the error is returned. When the crawl is complete, Serve marks
// it done, and its workers return.
//
// Memory: up to Window URLs enqueued and not done, and 20 bytes a
// distinct URL to recognise duplicates; when resuming, also the results
// found in JetStream for URLs the list has not reached yet.
func (f Frontier) Serve(ctx context.Context, r io.Reader, o Options, emit func(Event) error) (*Run, error) {
	return f.serve(ctx, func(yield func(item) bool) error { return readList(r, yield) }, o, emit)
}

// Crawl reads a URL list from r and crawls it as CrawlReader does, and
// returns the same Report: the concurrent pass is Serve's, fetched by
// the crawl's workers; in Both mode (the default) the serial pass runs
// first, in this process, for the comparison (the list is then held in
// memory). Serial mode is an error: it needs no workers. Every result
// is kept; for long lists use Serve.
func (f Frontier) Crawl(ctx context.Context, r io.Reader, o Options) (*Report, error) {
	if o.Mode == "" {
		o.Mode = Both
	}
	if _, err := ParseMode(string(o.Mode)); err != nil {
		return nil, err
	}
	if o.Mode == Serial {
		return nil, errors.New("crawl: Frontier.Crawl runs the concurrent pass on workers; a serial crawl is CrawlReader's")
	}
	rep := &Report{Concurrency: o.withDefaults().Concurrency}
	src := func(yield func(item) bool) error { return readList(r, yield) }
	var firstErr error
	if o.Mode == Both {
		var items []item
		readErr := src(func(it item) bool { items = append(items, it); return true })
		src = func(yield func(item) bool) error {
			for _, it := range items {
				if !yield(it) {
					break
				}
			}
			return readErr
		}
		so := o
		so.Mode = Serial
		serial, err := crawlSource(ctx, src, so.withDefaults(), false)
		rep.Serial, rep.Problems, rep.URLs = serial.Serial, serial.Problems, serial.URLs
		firstErr = err
	}
	if ctx.Err() == nil {
		co := o
		co.Mode = Concurrent
		var col passCollector
		run, err := f.serve(ctx, src, co, col.emit)
		if run == nil {
			return nil, err
		}
		if firstErr == nil {
			firstErr = err
		}
		col.finish(rep, run)
		rep.Concurrent = run
	}
	return finishReport(ctx, rep, firstErr)
}

func (f Frontier) serve(ctx context.Context, src func(yield func(item) bool) error, o Options, emit func(Event) error) (*Run, error) {
	f, err := f.withDefaults()
	if err != nil {
		return nil, err
	}
	if o.Mode == "" {
		o.Mode = Concurrent
	}
	if o.Mode != Concurrent {
		return nil, errors.New(`crawl: Frontier.Serve runs the concurrent pass (Mode "concurrent")`)
	}
	f, meta, err := f.setup(ctx, o)
	if err != nil {
		return nil, err
	}
	if _, err := meta.Put(ctx, keyState, []byte("running")); err != nil {
		return nil, fmt.Errorf("crawl: recording the crawl's state: %w", err)
	}
	c := &coordinator{
		f: f, o: o.withDefaults(), emit: emit, js: f.JetStream, meta: meta,
		seen: make(map[stableKey]int32), open: make(map[stableKey]*openURL),
		early: make(map[stableKey]*wireResult), workers: make(map[string]struct{}),
		done: make(chan struct{}),
	}
	c.room = sync.NewCond(&c.mu)
	if e, err := meta.Get(ctx, keyMark); err == nil {
		_ = json.Unmarshal(e.Value(), &c.mark) // a bad mark is no mark: everything is enqueued
	} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fmt.Errorf("crawl: reading the crawl's progress: %w", err)
	}
	return c.run(ctx, src)
}

// progressMark is the enqueue progress Serve records: every URL up to
// Line was published, and Sum is the SHA-256 of the list's items up to
// it, so that a resumed Serve can tell the same list from another.
type progressMark struct {
	Line int    `json:"line"`
	Sum  string `json:"sum"`
}

type openURL struct {
	url       string
	lines     []int
	published bool // false while resuming: assumed queued by an earlier Serve
}

// coordinator is one Serve: a reader goroutine enqueues, a results
// goroutine reports, and run waits until every URL read is reported.
type coordinator struct {
	f    Frontier
	o    Options
	emit func(Event) error
	js   jetstream.JetStream
	meta jetstream.KeyValue
	mark progressMark

	// Resuming: results up to replayTo were published before this Serve;
	// work holds URLs from workFirst on.
	replayTo  uint64
	work      jetstream.Stream
	workFirst uint64
	replayed  map[uint64]*replayedBatch // by work message sequence

	emitMu  sync.Mutex // orders emission; taken before mu
	emitErr error
	stats   runStats

	mu        sync.Mutex
	room      *sync.Cond // the reader: the window has room, or the crawl stopped
	seen      map[stableKey]int32
	open      map[stableKey]*openURL // read and not reported
	early     map[stableKey]*wireResult
	workers   map[string]struct{}
	lastLine  int
	inputDone bool
	stopped   bool
	stopErr   error
	done      chan struct{} // closed once everything read is reported, or the crawl stopped
	closed    bool
}

func (c *coordinator) run(ctx context.Context, src func(yield func(item) bool) error) (*Run, error) {
	start := time.Now()
	stopOnCancel := context.AfterFunc(ctx, func() { c.halt(context.Cause(ctx)) })
	defer stopOnCancel()

	// The results published before this Serve are a resumed crawl's: the
	// work messages of those still in the queue (their worker died before
	// its acknowledgement got through) are deleted, not fetched again.
	if rs, err := c.js.Stream(ctx, c.f.resultStream()); err == nil {
		if info, err := rs.Info(ctx); err == nil {
			c.replayTo = info.State.LastSeq
		}
	}
	if c.replayTo > 0 {
		if ws, err := c.js.Stream(ctx, c.f.workStream()); err == nil {
			if info, err := ws.Info(ctx); err == nil && info.State.Msgs > 0 {
				c.work, c.workFirst = ws, info.State.FirstSeq
				c.replayed = make(map[uint64]*replayedBatch)
			}
		}
	}
	cons, err := c.js.OrderedConsumer(ctx, c.f.resultStream(), jetstream.OrderedConsumerConfig{})
	if err != nil {
		return nil, fmt.Errorf("crawl: reading the results: %w", err)
	}
	msgs, err := cons.Messages()
	if err != nil {
		return nil, fmt.Errorf("crawl: reading the results: %w", err)
	}
	resultsDone := make(chan struct{})
	go func() {
		defer close(resultsDone)
		for {
			m, err := msgs.Next()
			if err != nil {
				if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
					return
				}
				continue // the ordered consumer recovers by itself
			}
			var batch []json.RawMessage
			if json.Unmarshal(m.Data(), &batch) != nil {
				continue // not ours to fail on: a stray message on the subject
			}
			replayed := false
			if c.work != nil {
				md, err := m.Metadata()
				replayed = err == nil && md.Sequence.Stream <= c.replayTo
			}
			for _, data := range batch {
				if replayed {
					c.noteReplayed(data)
				}
				c.onResult(data)
			}
			if replayed {
				if md, err := m.Metadata(); err == nil && md.Sequence.Stream == c.replayTo {
					c.compact(ctx)
				}
			}
		}
	}()

	var readErr error
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		err := c.read(ctx, src)
		c.mu.Lock()
		defer c.mu.Unlock()
		c.inputDone = true
		if err != nil && !c.stopped {
			var pubErr *enqueueError
			if errors.As(err, &pubErr) {
				c.stopLocked(err)
			} else {
				readErr = fmt.Errorf("crawl: reading the list after line %d: %w", c.lastLine, err)
			}
		}
		c.checkDone()
	}()

	<-c.done
	c.halt(nil) // wakes the reader if it waits for room
	msgs.Stop()
	<-readerDone
	<-resultsDone

	c.mu.Lock()
	stopped, stopErr := c.stopped, c.stopErr
	var rest []*openURL
	for _, u := range c.open {
		rest = append(rest, u)
	}
	c.open = nil
	c.mu.Unlock()
	slices.SortFunc(rest, func(a, b *openURL) int { return a.lines[0] - b.lines[0] })
	for _, u := range rest {
		res := Result{URL: u.url, Lines: u.lines, Err: stopErr, Error: stopErr.Error()}
		c.send(Event{Result: &res}, func(s *runStats) { s.add(res, c.o.FailStatus) })
	}
	if !stopped {
		if _, err := c.meta.Put(context.WithoutCancel(ctx), keyState, []byte(stateDone)); err != nil {
			stopped, stopErr = true, fmt.Errorf("crawl: recording the crawl's end: %w", err)
		}
	}

	c.emitMu.Lock()
	defer c.emitMu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	run := c.stats.run(Concurrent, time.Since(start), c.o)
	run.Lines = c.lastLine
	run.IdealSpeedup, run.IdealBound = ideal(c.stats.sum, c.stats.maxDur, 0, c.o.Concurrency*max(len(c.workers), 1))
	switch {
	case stopped:
		run.Interrupted = ctx.Err() != nil
		return run, stopErr
	case readErr != nil:
		return run, readErr
	}
	return run, nil
}

// enqueueError is a failure to put URLs in the queue: it stops the crawl
// (a read error only ends the reading).
type enqueueError struct{ err error }

func (e *enqueueError) Error() string { return "crawl: enqueueing: " + e.err.Error() }
func (e *enqueueError) Unwrap() error { return e.err }

// halt stops the crawl with err (nil: the crawl is over, not stopped).
func (c *coordinator) halt(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.stopLocked(err)
	}
	c.room.Broadcast()
	c.closeDone()
}

func (c *coordinator) stopLocked(err error) {
	if !c.stopped {
		c.stopped, c.stopErr = true, err
	}
	c.room.Broadcast()
	c.closeDone()
}

func (c *coordinator) closeDone() {
	if !c.closed {
		c.closed = true
		close(c.done)
	}
}

// checkDone ends the crawl once the list is read and every URL reported.
func (c *coordinator) checkDone() {
	if c.inputDone && len(c.open) == 0 {
		c.closeDone()
	}
}

// read enqueues the list; it runs on its own goroutine.
func (c *coordinator) read(ctx context.Context, src func(yield func(item) bool) error) error {
	sum := sha256.New()
	resuming := c.mark.Line > 0
	var pending []jetstream.PubAckFuture
	// URLs are enqueued in batches of up to workBatch of one partition:
	// one message, one store, one delivery and one acknowledgement for
	// many URLs. A batch's message id is the hash of its URLs' keys: the
	// same list batches the same way, so a repeat is dropped.
	type batch struct {
		msg, keys []byte
		n         int
	}
	bufs := make([]*batch, c.f.Partitions)
	since := 0 // URLs enqueued since the last mark
	send := func(p int) error {
		b := bufs[p]
		bufs[p] = nil
		id := sha256.Sum256(b.keys)
		fu, err := c.js.PublishAsync(c.f.workSubject(p), b.msg, jetstream.WithMsgID(hex.EncodeToString(id[:16])))
		if err != nil {
			return &enqueueError{err}
		}
		pending = append(pending, fu)
		return nil
	}
	flush := func() error {
		for p, b := range bufs {
			if b != nil {
				if err := send(p); err != nil {
					return err
				}
			}
		}
		since = 0
		for _, fu := range pending {
			select {
			case <-fu.Ok():
			case err := <-fu.Err():
				return &enqueueError{err}
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}
		pending = pending[:0]
		c.mu.Lock()
		m := progressMark{Line: c.lastLine, Sum: hex.EncodeToString(sum.Sum(nil))}
		c.mu.Unlock()
		b, _ := json.Marshal(m)
		if _, err := c.meta.Put(ctx, keyMark, b); err != nil {
			return &enqueueError{err}
		}
		c.mark = m
		return nil
	}
	publish := func(k stableKey, line int, url string) error {
		p := partitionOf(url, c.f.Partitions)
		b := bufs[p]
		if b == nil {
			b = &batch{}
			bufs[p] = b
		}
		b.msg = appendWork(b.msg, line, url)
		b.keys = append(b.keys, k[:]...)
		b.n++
		since++
		if b.n >= workBatch {
			if err := send(p); err != nil {
				return err
			}
		}
		if since >= 1024 {
			return flush()
		}
		return nil
	}
	// mismatch: the list is not the one of the mark; what was assumed
	// queued is enqueued (the duplicate window drops what is).
	mismatch := func() error {
		resuming = false
		c.mu.Lock()
		var todo []struct {
			k stableKey
			u *openURL
		}
		for k, u := range c.open {
			if !u.published {
				u.published = true
				todo = append(todo, struct {
					k stableKey
					u *openURL
				}{k, u})
			}
		}
		c.mu.Unlock()
		for _, t := range todo {
			if err := publish(t.k, t.u.lines[0], t.u.url); err != nil {
				return err
			}
		}
		return nil
	}
	var failed error
	readErr := src(func(it item) bool {
		if resuming && it.line > c.mark.Line {
			if failed = mismatch(); failed != nil {
				return false
			}
		}
		writeItem(sum, it)
		if !c.add(it, resuming, publish, flush, &failed) {
			return false
		}
		if resuming && it.line == c.mark.Line {
			if hex.EncodeToString(sum.Sum(nil)) == c.mark.Sum {
				resuming = false
			} else if failed = mismatch(); failed != nil {
				return false
			}
		}
		return true
	})
	if failed != nil {
		return failed
	}
	if resuming {
		if err := mismatch(); err != nil {
			return err
		}
	}
	c.mu.Lock()
	stopped, last := c.stopped, c.lastLine
	c.mu.Unlock()
	if !stopped && (since > 0 || len(pending) > 0 || last > c.mark.Line) {
		if err := flush(); err != nil {
			return err
		}
	}
	return readErr
}

// writeItem adds one item of the list to the progress checksum.
func writeItem(h hash.Hash, it item) {
	var b []byte
	b = strconv.AppendInt(b, int64(it.line), 10)
	b = append(b, 0)
	if it.problem != nil {
		b = append(b, it.problem.Text...)
	} else {
		b = append(b, it.url...)
	}
	h.Write(append(b, '\n'))
}

// add takes one item of the list: a bad line or a duplicate is reported,
// a new URL is enqueued (unless resuming, when it is assumed queued) or,
// if a result for it is already known, reported. False stops the reading.
func (c *coordinator) add(it item, resuming bool, publish func(stableKey, int, string) error, flush func() error, failed *error) bool {
	if it.problem != nil {
		c.mu.Lock()
		c.lastLine = it.line
		c.mu.Unlock()
		c.send(Event{BadLine: it.problem}, func(s *runStats) { s.badLines++ })
		return true
	}
	k := stableKeyOf(it.url)
	c.mu.Lock()
	if first, ok := c.seen[k]; ok {
		c.lastLine = it.line
		if u := c.open[k]; u != nil {
			u.lines = append(u.lines, it.line)
			c.mu.Unlock()
			c.send(Event{}, func(s *runStats) { s.duplicates++ })
			return true
		}
		c.mu.Unlock()
		c.send(Event{Duplicate: &Duplicate{Line: it.line, URL: it.url, FirstLine: int(-first)}}, func(s *runStats) { s.duplicates++ })
		return true
	}
	if len(c.open) >= c.f.Window && !c.stopped {
		// The batches being filled go out before waiting for results.
		c.mu.Unlock()
		if *failed = flush(); *failed != nil {
			return false
		}
		c.mu.Lock()
	}
	for len(c.open) >= c.f.Window && !c.stopped {
		c.room.Wait()
	}
	if c.stopped {
		c.mu.Unlock()
		return false
	}
	c.lastLine = it.line
	if w := c.early[k]; w != nil {
		delete(c.early, k)
		c.seen[k] = -int32(it.line)
		c.mu.Unlock()
		c.report(w, it.url, []int{it.line})
		return true
	}
	c.seen[k] = int32(it.line)
	c.open[k] = &openURL{url: it.url, lines: []int{it.line}, published: !resuming}
	c.mu.Unlock()
	if !resuming {
		if *failed = publish(k, it.line, it.url); *failed != nil {
			return false
		}
	}
	return true
}

// onResult takes one message of the results stream: the first result of
// a URL read is reported, a repeat is dropped, one for a URL not read yet
// (a resumed crawl) waits for it.
func (c *coordinator) onResult(data []byte) {
	w, k, err := decodeResult(data)
	if err != nil {
		return // not ours to fail on: a stray message on the subject
	}
	c.mu.Lock()
	if w.Worker != "" {
		c.workers[w.Worker] = struct{}{}
	}
	first, ok := c.seen[k]
	switch {
	case !ok:
		if c.early[k] == nil {
			c.early[k] = w
		}
		c.mu.Unlock()
		return
	case first < 0 || c.stopped:
		c.mu.Unlock()
		return
	}
	u := c.open[k]
	delete(c.open, k)
	c.seen[k] = -first
	c.room.Signal()
	c.mu.Unlock()
	c.report(w, u.url, u.lines)
	c.mu.Lock()
	c.checkDone()
	c.mu.Unlock()
}

// noteReplayed records a result published before this Serve whose
// work message may still be queued.
func (c *coordinator) noteReplayed(data []byte) {
	w, k, err := decodeResult(data)
	if err != nil || w.Seq < c.workFirst || w.N == 0 {
		return
	}
	b := c.replayed[w.Seq]
	if b == nil {
		b = &replayedBatch{n: w.N, keys: make(map[stableKey]bool)}
		c.replayed[w.Seq] = b
	}
	b.keys[k] = true
}

// replayedBatch is a work message some of whose URLs have results.
type replayedBatch struct {
	n    int
	keys map[stableKey]bool
}

// compact, once the results published before this Serve are read, takes
// out of the queue what they did: a work message whose URLs all have
// results is deleted (its worker died before acknowledging it), one
// with some is replaced by one with the rest. So a resumed crawl fetches
// none of the URLs it has results for.
func (c *coordinator) compact(ctx context.Context) {
	for seq, b := range c.replayed {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if len(b.keys) < b.n {
			raw, err := c.work.GetMsg(dctx, seq)
			if err != nil {
				cancel()
				continue // gone: acknowledged after all
			}
			entries, _ := parseWorkMessage(raw.Data)
			var rest, keys []byte
			for _, e := range entries {
				if k := stableKeyOf(e.url); !b.keys[k] {
					rest = appendWork(rest, e.line, e.url)
					keys = append(keys, k[:]...)
				}
			}
			if len(rest) > 0 {
				id := sha256.Sum256(keys)
				if _, err := c.js.Publish(dctx, raw.Subject, rest, jetstream.WithMsgID(hex.EncodeToString(id[:16]))); err != nil {
					cancel()
					continue // left as it is: fetched again, reported once
				}
			}
		}
		_ = c.work.DeleteMsg(dctx, seq)
		cancel()
	}
	c.replayed = nil
}

// report emits a URL's result with its lines.
func (c *coordinator) report(w *wireResult, url string, lines []int) {
	res := w.Result
	res.URL = url
	res.Lines = slices.Clone(lines)
	slices.Sort(res.Lines)
	c.send(Event{Result: &res}, func(s *runStats) { s.add(res, c.o.FailStatus) })
}

// send emits ev (if set) after updating the statistics; an emit error or
// panic stops the crawl.
func (c *coordinator) send(ev Event, count func(*runStats)) {
	c.emitMu.Lock()
	defer c.emitMu.Unlock()
	count(&c.stats)
	if c.emitErr != nil || (ev.Result == nil && ev.BadLine == nil && ev.Duplicate == nil) {
		return
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				c.emitErr = fmt.Errorf("crawl: panic in a callback: %v\n%s", r, debug.Stack())
			}
		}()
		c.emitErr = c.emit(ev)
		if ev.Result != nil && c.o.Progress != nil && c.emitErr == nil {
			c.o.Progress(Concurrent, c.stats.done, 0)
		}
	}()
	if c.emitErr != nil {
		c.halt(c.emitErr)
	}
}
