package coro_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/geventgo/geventgo/coro"
	"github.com/stretchr/testify/require"
)

var (
	errHandled = errors.New("handled: the body yields -1 and goes on")
	errCaught  = errors.New("caught: the body returns normally")
	errFatal   = errors.New("fatal: the body returns it")
)

// accumulator is the generator under test, in Python:
//
//	def accumulator(limit):
//	    total, v = 0, 0
//	    while True:
//	        try:
//	            s = yield v
//	        except Handled: v = -1; continue
//	        except Caught: return total
//	        total += s or 0
//	        if total >= limit: return total
//	        v = total
//
// Fatal, GeneratorExit and StopIteration propagate (the last as PEP 479's
// RuntimeError).
func accumulator(limit int) *coro.Gen[int, int, int] {
	return coro.New(func(y *coro.Yielder[int, int]) (int, error) {
		total, v := 0, 0
		for {
			s, err := y.Yield(v)
			switch {
			case errors.Is(err, errHandled):
				v = -1
				continue
			case errors.Is(err, errCaught):
				return total, nil
			case err != nil:
				return total, err
			}
			total += s
			if total >= limit {
				return total, nil
			}
			v = total
		}
	})
}

// model is Python's generator state machine for accumulator, written out.
type model struct {
	limit  int
	state  int // 0 unstarted, 1 suspended, 2 finished
	total  int
	result int
	err    error // the error Result reports
}

type outcome struct {
	v   int
	err error
}

func (m *model) finish(result int, err error) {
	m.state, m.result, m.err = 2, result, err
}

func (m *model) send(s int) outcome {
	switch m.state {
	case 0:
		if s != 0 {
			return outcome{0, coro.ErrSendUnstarted}
		}
		m.state = 1
		return outcome{0, nil}
	case 1:
		m.total += s
		if m.total >= m.limit {
			m.finish(m.total, nil)
			return outcome{0, coro.ErrStopIteration}
		}
		return outcome{m.total, nil}
	}
	return outcome{0, coro.ErrStopIteration}
}

func (m *model) throw(err error) outcome {
	raised := err
	if err == coro.ErrStopIteration { // PEP 479: RuntimeError, from a started generator or not
		raised = coro.ErrGeneratorRaisedStop
	}
	switch m.state {
	case 0:
		m.finish(0, raised)
		return outcome{0, raised}
	case 1:
		switch err {
		case errHandled:
			return outcome{-1, nil}
		case errCaught:
			m.finish(m.total, nil)
			return outcome{0, coro.ErrStopIteration}
		}
		m.finish(m.total, raised)
		return outcome{0, raised}
	}
	return outcome{0, err} // a finished generator re-raises what was thrown
}

func (m *model) close() error {
	switch m.state {
	case 0:
		m.state = 2
	case 1:
		m.finish(m.total, nil)
	}
	return nil
}

// rangeBreak ranges and breaks after k values.
func (m *model) rangeBreak(k int) []int {
	var got []int
	switch m.state {
	case 0: // push mode: sends are zero, the total stays 0
		for range k {
			got = append(got, 0)
		}
		m.finish(0, nil)
	case 1:
		for range k {
			got = append(got, m.total) // Next sends 0
		}
		m.finish(m.total, nil)
	}
	return got
}

func runOps(t *testing.T, data []byte) {
	if len(data) == 0 {
		return
	}
	limit := int(data[0]%40) + 1
	g := accumulator(limit)
	defer g.Close()
	m := &model{limit: limit}
	throws := []error{errHandled, errCaught, errFatal, coro.ErrGeneratorExit, coro.ErrStopIteration}
	states := [...]coro.State{coro.Created, coro.Suspended, coro.Closed}
	for i := 1; i+1 < len(data); i += 2 {
		op, arg := data[i]%6, int(data[i+1]%8)
		step := fmt.Sprintf("step %d: op %d arg %d", i/2, op, arg)
		var got, want outcome
		switch op {
		case 0:
			v, err := g.Next()
			got, want = outcome{v, err}, m.send(0)
		case 1:
			v, err := g.Send(arg)
			got, want = outcome{v, err}, m.send(arg)
		case 2, 3:
			e := throws[arg%len(throws)]
			v, err := g.Throw(e)
			got, want = outcome{v, err}, m.throw(e)
		case 4:
			require.Equal(t, m.close(), g.Close(), step)
		case 5:
			k := arg + 1
			var vs []int
			for v := range g.All() {
				vs = append(vs, v)
				if len(vs) == k {
					break
				}
			}
			require.Equal(t, m.rangeBreak(k), vs, step)
		}
		require.Equal(t, want.v, got.v, step)
		if want.err == nil {
			require.NoError(t, got.err, step)
		} else {
			require.ErrorIs(t, got.err, want.err, step)
		}
		require.Equal(t, m.state == 2, g.Done(), step)
		require.Equal(t, states[m.state], g.State(), step)
		if m.state == 2 {
			r, err := g.Result()
			require.Equal(t, m.result, r, step)
			if m.err == nil {
				require.NoError(t, err, step)
			} else {
				require.ErrorIs(t, err, m.err, step)
			}
		}
	}
}

// FuzzGenerator drives random sequences of next, send, throw, close and
// range-with-break against a reference model of Python's generator states.
// The seed corpus runs in every go test; go test -fuzz FuzzGenerator ./coro
// explores further.
func FuzzGenerator(f *testing.F) {
	f.Add([]byte{10, 0, 0, 1, 3, 1, 4, 0, 0, 1, 7})
	f.Add([]byte{5, 1, 3, 0, 0, 2, 0, 2, 1, 1, 2})
	f.Add([]byte{3, 2, 2, 0, 0, 4, 0, 0, 0})
	f.Add([]byte{20, 5, 3, 0, 0, 5, 2, 1, 1})
	f.Add([]byte{7, 0, 0, 2, 0, 2, 0, 1, 6, 3, 3, 0, 0})
	f.Add([]byte{1, 1, 0, 0, 0, 1, 1, 1, 1})
	f.Add([]byte{9, 4, 0, 5, 0, 0, 0})
	f.Add([]byte{30, 0, 0, 1, 2, 1, 2, 5, 4, 2, 2, 1, 7})
	f.Add([]byte{8, 2, 4, 0, 0, 3, 4})       // StopIteration thrown into an unstarted generator, then into a finished one
	f.Add([]byte{8, 0, 0, 1, 2, 3, 4, 0, 0}) // thrown into a suspended one, then next
	f.Fuzz(runOps)
}
