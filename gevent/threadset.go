package gevent

import (
	"cmp"
	"maps"
	"slices"
)

// threadSet is a set of green threads (a Hub's live threads), guarded by
// its owner's mutex. The zero value is an empty set; add makes the map on
// first use.
type threadSet map[*GreenThread]struct{}

func (s *threadSet) add(t *GreenThread) {
	if *s == nil {
		*s = make(threadSet)
	}
	(*s)[t] = struct{}{}
}

// inSpawnOrder returns the set's green threads, oldest first: the order in
// which they are killed, so that on a Hub they wind down the same way on
// every run.
func (s threadSet) inSpawnOrder() []*GreenThread {
	ts := slices.Collect(maps.Keys(s))
	slices.SortFunc(ts, func(a, b *GreenThread) int { return cmp.Compare(a.id, b.id) })
	return ts
}

// cancelAll cancels each of ts, in order, without waiting.
func cancelAll(ts []*GreenThread) {
	for _, t := range ts {
		t.Cancel()
	}
}
