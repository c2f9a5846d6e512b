package gevent_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"

	"github.com/geventgo/geventgo/gevent"
)

// The classic serial pool.apply: each call runs on the pool and is waited
// for, so the output is in order.
//
//	pool = multiprocessing.Pool(processes=3)
//	for i in range(0, 3):
//	    pool.apply(func, ("hello %d" % i,))
//	print("Mark~ Mark~ Mark~~~~~~~~~~~~~~~~~~~~~~")
//	pool.close(); pool.join()
func ExampleApply() {
	ctx := context.Background()
	pool := gevent.NewPool(3)
	for i := range 3 {
		gevent.Apply(ctx, pool, func(context.Context) (struct{}, error) {
			fmt.Printf("msg: hello %d\n", i)
			fmt.Println("end")
			return struct{}{}, nil
		})
	}
	fmt.Println("Mark~ Mark~ Mark~~~~~~~~~~~~~~~~~~~~~~")
	pool.Close()
	pool.Join(ctx)
	fmt.Println("Sub-process(es) done.")
	// Output:
	// msg: hello 0
	// end
	// msg: hello 1
	// end
	// msg: hello 2
	// end
	// Mark~ Mark~ Mark~~~~~~~~~~~~~~~~~~~~~~
	// Sub-process(es) done.
}

// The classic apply_async with a callback on a Pool(5), ten tasks; close
// then join. The callbacks run as tasks end, in any order: here they are
// counted.
//
//	pool = Pool(5)
//	for i in range(0, 10):
//	    pool.apply_async(func=test, args=(test,), callback=bar)
//	pool.close(); pool.join()
func ExampleApplyAsync() {
	ctx := context.Background()
	pool := gevent.NewPool(5)
	var calls gevent.List[string]
	for i := range 10 {
		gevent.ApplyAsync(ctx, pool, func(context.Context) (int, error) { return i, nil },
			func(v int) { calls.Append(fmt.Sprint("callback after task ", v)) }, nil)
	}
	pool.Close()
	pool.Join(ctx)
	got := calls.Snapshot()
	slices.Sort(got)
	fmt.Println(len(got), got[0])
	// Output:
	// 10 callback after task 0
}

// apply_async on a full pool returns at once: the task is queued and
// started when a worker is free, in submission order. Here the pool's one
// slot is held until the gate opens, so the two tasks after it are still
// pending when ApplyAsync has returned.
//
//	pool = multiprocessing.Pool(1)
//	results = [pool.apply_async(square, (i,)) for i in range(3)]  # never blocks
//	print("submitted")
//	print([r.get() for r in results])
func ExampleApplyAsync_fullPool() {
	ctx := context.Background()
	pool := gevent.NewPool(1)
	gate := make(chan struct{})
	var results []*gevent.Greenlet[int]
	for i := range 3 {
		g := gevent.ApplyAsync(ctx, pool, func(context.Context) (int, error) {
			if i == 0 {
				<-gate
			}
			return i * i, nil
		}, nil, nil)
		results = append(results, g)
	}
	fmt.Println("submitted; queued tasks started:", results[1].Started(), results[2].Started())
	close(gate)
	for _, g := range results {
		v, _ := g.Get(ctx)
		fmt.Print(v, " ")
	}
	fmt.Println()
	pool.Close()
	pool.Join(ctx)
	// Output:
	// submitted; queued tasks started: false false
	// 0 1 4
}

// gevent's pool.join() needs no close(): it waits for the tasks in flight,
// and the pool stays usable. Close, then Join, as multiprocessing asks,
// also releases the pool's goroutines.
//
//	pool = gevent.pool.Pool(2)
//	for n in range(4):
//	    pool.spawn(work, n)
//	pool.join()                  # wait for the four
//	pool.spawn(work, 4).join()   # the pool is still open
func ExamplePool_Join() {
	ctx := context.Background()
	pool := gevent.NewPool(2)
	var done gevent.List[int]
	for n := range 4 {
		pool.Go(ctx, func(context.Context) error { done.Append(n); return nil })
	}
	pool.Join(ctx)
	fmt.Println("joined without close:", done.Len(), "tasks done")
	g := pool.Go(ctx, func(context.Context) error { done.Append(4); return nil })
	g.Join(ctx)
	fmt.Println("still open:", g.Err())
	pool.Close()
	pool.Join(ctx)
	// A task refused by a closed pool comes back finished with the reason.
	err := pool.Go(ctx, func(context.Context) error { return nil }).Err()
	fmt.Println("after Close:", err, "-", done.Len(), "tasks done")
	// Output:
	// joined without close: 4 tasks done
	// still open: <nil>
	// after Close: gevent: pool closed - 5 tasks done
}

// Collecting results with links, then joining the pool: as in gevent, the
// join returns after every task's links have run, so the results are all
// there (and a plain slice is safe to read: Join happens after the Links).
//
//	results = []
//	pool = gevent.pool.Pool(3)
//	for n in range(6):
//	    pool.spawn(square, n).link_value(lambda g: results.append(g.value))
//	pool.join()
//	print(sorted(results))
func ExampleGreenlet_Link_poolJoin() {
	ctx := context.Background()
	pool := gevent.NewPool(3)
	var mu sync.Mutex // the Links run on the tasks' goroutines, side by side
	var results []int
	for n := range 6 {
		g := gevent.Submit(ctx, pool, func(context.Context) (int, error) { return n * n, nil })
		g.Link(func(g *gevent.Greenlet[int]) {
			mu.Lock()
			results = append(results, g.Value())
			mu.Unlock()
		})
	}
	pool.Close() // no more tasks: Join then also releases the pool's goroutines
	pool.Join(ctx)
	slices.Sort(results)
	fmt.Println(results)
	// Output: [0 1 4 9 16 25]
}

// The zero Pool is unbounded, like gevent's Pool() with no size: every
// task starts at once, on a goroutine of its own.
//
//	pool = gevent.pool.Pool()
//	greenlets = [pool.spawn(square, i) for i in range(5)]
//	pool.join()
func ExamplePool_unbounded() {
	ctx := context.Background()
	var pool gevent.Pool
	var gs []*gevent.Greenlet[int]
	for i := range 5 {
		g := gevent.Submit(ctx, &pool, func(context.Context) (int, error) { return i * i, nil })
		gs = append(gs, g)
	}
	pool.Join(ctx)
	for _, g := range gs {
		fmt.Print(g.Value(), " ")
	}
	fmt.Println("- size", pool.Size())
	// Output:
	// 0 1 4 9 16 - size 0
}

// The classic Pool(3) with four long_time_task jobs: the fourth waits for a
// free worker. Which worker runs which task varies; the pool never runs
// more than three.
func ExamplePool() {
	ctx := context.Background()
	fmt.Println("Parent process main.")
	p := gevent.NewPool(3)
	var ran gevent.Dict[int, bool]
	for i := range 4 {
		p.Go(ctx, func(ctx context.Context) error {
			ran.Set(i, true)
			return nil
		})
	}
	fmt.Println("Waiting for all subprocesses done...")
	p.Close()
	p.Join(ctx)
	fmt.Println("All subprocesses done:", ran.Len(), "tasks")
	// Output:
	// Parent process main.
	// Waiting for all subprocesses done...
	// All subprocesses done: 4 tasks
}

// Pool.map: results in input order, computed by workers of the pool that
// each take the next item.
//
//	with Pool(4) as p:
//	    print(p.map(square, range(10)))
func ExampleMap() {
	ctx := context.Background()
	p := gevent.NewPool(4)
	defer p.Join(ctx)
	defer p.Close()
	squares, err := gevent.Map(ctx, p, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		func(_ context.Context, x int) (int, error) { return x * x, nil })
	fmt.Println(squares, err)
	// Output:
	// [0 1 4 9 16 25 36 49 64 81] <nil>
}

// Pool.imap: results streamed in input order, at most Size in flight,
// each with its item's index. A failed call is a result (Python's imap
// would raise there); the second value is the iteration's own error.
//
//	for n in pool.imap(len_or_fail, words):
//	    print(n)
func ExampleIMap() {
	ctx := context.Background()
	p := gevent.NewPool(2)
	defer p.Join(ctx)
	defer p.Close()
	words := slices.Values([]string{"gevent", "", "greenlet", "go"})
	lenOrFail := func(_ context.Context, w string) (int, error) {
		if w == "" {
			return 0, errors.New("empty word")
		}
		return len(w), nil
	}
	for r, err := range gevent.IMap(ctx, p, words, lenOrFail) {
		if err != nil {
			fmt.Println("stopped:", err) // ctx ended, or the pool refused a call
			break
		}
		if r.Err != nil {
			fmt.Printf("item %d: %v\n", r.Index, r.Err)
			continue
		}
		fmt.Printf("item %d: %d\n", r.Index, r.Value)
	}
	// Output:
	// item 0: 6
	// item 1: empty word
	// item 2: 8
	// item 3: 2
}

// The classic echo server on a ThreadPoolExecutor(128), with gevent's
// StreamServer shape: each connection is handled by a task of the pool,
// and cancelling the context stops the server gracefully.
//
//	def echo_client(sock, client_addr):
//	    while True:
//	        msg = sock.recv(65536)
//	        if not msg: break
//	        sock.sendall(msg)
//	pool = ThreadPoolExecutor(128)
//	while True:
//	    client_sock, client_addr = sock.accept()
//	    pool.submit(echo_client, client_sock, client_addr)
func ExampleServe() {
	ctx, stop := context.WithCancel(context.Background())
	pool := gevent.NewPool(128)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	server := gevent.Go(context.Background(), func(context.Context) error {
		return gevent.Serve(ctx, ln, pool, func(ctx context.Context, conn net.Conn) error {
			_, err := io.Copy(conn, conn) // echo until the client closes
			return err
		})
	})

	conn, _ := net.Dial("tcp", ln.Addr().String())
	fmt.Fprintln(conn, "hello, echo server")
	reply, _ := bufio.NewReader(conn).ReadString('\n')
	fmt.Print(reply)
	conn.Close()

	stop()
	server.Join(context.Background())
	pool.Close()
	pool.Join(context.Background())
	fmt.Println("server stopped:", strings.TrimSpace(fmt.Sprint(server.Err())))
	// Output:
	// hello, echo server
	// server stopped: <nil>
}
