package gevent

import (
	"iter"
	"maps"
	"sync"
)

// Dict is a map shared by green threads: what Python programs get from
// multiprocessing's Manager().dict(). A Manager serves the dict from a
// separate process and every access is a round trip over a pipe; green
// threads share memory, so a Dict is a map under a mutex, and each access
// costs a lock. Read-modify-write sequences are atomic only through Update,
// SetDefault and Pop: two Gets and a Set from different green threads may
// interleave.
//
// The zero value is an empty Dict, ready to use. All methods are safe for
// concurrent use. Callbacks run under the Dict's lock: they must not call
// the Dict's methods.
type Dict[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]V
}

// Get returns the value stored under k and whether there is one:
// Python's d.get(k).
func (d *Dict[K, V]) Get(k K) (V, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.m[k]
	return v, ok
}

// Set stores v under k: Python's d[k] = v.
func (d *Dict[K, V]) Set(k K, v V) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil {
		d.m = make(map[K]V)
	}
	d.m[k] = v
}

// Delete removes k: Python's del d[k] (without the KeyError).
func (d *Dict[K, V]) Delete(k K) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.m, k)
}

// Pop removes k and returns what was stored under it and whether there was
// anything: Python's d.pop(k, None), atomically.
func (d *Dict[K, V]) Pop(k K) (V, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.m[k]
	delete(d.m, k)
	return v, ok
}

// SetDefault returns the value under k, storing v first if there is none:
// Python's d.setdefault(k, v), atomically.
func (d *Dict[K, V]) SetDefault(k K, v V) V {
	d.mu.Lock()
	defer d.mu.Unlock()
	if old, ok := d.m[k]; ok {
		return old
	}
	if d.m == nil {
		d.m = make(map[K]V)
	}
	d.m[k] = v
	return v
}

// Update replaces the value under k with f(old, ok) atomically, and
// returns the new value: the read-modify-write that d[k] += 1 needs under a
// Manager and cannot get. ok reports whether k was there.
func (d *Dict[K, V]) Update(k K, f func(old V, ok bool) V) V {
	d.mu.Lock()
	defer d.mu.Unlock()
	old, ok := d.m[k]
	v := f(old, ok)
	if d.m == nil {
		d.m = make(map[K]V)
	}
	d.m[k] = v
	return v
}

// Len returns the number of keys: Python's len(d).
func (d *Dict[K, V]) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.m)
}

// Snapshot returns a copy of the whole map, taken atomically: Python's
// d.copy().
func (d *Dict[K, V]) Snapshot() map[K]V {
	d.mu.Lock()
	defer d.mu.Unlock()
	return maps.Clone(d.m)
}

// All returns the items of a snapshot taken when the range starts, in no
// particular order: Python's d.items(). Changes made during the range are
// not seen, and the range may call the Dict's methods.
func (d *Dict[K, V]) All() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		for k, v := range d.Snapshot() {
			if !yield(k, v) {
				return
			}
		}
	}
}

// Keys returns the keys of a snapshot, as All does: Python's d.keys().
func (d *Dict[K, V]) Keys() iter.Seq[K] { return maps.Keys(d.Snapshot()) }

// Values returns the values of a snapshot, as All does: Python's d.values().
func (d *Dict[K, V]) Values() iter.Seq[V] { return maps.Values(d.Snapshot()) }

// LoadOrStore returns the value under k if there is one (loaded is true),
// and otherwise stores v under k and returns it (loaded is false), in one
// step: the "seen set" of a crawler (if _, seen := d.LoadOrStore(url,
// struct{}{}); !seen { crawl(url) }), and sync.Map's LoadOrStore. Python's
// setdefault returns the same value but cannot tell whether the key was new.
func (d *Dict[K, V]) LoadOrStore(k K, v V) (actual V, loaded bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if old, ok := d.m[k]; ok {
		return old, true
	}
	if d.m == nil {
		d.m = make(map[K]V)
	}
	d.m[k] = v
	return v, false
}
