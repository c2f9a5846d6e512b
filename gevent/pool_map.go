package gevent

import (
	"context"
	"iter"
	"sync"
)

// chunkSize is how many items of a Map one task takes: multiprocessing's
// default chunksize, about four chunks a worker.
func chunkSize(items, workers int) int {
	return max(1, (items+4*workers-1)/(4*workers))
}

// Map calls fn on every item on the pool and returns the results in input
// order: multiprocessing's Pool.map and gevent's Pool.map. Items are handed
// to tasks in chunks (multiprocessing's chunksize), so an item costs a
// function call, not a spawn. At the first error (or panic) of fn, Map
// cancels the context of the calls still running, stops starting new ones,
// waits for them, and returns that error with the results obtained so far.
// When ctx ends, Map returns ctx's error the same way. Called from a task of
// p while the pool is full, Map runs chunks inline rather than wait for a
// slot its own caller holds.
func Map[T, R any](ctx context.Context, p *Pool, items []T, fn func(context.Context, T) (R, error)) ([]R, error) {
	results := make([]R, len(items))
	if len(items) == 0 {
		return results, nil
	}
	mctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu    sync.Mutex
		first error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = err
			cancel(err)
		}
	}
	chunk := chunkSize(len(items), p.size)
	runChunk := func(lo, hi int) func(context.Context) error {
		return func(ctx context.Context) error {
			for i := lo; i < hi; i++ {
				if ctx.Err() != nil {
					return nil // Map is ending: a failure elsewhere, or ctx
				}
				v, err := fn(ctx, items[i])
				if err != nil {
					fail(err)
					return nil
				}
				results[i] = v
			}
			return nil
		}
	}
	p.mu.Lock()
	self := p.isTask(ctx)
	p.mu.Unlock()
	var gs []*Greenlet[struct{}]
	for lo := 0; lo < len(items) && mctx.Err() == nil; lo += chunk {
		run := runChunk(lo, min(lo+chunk, len(items)))
		if self && !p.tryAcquire() {
			if _, err := callSafely(mctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, run(ctx) }); err != nil {
				fail(err)
			}
			continue
		}
		g, err := p.Go(mctx, run)
		if err != nil {
			fail(err)
			break
		}
		gs = append(gs, g)
	}
	// The chunks see mctx cancelled on failure; wait for them all, so no
	// call of fn outlives Map.
	JoinAll(context.WithoutCancel(ctx), gs)
	for _, g := range gs {
		if err := g.Err(); err != nil {
			fail(err) // a panic in fn
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if first == nil && ctx.Err() != nil {
		return results, ctxError(ctx)
	}
	return results, first
}

// IMap calls fn on the items of a sequence on the pool and yields the
// results, with their errors, in input order as they become available:
// multiprocessing's Pool.imap. At most Size calls are in flight ahead of the
// consumer. Stopping the range stops feeding: the calls in flight get a
// cancelled context and IMap waits for them before the range ends, so
// nothing is left running. An error that prevents spawning (ctx done, pool
// closed) is yielded once and ends the range.
func IMap[T, R any](ctx context.Context, p *Pool, items iter.Seq[T], fn func(context.Context, T) (R, error)) iter.Seq2[R, error] {
	return imap(ctx, p, items, fn, true)
}

// IMapUnordered is IMap yielding results in the order the calls finish:
// multiprocessing's Pool.imap_unordered and gevent's.
func IMapUnordered[T, R any](ctx context.Context, p *Pool, items iter.Seq[T], fn func(context.Context, T) (R, error)) iter.Seq2[R, error] {
	return imap(ctx, p, items, fn, false)
}

func imap[T, R any](ctx context.Context, p *Pool, items iter.Seq[T], fn func(context.Context, T) (R, error), ordered bool) iter.Seq2[R, error] {
	return func(yield func(R, error) bool) {
		ictx, cancel := context.WithCancel(ctx)
		var (
			inflight []*Greenlet[R] // submitted, not yet yielded, in input order
			finished Queue[*Greenlet[R]]
		)
		defer func() {
			cancel()
			JoinAll(context.WithoutCancel(ctx), inflight)
		}()
		next, stop := iter.Pull(items)
		defer stop()
		var zero R
		exhausted := false
		for {
			for !exhausted && len(inflight) < p.size {
				item, ok := next()
				if !ok {
					exhausted = true
					break
				}
				g, err := Submit(ictx, p, func(ctx context.Context) (R, error) { return fn(ctx, item) })
				if err != nil {
					yield(zero, err)
					return
				}
				if !ordered {
					g.Link(func(g *Greenlet[R]) { finished.PutNowait(g) })
				}
				inflight = append(inflight, g)
			}
			if len(inflight) == 0 {
				return
			}
			var g *Greenlet[R]
			if ordered {
				g = inflight[0]
				if err := g.Join(ctx); err != nil {
					yield(zero, err)
					return
				}
				inflight = inflight[1:]
			} else {
				var err error
				if g, err = finished.Get(ctx); err != nil {
					yield(zero, err)
					return
				}
				for i, h := range inflight {
					if h == g {
						inflight = append(inflight[:i], inflight[i+1:]...)
						break
					}
				}
			}
			if !yield(g.Value(), g.Err()) {
				return
			}
		}
	}
}
