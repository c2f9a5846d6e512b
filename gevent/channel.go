package gevent

import (
	"context"
	"sync"
)

// Channel is gevent's Channel: a queue of size zero, where Put blocks until
// a Get has taken its item (a rendezvous, like an unbuffered Go channel
// that parks green threads through this package, wakes on Kill and works
// on a Hub). The zero value is ready to use. All methods are safe for
// concurrent use.
type Channel[T any] struct {
	mu      sync.Mutex
	offers  ring[offer[T]] // items of parked Puts, in Put order
	base    uint64         // sequence number of offers' head
	next    uint64         // sequence number of the next Put
	closed  bool
	getters waitq
	putters waitq // in the same order as the live offers, but for PutNowait's
	loose   int   // live offers of PutNowait, whose callers did not wait
}

type offer[T any] struct {
	v      T
	dead   bool // its Put gave up
	nowait bool // made by PutNowait: no Put waits for it
}

// Put hands v to a Get, blocking until one has taken it or ctx is done.
// It returns nil once v is taken, ctx's error if v was not taken (v is
// then withdrawn; the error also matches ErrFull when ctx's deadline
// passed, as gevent's put(timeout=...) raises Full), or ErrQueueClosed on a
// closed Channel.
func (c *Channel[T]) Put(ctx context.Context, v T) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrQueueClosed
	}
	if err := ctx.Err(); err != nil {
		c.mu.Unlock()
		return deadlineAs(ctx, ctxError(ctx), ErrFull)
	}
	seq := c.next
	c.next++
	c.offers.push(offer[T]{v: v})
	c.getters.wakeOne()
	err := blockOr(ctx, &c.mu, &c.putters, func() {
		i := int(seq - c.base)
		c.offers.buf[(c.offers.head+i)%len(c.offers.buf)].dead = true
	})
	return deadlineAs(ctx, err, ErrFull)
}

// Get takes an item from a Put, blocking until one comes or ctx is done,
// and returns ctx's error then (also matching ErrEmpty when ctx's deadline
// passed, as gevent's get(timeout=...) raises Empty). Once the Channel is
// closed and no Put is left waiting, it returns ErrQueueClosed.
func (c *Channel[T]) Get(ctx context.Context) (T, error) {
	c.mu.Lock()
	for {
		for c.offers.len() > 0 {
			o := c.offers.pop()
			c.base++
			if !o.dead {
				c.handed(o)
				c.mu.Unlock()
				return o.v, nil
			}
		}
		var zero T
		if c.closed {
			c.mu.Unlock()
			return zero, ErrQueueClosed
		}
		if err := ctx.Err(); err != nil {
			c.mu.Unlock()
			return zero, deadlineAs(ctx, ctxError(ctx), ErrEmpty)
		}
		if err := block(ctx, &c.mu, &c.getters); err != nil {
			return zero, deadlineAs(ctx, err, ErrEmpty)
		}
		c.mu.Lock()
	}
}

// Close refuses later Puts with ErrQueueClosed. Puts already waiting still
// hand their items to Gets; then Gets return ErrQueueClosed.
func (c *Channel[T]) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	c.getters.wakeAll()
}

// handed accounts for o, a live offer just taken by a Get; c.mu is held.
func (c *Channel[T]) handed(o offer[T]) {
	if o.nowait {
		c.loose--
		return
	}
	c.putters.wakeOne() // the owner of the oldest live offer of a Put
}

// PutNowait hands v to a Get that is waiting, without blocking: gevent's
// Channel.put_nowait. It returns nil when a Get was parked in Get (v is
// then that Get's, or another's that comes first: either way it is taken
// without the caller waiting), ErrFull when none was, and ErrQueueClosed
// on a closed Channel.
func (c *Channel[T]) PutNowait(v T) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return ErrQueueClosed
	case c.getters.n == 0:
		return ErrFull
	}
	c.next++ // keep the sequence numbers of Put's offers in step
	c.offers.push(offer[T]{v: v, nowait: true})
	c.loose++
	c.getters.wakeOne()
	return nil
}

// GetNowait takes the item of a Put that is waiting (or of a PutNowait not
// yet taken), without blocking: gevent's Channel.get_nowait. It returns
// ErrEmpty when there is none, and ErrQueueClosed when there is none and
// the Channel is closed.
func (c *Channel[T]) GetNowait() (T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.offers.len() > 0 {
		o := c.offers.pop()
		c.base++
		if !o.dead {
			c.handed(o)
			return o.v, nil
		}
	}
	var zero T
	if c.closed {
		return zero, ErrQueueClosed
	}
	return zero, ErrEmpty
}

// Len returns the number of items offered and not yet taken: those of the
// Puts waiting for a Get, and of PutNowait calls whose woken Get has not
// run yet. gevent's Channel.qsize() is always 0 (a channel holds nothing);
// Len counts what its balance counts when positive, the waiting putters.
func (c *Channel[T]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.putters.n + c.loose
}
