package gevent

import (
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"
	"weak"
)

// ThreadState is where a green thread is, in a run-info dump.
type ThreadState uint8

const (
	// ThreadPending: spawned, its body not entered yet (it waits for its
	// first turn, or for a pool's slot).
	ThreadPending ThreadState = iota
	// ThreadReady: waiting for the turn.
	ThreadReady
	// ThreadRunning: holding the turn (in free mode: not waiting in a
	// blocking call of the package).
	ThreadRunning
	// ThreadBlocked: parked in a blocking call of the package.
	ThreadBlocked
	// ThreadInBlocking: inside Blocking, off the hub.
	ThreadInBlocking
)

// String returns the state in lower case: "pending", "ready", "running",
// "blocked", "in Blocking".
func (s ThreadState) String() string {
	switch s {
	case ThreadPending:
		return "pending"
	case ThreadReady:
		return "ready"
	case ThreadRunning:
		return "running"
	case ThreadBlocked:
		return "blocked"
	case ThreadInBlocking:
		return "in Blocking"
	}
	return "ThreadState(" + strconv.Itoa(int(s)) + ")"
}

// ThreadInfo describes one live green thread, of a hub or of free mode: an
// entry of Hub.RunInfo or RunInfo, a line of gevent.util.format_run_info.
type ThreadInfo struct {
	ID    uint64
	Name  string
	State ThreadState
	// SpawnerID is the ID of the green thread whose context the thread
	// was spawned with (0 when spawned from outside any green thread),
	// and SpawnerName its name.
	SpawnerID   uint64
	SpawnerName string
	// SpawnSite is where the thread was spawned, "file.go:line" (the
	// first caller outside this package); BlockedOn, for a blocked
	// thread, the call of this package it is blocked in ("Lock.Acquire",
	// "Sleep", "GreenThread.Join worker-1"), and BlockedFor how long it has
	// been, on the hub's clock. All three are empty unless the hub was
	// made WithRunInfo.
	SpawnSite  string
	BlockedOn  string
	BlockedFor time.Duration
}

// WithRunInfo makes the hub record, for each green thread, where it was
// spawned and, while it is blocked, what it is blocked in and since when,
// for RunInfo and WriteRunInfo; it also lists the hub in the process-wide
// dump (WriteAllRunInfo, and the handler and signal of package
// gevent/runinfo) while the hub is reachable.
//
// Without it, RunInfo still lists every live green thread with its ID,
// name, state and spawner, at no cost. With it, a spawn and each blocking
// wait take one stack capture (runtime.Callers; the frames are resolved
// only when a dump is made) and a hub-side map entry: a spawn and join on
// a hub took 2.8x as long here (BenchmarkHubSpawnJoinAll/runinfo), a
// switch with Sleep(ctx, 0) nothing more. Meant for debugging sessions and
// tests (geventtest turns it on to report a failure), not for hot paths.
func WithRunInfo() HubOption {
	return HubOption{func(h *Hub) {
		if h.extras().info == nil {
			h.x.info = &runInfo{threads: make(map[*GreenThread]*threadRecord)}
			registerHub(h)
		}
	}}
}

// runInfo is the hub-side table WithRunInfo keeps, under the hub's mutex.
type runInfo struct {
	threads map[*GreenThread]*threadRecord
}

type threadRecord struct {
	spawn *spawnSite
	park  *parkSite
	since time.Time
}

// spawnSite and parkSite are call stacks captured at a spawn and at a
// park, resolved to frames only by a dump.
type (
	spawnSite struct{ pcs []uintptr }
	parkSite  struct{ pcs []uintptr }
)

func captureStack() []uintptr {
	var buf [24]uintptr
	n := runtime.Callers(3, buf[:])
	return slices.Clone(buf[:n])
}

func newSpawnSite() *spawnSite { return &spawnSite{captureStack()} }
func newParkSite() *parkSite   { return &parkSite{captureStack()} }

// spawned records t's spawn site; h.mu is held.
func (ri *runInfo) spawned(t *GreenThread, site *spawnSite) {
	ri.threads[t] = &threadRecord{spawn: site}
}

// parked records that t parks now at site; h.mu is held.
func (ri *runInfo) parked(h *Hub, t *GreenThread, site *parkSite) {
	r := ri.threads[t]
	if r == nil {
		r = &threadRecord{}
		ri.threads[t] = r
	}
	r.park, r.since = site, h.clock()
}

// unparked records that t's wait has ended; h.mu is held.
func (ri *runInfo) unparked(t *GreenThread) {
	if r := ri.threads[t]; r != nil {
		r.park = nil
	}
}

// clock is the hub's time; h.mu is held.
func (h *Hub) clock() time.Time {
	if h.virtual {
		return h.now
	}
	return time.Now()
}

const pkgPrefix = "github.com/geventgo/geventgo/gevent."

// pkgDir is this package's source directory, as the runtime names files.
var pkgDir = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}()

// inPackage reports whether f is code of this package (not its tests): by
// its file, since a closure of the package inlined into a caller bears the
// caller's function name.
func inPackage(f runtime.Frame) bool {
	return filepath.Dir(f.File) == pkgDir && !strings.HasSuffix(f.File, "_test.go")
}

// userFrame returns, from a stack captured inside the package, the call of
// the package's API the user made (the outermost exported function of the
// package before the user's code, or before the green thread's body
// starts, when the body is the API call itself: Go(ctx, e.Wait)), and the
// user's frame that made it (zero if none).
func userFrame(pcs []uintptr) (api, user runtime.Frame) {
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		if !inPackage(f) {
			return api, f
		}
		if strings.HasPrefix(f.Function, pkgPrefix+"callSafely") {
			return api, runtime.Frame{} // the body's start: no user frame
		}
		if exported(f.Function) {
			api = f
		}
		if !more {
			return api, runtime.Frame{}
		}
	}
}

// exported reports whether fn, a function of the package, is part of its
// API: "gevent.Sleep", "gevent.(*Lock).Acquire", not "gevent.block" nor
// a closure.
func exported(fn string) bool {
	if !strings.HasPrefix(fn, pkgPrefix) {
		return false
	}
	for part := range strings.SplitSeq(apiName(fn), ".") {
		if part == "" || part[0] < 'A' || part[0] > 'Z' {
			return false
		}
	}
	return true
}

// apiName shortens a function of this package: "(*Lock).Acquire" to
// "Lock.Acquire", "(*Queue[...]).Get" to "Queue.Get".
func apiName(fn string) string {
	s := strings.TrimPrefix(fn, pkgPrefix)
	s = strings.ReplaceAll(s, "[...]", "")
	s = strings.NewReplacer("(*", "", ")", "", "(", "").Replace(s)
	return s
}

func siteString(f runtime.Frame) string {
	if f.File == "" {
		return ""
	}
	return filepath.Base(f.File) + ":" + strconv.Itoa(f.Line)
}

// RunInfo returns every live green thread of the hub, in spawn order, as
// gevent.util.format_run_info lists the greenlets. It is safe to call from
// anywhere, at any time; it takes the hub's mutex for the copy. What it
// costs when the hub was not made WithRunInfo: nothing until called.
func (h *Hub) RunInfo() []ThreadInfo {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.runInfoLocked()
}

func (h *Hub) runInfoLocked() []ThreadInfo {
	ts := h.live.inSpawnOrder()
	var ri *runInfo
	if h.x != nil {
		ri = h.x.info
	}
	var joined map[*waiter]*GreenThread
	now := h.clock()
	cur := h.current.Load()
	out := make([]ThreadInfo, 0, len(ts))
	for _, t := range ts {
		info := ThreadInfo{ID: t.id, Name: t.Name()}
		if p := threadFrom(t.parent); p != nil {
			info.SpawnerID, info.SpawnerName = p.id, p.Name()
		}
		switch {
		case t.co.blocking.Load():
			info.State = ThreadInBlocking
		case t.co.parked != nil && t.co.parked.hs == hubParked:
			info.State = ThreadBlocked
		case cur == uintptr(unsafe.Pointer(t)):
			info.State = ThreadRunning
		case t.state.Load() == pending:
			info.State = ThreadPending
		default:
			info.State = ThreadReady
		}
		if ri != nil {
			if r := ri.threads[t]; r != nil {
				if r.spawn != nil {
					_, user := userFrame(r.spawn.pcs)
					info.SpawnSite = siteString(user)
				}
				if r.park != nil && info.State == ThreadBlocked {
					api, user := userFrame(r.park.pcs)
					info.BlockedOn = apiName(api.Function)
					if site := siteString(user); site != "" {
						info.BlockedOn += " at " + site
					}
					if joined == nil {
						joined = h.joinWaiters(ts)
					}
					if target := joined[t.co.parked]; target != nil {
						info.BlockedOn += " on " + target.Name()
					}
					info.BlockedFor = now.Sub(r.since)
				}
			}
		}
		out = append(out, info)
	}
	return out
}

// joinWaiters maps each waiter parked in a Join of one of ts to the green
// thread it joins.
func (h *Hub) joinWaiters(ts []*GreenThread) map[*waiter]*GreenThread {
	m := make(map[*waiter]*GreenThread)
	for _, t := range ts {
		t.mu.Lock()
		t.joiners.each(func(w *waiter) { m[w] = t })
		t.mu.Unlock()
	}
	return m
}

// WriteRunInfo writes the hub's live green threads to w as a tree: each
// green thread under the one that spawned it (those spawned from outside
// the hub, or whose spawner has ended, at the top), one line each with its
// name, ID, state and, under WithRunInfo, where it was spawned and what it
// is blocked in, for how long. See RunInfo.
func (h *Hub) WriteRunInfo(w io.Writer) error {
	h.mu.Lock()
	infos := h.runInfoLocked()
	now, virtual := h.clock(), h.virtual
	h.mu.Unlock()
	var b strings.Builder
	clock := "wall clock"
	if virtual {
		clock = "virtual clock at " + now.Format(time.RFC3339Nano)
	}
	fmt.Fprintf(&b, "Hub %p (%s): %d green thread(s)\n", h, clock, len(infos))
	writeTree(&b, infos)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeTree(b *strings.Builder, infos []ThreadInfo) {
	byID := make(map[uint64]bool, len(infos))
	for _, in := range infos {
		byID[in.ID] = true
	}
	children := make(map[uint64][]ThreadInfo)
	var roots []ThreadInfo
	for _, in := range infos {
		if in.SpawnerID != 0 && byID[in.SpawnerID] {
			children[in.SpawnerID] = append(children[in.SpawnerID], in)
		} else {
			roots = append(roots, in)
		}
	}
	var walk func(in ThreadInfo, prefix, branch, next string)
	walk = func(in ThreadInfo, prefix, branch, next string) {
		b.WriteString(prefix + branch + describe(in) + "\n")
		kids := children[in.ID]
		for i, k := range kids {
			if i == len(kids)-1 {
				walk(k, prefix+next, "└── ", "    ")
			} else {
				walk(k, prefix+next, "├── ", "│   ")
			}
		}
	}
	for _, r := range roots {
		walk(r, "", "", "")
	}
}

// describe is one line of a run-info tree.
func describe(in ThreadInfo) string {
	s := fmt.Sprintf("%s #%d %s", in.Name, in.ID, in.State)
	if in.BlockedOn != "" {
		s += fmt.Sprintf(" for %v in %s", in.BlockedFor, in.BlockedOn)
	}
	if in.SpawnerID != 0 {
		s += fmt.Sprintf("; spawned by %s #%d", in.SpawnerName, in.SpawnerID)
		if in.SpawnSite != "" {
			s += " at " + in.SpawnSite
		}
	} else if in.SpawnSite != "" {
		s += "; spawned at " + in.SpawnSite
	}
	return s
}

// The hubs made WithRunInfo, for the process-wide dump: weak pointers, so
// that listing a hub does not keep it alive.
var (
	hubsMu sync.Mutex
	hubs   []weak.Pointer[Hub]
)

func registerHub(h *Hub) {
	hubsMu.Lock()
	defer hubsMu.Unlock()
	hubs = slices.DeleteFunc(hubs, func(p weak.Pointer[Hub]) bool { return p.Value() == nil })
	hubs = append(hubs, weak.Make(h))
}

// WriteAllRunInfo writes the tree of the free-mode green threads when
// SetRunInfo is on (see WriteRunInfo), then Hub.WriteRunInfo's tree for
// every reachable hub made WithRunInfo that has live green threads, oldest
// hub first, and returns the number of trees written. It is what package gevent/runinfo serves
// over HTTP and prints on a signal. Safe to call from anywhere.
func WriteAllRunInfo(w io.Writer) (int, error) {
	hubsMu.Lock()
	var hs []*Hub
	for _, p := range hubs {
		if h := p.Value(); h != nil {
			hs = append(hs, h)
		}
	}
	hubsMu.Unlock()
	n := 0
	if freeInfo.on.Load() {
		n++
		if err := WriteRunInfo(w); err != nil {
			return n, err
		}
	}
	for _, h := range hs {
		h.mu.Lock()
		live := len(h.live)
		h.mu.Unlock()
		if live == 0 {
			continue
		}
		n++
		if err := h.WriteRunInfo(w); err != nil {
			return n, err
		}
	}
	return n, nil
}
