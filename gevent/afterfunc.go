package gevent

// AfterFunc lets contexts derived from a green thread's context register for
// its cancellation without a watcher goroutine (context.AfterFunc uses it):
// f runs synchronously when the green thread's context is cancelled, after
// the functions registered before it. Registering and stopping cost O(1).
func (c *threadCtx) AfterFunc(f func()) (stop func() bool) {
	t := (*GreenThread)(c)
	a := &afterReg{f: f}
	if !t.register(a) {
		go f()
		return func() bool { return false }
	}
	return func() bool { return t.unregister(a) }
}

// afterReg is one registration for a green thread's cancellation: a
// function (AfterFunc), or a child green thread to cancel with the same
// error. A child's registration is a field of the child, so spawning from a
// green thread allocates nothing for it.
type afterReg struct {
	f          func()
	child      *GreenThread
	prev, next *afterReg // nil for both when a is the only one listed, or not listed
}

// register appends a to t's registrations, unless t's context is already
// cancelled (it returns false).
func (t *GreenThread) register(a *afterReg) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ext().ctxErr != nil {
		return false
	}
	t.more().afters.push(a)
	return true
}

// unregister removes a and reports whether it was still registered.
func (t *GreenThread) unregister(a *afterReg) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.moreIfAny()
	return m != nil && m.afters.remove(a)
}

// afterList is a green thread's registrations in order: a doubly linked
// list, guarded by the thread's mutex, so that a green thread whose many
// short-lived children each register and then unregister does not slow down
// with their number.
type afterList struct {
	head, tail *afterReg
}

func (l *afterList) push(a *afterReg) {
	a.prev, a.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = a
	} else {
		l.head = a
	}
	l.tail = a
}

// remove unlinks a and reports whether it was listed.
func (l *afterList) remove(a *afterReg) bool {
	if a.prev == nil && l.head != a {
		return false // not listed
	}
	if a.prev != nil {
		a.prev.next = a.next
	} else {
		l.head = a.next
	}
	if a.next != nil {
		a.next.prev = a.prev
	} else {
		l.tail = a.prev
	}
	a.prev, a.next = nil, nil
	return true
}

// take empties the list and returns its registrations in order.
func (l *afterList) take() []*afterReg {
	var as []*afterReg
	for a := l.head; a != nil; {
		next := a.next
		as = append(as, a)
		a.prev, a.next = nil, nil
		a = next
	}
	l.head, l.tail = nil, nil
	return as
}
