package gevent

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// report is one call of a failure handler.
type report struct {
	name string
	err  error
}

// catchReports installs a handler that passes on the reports of green
// threads whose name starts with prefix (other tests' failures are ignored)
// and restores the previous handler at the end of the test.
func catchReports(t *testing.T, prefix string) <-chan report {
	t.Helper()
	ch := make(chan report, 16)
	prev := FailureHandler()
	SetFailureHandler(func(name string, err error) {
		if len(name) >= len(prefix) && name[:len(prefix)] == prefix {
			ch <- report{name, err}
		}
	})
	t.Cleanup(func() { SetFailureHandler(prev) })
	return ch
}

// collect runs the garbage collector until a report arrives or a deadline
// passes.
func collect(t *testing.T, ch <-chan report) report {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		runtime.GC()
		select {
		case r := <-ch:
			return r
		case <-time.After(5 * time.Millisecond):
		}
	}
	t.Fatal("no failure report")
	return report{}
}

func isArmed(t *GreenThread) bool {
	unreadMu.Lock()
	_, ok := unread[t.id]
	unreadMu.Unlock()
	return ok && t.x.Load().unread.Load()
}

func spawnPanic(name string) *Greenlet[int] {
	return Spawn(context.Background(), func(context.Context) (int, error) { panic("boom in " + name) }, WithName(name))
}

// A panic nobody read is reported once, with the name and the stack, when
// the green thread is collected.
func TestUnreadPanicIsReported(t *testing.T) {
	ch := catchReports(t, "unread-")
	g := spawnPanic("unread-1")
	require.NoError(t, g.Join(context.Background())) // Join does not read the error
	assert.True(t, isArmed(&g.GreenThread))
	g = nil
	r := collect(t, ch)
	assert.Equal(t, "unread-1", r.name)
	var pe *PanicError
	require.ErrorAs(t, r.err, &pe)
	assert.Equal(t, "boom in unread-1", pe.Value)
	assert.Contains(t, string(pe.Stack()), "spawnPanic")
	for range 3 {
		runtime.GC()
	}
	select {
	case r := <-ch:
		t.Fatalf("reported twice: %v", r)
	case <-time.After(20 * time.Millisecond):
	}
	_ = g
}

// Reading the error, in any of the ways SetFailureHandler lists, cancels
// the report.
func TestReadPanicIsNotReported(t *testing.T) {
	catchReports(t, "read-")
	ctx := context.Background()
	read := map[string]func(g *Greenlet[int]){
		"Err":        func(g *Greenlet[int]) { _ = g.Join(ctx); _ = g.Err() },
		"Get":        func(g *Greenlet[int]) { _, _ = g.Get(ctx) },
		"Successful": func(g *Greenlet[int]) { _ = g.Join(ctx); _ = g.Successful() },
		"LinkAfter":  func(g *Greenlet[int]) { _ = g.Join(ctx); g.Link(func(*Greenlet[int]) {}) },
		"JoinAll":    func(g *Greenlet[int]) { _, _ = JoinAll(ctx, []*Greenlet[int]{g}, RaiseError()) },
		"Wait": func(g *Greenlet[int]) {
			_ = g.Join(ctx)
			_, _, _ = WaitFutures(ctx, []*Greenlet[int]{g}, FirstException)
		},
	}
	for name, f := range read {
		t.Run(name, func(t *testing.T) {
			g := spawnPanic("read-" + name)
			f(g)
			assert.False(t, isArmed(&g.GreenThread))
		})
	}
	t.Run("LinkBefore", func(t *testing.T) {
		release := make(chan struct{})
		g := Spawn(ctx, func(context.Context) (int, error) { <-release; panic("late") }, WithName("read-LinkBefore"))
		var wg sync.WaitGroup
		wg.Add(1)
		g.Link(func(*Greenlet[int]) { wg.Done() })
		close(release)
		wg.Wait()
		assert.False(t, isArmed(&g.GreenThread))
	})
}

// Kills, plain errors and successes are never reported; nor is anything
// while reporting is off.
func TestOnlyPanicsAreReported(t *testing.T) {
	catchReports(t, "quiet-")
	ctx := context.Background()
	plain := Go(ctx, func(context.Context) error { return errors.New("plain") }, WithName("quiet-plain"))
	ok := Go(ctx, func(context.Context) error { return nil }, WithName("quiet-ok"))
	killed := Go(ctx, func(ctx context.Context) error { return Sleep(ctx, time.Hour) }, WithName("quiet-killed"))
	require.NoError(t, killed.Kill(ctx))
	for _, g := range []*Greenlet[struct{}]{plain, ok, killed} {
		require.NoError(t, g.Join(ctx))
		assert.False(t, isArmed(&g.GreenThread), g.Name())
	}
	wrapped := Go(ctx, func(context.Context) error {
		_, err := spawnPanic("quiet-child").Get(ctx)
		return err // the child's panic, read by Get, is the parent's failure now
	}, WithName("quiet-parent"))
	require.NoError(t, wrapped.Join(ctx))
	assert.True(t, isArmed(&wrapped.GreenThread), "a failure carrying a panic is reported")
	_ = wrapped.Err()

	SetFailureHandler(nil)
	off := spawnPanic("quiet-off")
	require.NoError(t, off.Join(ctx))
	assert.False(t, isArmed(&off.GreenThread))
}

// On a Hub too: the main green thread is read by Run, the others not.
func TestUnreadPanicOnHub(t *testing.T) {
	ch := catchReports(t, "hub-")
	var child *Greenlet[int]
	h := NewHub()
	err := h.Run(context.Background(), func(ctx context.Context) error {
		child = Spawn(ctx, func(context.Context) (int, error) { panic("hub child") }, WithName("hub-child"))
		return child.Join(ctx)
	})
	require.NoError(t, err)
	assert.True(t, isArmed(&child.GreenThread))
	child = nil
	r := collect(t, ch)
	assert.Equal(t, "hub-child", r.name)
}

func TestFailurePrinter(t *testing.T) {
	var buf bytes.Buffer
	g := spawnPanic("printed")
	_, err := g.Get(context.Background())
	FailurePrinter(&buf)("printed", err)
	out := buf.String()
	assert.Contains(t, out, "gevent: printed failed and nobody read its error: panic: boom in printed\n")
	assert.Contains(t, out, "spawnPanic")
}

// A handler that panics does not crash the program.
func TestFailureHandlerPanics(t *testing.T) {
	called := make(chan struct{}, 1)
	prev := FailureHandler()
	SetFailureHandler(func(string, error) { called <- struct{}{}; panic("handler") })
	defer SetFailureHandler(prev)
	unreadMu.Lock()
	unread[0] = unreadFailure{"nobody", errors.New("x")}
	unreadMu.Unlock()
	reportUnread(0)
	<-called
	reportUnread(0) // already reported: nothing
}

func TestFailureHandlerReturnsCurrent(t *testing.T) {
	prev := FailureHandler()
	defer SetFailureHandler(prev)
	assert.NotNil(t, prev, "the default is on")
	SetFailureHandler(nil)
	assert.Nil(t, FailureHandler())
}

// A pool task's panic that nobody read is reported like a spawned green
// thread's (gevent prints it for a greenlet of a pool too): the pool's own
// bookkeeping, which counts failures, does not count as reading it; a
// Map's or ApplyAsync's onError does.
func TestUnreadPanicOfPoolTaskIsReported(t *testing.T) {
	ch := catchReports(t, "pooltask-")
	ctx := context.Background()
	p := newPool(t, 2)
	g := Submit(ctx, p, func(context.Context) (int, error) { panic("boom in a pool task") }, WithName("pooltask-1"))
	require.NoError(t, p.Join(ctx))
	assert.Equal(t, 1, p.Stats().Failed)
	assert.True(t, isArmed(&g.GreenThread), "still unread after the pool counted it")
	g = nil
	r := collect(t, ch)
	assert.Equal(t, "pooltask-1", r.name)

	// The error callback of ApplyAsync reads it: no report.
	seen := make(chan error, 1)
	q := newPool(t, 1)
	g = ApplyAsync(ctx, q, func(context.Context) (int, error) { panic("boom, read") }, nil, func(err error) { seen <- err })
	require.NoError(t, q.Join(ctx))
	assert.Error(t, <-seen)
	assert.False(t, isArmed(&g.GreenThread))
	_ = g
}

// A Group's bookkeeping does not read a member's failure: Wait does, for
// the failures it returns; a panic it does not return (a later member's,
// without AllErrors) is reported, and so is one in a group only joined
// (gevent's Group.join reports no error either).
func TestGroupFailuresAreReadByWait(t *testing.T) {
	ch := catchReports(t, "grp-")
	ctx := context.Background()
	boom := func(context.Context) error { panic("boom") }

	var joined Group
	joined.Go(ctx, boom, WithName("grp-joined"))
	require.NoError(t, joined.Join(ctx))
	assert.Equal(t, "grp-joined", collect(t, ch).name)

	waited, gctx := NewGroup(ctx)
	first := waited.Go(gctx, boom, WithName("grp-first"))
	require.NoError(t, first.Join(ctx))
	second := waited.Go(gctx, boom, WithName("grp-second"))
	err := waited.Wait(ctx)
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	assert.False(t, isArmed(&first.GreenThread), "Wait returned the first failure: read")
	assert.True(t, isArmed(&second.GreenThread), "the second was not returned: still unread")
	first, second = nil, nil
	assert.Equal(t, "grp-second", collect(t, ch).name)

	all, actx := NewGroup(ctx, AllErrors())
	a := all.Go(actx, boom, WithName("grp-all-a"))
	b := all.Go(actx, boom, WithName("grp-all-b"))
	require.Error(t, all.Wait(ctx))
	assert.False(t, isArmed(&a.GreenThread))
	assert.False(t, isArmed(&b.GreenThread))
	_, _ = first, second
}
