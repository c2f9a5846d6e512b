package gevent_test

import (
	"context"
	"fmt"

	"github.com/geventgo/geventgo/gevent"
)

// The seen set of a crawler: a URL is crawled by whoever sees it first.
//
//	seen = Manager().dict()
//	with lock:                      # setdefault cannot tell "was it new?"
//	    new = url not in seen
//	    seen[url] = True
//	if new:
//	    crawl(url)
func ExampleDict_LoadOrStore() {
	var seen gevent.Dict[string, struct{}]
	for _, url := range []string{"/a", "/b", "/a", "/c", "/b"} {
		if _, loaded := seen.LoadOrStore(url, struct{}{}); !loaded {
			fmt.Println("crawl", url)
		}
	}
	// Output:
	// crawl /a
	// crawl /b
	// crawl /c
}

// gevent's peek: look at the next item without taking it.
//
//	q = Queue()
//	q.put("job")
//	print(q.peek(), q.qsize())   # job 1
//	print(q.get(), q.qsize())    # job 0
func ExampleQueue_Peek() {
	ctx := context.Background()
	var q gevent.Queue[string]
	q.Put(ctx, "job")
	v, _ := q.Peek(ctx)
	fmt.Println(v, q.Len())
	v, _ = q.Get(ctx)
	fmt.Println(v, q.Len())
	// Output:
	// job 1
	// job 0
}

// Python 3.13's immediate shutdown: the pending items are dropped, a
// pending get fails at once, and join() does not wait for dropped items.
//
//	q = queue.Queue()
//	for i in range(5): q.put(i)
//	q.get(); q.task_done()
//	q.shutdown(immediate=True)
//	q.join()                      # returns: the 4 dropped items count as done
//	q.get()                       # raises queue.ShutDown
func ExampleQueue_CloseNow() {
	ctx := context.Background()
	var q gevent.Queue[int]
	for i := range 5 {
		q.Put(ctx, i)
	}
	q.Get(ctx)
	q.TaskDone()
	fmt.Println("dropped", q.CloseNow(), "unfinished", q.UnfinishedTasks())
	fmt.Println(q.Join(ctx))
	_, err := q.Get(ctx)
	fmt.Println(err)
	// Output:
	// dropped 4 unfinished 0
	// <nil>
	// gevent: queue closed
}

// gevent's Channel.put_nowait succeeds only when a getter is waiting.
//
//	ch = Channel()
//	try: ch.put_nowait(1)
//	except Full: print("no getter")
//	g = gevent.spawn(ch.get); gevent.sleep(0)
//	ch.put_nowait(2); print(g.get())
func ExampleChannel_PutNowait() {
	gevent.RunHub(context.Background(), func(ctx context.Context) error {
		var ch gevent.Channel[int]
		if err := ch.PutNowait(1); err != nil {
			fmt.Println("no getter:", err)
		}
		g := gevent.Spawn(ctx, ch.Get)
		gevent.Sleep(ctx, 0)
		ch.PutNowait(2)
		v, _ := g.Get(ctx)
		fmt.Println(v)
		return nil
	})
	// Output:
	// no getter: gevent: queue full
	// 2
}

// gevent's pool.full() and len(pool).
//
//	pool = Pool(2)
//	pool.spawn(gevent.sleep, 1); pool.spawn(gevent.sleep, 1)
//	print(len(pool), pool.full())   # 2 True
func ExamplePool_Full() {
	ctx := context.Background()
	p := gevent.NewPool(2)
	var release gevent.Event
	p.Go(ctx, release.Wait)
	p.Go(ctx, release.Wait)
	fmt.Println(p.Len(), p.Full())
	release.Set()
	p.Close()
	p.Join(ctx)
	fmt.Println(p.Len(), p.Full())
	// Output:
	// 2 true
	// 0 false
}
