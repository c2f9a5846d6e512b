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
//	if errors.As(err, &pe) { ... pe.Value ... pe.Stack ... }
//
// finds a panic from a generator, a greenlet or a green thread alike.
package panics

import (
	"fmt"
	"runtime/debug"
)

// Error is a panic recovered from user code. Value is what was passed to
// panic; Stack is the stack of the panicking goroutine at the point of
// recovery, as printed by runtime/debug.Stack. coro.PanicError,
// greenlet.PanicError and gevent.PanicError are aliases of it: errors.As
// with a *panics.Error target, or with any of those, finds the same error.
type Error struct {
	Value any
	Stack []byte
}

// New captures the current stack around a recovered value. Call it from the
// deferred function that recovered, so the stack still shows the panic site.
// A program can use it for its own recovered panics, to report them like the
// module's.
func New(v any) *Error { return &Error{Value: v, Stack: debug.Stack()} }

// Error reports the panic value followed by the stack.
func (e *Error) Error() string {
	return fmt.Sprintf("panic: %v\n\n%s", e.Value, e.Stack)
}

// Unwrap returns the panic value when it is an error, so errors.Is and
// errors.As see through a panic(err).
func (e *Error) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}
