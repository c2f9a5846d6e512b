package geventtest

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
)

// scheduleT is the testing.TB an explored function gets for one schedule:
// it records failures and logs for that schedule alone, instead of failing
// the test at once, so that only the failing schedule is reported, with its
// log. Methods that touch the world outside the schedule (TempDir, Setenv,
// Chdir, ArtifactDir) go to the test running the exploration.
type scheduleT struct {
	testing.TB // the test running the exploration; nil for Search
	name       string
	ctx        context.Context
	cancel     context.CancelFunc

	mu       sync.Mutex
	failed   bool
	skipped  bool
	log      strings.Builder
	cleanups []func()
}

// stop is what FailNow and SkipNow panic with: it ends the green thread
// that called them (as runtime.Goexit ends a test's goroutine), and the
// exploration knows it for what it is.
type stop struct{}

func newScheduleT(parent testing.TB, name string) *scheduleT {
	ctx, cancel := context.WithCancel(context.Background())
	return &scheduleT{TB: parent, name: name, ctx: ctx, cancel: cancel}
}

func (t *scheduleT) logf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := fmt.Sprintf(format, args...)
	t.log.WriteString(s)
	if !strings.HasSuffix(s, "\n") {
		t.log.WriteByte('\n')
	}
}

func (t *scheduleT) Log(args ...any)                 { t.logf("%s", fmt.Sprintln(args...)) }
func (t *scheduleT) Logf(format string, args ...any) { t.logf(format, args...) }
func (t *scheduleT) Error(args ...any)               { t.Log(args...); t.Fail() }
func (t *scheduleT) Errorf(format string, args ...any) {
	t.Logf(format, args...)
	t.Fail()
}
func (t *scheduleT) Fatal(args ...any) { t.Log(args...); t.FailNow() }
func (t *scheduleT) Fatalf(format string, args ...any) {
	t.Logf(format, args...)
	t.FailNow()
}
func (t *scheduleT) Skip(args ...any) { t.Log(args...); t.SkipNow() }
func (t *scheduleT) Skipf(format string, args ...any) {
	t.Logf(format, args...)
	t.SkipNow()
}

// Fail marks the schedule as failed.
func (t *scheduleT) Fail() {
	t.mu.Lock()
	t.failed = true
	t.mu.Unlock()
}

// FailNow marks the schedule as failed and ends the calling green thread.
func (t *scheduleT) FailNow() {
	t.Fail()
	panic(stop{})
}

// SkipNow skips the exploration: the schedule counts as passed and the
// test is skipped once it ends.
func (t *scheduleT) SkipNow() {
	t.mu.Lock()
	t.skipped = true
	t.mu.Unlock()
	panic(stop{})
}

func (t *scheduleT) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}

func (t *scheduleT) Skipped() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.skipped
}

// Helper does nothing: the schedule's log has no file:line prefixes.
func (t *scheduleT) Helper() {}

func (t *scheduleT) Name() string { return t.name }

// Cleanup registers f to run when the schedule ends, last registered
// first.
func (t *scheduleT) Cleanup(f func()) {
	t.mu.Lock()
	t.cleanups = append(t.cleanups, f)
	t.mu.Unlock()
}

// Context is cancelled when the schedule ends, before the cleanups run.
func (t *scheduleT) Context() context.Context { return t.ctx }

// Output writes to the schedule's log.
func (t *scheduleT) Output() io.Writer { return logWriter{t} }

// Attr logs the attribute in the schedule's log.
func (t *scheduleT) Attr(key, value string) { t.Logf("=== ATTR %s %s", key, value) }

func (t *scheduleT) parent(method string) testing.TB {
	if t.TB == nil {
		panic("geventtest: " + method + " needs a test: use Explore, not Search")
	}
	return t.TB
}

func (t *scheduleT) TempDir() string          { return t.parent("TempDir").TempDir() }
func (t *scheduleT) ArtifactDir() string      { return t.parent("ArtifactDir").ArtifactDir() }
func (t *scheduleT) Setenv(key, value string) { t.parent("Setenv").Setenv(key, value) }
func (t *scheduleT) Chdir(dir string)         { t.parent("Chdir").Chdir(dir) }

// end runs at the end of the schedule: the context, then the cleanups.
func (t *scheduleT) end() {
	t.cancel()
	t.mu.Lock()
	cs := t.cleanups
	t.cleanups = nil
	t.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		cs[i]()
	}
}

func (t *scheduleT) logText() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.log.String()
}

type logWriter struct{ t *scheduleT }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.mu.Lock()
	defer w.t.mu.Unlock()
	return w.t.log.Write(p)
}
