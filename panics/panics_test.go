package panics

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var errBoom = errors.New("boom")

func catch(f func()) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = New(v)
		}
	}()
	f()
	return nil
}

func TestErrorKeepsValueAndStack(t *testing.T) {
	err := catch(func() { panic("bad thing") })
	var pe *Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "bad thing", pe.Value)
	assert.Contains(t, string(pe.Stack()), "panics.TestErrorKeepsValueAndStack")
	assert.Contains(t, err.Error(), "panic: bad thing")
	assert.Nil(t, pe.Unwrap())
}

func TestErrorUnwrapsPanickedError(t *testing.T) {
	err := catch(func() { panic(errBoom) })
	assert.ErrorIs(t, err, errBoom)
}

func TestErrorIsOneLineStackOnRequest(t *testing.T) {
	err := catch(func() { panic("first line\nsecond line") })
	var pe *Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "panic: first line [...]", err.Error(), "Error() is one line")
	assert.Equal(t, err.Error(), fmt.Sprintf("%v", err))
	assert.Equal(t, err.Error(), fmt.Sprintf("%s", err))
	assert.Equal(t, `"panic: first line [...]"`, fmt.Sprintf("%q", err))
	full := fmt.Sprintf("%+v", err)
	assert.True(t, strings.HasPrefix(full, "panic: first line\nsecond line\n\ngoroutine "), full)
	assert.Contains(t, full, "panics.TestErrorIsOneLineStackOnRequest")
	assert.Equal(t, string(pe.Stack()), strings.SplitN(full, "\n\n", 2)[1])

	wrapped := fmt.Errorf("task 3: %w", catch(func() { panic(errBoom) }))
	assert.Equal(t, "task 3: panic: boom", wrapped.Error())
	assert.ErrorIs(t, wrapped, errBoom)
}
