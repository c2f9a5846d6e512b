package gevent

import (
	"iter"
	"slices"
	"sync"
)

// List is a slice shared by green threads: what Python programs get from
// multiprocessing's Manager().list(), without the server process (see
// Dict). The zero value is an empty List, ready to use. All methods are
// safe for concurrent use; callbacks run under the List's lock and must not
// call its methods.
type List[T any] struct {
	mu    sync.Mutex
	items []T
}

// Append adds v at the end: Python's l.append(v).
func (l *List[T]) Append(v ...T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.items = append(l.items, v...)
}

// Get returns the item at index i and true, or T's zero value and false if
// i is out of range. A negative i counts from the end, as in Python.
func (l *List[T]) Get(i int) (T, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i < 0 {
		i += len(l.items)
	}
	if i < 0 || i >= len(l.items) {
		var zero T
		return zero, false
	}
	return l.items[i], true
}

// Set replaces the item at index i (negative from the end) and reports
// whether i was in range: Python's l[i] = v.
func (l *List[T]) Set(i int, v T) bool {
	return l.Update(i, func(T) T { return v })
}

// Update replaces the item at index i with f(old) atomically and reports
// whether i was in range: the l[i] += 1 a Manager list cannot do safely.
func (l *List[T]) Update(i int, f func(old T) T) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i < 0 {
		i += len(l.items)
	}
	if i < 0 || i >= len(l.items) {
		return false
	}
	l.items[i] = f(l.items[i])
	return true
}

// Pop removes and returns the last item, and false if the list is empty:
// Python's l.pop().
func (l *List[T]) Pop() (T, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var zero T
	n := len(l.items) - 1
	if n < 0 {
		return zero, false
	}
	v := l.items[n]
	l.items[n] = zero
	l.items = l.items[:n]
	return v, true
}

// Len returns the number of items: Python's len(l).
func (l *List[T]) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.items)
}

// Snapshot returns a copy of the items, taken atomically: Python's l[:].
func (l *List[T]) Snapshot() []T {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.items)
}

// All returns the items of a snapshot taken when the range starts, with
// their indexes; the range may call the List's methods.
func (l *List[T]) All() iter.Seq2[int, T] { return slices.All(l.Snapshot()) }
