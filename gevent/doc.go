// Package gevent brings gevent's and multiprocessing's toolbox to Go: green
// threads with results, joinall and kill, timeouts, events, locks,
// semaphores, queues, pipes, shared dicts and lists, pools, and a Hub that
// gives gevent's one-runs-at-a-time scheduling when a program relies on it.
//
// Importing gevent imports ants (github.com/panjf2000/ants/v2), the worker
// pool under Pool, and ants starts a default pool with two housekeeping
// goroutines at import, in every program that imports gevent. They never
// exit, so a plain goleak.VerifyNone(t) fails in the importing package, and
// Go's "all goroutines are asleep - deadlock!" report cannot fire (a
// deadlocked program hangs instead of crashing). ants gives no way to
// import it without them. Package geventtest has the goleak options that
// ignore exactly those goroutines (geventtest.VerifyTestMain(m) in a
// TestMain), and a virtual-clock Hub reports a deadlock among its green
// threads itself, as ErrLoopExit.
//
// # Names
//
// Python's names are kept where a porter looks for them, and the doc of each
// says what it is in Go terms: Greenlet[T] is gevent's Greenlet, a green
// thread with a typed result, that is a future (not package greenlet's
// Greenlet, which is a symmetric coroutine); GreenThread is the part every
// green thread has whatever its result type (a *Greenlet embeds it;
// Current returns it); Dead is Python's name for Ready; WithTimeout is gevent's
// with_timeout, which runs a function (TimeoutContext is the one that
// returns a context, as context.WithTimeout does). The Go verbs have one
// shape each: every Go, Spawn and Submit returns the green thread (a task a
// pool refuses is returned finished with the reason), every Try form
// returns a bool beside it, every Close that cannot fail returns nothing,
// and misuse that Go reports loudly (releasing a lock that is not held, a
// pool of size 0) panics.
//
// # From Python
//
//	gevent.spawn(f, x)                 g := gevent.Spawn(ctx, func(ctx context.Context) (T, error) { return f(ctx, x) })
//	multiprocessing.Process(target=f)  gevent.Go(ctx, f, gevent.WithName("worker"))
//	class P(Process): def run(self)    gevent.SpawnRunner(ctx, p)  // p has Run(ctx) error
//	g.get() / g.value / g.exception    g.Get(ctx) / g.Value() / g.Err()
//	g.join() / p.join()                g.Join(ctx)
//	g.kill() / p.terminate()           g.Kill(ctx)  (g.Cancel() does not wait)
//	gevent.joinall(gs, timeout=1)      gevent.JoinAll(ctx, gs, gevent.JoinTimeout(time.Second))
//	gevent.killall(gs)                 gevent.KillAll(ctx, gs)
//	g.kill(exception=E)                g.KillWith(ctx, e)  (g.CancelWith(e) does not wait); not Successful
//	gevent.killall(gs, exception=E)    gevent.KillAllWith(ctx, gs, e)
//	gevent.sleep(1) / sleep(0)         gevent.Sleep(ctx, time.Second) / gevent.Sleep(ctx, 0)
//	gevent.getcurrent()                gevent.Current(ctx)
//	except GreenletExit                errors.Is(err, gevent.ErrGreenletExit)
//	Event(): set/clear/is_set/wait     var e gevent.Event; e.Set(); e.Clear(); e.IsSet(); e.Wait(ctx)
//	AsyncResult(): set/get             var r gevent.AsyncResult[T]; r.Set(v); r.SetError(err); r.Get(ctx)
//	Lock(), RLock()                    var l gevent.Lock; l.Acquire(ctx); defer l.Release()  /  gevent.RLock (owner: the green thread); releasing an unheld lock panics
//	Semaphore(n), BoundedSemaphore(n)  gevent.NewSemaphore(n), gevent.NewBoundedSemaphore(n): Acquire(ctx), Release()
//	with gevent.Timeout(s, exc):       gevent.Timeout{After: d, Err: exc}.Run(ctx, fn); gevent.WithTimeout(ctx, d, fn)
//	Timeout(None) / Timeout(0)         gevent.Timeout{} (never) / gevent.Timeout{After: -1} (expired at the first block)
//	with_timeout(s, f) with a result   v, err := gevent.WithTimeoutValue(ctx, d, f)  (f returns (T, error))
//	with_timeout(s, f, timeout_value=v) gevent.WithTimeoutOr(ctx, d, v, f)
//	t = Timeout(s); t.start(); ...     tctx, cancel := gevent.TimeoutContext(ctx, d) / Timeout{...}.Context(ctx): a deadline to pass down
//	q.get(timeout=1) raising Empty     q.Get(ctx with a 1s deadline): errors.Is(err, gevent.ErrEmpty); on a Hub gevent.ContextWithTimeout(ctx, d)
//	Queue(maxsize): put/get            q := gevent.NewQueue[T](n); q.Put(ctx, v); q.Get(ctx); PutNowait/GetNowait (ErrFull/ErrEmpty)
//	JoinableQueue: task_done/join      q.TaskDone(); q.Join(ctx)   (every Queue is joinable, as gevent's since 25.4)
//	LifoQueue, PriorityQueue           gevent.NewLifoQueue[T](n), gevent.NewPriorityQueue(n, less)
//	for item in q (until closed)       for v := range q.All(ctx); q.Close()
//	a, b = Pipe(): send/recv/close     a, b := gevent.Pipe[T](); a.Send(v); b.Recv(ctx) (io.EOF once a is closed); a.Close()
//	Manager().dict(), .list()          var d gevent.Dict[K, V]; var l gevent.List[T]  (d.Update(k, f) for d[k] += 1)
//	Pool(n) / ThreadPoolExecutor(n)    p := gevent.NewPool(n); defer p.Join(ctx); defer p.Close()  (var p gevent.Pool: unbounded)
//	pool.spawn(f) / executor.submit(f) g := gevent.Submit(ctx, p, f) (g is the future: g.Get(ctx)); p.Go(ctx, f)
//	pool.apply(f) / apply_async(f, cb) gevent.Apply(ctx, p, f) / gevent.ApplyAsync(ctx, p, f, onValue, onError) (never blocks)
//	pool.map / imap / imap_unordered   gevent.Map(ctx, p, items, f) / for r, err := range gevent.IMap(...) / IMapUnordered(...) (r.Index, r.Value, r.Err)
//	pool.close(); pool.join()          p.Close(); p.Join(ctx)
//	pool.terminate() / pool.kill()     p.Kill(ctx)
//	gevent.pool.Group()                var grp gevent.Group; grp.Go(ctx, f); grp.Add(g); grp.Join(ctx); grp.Kill(ctx)
//	active_children()                  grp.Active()
//	StreamServer(ln, handle, spawn=p)  gevent.Serve(ctx, ln, p, handle)  (graceful stop when ctx ends)
//	gevent.wait(objs) / iwait(objs)    gevent.Wait(ctx, objs, opts...) / for o, err := range gevent.IWait(ctx, objs)
//	as_completed(fs) / futures.wait    for f, err := range gevent.AsCompleted(ctx, fs) / gevent.WaitFutures(ctx, fs, gevent.FirstCompleted)
//	gevent.wait() (hub until idle)     gevent.WaitIdle(ctx)
//	Condition(), Barrier(n)            var c gevent.Condition; c.Wait(ctx); c.Notify(ctx, 1)  /  gevent.NewBarrier(n, action, d).Wait(ctx)
//	gevent's hub (one at a time)       gevent.RunHub(ctx, main)  /  h := gevent.NewHub(); h.Run(ctx, main)
//	a deterministic, virtual-time run  gevent.RunHub(ctx, main, gevent.WithVirtualClock(start))
//	blocking call without monkey patch gevent.Blocking(ctx, func(ctx) error { ...ordinary Go I/O... })
//
// # Free mode and the Hub
//
// Every green thread is a goroutine. Spawned with an ordinary context they run
// in free mode: in parallel on all cores, preempted by Go's scheduler. That is
// where Go beats gevent, and it is what most programs want; share state
// through this package's primitives or sync. Spawned with a Hub's context
// they take turns: one runs at a time and switches only inside this package's
// blocking calls, as under gevent.
//
// # Contexts, kill and errors
//
// Every blocking call takes a context.Context first and returns its error,
// joined with its cause, when the context ends the wait. A green thread's
// body gets its own context: Kill cancels it, so the body wakes from any
// blocking call with an error that is errors.Is(err, ErrGreenletExit) and
// errors.Is(err, context.Canceled). Go cannot stop a goroutine from outside:
// a body that never blocks here nor watches its context runs to its end.
// A panic in a body becomes that green thread's error, a *PanicError with
// the stack; it never crashes the program. A panic whose error nobody reads
// (Err, Get, Successful, a Link, JoinAll with RaiseError) is not lost: it is
// printed to standard error with the green thread's name and the stack, as
// gevent prints a failed greenlet's traceback, when the green thread is
// garbage collected. SetFailureHandler replaces the printer or turns it off.
//
// Where a kill differs from gevent's, and the idiom for gevent's behaviour:
//
//   - Kill interrupts the blocking calls of this package only. Plain Go I/O
//     (conn.Read, http.Get without the context) is not interrupted: give it
//     the context (http.NewRequestWithContext), or a deadline
//     (conn.SetDeadline) that a context.AfterFunc moves to now.
//   - The kill is the error of the call it interrupts. A loop that drops
//     that error (for { gevent.Sleep(ctx, d) }) spins after a kill instead
//     of ending: check it (if err := gevent.Sleep(ctx, d); err != nil {
//     return err }).
//   - A killed green thread's context stays cancelled, so its cleanup cannot
//     block on it (gevent lets a greenlet block in its except/finally):
//     clean up with context.WithoutCancel(ctx), bounded by a Timeout if
//     need be. Example_killCleanup shows it.
//   - Killing a green thread also kills the green threads it spawned with
//     its own context (they end with ErrGreenletExit), and a Timeout that
//     fires cancels whatever was started under its context (a pool's tasks,
//     say); gevent interrupts only the one greenlet. Go's contexts are a
//     tree, and a scope that ends should not leave work running behind it.
//     For gevent's behaviour, spawn with context.WithoutCancel(ctx): the
//     new green thread keeps the hub and values, but not the cancellation.
//
// A green thread killed counts as successful, as in gevent: Successful is
// true and JoinAll's RaiseError ignores it, while Err reports the
// ErrGreenletExit so that Go code can tell it from a normal end. A green
// thread killed with an error of the caller's (KillWith, gevent's
// kill(exception=E)) has failed with that error.
//
// # Testing
//
// Free-mode code using this package can be tested with testing/synctest:
// waits and timeouts are Go channels and timers, so a bubble's fake clock
// drives Sleep, Timeout and context deadlines, and waits count as durably
// blocked. A primitive may be shared by tests in different bubbles, as a
// package-level channel may; a wait inside a bubble then costs one
// allocation. A Hub with WithVirtualClock is the deterministic clock of hub
// mode; there, time moves only when every green thread is blocked, so a
// loop of Sleep(ctx, 0) never lets a Timeout fire: sleep for a moment
// (Sleep(ctx, time.Millisecond)) in a polling loop.
//
// # Not provided, on purpose
//
// os.fork, real processes, freeze_support and monkey patching have no
// counterpart. Python needs processes to use more than one core and monkey
// patching to keep blocking I/O from stalling the hub; goroutines already run
// on every core and Go's I/O never blocks its scheduler.
package gevent
