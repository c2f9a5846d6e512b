package panics_test

import (
	"errors"
	"fmt"
	"io"

	"github.com/geventgo/geventgo/panics"
)

// Example shows the pattern every package of the module uses around user
// code: recover the panic in a deferred function and return it as an error
// that keeps the value, the stack and, for panic(err), err itself.
func Example() {
	call := func(f func()) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = panics.New(r)
			}
		}()
		f()
		return nil
	}
	err := call(func() { panic(io.ErrUnexpectedEOF) })
	var pe *panics.Error
	fmt.Println(errors.As(err, &pe), pe.Value, errors.Is(err, io.ErrUnexpectedEOF), len(pe.Stack()) > 0)
	// Output: true unexpected EOF true true
}
