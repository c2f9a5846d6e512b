package gevent_test

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/geventgo/geventgo/gevent"
)

// The classic first program: start a child process and join it.
//
//	def run_proc(name):
//	    print('Run child process %s (%s)...' % (name, os.getpid()))
//	p = Process(target=run_proc, args=('test',))
//	print('Child process will start.')
//	p.start(); p.join()
//	print('Child process end.')
func Example_process() {
	ctx := context.Background()
	runProc := func(name string) func(context.Context) error {
		return func(ctx context.Context) error {
			fmt.Printf("Run child process %s (%s)...\n", name, gevent.Current(ctx).Name())
			return nil
		}
	}
	fmt.Println("Child process will start.")
	p := gevent.Go(ctx, runProc("test"), gevent.WithName("Process-1"))
	p.Join(ctx)
	fmt.Println("Child process end.")
	// Output:
	// Child process will start.
	// Run child process test (Process-1)...
	// Child process end.
}

// The classic multiprocessing example: a process's name and is_alive while it runs, then joined.
//
//	p = multiprocessing.Process(target=worker, args=(3,))
//	p.start()
//	print("p.name:", p.name); print("p.is_alive:", p.is_alive())
func Example_processState() {
	ctx := context.Background()
	var stop gevent.Event
	p := gevent.Go(ctx, stop.Wait, gevent.WithName("Process-1"))
	// Alive from the start, whether or not the body has had its first turn.
	fmt.Println("p.name:", p.Name())
	fmt.Println("p.is_alive:", p.Alive())
	stop.Set()
	p.Join(ctx)
	fmt.Println("p.is_alive:", p.Alive())
	// Output:
	// p.name: Process-1
	// p.is_alive: true
	// p.is_alive: false
}

// MyProcess is the classic Process subclass: a type with a Run method.
type MyProcess struct{}

// Run prints the current process, as the Python class's run does.
func (MyProcess) Run(ctx context.Context) error {
	fmt.Println("current process", gevent.Current(ctx))
	return nil
}

// The classic "class MyProcess(multiprocessing.Process): def run(self)".
func ExampleSpawnRunner() {
	ctx := context.Background()
	p1 := gevent.SpawnRunner(ctx, MyProcess{}, gevent.WithName("MyProcess-1"))
	p1.Join(ctx)
	p2 := gevent.SpawnRunner(ctx, MyProcess{}, gevent.WithName("MyProcess-2"))
	p2.Join(ctx)
	// Output:
	// current process MyProcess-1
	// current process MyProcess-2
}

// The classic nine processes, each printing its name, here collected with
// their results and joined: gevent.joinall.
func ExampleJoinAll() {
	ctx := context.Background()
	var gs []*gevent.Greenlet[string]
	for i := 1; i < 10; i++ {
		gs = append(gs, gevent.Spawn(ctx, func(ctx context.Context) (string, error) {
			return fmt.Sprintf(" %d process is running ", i), nil
		}))
	}
	done, err := gevent.JoinAll(ctx, gs, gevent.JoinTimeout(10*time.Second))
	fmt.Println(len(done), "finished, error:", err)
	var lines []string
	for _, g := range done {
		lines = append(lines, g.Value())
	}
	fmt.Println(slices.Index(lines, " 5 process is running "))
	// Output:
	// 9 finished, error: <nil>
	// 4
}
