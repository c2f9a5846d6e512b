package gevent

import (
	"cmp"
	"context"
	"errors"
	"iter"
	"sync"
)

// ErrFull is returned by PutNowait on a full Queue: Python's queue.Full.
// A Put whose context's deadline passes while it waits for room returns an
// error matching both ErrFull and context.DeadlineExceeded, as Python's
// put(timeout=...) raises Full.
var ErrFull = errors.New("gevent: queue full")

// ErrEmpty is returned by GetNowait on an empty Queue: Python's queue.Empty.
// A Get whose context's deadline passes while it waits for an item returns
// an error matching both ErrEmpty and context.DeadlineExceeded, as Python's
// get(timeout=...) raises Empty.
var ErrEmpty = errors.New("gevent: queue empty")

// ErrQueueClosed is returned by Put on a closed Queue, and by Get once a
// closed Queue has been drained (Python 3.13's queue.ShutDown).
var ErrQueueClosed = errors.New("gevent: queue closed")

// ErrTaskDone is the value TaskDone panics with when called more times than
// items were put: a programming error, as a negative sync.WaitGroup counter
// (Python's ValueError "task_done() called too many times"; see
// ErrNotLocked).
var ErrTaskDone = errors.New("gevent: task_done() called too many times")

// Queue is gevent's Queue (and multiprocessing's Queue and JoinableQueue):
// a FIFO of items passed between green threads, bounded or not, that also
// counts unfinished tasks for TaskDone and Join. Since gevent 25.4 the
// joinable queue is gevent.queue.Queue and the plain one SimpleQueue; here
// one type does both, as counting tasks costs nothing measurable, and
// JoinableQueue names the same type.
//
// NewLifoQueue and NewPriorityQueue make a Queue that hands items out last
// in first out, or least first; everything else is the same.
//
// The zero value is an empty, unbounded FIFO Queue, ready to use. All
// methods are safe for concurrent use. Put and Get cost a mutex each and
// no allocation once the buffer has grown; a parked caller is woken only
// when there is something for it.
type Queue[T any] struct {
	mu         sync.Mutex
	items      ring[T]
	order      container[T] // nil: FIFO in items
	maxsize    int          // <= 0: unbounded
	closed     bool
	unfinished int
	getters    waitq // parked in Get: waiting for an item
	putters    waitq // parked in Put: waiting for room
	joiners    waitq // parked in Join: waiting for unfinished == 0
}

// JoinableQueue is Queue, under the name multiprocessing and older gevent
// use for a queue with TaskDone and Join.
type JoinableQueue[T any] = Queue[T]

// NewQueue returns an empty FIFO queue holding at most maxsize items:
// Python's Queue(maxsize). A maxsize of 0 or less means no bound.
func NewQueue[T any](maxsize int) *Queue[T] { return &Queue[T]{maxsize: maxsize} }

// NewLifoQueue returns a queue whose Get returns the most recently put
// item: Python's LifoQueue(maxsize).
func NewLifoQueue[T any](maxsize int) *Queue[T] {
	return &Queue[T]{maxsize: maxsize, order: &stack[T]{}}
}

// NewPriorityQueue returns a queue whose Get returns the least item by
// less (a heap, as Python's PriorityQueue uses heapq): Python's
// PriorityQueue(maxsize). Items that compare equal come out in no
// particular order.
func NewPriorityQueue[T any](maxsize int, less func(a, b T) bool) *Queue[T] {
	return &Queue[T]{maxsize: maxsize, order: &priority[T]{less: less}}
}

// NewOrderedPriorityQueue is NewPriorityQueue for ordered types, least
// first by cmp.Less.
func NewOrderedPriorityQueue[T cmp.Ordered](maxsize int) *Queue[T] {
	return NewPriorityQueue(maxsize, cmp.Less[T])
}

func (q *Queue[T]) len() int {
	if q.order != nil {
		return q.order.Len()
	}
	return q.items.len()
}

func (q *Queue[T]) full() bool { return q.maxsize > 0 && q.len() >= q.maxsize }

// add stores v and wakes a getter; q.mu is held and there is room.
func (q *Queue[T]) add(v T) {
	if q.order != nil {
		q.order.add(v)
	} else {
		q.items.push(v)
	}
	q.unfinished++
	q.getters.wakeOne()
}

// take removes the next item and wakes a putter; q.mu is held, q not empty.
func (q *Queue[T]) take() T {
	var v T
	if q.order != nil {
		v = q.order.take()
	} else {
		v = q.items.pop()
	}
	q.putters.wakeOne()
	return v
}

// Put adds v, blocking while the queue is full until there is room or ctx
// is done. It returns nil, ctx's error (also matching ErrFull when ctx's
// deadline passed: see ErrFull), or ErrQueueClosed if the queue is or
// becomes closed (v is then not added).
func (q *Queue[T]) Put(ctx context.Context, v T) error {
	q.mu.Lock()
	for {
		if q.closed {
			q.mu.Unlock()
			return ErrQueueClosed
		}
		if !q.full() {
			q.add(v)
			q.mu.Unlock()
			return nil
		}
		if err := ctx.Err(); err != nil {
			q.mu.Unlock()
			return deadlineAs(ctx, ctxError(ctx), ErrFull)
		}
		if err := block(ctx, &q.mu, &q.putters); err != nil {
			return deadlineAs(ctx, err, ErrFull)
		}
		q.mu.Lock()
	}
}

// PutNowait adds v if there is room and returns nil, or returns ErrFull
// (or ErrQueueClosed) without blocking: Python's put_nowait.
func (q *Queue[T]) PutNowait(v T) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.closed:
		return ErrQueueClosed
	case q.full():
		return ErrFull
	}
	q.add(v)
	return nil
}

// Get removes and returns the next item, blocking while the queue is empty
// until an item comes or ctx is done. It returns ctx's error (also matching
// ErrEmpty when ctx's deadline passed: see ErrEmpty), or ErrQueueClosed
// once the queue is closed and drained.
func (q *Queue[T]) Get(ctx context.Context) (T, error) { return q.next(ctx, true) }

// next returns the next item, waiting for one as Get does; it removes the
// item if take is set. Otherwise (Peek) it passes the wake it got on to the
// next waiting Get, so that no Get stays asleep beside the item.
func (q *Queue[T]) next(ctx context.Context, take bool) (T, error) {
	q.mu.Lock()
	woken := false
	for {
		if q.len() > 0 {
			var v T
			if take {
				v = q.take()
			} else {
				v = q.peek()
				if woken {
					q.getters.wakeOne()
				}
			}
			q.mu.Unlock()
			return v, nil
		}
		var zero T
		if q.closed {
			q.mu.Unlock()
			return zero, ErrQueueClosed
		}
		if err := ctx.Err(); err != nil {
			q.mu.Unlock()
			return zero, deadlineAs(ctx, ctxError(ctx), ErrEmpty)
		}
		if err := block(ctx, &q.mu, &q.getters); err != nil {
			return zero, deadlineAs(ctx, err, ErrEmpty)
		}
		woken = true
		q.mu.Lock()
	}
}

// GetNowait removes and returns the next item if there is one, or returns
// ErrEmpty (ErrQueueClosed once closed and drained) without blocking:
// Python's get_nowait.
func (q *Queue[T]) GetNowait() (T, error) { return q.nextNowait(true) }

// nextNowait is next without waiting: GetNowait and PeekNowait.
func (q *Queue[T]) nextNowait(take bool) (T, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var zero T
	switch {
	case q.len() > 0 && take:
		return q.take(), nil
	case q.len() > 0:
		return q.peek(), nil
	case q.closed:
		return zero, ErrQueueClosed
	}
	return zero, ErrEmpty
}

// All returns the items as they come, for range: each step is a Get. The
// range ends when the queue is closed and drained, or when ctx is done
// (check ctx.Err() after the loop to tell which).
func (q *Queue[T]) All(ctx context.Context) iter.Seq[T] {
	return func(yield func(T) bool) {
		for {
			v, err := q.Get(ctx)
			if err != nil || !yield(v) {
				return
			}
		}
	}
}

// Close closes the queue: later Puts, and Puts blocked now, return
// ErrQueueClosed; Gets go on returning the items left, then
// ErrQueueClosed. Closing twice does nothing.
func (q *Queue[T]) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.getters.wakeAll()
	q.putters.wakeAll()
}

// Closed reports whether Close was called.
func (q *Queue[T]) Closed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

// TaskDone marks one item taken with Get as processed: Python's
// task_done(). When every item put has been marked, Join returns. Calling
// it more times than items were put is a programming error: it panics with
// ErrTaskDone and changes nothing, as sync.WaitGroup panics on a negative
// counter (Python raises ValueError; in a green thread the panic becomes
// its error, a *PanicError matching ErrTaskDone).
func (q *Queue[T]) TaskDone() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.unfinished <= 0 {
		panic(ErrTaskDone)
	}
	if q.unfinished--; q.unfinished == 0 {
		q.joiners.wakeAll()
	}
}

// Join blocks until every item ever put has been marked with TaskDone, or
// ctx is done, and returns nil or ctx's error: Python's join().
func (q *Queue[T]) Join(ctx context.Context) error {
	q.mu.Lock()
	for q.unfinished > 0 {
		if err := block(ctx, &q.mu, &q.joiners); err != nil {
			return err
		}
		q.mu.Lock()
	}
	q.mu.Unlock()
	return nil
}

// Len returns the number of items in the queue: Python's qsize().
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.len()
}

// Empty reports whether the queue holds no item.
func (q *Queue[T]) Empty() bool { return q.Len() == 0 }

// Full reports whether the queue is bounded and holds Cap items.
func (q *Queue[T]) Full() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.full()
}

// Cap returns the bound given at creation (Python's maxsize), 0 if none.
func (q *Queue[T]) Cap() int {
	if q.maxsize < 0 {
		return 0
	}
	return q.maxsize
}

// container is the order of a LIFO or priority Queue.
type container[T any] interface {
	Len() int
	add(v T)
	take() T
}

// ring is a growable FIFO ring buffer; its zero value is empty.
type ring[T any] struct {
	buf        []T
	head, size int
}

func (r *ring[T]) len() int { return r.size }

func (r *ring[T]) push(v T) {
	if r.size == len(r.buf) {
		n := max(2*len(r.buf), 8)
		buf := make([]T, n)
		k := copy(buf, r.buf[r.head:])
		copy(buf[k:], r.buf[:r.head])
		r.buf, r.head = buf, 0
	}
	r.buf[(r.head+r.size)%len(r.buf)] = v
	r.size++
}

func (r *ring[T]) pop() T {
	var zero T
	v := r.buf[r.head]
	r.buf[r.head] = zero
	r.head = (r.head + 1) % len(r.buf)
	r.size--
	return v
}

// stack orders a LifoQueue.
type stack[T any] struct{ items []T }

func (s *stack[T]) Len() int { return len(s.items) }
func (s *stack[T]) add(v T)  { s.items = append(s.items, v) }
func (s *stack[T]) take() T {
	var zero T
	n := len(s.items) - 1
	v := s.items[n]
	s.items[n] = zero
	s.items = s.items[:n]
	return v
}

// priority orders a PriorityQueue as a binary heap, without boxing items.
type priority[T any] struct {
	items []T
	less  func(a, b T) bool
}

func (p *priority[T]) Len() int { return len(p.items) }

func (p *priority[T]) add(v T) {
	p.items = append(p.items, v)
	for i := len(p.items) - 1; i > 0; {
		parent := (i - 1) / 2
		if !p.less(p.items[i], p.items[parent]) {
			break
		}
		p.items[i], p.items[parent] = p.items[parent], p.items[i]
		i = parent
	}
}

func (p *priority[T]) take() T {
	var zero T
	v, n := p.items[0], len(p.items)-1
	p.items[0] = p.items[n]
	p.items[n] = zero
	p.items = p.items[:n]
	for i := 0; ; {
		least, l, r := i, 2*i+1, 2*i+2
		if l < n && p.less(p.items[l], p.items[least]) {
			least = l
		}
		if r < n && p.less(p.items[r], p.items[least]) {
			least = r
		}
		if least == i {
			break
		}
		p.items[i], p.items[least] = p.items[least], p.items[i]
		i = least
	}
	return v
}

// peek returns the next item without removing it; q.mu is held, q not
// empty.
func (q *Queue[T]) peek() T {
	switch o := q.order.(type) {
	case *stack[T]:
		return o.items[len(o.items)-1]
	case *priority[T]:
		return o.items[0]
	}
	return q.items.buf[q.items.head]
}

// Peek returns the next item without removing it, blocking while the queue
// is empty until an item comes or ctx is done: gevent's peek(). Its errors
// are Get's: ctx's (also matching ErrEmpty when ctx's deadline passed), or
// ErrQueueClosed once the queue is closed and drained. The item may be
// taken by a Get before the caller acts on it.
//
// A Peek waits among the Gets; when the item that woke it is still there,
// it passes the wake on to the next waiting Get, so peeking never leaves a
// Get asleep beside an item. Cost: Get's.
func (q *Queue[T]) Peek(ctx context.Context) (T, error) { return q.next(ctx, false) }

// PeekNowait returns the next item without removing it, or ErrEmpty
// (ErrQueueClosed once closed and drained) without blocking: gevent's
// peek_nowait().
func (q *Queue[T]) PeekNowait() (T, error) { return q.nextNowait(false) }

// UnfinishedTasks returns the number of items put and not yet marked with
// TaskDone: Python's unfinished_tasks. Join returns when it is 0.
func (q *Queue[T]) UnfinishedTasks() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.unfinished
}

// CloseNow closes the queue and discards the items in it: Python 3.13's
// shutdown(immediate=True). As with Close, later Puts and the Puts blocked
// now return ErrQueueClosed; unlike Close, Gets (and Peeks) return
// ErrQueueClosed at once, pending ones included, as the queue is empty.
// Each discarded item counts as done: the unfinished tasks drop by the
// number discarded (never below zero), so Join returns once the items
// already taken by Get are marked with TaskDone. It returns the number of
// items discarded. Calling it on a queue already closed discards what a
// Close left. It never blocks; it costs a mutex and one step an item.
func (q *Queue[T]) CloseNow() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	n := 0
	for q.len() > 0 {
		q.take()
		n++
		if q.unfinished > 0 {
			q.unfinished--
		}
	}
	if q.order == nil {
		q.items = ring[T]{} // let the buffer go
	}
	if q.unfinished == 0 {
		q.joiners.wakeAll()
	}
	q.getters.wakeAll()
	q.putters.wakeAll()
	return n
}
