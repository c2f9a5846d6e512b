package gevent

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
)

// SetFailureHandler sets what is done with an unobserved failure: a green
// thread whose body panicked (its error is, or wraps, a *PanicError) and
// whose error nobody read. A nil h turns reporting off; FailureHandler
// returns the current handler, to restore it later. The default, FailurePrinter(os.Stderr), prints the green
// thread's name and the panic with its stack once, as gevent prints the
// traceback of a greenlet that raised (Hub.handle_error). A program may set
// a logger or a metrics counter instead. The setting is process-wide and
// safe for concurrent use; it is read when a green thread fails (a failure
// while reporting is off is never reported) and again when the report is
// due.
//
// What counts as reading the error, which cancels the report:
//   - Err, and what calls it: Get, Successful, Hub.Run for its main green
//     thread, a Wait or WaitFutures that checks for a failure (RaiseError,
//     FirstException), a Pool's Map family returning it, ApplyAsync with a
//     callback;
//   - a Link: the callback receives the green thread (counted when it runs);
//   - JoinAll with RaiseError returning that error;
//   - Group.Wait returning it (the first failure, or every one with
//     AllErrors).
//
// Join alone, Done, Ready, a JoinAll or Group.Join without RaiseError, and
// a Pool's or Group's own bookkeeping (Stats, the first failure a Group
// keeps until Wait) do not read the error: a task submitted to a pool
// whose future nobody reads is reported, as gevent reports a pool's
// greenlet. A plain returned error and a kill (ErrGreenletExit,
// KillWith's error) are never reported: only panics are, as an uncaught
// exception is in Python.
//
// When: Go cannot know in advance whether some code will still read the
// error, so the report is made when the finished green thread is garbage
// collected with its error still unread (runtime.AddCleanup): never for an
// error read in time, exactly once otherwise. The handler then runs on the
// runtime's cleanup goroutine: it must not block for long, and a panic in
// it is recovered and printed to standard error. A program that exits
// before the collection loses the report; read the errors that matter.
// A green thread whose error refers back to it (a panic value holding the
// Greenlet) is never collected, so never reported.
//
// Cost: nothing on the success path nor for a plain error; a panicking
// green thread pays one map entry and one runtime cleanup.
func SetFailureHandler(h func(name string, err error)) {
	failureHandler.Store(&handlerBox{h})
}

// FailureHandler returns the handler SetFailureHandler set last (nil if
// reporting is off), initially FailurePrinter(nil).
func FailureHandler() func(name string, err error) {
	return failureHandler.Load().h
}

// FailurePrinter returns the handler that writes a failure to w (standard
// error when w is nil, looked up at each report) as
//
//	gevent: Greenlet-7 failed and nobody read its error: panic: boom
//
//	goroutine 42 [running]:
//	...
//
// Writes of concurrent reports do not interleave. It is the default of
// SetFailureHandler.
func FailurePrinter(w io.Writer) func(name string, err error) {
	return func(name string, err error) {
		out := w
		if out == nil {
			out = os.Stderr
		}
		printMu.Lock()
		defer printMu.Unlock()
		fmt.Fprintf(out, "gevent: %s failed and nobody read its error: %+v\n", name, err)
	}
}

type handlerBox struct{ h func(name string, err error) }

var (
	failureHandler atomic.Pointer[handlerBox]
	printMu        sync.Mutex

	// unread holds the failures not read yet, by green thread id: the
	// GreenThread itself cannot hold them (its cleanup must not reach it).
	unreadMu sync.Mutex
	unread   = map[uint64]unreadFailure{}
)

func init() { failureHandler.Store(&handlerBox{FailurePrinter(nil)}) }

type unreadFailure struct {
	name string
	err  error
}

// armReport records err, a failure of t, as unread if it is a panic and
// reporting is on. finish calls it under t.mu, before waking anyone who
// could read it.
func (t *GreenThread) armReport(err error) {
	if failureHandler.Load().h == nil {
		return
	}
	var pe *PanicError
	if !errors.As(err, &pe) {
		return
	}
	unreadMu.Lock()
	unread[t.id] = unreadFailure{t.Name(), err}
	unreadMu.Unlock()
	t.ext().unread.Store(true)
	runtime.AddCleanup(t, reportUnread, t.id)
}

// markRead cancels t's pending report, if any.
func (t *GreenThread) markRead() {
	if x := t.x.Load(); x != nil && x.unread.Load() && x.unread.CompareAndSwap(true, false) {
		unreadMu.Lock()
		delete(unread, t.id)
		unreadMu.Unlock()
	}
}

// reportUnread is the cleanup of a failed green thread: it reports the
// failure if it is still unread.
func reportUnread(id uint64) {
	unreadMu.Lock()
	f, ok := unread[id]
	delete(unread, id)
	unreadMu.Unlock()
	if !ok {
		return
	}
	h := failureHandler.Load().h
	if h == nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "gevent: the failure handler failed: %v\n", r)
		}
	}()
	h(f.name, f.err)
}
