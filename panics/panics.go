// Package panics turns a recovered panic into an error that keeps the stack
// of the goroutine that panicked. Every package of the module that runs user
// code (coro, greenlet, gevent) uses it, so a panic in user code is always
// reported the same way and never crashes the program.
//
// The package is public so that a program can name the error whichever
// package returned it: coro.PanicError, greenlet.PanicError and
// gevent.PanicError are all aliases of Error, so one
//
//	var pe *panics.Error
//	if errors.As(err, &pe) { ... pe.Value ... pe.Stack() ... }
//
// finds a panic from a generator, a greenlet or a green thread alike.
//
// As with Go's error libraries, Error() is one line (a log line stays a
// line) and the stack is printed only when asked for: by Stack, or by
// formatting the error with %+v.
package panics

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// Error is a panic recovered from user code. Value is what was passed to
// panic; Stack returns the stack of the panicking goroutine at the point of
// recovery. coro.PanicError, greenlet.PanicError and gevent.PanicError are
// aliases of it: errors.As with a *panics.Error target, or with any of
// those, finds the same error.
type Error struct {
	Value any
	stack []byte
}

// New captures the current stack around a recovered value. Call it from the
// deferred function that recovered, so the stack still shows the panic site.
// A program can use it for its own recovered panics, to report them like the
// module's.
func New(v any) *Error { return &Error{Value: v, stack: debug.Stack()} }

// Error returns one line: "panic: " and the panic value (a value that prints
// over several lines keeps only its first, with " [...]" after it). The
// stack is given by Stack and by %+v.
func (e *Error) Error() string {
	s := fmt.Sprint(e.Value)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " [...]"
	}
	return "panic: " + s
}

// Stack returns the stack of the goroutine that panicked, as printed by
// runtime/debug.Stack when the panic was recovered. The slice is shared: do
// not modify it.
func (e *Error) Stack() []byte { return e.stack }

// Format implements fmt.Formatter: %v and %s print Error(), %q quotes it,
// and %+v prints the whole value ("panic: " and fmt's %v of the value, which
// may span lines), a blank line and the stack, as Go's runtime prints an
// unrecovered panic.
func (e *Error) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('+'):
		fmt.Fprintf(f, "panic: %v\n\n%s", e.Value, e.stack)
	case verb == 'q':
		fmt.Fprintf(f, "%q", e.Error())
	default:
		_, _ = io.WriteString(f, e.Error())
	}
}

// Unwrap returns the panic value when it is an error, so errors.Is and
// errors.As see through the panic to what was panicked with.
func (e *Error) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}
