package panics

import (
	"errors"
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
	assert.Contains(t, string(pe.Stack), "panics.TestErrorKeepsValueAndStack")
	assert.Contains(t, err.Error(), "panic: bad thing")
	assert.Nil(t, pe.Unwrap())
}

func TestErrorUnwrapsPanickedError(t *testing.T) {
	err := catch(func() { panic(errBoom) })
	assert.ErrorIs(t, err, errBoom)
}
