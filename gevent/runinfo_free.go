package gevent

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// freeInfo is the registry of free-mode green threads that SetRunInfo
// keeps: a hub lists its own green threads, but free-mode ones belong to
// no one, so listing them needs a table of its own, and the table costs a
// lock and a stack capture per spawn. It is off by default.
var freeInfo struct {
	on      atomic.Bool
	mu      sync.Mutex
	threads map[*GreenThread]*threadRecord
}

// SetRunInfo turns on (or off) the run-info registry of free-mode green
// threads, gevent.util.format_run_info for the green threads no Hub runs:
// while it is on, every green thread spawned in free mode is listed by
// RunInfo, WriteRunInfo and WriteAllRunInfo (and so by package
// gevent/runinfo's handler and signal) until it finishes, with its spawn
// site and, while it waits in a blocking call of this package, what it is
// blocked in and for how long (wall clock). Green threads spawned while it
// was off are not listed; turning it off forgets the table. A hub's green
// threads are listed by the hub (see WithRunInfo).
//
// Cost while on: a lock and a stack capture (runtime.Callers) per spawn and
// per blocking wait, a lock per finish; meant for debugging sessions, not
// for hot paths. Off, it costs an atomic load at spawn, wait and finish.
// Safe for concurrent use.
func SetRunInfo(on bool) {
	freeInfo.mu.Lock()
	defer freeInfo.mu.Unlock()
	if on && freeInfo.threads == nil {
		freeInfo.threads = make(map[*GreenThread]*threadRecord)
	}
	if !on {
		freeInfo.threads = nil
	}
	freeInfo.on.Store(on)
}

// trackFree lists t, a free-mode green thread being spawned.
func trackFree(t *GreenThread) {
	site := newSpawnSite()
	freeInfo.mu.Lock()
	if freeInfo.threads != nil {
		freeInfo.threads[t] = &threadRecord{spawn: site}
	}
	freeInfo.mu.Unlock()
}

// untrackFree forgets t, which has finished.
func untrackFree(t *GreenThread) {
	freeInfo.mu.Lock()
	delete(freeInfo.threads, t)
	freeInfo.mu.Unlock()
}

// parkedFree records that t, a listed free-mode green thread, blocks now
// in a call of this package; it returns false if t is not listed.
func parkedFree(t *GreenThread) bool {
	site := newParkSite()
	freeInfo.mu.Lock()
	defer freeInfo.mu.Unlock()
	r := freeInfo.threads[t]
	if r == nil {
		return false
	}
	r.park, r.since = site, time.Now()
	return true
}

// unparkedFree records that t's wait has ended.
func unparkedFree(t *GreenThread) {
	freeInfo.mu.Lock()
	if r := freeInfo.threads[t]; r != nil {
		r.park = nil
	}
	freeInfo.mu.Unlock()
}

// RunInfo returns the live free-mode green threads spawned while
// SetRunInfo(true) was on, in spawn order (empty when it is off): what
// Hub.RunInfo gives for a hub's green threads. Their state is
// ThreadPending before the body starts, ThreadBlocked while it waits in a
// blocking call of this package, ThreadRunning otherwise (running, or
// blocked outside this package: in plain Go I/O, a channel, a sync.Mutex).
// Safe to call from anywhere.
func RunInfo() []ThreadInfo {
	freeInfo.mu.Lock()
	ts := make([]*GreenThread, 0, len(freeInfo.threads))
	recs := make(map[*GreenThread]threadRecord, len(freeInfo.threads))
	for t, r := range freeInfo.threads {
		ts = append(ts, t)
		recs[t] = *r
	}
	freeInfo.mu.Unlock()
	slices.SortFunc(ts, func(a, b *GreenThread) int { return cmp.Compare(a.id, b.id) })
	now := time.Now()
	out := make([]ThreadInfo, 0, len(ts))
	for _, t := range ts {
		r := recs[t]
		info := ThreadInfo{ID: t.id, Name: t.Name(), State: ThreadRunning}
		if p := threadFrom(t.parent); p != nil {
			info.SpawnerID, info.SpawnerName = p.id, p.Name()
		}
		if r.spawn != nil {
			_, user := userFrame(r.spawn.pcs)
			info.SpawnSite = siteString(user)
		}
		switch {
		case t.state.Load() == pending:
			info.State = ThreadPending
		case r.park != nil:
			info.State = ThreadBlocked
			api, user := userFrame(r.park.pcs)
			info.BlockedOn = apiName(api.Function)
			if site := siteString(user); site != "" {
				info.BlockedOn += " at " + site
			}
			info.BlockedFor = now.Sub(r.since)
		}
		out = append(out, info)
	}
	return out
}

// WriteRunInfo writes RunInfo's free-mode green threads to w as a tree,
// each under the one that spawned it, as Hub.WriteRunInfo writes a hub's.
func WriteRunInfo(w io.Writer) error {
	infos := RunInfo()
	var b strings.Builder
	fmt.Fprintf(&b, "Free mode: %d green thread(s)\n", len(infos))
	writeTree(&b, infos)
	_, err := io.WriteString(w, b.String())
	return err
}
