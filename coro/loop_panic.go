package coro

import (
	"reflect"
	"runtime"
	"strings"
)

// fromLoopBody reports whether the panic being handled went through loop,
// the loop body of the range that runs the generator in push mode, rather
// than starting in the generator's body. It must be called directly from
// the deferred function of run that handles the panic, while the stack of
// the panic is still in place: it walks that stack from the panic outward
// and looks for loop's frame before it reaches run's.
//
// Yield keeps no "in the loop body" flag, so that it stays small enough to
// be inlined; this walk, paid only when a panic happens, replaces it.
func fromLoopBody[Y any](loop func(Y) bool) bool {
	if loop == nil {
		return false
	}
	pc := reflect.ValueOf(loop).Pointer()
	// A method value's wrapper (T.M-fm) is left out of stacks; the
	// method it calls is named as the wrapper without -fm.
	name := strings.TrimSuffix(funcName(pc), "-fm")

	pcs := make([]uintptr, 64)
	for {
		n := runtime.Callers(2, pcs) // from run's deferred function
		if n < len(pcs) {
			pcs = pcs[:n]
			break
		}
		pcs = make([]uintptr, 2*len(pcs))
	}
	frames := runtime.CallersFrames(pcs)
	deferred, more := frames.Next()
	run := deferred.Function[:max(strings.LastIndexByte(deferred.Function, '.'), 0)]
	for more {
		var f runtime.Frame
		f, more = frames.Next()
		switch {
		case f.Function == run:
			return false
		case f.Entry == pc || f.Function == name:
			return true
		}
	}
	return false
}

// funcName is the name of the function whose code starts at pc.
func funcName(pc uintptr) string {
	if f := runtime.FuncForPC(pc); f != nil {
		return f.Name()
	}
	return ""
}
