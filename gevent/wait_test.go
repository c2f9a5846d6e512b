package gevent

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sleeper returns a body that sleeps d and returns v.
func sleeper[T any](d time.Duration, v T) func(context.Context) (T, error) {
	return func(ctx context.Context) (T, error) {
		if err := Sleep(ctx, d); err != nil {
			var zero T
			return zero, err
		}
		return v, nil
	}
}

// gate returns a body that waits for e and returns v.
func gate[T any](e *Event, v T) func(context.Context) (T, error) {
	return func(ctx context.Context) (T, error) {
		if err := e.Wait(ctx); err != nil {
			var zero T
			return zero, err
		}
		return v, nil
	}
}

func values[T any](gs []*Greenlet[T]) []T {
	var vs []T
	for _, g := range gs {
		vs = append(vs, g.Value())
	}
	return vs
}

func TestWaitOrderCountTimeout(t *testing.T) {
	// In a synctest bubble: its sleeps end once the others have parked.
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		var es [3]Event
		spawn := func() []*Greenlet[int] {
			return []*Greenlet[int]{Spawn(ctx, gate(&es[0], 0)), Spawn(ctx, gate(&es[1], 1)), Spawn(ctx, gate(&es[2], 2))}
		}
		gs := spawn()
		go func(gs []*Greenlet[int]) { // its own gs: the test reassigns the variable below
			time.Sleep(time.Millisecond) // in the bubble: once Wait has registered and parked
			for _, i := range []int{1, 2, 0} {
				es[i].Set()
				gs[i].Join(ctx)
			}
		}(gs)
		ready, err := Wait(ctx, gs)
		require.NoError(t, err)
		assert.Equal(t, []int{1, 2, 0}, values(ready), "in the order they became ready")

		for i := range es {
			es[i].Clear()
		}
		gs = spawn()
		es[2].Set()
		require.NoError(t, gs[2].Join(ctx))
		go func() {
			time.Sleep(10 * time.Millisecond) // after Wait has registered
			es[0].Set()
		}()
		ready, err = Wait(ctx, gs, JoinCount(2))
		require.NoError(t, err)
		assert.Equal(t, []int{2, 0}, values(ready), "exactly count, the ready one first")

		ready, err = Wait(ctx, gs, JoinTimeout(20*time.Millisecond))
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Len(t, ready, 2)
		es[1].Set()
		require.NoError(t, gs[1].Join(ctx))
		ready, err = Wait(ctx, gs)
		require.NoError(t, err)
		assert.Equal(t, []int{0, 1, 2}, values(ready), "already ready: input order")

		ready, err = Wait(ctx, []*Greenlet[int](nil))
		assert.NoError(t, err)
		assert.Empty(t, ready)
	})
}

func TestIWaitReadyFirstThenCompletionOrder(t *testing.T) {
	ctx := context.Background()
	var e1, e2 Event
	a := Spawn(ctx, gate(&e1, "a"))
	b := Spawn(ctx, sleeper(0, "b"))
	c := Spawn(ctx, gate(&e2, "c"))
	d := Spawn(ctx, sleeper(0, "d"))
	require.NoError(t, b.Join(ctx))
	require.NoError(t, d.Join(ctx))
	var got []string
	for g, err := range IWait(ctx, []*Greenlet[string]{a, b, c, d}) {
		require.NoError(t, err)
		got = append(got, g.Value())
		switch len(got) {
		case 2:
			e2.Set()
			require.NoError(t, c.Join(ctx))
		case 3:
			e1.Set()
		}
	}
	assert.Equal(t, []string{"b", "d", "c", "a"}, got)
}

func TestIWaitBreakUnregisters(t *testing.T) {
	ctx := context.Background()
	var e Event
	gs := make([]*Greenlet[int], 100)
	for i := range gs {
		gs[i] = Spawn(ctx, gate(&e, i))
	}
	var ev Event
	var ar AsyncResult[int]
	var grp Group
	grp.Add(gs[0])
	objs := []Waitable{gs[0], gs[1], &ev, &ar, &grp}
	for _, g := range gs[2:] {
		objs = append(objs, g)
	}
	// Break at once on the first of a range where one is ready.
	ev.Set()
	for o, err := range IWait(ctx, objs) {
		require.NoError(t, err)
		assert.Same(t, &ev, o)
		break
	}
	for _, g := range gs {
		g.mu.Lock()
		assert.Nil(t, watchersOf(&g.GreenThread), "no registration left")
		g.mu.Unlock()
	}
	assert.Nil(t, ar.watchers.head)
	assert.Nil(t, grp.watchers.head)
	// A timed out wait takes its registrations back too.
	_, err := Wait(ctx, gs, JoinTimeout(time.Millisecond))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	for _, g := range gs {
		g.mu.Lock()
		assert.Nil(t, watchersOf(&g.GreenThread))
		g.mu.Unlock()
	}
	e.Set()
	_, err = JoinAll(ctx, gs)
	require.NoError(t, err)
}

func TestIWaitRangedTwiceAndCount(t *testing.T) {
	ctx := context.Background()
	gs := []*Greenlet[int]{Spawn(ctx, sleeper(0, 1)), Spawn(ctx, sleeper(0, 2))}
	_, _ = JoinAll(ctx, gs)
	seq := IWait(ctx, gs, JoinCount(1))
	for range 2 {
		var got []int
		for g, err := range seq {
			require.NoError(t, err)
			got = append(got, g.Value())
		}
		assert.Equal(t, []int{1}, got)
	}
}

func TestWaitEveryKind(t *testing.T) {
	ctx := context.Background()
	var ev Event
	var ar AsyncResult[string]
	var grp Group
	pool := NewPool(2)
	var gate1, gate2, gate3 Event
	g1 := Spawn(ctx, gate(&gate1, 1))
	grp.Add(Spawn(ctx, gate(&gate2, "x")))
	err := startErr(Submit(ctx, pool, gate(&gate3, 3.0)))
	require.NoError(t, err)
	var zeroPool Pool
	objs := []Waitable{g1, &ev, &ar, &grp, pool, &zeroPool}
	sequence := func() {
		gate1.Set()
		g1.Join(ctx)
		ar.Set("r")
		gate3.Set()
		pool.Join(ctx)
		ev.Set()
		gate2.Set()
	}
	var got []Waitable
	for o, err := range IWait(ctx, objs) {
		require.NoError(t, err)
		got = append(got, o)
		if len(got) == 1 {
			// The zero Pool, the only one ready at the start: the others
			// are watched by now, so each becomes ready after it is.
			go sequence()
		}
	}
	assert.Equal(t, []Waitable{&zeroPool, g1, &ar, pool, &ev, &grp}, got)
	pool.Close()
	require.NoError(t, pool.Join(ctx))
}

func TestWaitRaiseError(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("boom")
	var e Event
	killed := Spawn(ctx, gate(&e, 0))
	killed.Cancel()
	require.NoError(t, killed.Join(ctx))
	bad := Spawn(ctx, func(context.Context) (int, error) { return 0, boom })
	slow := Spawn(ctx, gate(&e, 2))
	require.NoError(t, bad.Join(ctx))
	ready, err := Wait(ctx, []*Greenlet[int]{killed, slow, bad}, RaiseError())
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, []*Greenlet[int]{killed, bad}, ready, "a kill is no failure; the failed one is last")
	e.Set()
	require.NoError(t, slow.Join(ctx))
}

func TestWaitNoGoroutinePerObject(t *testing.T) {
	ctx := context.Background()
	var e Event
	const n = 10_000
	gs := make([]*Greenlet[int], n)
	for i := range gs {
		gs[i] = Spawn(ctx, gate(&e, i))
	}
	time.Sleep(10 * time.Millisecond)
	before := runtime.NumGoroutine()
	waiting := make(chan struct{})
	var during int
	var ready []*Greenlet[int]
	var err error
	done := Go(ctx, func(ctx context.Context) error {
		// Count once every registration is made: the first object
		// yielded is an Event that is set once the rest are watched.
		var gateEv Event
		objs := make([]Waitable, 0, n+1)
		for _, g := range gs {
			objs = append(objs, g)
		}
		objs = append(objs, &gateEv)
		go func() {
			<-waiting
			during = runtime.NumGoroutine()
			gateEv.Set()
		}()
		close(waiting)
		for range IWait(ctx, objs, JoinCount(1)) {
		}
		ready, err = Wait(ctx, gs)
		return nil
	})
	time.Sleep(20 * time.Millisecond)
	mid := runtime.NumGoroutine()
	e.Set()
	require.NoError(t, done.Join(ctx))
	require.NoError(t, err)
	assert.Len(t, ready, n)
	// The waiter (and the counter) only: a margin for goroutines of other
	// tests that are still winding down (timers, finishing green threads),
	// far below one a waited object.
	assert.Less(t, during-before, 20, "IWait over 10,001")
	assert.Less(t, mid-before, 20, "Wait over 10,000")
}

func TestWaitKilled(t *testing.T) {
	ctx := context.Background()
	var e Event
	g := Spawn(ctx, gate(&e, 0))
	calls := map[string]func(ctx context.Context) error{
		"Wait": func(ctx context.Context) error {
			_, err := Wait(ctx, []Waitable{g, &e})
			return err
		},
		"IWait": func(ctx context.Context) error {
			for _, err := range IWait(ctx, []*Greenlet[int]{g}) {
				return err
			}
			return nil
		},
		"AsCompleted": func(ctx context.Context) error {
			for _, err := range AsCompleted(ctx, []*Greenlet[int]{g}) {
				return err
			}
			return nil
		},
		"WaitFutures": func(ctx context.Context) error {
			done, notDone, err := WaitFutures(ctx, []*Greenlet[int]{g}, AllCompleted)
			if len(done) != 0 || len(notDone) != 1 {
				return fmt.Errorf("done %v, not done %v", done, notDone)
			}
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			var parked Event
			w := Go(ctx, func(ctx context.Context) error {
				parked.Set()
				return call(ctx)
			})
			require.NoError(t, parked.Wait(ctx))
			until(t, func() bool { // the wait has registered with g
				g.mu.Lock()
				defer g.mu.Unlock()
				return watchersOf(&g.GreenThread) != nil
			})
			require.NoError(t, w.Kill(ctx))
			assert.ErrorIs(t, w.Err(), ErrGreenletExit)
			g.mu.Lock()
			assert.Nil(t, watchersOf(&g.GreenThread))
			g.mu.Unlock()
		})
	}
	e.Set()
	require.NoError(t, g.Join(ctx))
}

func TestAsCompleted(t *testing.T) {
	ctx := context.Background()
	var e1, e2 Event
	var ar AsyncResult[int]
	a := Spawn(ctx, gate(&e1, 1))
	b := Spawn(ctx, gate(&e2, 2))
	fs := []Future{a, b, &ar}
	require.NoError(t, ar.Set(3))
	var got []Future
	for f, err := range AsCompleted(ctx, fs) {
		require.NoError(t, err)
		got = append(got, f)
		if len(got) == 1 {
			e2.Set()
			b.Join(ctx)
			e1.Set()
		}
	}
	require.Len(t, got, 3)
	assert.Same(t, &ar, got[0])
	assert.Equal(t, []Future{&ar, b, a}, got)

	var never Event
	c := Spawn(ctx, gate(&never, 0))
	tctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	var errs []error
	n := 0
	for f, err := range AsCompleted(tctx, []*Greenlet[int]{a, c}) {
		if err != nil {
			assert.Nil(t, f)
			errs = append(errs, err)
			continue
		}
		n++
	}
	assert.Equal(t, 1, n)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], ErrTimeout)
	assert.ErrorIs(t, errs[0], context.DeadlineExceeded)
	never.Set()
	require.NoError(t, c.Join(ctx))
}

func TestWaitFutures(t *testing.T) {
	// In a synctest bubble: its sleeps end once the others have parked.
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		boom := errors.New("boom")
		var e Event
		slow := Spawn(ctx, gate(&e, 0))
		var killGate Event
		killed := Spawn(ctx, gate(&killGate, 0))
		require.NoError(t, killed.Kill(ctx))
		var failing AsyncResult[int]
		fs := []Future{slow, killed, &failing}

		done, notDone, err := WaitFutures(ctx, fs, FirstCompleted)
		require.NoError(t, err)
		assert.Equal(t, []Future{killed}, done)
		assert.Equal(t, []Future{slow, &failing}, notDone)

		go func() {
			time.Sleep(5 * time.Millisecond)
			failing.SetError(boom)
		}()
		done, notDone, err = WaitFutures(ctx, fs, FirstException)
		require.NoError(t, err)
		assert.Equal(t, []Future{killed, &failing}, done, "a kill is not an exception; the error is")
		assert.Equal(t, []Future{slow}, notDone)

		tctx, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
		defer cancel()
		done, notDone, err = WaitFutures(tctx, fs, AllCompleted)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, []Future{killed, &failing}, done)
		assert.Equal(t, []Future{slow}, notDone)

		go e.Set()
		done, notDone, err = WaitFutures(ctx, fs, AllCompleted)
		require.NoError(t, err)
		assert.Equal(t, fs, done)
		assert.Empty(t, notDone)

		// FirstException without an exception is AllCompleted.
		g := []*Greenlet[int]{Spawn(ctx, sleeper(time.Millisecond, 1)), Spawn(ctx, sleeper(2*time.Millisecond, 2))}
		done2, notDone2, err := WaitFutures(ctx, g, FirstException)
		require.NoError(t, err)
		assert.Equal(t, g, done2)
		assert.Empty(t, notDone2)

		assert.Equal(t, "FIRST_EXCEPTION", FirstException.String())
		assert.Equal(t, "ALL_COMPLETED", ReturnWhen(0).String())
		assert.Equal(t, "FIRST_COMPLETED", FirstCompleted.String())
		assert.Equal(t, "ReturnWhen(7)", ReturnWhen(7).String())
	})
}

func TestDoneChannels(t *testing.T) {
	ctx := context.Background()
	var e Event
	g := Spawn(ctx, gate(&e, 1))
	d := g.Done()
	assert.Equal(t, d, g.Done(), "the same channel")
	select {
	case <-d:
		t.Fatal("closed early")
	case <-time.After(time.Millisecond):
	}
	e.Set()
	select {
	case <-d:
	case <-time.After(5 * time.Second):
		t.Fatal("not closed")
	}
	assert.True(t, g.Ready())
	<-g.Done()

	// Event: Clear gives a new channel.
	var ev Event
	d1 := ev.Done()
	ev.Set()
	<-d1
	<-ev.Done()
	ev.Clear()
	d2 := ev.Done()
	assert.NotEqual(t, d1, d2)
	assert.False(t, isClosed(d2))
	ev.Set()
	assert.True(t, isClosed(d2))

	var ar AsyncResult[int]
	d3 := ar.Done()
	assert.False(t, isClosed(d3))
	require.NoError(t, ar.Set(1))
	assert.True(t, isClosed(d3))
	assert.True(t, isClosed(ar.Done()))

	var grp Group
	assert.True(t, isClosed(grp.Done()), "an empty group is ready")
	var ge Event
	grp.Add(Spawn(ctx, gate(&ge, 0)))
	d4 := grp.Done()
	assert.False(t, isClosed(d4))
	ge.Set()
	require.NoError(t, grp.Join(ctx))
	assert.True(t, isClosed(d4))

	pool := NewPool(1)
	assert.True(t, isClosed(pool.Done()))
	var pe Event
	err := startErr(Submit(ctx, pool, gate(&pe, 0)))
	require.NoError(t, err)
	d5 := pool.Done()
	assert.False(t, isClosed(d5))
	pe.Set()
	select {
	case <-d5:
	case <-ctx.Done():
	}
	pool.Close()
	require.NoError(t, pool.Join(ctx))
}

func TestDoneInSynctestBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		g := Spawn(ctx, sleeper(time.Hour, 1))
		select {
		case <-g.Done():
		case <-time.After(2 * time.Hour):
			t.Fatal("timeout")
		}
		var ev Event
		go func() {
			time.Sleep(time.Minute)
			ev.Set()
		}()
		ready, err := Wait(ctx, []Waitable{&ev, g})
		require.NoError(t, err)
		assert.Len(t, ready, 2)
		synctest.Wait()
	})
}

func TestWaitConcurrentWaiters(t *testing.T) {
	// In a synctest bubble: its sleeps end once the others have parked.
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		var e Event
		gs := make([]*Greenlet[int], 50)
		for i := range gs {
			gs[i] = Spawn(ctx, gate(&e, i))
		}
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ready, err := Wait(ctx, gs)
				assert.NoError(t, err)
				assert.Len(t, ready, len(gs))
			}()
		}
		time.Sleep(time.Millisecond)
		e.Set()
		wg.Wait()
	})
}

// TestIWaitHubDeterministic runs the same IWait program on a virtual hub
// 300 times: the trace (order and virtual times) never changes.
func TestIWaitHubDeterministic(t *testing.T) {
	run := func() string {
		h := NewHub(WithVirtualClock(epoch))
		var trace strings.Builder
		err := h.Run(context.Background(), func(ctx context.Context) error {
			var gs []Waitable
			var ev Event
			var ar AsyncResult[int]
			for i := range 20 {
				gs = append(gs, Spawn(ctx, sleeper(time.Duration((i*7)%5)*time.Second, i)))
			}
			Go(ctx, func(ctx context.Context) error {
				if err := Sleep(ctx, 2*time.Second); err != nil {
					return err
				}
				ev.Set()
				return ar.Set(7)
			})
			gs = append(gs, &ev, &ar)
			for o, err := range IWait(ctx, gs) {
				if err != nil {
					return err
				}
				switch o := o.(type) {
				case *Greenlet[int]:
					fmt.Fprintf(&trace, "g%d", o.Value())
				case *Event:
					trace.WriteString("ev")
				case *AsyncResult[int]:
					trace.WriteString("ar")
				}
				fmt.Fprintf(&trace, "@%d ", h.Now().Sub(epoch)/time.Second)
			}
			gs2 := []*Greenlet[int]{Spawn(ctx, sleeper(3*time.Second, 1)), Spawn(ctx, sleeper(time.Second, 2))}
			for f, err := range AsCompleted(ctx, gs2) {
				if err != nil {
					return err
				}
				fmt.Fprintf(&trace, "f%d ", f.Value())
			}
			ready, err := Wait(ctx, []*Greenlet[int]{Spawn(ctx, sleeper(time.Hour, 9))}, JoinTimeout(time.Minute))
			fmt.Fprintf(&trace, "timeout %d %v ", len(ready), errors.Is(err, context.DeadlineExceeded))
			return nil
		})
		require.NoError(t, err)
		h.Close()
		return trace.String()
	}
	first := sameTrace(t, 300, run)
	assert.Contains(t, first, "ev@2 ar@2")
	assert.Contains(t, first, "f2 f1 timeout 0 true")
}

// TestWaitHubKilled: a green thread of a hub parked in IWait wakes with
// ErrGreenletExit when killed.
func TestWaitHubKilled(t *testing.T) {
	err := RunHub(context.Background(), func(ctx context.Context) error {
		var e Event
		w := Go(ctx, func(ctx context.Context) error {
			for _, err := range IWait(ctx, []Waitable{&e}) {
				return err
			}
			return nil
		})
		if err := Sleep(ctx, 0); err != nil {
			return err
		}
		if err := w.Kill(ctx); err != nil {
			return err
		}
		if !errors.Is(w.Err(), ErrGreenletExit) {
			return fmt.Errorf("err %v", w.Err())
		}
		return nil
	}, WithVirtualClock(epoch))
	require.NoError(t, err)
}

func TestIWaitDuplicatesAndDoneCtx(t *testing.T) {
	// In a synctest bubble: its sleeps end once the others have parked.
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		var e Event
		g := Spawn(ctx, gate(&e, 1))
		go func() {
			time.Sleep(5 * time.Millisecond)
			e.Set()
		}()
		ready, err := Wait(ctx, []*Greenlet[int]{g, g})
		require.NoError(t, err)
		assert.Equal(t, []*Greenlet[int]{g, g}, ready, "given twice, reported twice")

		// Ready objects are reported even with a context that has ended; the
		// error comes where the wait would block.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		var never Event
		ready2, err := Wait(cctx, []Waitable{g, &never})
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, []Waitable{g}, ready2)
		assert.Nil(t, never.watchers.head)
	})
}

// watchersOf returns the first watch registered on t, or nil; t.mu held.
func watchersOf(t *GreenThread) *watch {
	if m := t.moreIfAny(); m != nil {
		return m.watchers.head
	}
	return nil
}
