package gevent_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/geventgo/geventgo/gevent"
)

// The classic Queue program: a child process puts a list, main gets it.
//
//	def test(qu): qu.put(["克隆Q"])
//	process = Process(target=test, args=(qu,)); process.start()
//	print(qu.get())
func ExampleQueue() {
	ctx := context.Background()
	var qu gevent.Queue[[]string]
	gevent.Go(ctx, func(ctx context.Context) error { return qu.Put(ctx, []string{"克隆Q"}) })
	v, _ := qu.Get(ctx)
	fmt.Println(v)
	// Output:
	// [克隆Q]
}

// The classic writer/reader processes with put(block=False) and
// get(block=False).
func ExampleQueue_PutNowait() {
	ctx := context.Background()
	var q gevent.Queue[int]
	writer := gevent.Go(ctx, func(context.Context) error { return q.PutNowait(1) })
	writer.Join(ctx)
	reader := gevent.Go(ctx, func(context.Context) error {
		v, err := q.GetNowait()
		if err == nil {
			fmt.Println(v)
		}
		return err
	})
	reader.Join(ctx)
	_, err := q.GetNowait()
	fmt.Println(errors.Is(err, gevent.ErrEmpty))
	// Output:
	// 1
	// true
}

// A JoinableQueue with workers: q.task_done() and q.join().
func ExampleQueue_Join() {
	ctx := context.Background()
	var q gevent.JoinableQueue[int]
	var results gevent.List[int]
	for range 3 {
		gevent.Go(ctx, func(ctx context.Context) error {
			for v := range q.All(ctx) {
				results.Append(v * v)
				q.TaskDone()
			}
			return nil
		})
	}
	for i := 1; i <= 5; i++ {
		q.Put(ctx, i)
	}
	q.Join(ctx) // every item processed
	q.Close()   // lets the workers' ranges end
	r := results.Snapshot()
	slices.Sort(r)
	fmt.Println(r)
	// Output:
	// [1 4 9 16 25]
}

// The classic Pipe program: the child sends twice and closes its end.
//
//	parent_conn, child_conn = Pipe()
//	def test(child_conn):
//	    child_conn.send(['hello world']); child_conn.send(['hello world'])
//	    child_conn.close()
func ExamplePipe() {
	ctx := context.Background()
	parentConn, childConn := gevent.Pipe[[]string]()
	gevent.Go(ctx, func(context.Context) error {
		defer childConn.Close()
		childConn.Send([]string{"hello world"})
		return childConn.Send([]string{"hello world"})
	})
	message1, _ := parentConn.Recv(ctx)
	message2, _ := parentConn.Recv(ctx)
	fmt.Println(message1)
	fmt.Println(message2)
	_, err := parentConn.Recv(ctx)
	fmt.Println(err == io.EOF)
	// Output:
	// [hello world]
	// [hello world]
	// true
}

// The classic Manager program: ten processes write to a shared dict and
// list (l = manager.list(range(10)); d[pid] = pid; l.append(pid)).
func ExampleDict() {
	ctx := context.Background()
	var d gevent.Dict[uint64, uint64]
	var l gevent.List[uint64]
	for i := range 10 {
		l.Append(uint64(i))
	}
	var ps []*gevent.Greenlet[struct{}]
	for range 10 {
		ps = append(ps, gevent.Go(ctx, func(ctx context.Context) error {
			id := gevent.Current(ctx).ID()
			d.Set(id, id)
			l.Append(id)
			return nil
		}))
	}
	gevent.JoinAll(ctx, ps)
	fmt.Println(d.Len(), l.Len())
	// Output:
	// 10 20
}

// A get with a timeout raises queue.Empty in Python; here the timeout is
// the context's deadline, and the error matches ErrEmpty.
//
//	try:
//	    q.get(timeout=0.01)
//	except queue.Empty:
//	    print("empty")
func ExampleQueue_Get_timeout() {
	q := gevent.NewQueue[string](0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := q.Get(ctx); errors.Is(err, gevent.ErrEmpty) {
		fmt.Println("empty")
	}
	// Output: empty
}
