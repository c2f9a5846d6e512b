package crawl

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/valyala/fasthttp"

	"github.com/geventgo/geventgo/gevent"
)

// ErrTimeout is gevent's: one sentinel for "a time limit ran out", across
// the module; the fetch's error keeps its message and fasthttp's error.
func TestErrTimeoutIsGevents(t *testing.T) {
	assert.Same(t, gevent.ErrTimeout, ErrTimeout)
	err := classify(fasthttp.ErrTimeout, Options{Timeout: 2 * time.Second})
	assert.Equal(t, "timeout after 2s: "+fasthttp.ErrTimeout.Error(), err.Error())
	assert.ErrorIs(t, err, ErrTimeout)
	assert.ErrorIs(t, err, gevent.ErrTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorIs(t, err, fasthttp.ErrTimeout)
	assert.False(t, errors.Is(err, ErrBodyTooLarge))

	// And the other way: a gevent Timeout's error is a crawl timeout too.
	var gt error = &gevent.TimeoutError{After: time.Second}
	assert.ErrorIs(t, gt, ErrTimeout)
}
