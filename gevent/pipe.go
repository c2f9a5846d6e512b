package gevent

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
)

// ErrPipeClosed is returned by Send and Recv on a PipeEnd that was closed.
var ErrPipeClosed = errors.New("gevent: pipe end closed")

// ErrBrokenPipe is returned by Send when the other end is closed: nothing
// will ever receive. Python's BrokenPipeError. It matches io.ErrClosedPipe.
var ErrBrokenPipe error = &sentinel{"gevent: broken pipe: the other end is closed", io.ErrClosedPipe}

// sentinel is a sentinel error that also matches a more general one.
type sentinel struct {
	msg  string
	also error
}

func (e *sentinel) Error() string        { return e.msg }
func (e *sentinel) Is(target error) bool { return target == e.also }

// PipeEnd is one end of a Pipe: what it sends, the other end receives, in
// order, and the other way round. Safe for concurrent use.
type PipeEnd[T any] struct {
	in     *Queue[T] // what the other end sent
	out    *Queue[T] // the other end's in
	peer   *PipeEnd[T]
	closed atomic.Bool
}

// Pipe returns the two ends of a duplex pipe: multiprocessing.Pipe(). Each
// end sends to the other and receives what the other sent. The pipe is
// unbounded: Send never blocks (an OS pipe blocks when its buffer is full;
// between green threads no such limit is needed, use a bounded Queue for
// back-pressure).
func Pipe[T any]() (*PipeEnd[T], *PipeEnd[T]) {
	ab, ba := &Queue[T]{}, &Queue[T]{}
	a := &PipeEnd[T]{in: ba, out: ab}
	b := &PipeEnd[T]{in: ab, out: ba}
	a.peer, b.peer = b, a
	return a, b
}

// Send passes v to the other end: Python's conn.send(v). It returns
// ErrPipeClosed if this end is closed and ErrBrokenPipe if the other end
// is, and v is then dropped.
func (p *PipeEnd[T]) Send(v T) error {
	if p.closed.Load() {
		return ErrPipeClosed
	}
	if p.peer.closed.Load() {
		return ErrBrokenPipe
	}
	if err := p.out.PutNowait(v); err != nil {
		return ErrBrokenPipe // closed in between
	}
	return nil
}

// Recv returns the next value the other end sent, blocking until there is
// one or ctx is done: Python's conn.recv(). Once the other end is closed and
// everything it sent has been received, Recv returns io.EOF (Python's
// EOFError). On a closed end it returns ErrPipeClosed.
func (p *PipeEnd[T]) Recv(ctx context.Context) (T, error) {
	if p.closed.Load() {
		var zero T
		return zero, ErrPipeClosed
	}
	v, err := p.in.Get(ctx)
	if errors.Is(err, ErrQueueClosed) {
		if p.closed.Load() {
			return v, ErrPipeClosed
		}
		return v, io.EOF
	}
	return v, err
}

// Poll reports whether Recv would return at once with a value.
func (p *PipeEnd[T]) Poll() bool { return !p.in.Empty() }

// Close closes this end: the other end receives what was already sent,
// then io.EOF; its Sends fail with ErrBrokenPipe. A Recv blocked on this
// end returns ErrPipeClosed. Closing twice does nothing. It cannot fail:
// it returns nothing.
func (p *PipeEnd[T]) Close() {
	if p.closed.Swap(true) {
		return
	}
	p.out.Close()
	p.in.Close()
}
