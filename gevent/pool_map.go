package gevent

import (
	"context"
	"iter"
	"sync"
	"sync/atomic"

	"github.com/geventgo/geventgo/panics"
)

// Map calls fn on every item on the pool and returns the results in input
// order: multiprocessing's Pool.map and gevent's Pool.map. It blocks until
// every call has ended.
//
// Map runs up to Size workers (max(64, GOMAXPROCS) on an unbounded pool,
// never more than there are items), each a task of p, and each worker takes
// the next item not yet taken, one at a time (self-scheduling, one atomic
// add an item): an item costs a function call, not a spawn, yet a slow item
// holds back no other item, since the other workers take those behind it.
// The workers are queued as ApplyAsync's tasks are, so Map waits for slots
// in turn with other callers and starts on each slot as it frees up. On a
// Hub the items take the turns gevent's pool.map gives them (it spawns a
// greenlet per item from a greenlet of its own): the first ones start a
// turn after the call, each next one three turns after the one before it
// ended, so other green threads interleave with the items as under gevent.
//
// At the first error of fn, or panic (a *PanicError, as for a task), Map
// cancels the context of the calls still running, stops starting new ones,
// waits for the running calls to return, and returns that error with the
// results obtained so far. When ctx ends, Map returns ctx's error the same
// way; if the pool is killed under it, the killed workers' error. Called
// from a task of p, Map does not wait for slots (its caller holds one): it
// takes the free ones and runs a worker inline. On a full non-blocking pool
// it takes the free slots and fails with ErrPoolFull only if there is none.
func Map[T, R any](ctx context.Context, p *Pool, items []T, fn func(context.Context, T) (R, error)) ([]R, error) {
	n := len(items)
	results := make([]R, n)
	if n == 0 {
		return results, nil
	}
	mctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu    sync.Mutex
		first error
		next  atomic.Int64 // the next item to take
		// failed is set at the first failure: the workers' contexts learn
		// of mctx's cancellation through a goroutine, a little later.
		failed atomic.Bool
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = err
			failed.Store(true)
			cancel(err)
		}
	}
	// work is one worker. It returns an error only when it stops with
	// items left for a reason of its own (ctx ended, or it was killed).
	work := func(ctx context.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				fail(panics.New(r)) // a panic in fn is an error like another
				err = nil
			}
		}()
		// On a Hub the items run in the turns gevent's pool.map gives
		// them: it spawns a greenlet per item from a greenlet of its own,
		// so the first items start a turn after the call, and each next
		// one three turns after the one before ended (that greenlet's
		// links, the spawner woken by its slot, the new greenlet's start).
		// Other green threads then interleave with the items as there.
		onHub, turns := schedOf(ctx) != nil, 1
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return nil
			}
			if onHub {
				for range turns {
					Sleep(ctx, 0)
				}
				turns = 3
			}
			if failed.Load() {
				return nil
			}
			if ctx.Err() != nil {
				return ctxError(ctx) // Map is ending: ctx, or Kill
			}
			v, err := fn(ctx, items[i])
			if err != nil {
				fail(err)
				return nil
			}
			results[i] = v
		}
	}
	worker := func(ctx context.Context) (struct{}, error) { return struct{}{}, work(ctx) }
	workers := min(n, p.mapLimit())
	p.mu.Lock()
	self := p.isTask(ctx)
	p.mu.Unlock()
	gs := make([]*Greenlet[struct{}], 0, workers)
	var inline error
	switch {
	case self || p.cfg.nonBlocking:
		if self {
			workers-- // the caller is one
		} else if err := p.take(mctx, false); err != nil {
			fail(err)
			workers = 0
		} else {
			k := newTask(mctx, p, worker, nil)
			startOn(k)
			gs = append(gs, &k.Greenlet)
		}
		for len(gs) < workers && p.tryAcquire() {
			k := newTask(mctx, p, worker, nil)
			startOn(k)
			gs = append(gs, &k.Greenlet)
		}
		if self {
			inline = work(mctx)
		}
	default:
		for range workers {
			g, err := submitAsync(mctx, p, worker, nil, nil, nil, true)
			if err != nil {
				if len(gs) == 0 {
					fail(err)
				}
				break
			}
			gs = append(gs, g)
		}
	}
	// The workers see mctx cancelled on failure; wait for them all, so no
	// call of fn outlives Map.
	JoinAll(context.WithoutCancel(ctx), gs)
	mu.Lock()
	defer mu.Unlock()
	switch {
	case first != nil:
		return results, first
	case ctx.Err() != nil:
		return results, ctxError(ctx)
	case inline != nil:
		return results, inline
	}
	for _, g := range gs {
		// A worker that never started took no item: its error matters only
		// if items were left untaken.
		if err := g.Err(); err != nil && (g.Started() || next.Load() < int64(n)) {
			return results, err
		}
	}
	return results, nil
}

// Result is one result of IMap or IMapUnordered: Index is the position of
// its item in the input sequence (0 for the first), Value and Err are what
// fn returned for it (Err is a *PanicError if fn panicked, and Value then
// R's zero value).
type Result[R any] struct {
	Index int
	Value R
	Err   error
}

// IMap calls fn on the items of a sequence on the pool and yields their
// results in input order as they become available: multiprocessing's
// Pool.imap. Each yielded Result carries its item's index and fn's value
// and error; a failed call does not end the range (Python's imap raises
// the call's exception there: break on Result.Err to do the same).
//
// The error beside the Result is for the iteration itself: it is nil for
// every result, and non-nil at most once, as the last pair, with a zero
// Result, when the iteration ends early because ctx ended or the pool
// refused a call (ErrPoolClosed; ErrPoolFull on a non-blocking pool). Once
// ctx has ended, the next pair is that error: no result comes after it,
// not even one of a call that finished meanwhile (its own error would most
// likely be the cancellation).
//
// IMap keeps Size calls running (max(64, GOMAXPROCS) on an unbounded
// pool), each a task submitted with Submit (so IMap waits for slots), and
// starts the next as one ends while the consumer waits, so the pool stays
// busy behind a slow earlier item, as gevent's and multiprocessing's imap
// do. Results that finish ahead of the consumer wait for it, at most 4
// Sizes of calls started and not yet yielded (gevent's imap buffers
// without a bound): then no call starts until the consumer catches up.
// Stopping the range stops feeding: the calls in flight get a cancelled
// context and IMap waits for them before the range ends, so nothing is
// left running.
func IMap[T, R any](ctx context.Context, p *Pool, items iter.Seq[T], fn func(context.Context, T) (R, error)) iter.Seq2[Result[R], error] {
	return imap(ctx, p, items, fn, true)
}

// IMapUnordered is IMap yielding results in the order the calls finish:
// multiprocessing's Pool.imap_unordered and gevent's. Result.Index tells
// which item each result is for.
func IMapUnordered[T, R any](ctx context.Context, p *Pool, items iter.Seq[T], fn func(context.Context, T) (R, error)) iter.Seq2[Result[R], error] {
	return imap(ctx, p, items, fn, false)
}

// imapAhead bounds, in units of the calls IMap keeps running, how many
// calls may have started ahead of the consumer: finished results wait for
// it up to that many (gevent's imap buffers them all; multiprocessing's
// too), then no call starts until it catches up.
const imapAhead = 4

// inflight is a call of IMap's that has not been yielded yet.
type inflight[R any] struct {
	g    *Greenlet[R]
	i    int  // its item's index
	done bool // its end was taken from the finished queue (consumer only)
}

func imap[T, R any](ctx context.Context, p *Pool, items iter.Seq[T], fn func(context.Context, T) (R, error), ordered bool) iter.Seq2[Result[R], error] {
	return func(yield func(Result[R], error) bool) {
		ictx, cancel := context.WithCancel(ctx)
		var (
			calls    []*inflight[R] // submitted, not yet yielded, in input order
			running  int            // calls whose end the consumer has not taken yet
			finished Queue[*inflight[R]]
		)
		defer func() {
			cancel()
			for _, c := range calls {
				c.g.Join(context.WithoutCancel(ctx))
			}
		}()
		next, stop := iter.Pull(items)
		defer stop()
		exhausted := false
		limit := p.mapLimit()
		for index := 0; ; {
			// Start calls while fewer than limit run: the pool stays busy
			// while the consumer waits, also behind a slow earlier item
			// of an ordered map, as in gevent and multiprocessing.
			for !exhausted && running < limit && len(calls) < imapAhead*limit {
				item, ok := next()
				if !ok {
					exhausted = true
					break
				}
				g, err := submit(ictx, p, func(ctx context.Context) (R, error) { return fn(ctx, item) }, nil)
				if err != nil {
					yield(Result[R]{}, err)
					return
				}
				c := &inflight[R]{g: g, i: index}
				index++
				g.Link(func(*Greenlet[R]) { finished.PutNowait(c) })
				calls = append(calls, c)
				running++
			}
			if len(calls) == 0 {
				return
			}
			var c *inflight[R]
			if ordered && calls[0].done {
				c = calls[0]
				calls = calls[1:]
			} else {
				f, err := finished.Get(ctx)
				if err != nil {
					yield(Result[R]{}, err)
					return
				}
				f.done = true
				running--
				if ordered {
					continue // the first call may not be the one that ended
				}
				c = f
				for i, h := range calls {
					if h == c {
						calls = append(calls[:i], calls[i+1:]...)
						break
					}
				}
			}
			if err := ctx.Err(); err != nil {
				yield(Result[R]{}, ctxError(ctx))
				return
			}
			if !yield(Result[R]{c.i, c.g.Value(), c.g.Err()}, nil) {
				return
			}
		}
	}
}
