package coro_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/geventgo/geventgo/coro"
)

// The consumer/producer ("baozi") program of the classic tutorial: two generator
// consumers are started with next and fed with send. The Python loop never
// ends (n+1 instead of n+=1) and sleeps; this one makes five rounds.
//
//	def consumer(name):
//	    print("test")
//	    while True:
//	        new_baozi = yield
//	        print("%s is eating %s" % (name, new_baozi))
//
//	con1, con2 = consumer("test1"), consumer("test2")
//	con1.__next__(); con2.__next__()
//	n = 0
//	while n < 5:
//	    n += 1
//	    con1.send(n); con2.send(n)
func Example_baozi() {
	consumer := func(name string) *coro.Gen[struct{}, int, struct{}] {
		return coro.New(func(y *coro.Yielder[struct{}, int]) (struct{}, error) {
			fmt.Println("test")
			for {
				baozi, err := y.Yield(struct{}{})
				if err != nil {
					return struct{}{}, err
				}
				fmt.Printf("%s is eating %d\n", name, baozi)
			}
		})
	}
	con1, con2 := consumer("test1"), consumer("test2")
	defer con1.Close()
	defer con2.Close()
	con1.Next()
	con2.Next()
	for n := 1; n <= 5; n++ {
		con1.Send(n)
		con2.Send(n)
	}
	// Output:
	// test
	// test
	// test1 is eating 1
	// test2 is eating 1
	// test1 is eating 2
	// test2 is eating 2
	// test1 is eating 3
	// test2 is eating 3
	// test1 is eating 4
	// test2 is eating 4
	// test1 is eating 5
	// test2 is eating 5
}

// A running average driven by send:
//
//	def averager():
//	    total, count, average = 0.0, 0, None
//	    while True:
//	        term = yield average
//	        total += term; count += 1
//	        average = total / count
func ExampleGen_Send() {
	avg := coro.New(func(y *coro.Yielder[float64, float64]) (struct{}, error) {
		var total, average float64
		for count := 1; ; count++ {
			term, err := y.Yield(average)
			if err != nil {
				return struct{}{}, err
			}
			total += term
			average = total / float64(count)
		}
	})
	defer avg.Close()
	avg.Next() // prime it: run to the first yield
	for _, x := range []float64{10, 30, 5} {
		a, _ := avg.Send(x)
		fmt.Println(a)
	}
	// Output:
	// 10
	// 20
	// 15
}

type tree struct {
	value       string
	left, right *tree
}

// walk is a recursive generator: yield from delegates to the subtrees and
// gets back how many nodes each had.
//
//	def walk(t):
//	    if t is None: return 0
//	    n = yield from walk(t.left)
//	    yield t.value
//	    m = yield from walk(t.right)
//	    return n + 1 + m
func walk(t *tree) *coro.Gen[string, struct{}, int] {
	return coro.New(func(y *coro.Yielder[string, struct{}]) (int, error) {
		if t == nil {
			return 0, nil
		}
		n, err := coro.YieldFrom(y, walk(t.left))
		if err != nil {
			return n, err
		}
		if _, err := y.Yield(t.value); err != nil {
			return n, err
		}
		m, err := coro.YieldFrom(y, walk(t.right))
		return n + 1 + m, err
	})
}

// Flattening a tree with yield from. Ranging runs the whole recursion on
// the caller's stack: no coroutine is created.
func ExampleYieldFrom() {
	t := &tree{"d",
		&tree{"b", &tree{"a", nil, nil}, &tree{"c", nil, nil}},
		&tree{"f", &tree{"e", nil, nil}, nil}}
	g := walk(t)
	var values []string
	for v := range g.All() {
		values = append(values, v)
	}
	n, err := g.Result()
	fmt.Println(strings.Join(values, " "))
	fmt.Println("nodes:", n, err)
	// Output:
	// a b c d e f
	// nodes: 6 <nil>
}

// Close with cleanup: the body's pending yield reports ErrGeneratorExit
// and its deferred cleanup runs, like Python's try/finally around yield.
//
//	def lines():
//	    f = open("data")
//	    try:
//	        for line in f: yield line
//	    finally:
//	        f.close()
func ExampleGen_Close() {
	g := coro.New(func(y *coro.Yielder[string, struct{}]) (struct{}, error) {
		fmt.Println("open")
		defer fmt.Println("close the file")
		for _, line := range []string{"one", "two", "three"} {
			if _, err := y.Yield(line); err != nil {
				fmt.Println("body saw:", err)
				return struct{}{}, err
			}
		}
		return struct{}{}, nil
	})
	first, _ := g.Next()
	fmt.Println(first)
	fmt.Println("Close:", g.Close())
	_, err := g.Next()
	fmt.Println("Next after close:", err)
	// Output:
	// open
	// one
	// body saw: coro: generator exit
	// close the file
	// Close: <nil>
	// Next after close: coro: stop iteration
}

// A plain generator ranged over, with its return value read afterwards.
//
//	def fib(n):
//	    a, b = 0, 1
//	    for _ in range(n):
//	        yield a
//	        a, b = b, a + b
//	    return "done"
func ExampleGen_All() {
	fib := coro.New(func(y *coro.Yielder[int, struct{}]) (string, error) {
		a, b := 0, 1
		for range 10 {
			if _, err := y.Yield(a); err != nil {
				return "", err
			}
			a, b = b, a+b
		}
		return "done", nil
	})
	var values []int
	for v := range fib.All() {
		values = append(values, v)
	}
	fmt.Println(values)
	fmt.Println(fib.Result())
	// Output:
	// [0 1 1 2 3 5 8 13 21 34]
	// done <nil>
}

// A generator's state, as inspect.getgeneratorstate reports it:
//
//	def ticker():
//	    print("inside:", inspect.getgeneratorstate(g))
//	    yield 1
//	    yield 2
//
//	g = ticker()
//	print(inspect.getgeneratorstate(g))   # GEN_CREATED
//	next(g)                               # inside: GEN_RUNNING
//	print(inspect.getgeneratorstate(g))   # GEN_SUSPENDED
//	g.close()
//	print(inspect.getgeneratorstate(g))   # GEN_CLOSED
func ExampleGen_State() {
	var g *coro.Gen[int, struct{}, struct{}]
	g = coro.New(func(y *coro.Yielder[int, struct{}]) (struct{}, error) {
		fmt.Println("inside:", g.State())
		for _, v := range []int{1, 2} {
			if _, err := y.Yield(v); err != nil {
				return struct{}{}, err
			}
		}
		return struct{}{}, nil
	})
	fmt.Println(g.State())
	g.Next()
	fmt.Println(g.State())
	g.Close()
	fmt.Println(g.State())
	// Output:
	// GEN_CREATED
	// inside: GEN_RUNNING
	// GEN_SUSPENDED
	// GEN_CLOSED
}

// PEP 479: a StopIteration escaping a generator's body is an error, not
// its end. firsts yields the first value of each generator; an empty one
// makes next raise StopIteration inside firsts, which before Python 3.7
// silently ended firsts too.
//
//	def firsts(gens):
//	    for g in gens:
//	        yield next(g)
//
//	try:
//	    for v in firsts([counter(2), counter(0), counter(3)]):
//	        print(v)                      # 0
//	except RuntimeError as e:             # generator raised StopIteration
//	    print("RuntimeError:", e, "| cause:", repr(e.__cause__))
//
// The fix, in both languages, is to handle the sub-generator's end:
//
//	def firsts(gens):
//	    for g in gens:
//	        try:
//	            v = next(g)
//	        except StopIteration:
//	            return
//	        yield v
//
// which in Go is: if errors.Is(err, coro.ErrStopIteration) { return
// struct{}{}, nil }.
func ExampleErrGeneratorRaisedStop() {
	counter := func(n int) *coro.Gen[int, struct{}, struct{}] {
		return coro.New(func(y *coro.Yielder[int, struct{}]) (struct{}, error) {
			for i := range n {
				if _, err := y.Yield(i); err != nil {
					return struct{}{}, err
				}
			}
			return struct{}{}, nil
		})
	}
	firsts := coro.New(func(y *coro.Yielder[int, struct{}]) (struct{}, error) {
		for _, g := range []*coro.Gen[int, struct{}, struct{}]{counter(2), counter(0), counter(3)} {
			v, err := g.Next()
			g.Close() // only its first value is wanted
			if err != nil {
				return struct{}{}, err // the empty counter's ErrStopIteration escapes
			}
			if _, err := y.Yield(v); err != nil {
				return struct{}{}, err
			}
		}
		return struct{}{}, nil
	})
	for v := range firsts.All() {
		fmt.Println(v)
	}
	_, err := firsts.Result()
	fmt.Println("error:", err)
	fmt.Println("is ErrGeneratorRaisedStop:", errors.Is(err, coro.ErrGeneratorRaisedStop))
	fmt.Println("is ErrStopIteration:", errors.Is(err, coro.ErrStopIteration))
	var rs *coro.RaisedStopError
	if errors.As(err, &rs) {
		fmt.Println("cause:", rs.Cause)
	}
	// Output:
	// 0
	// error: coro: generator raised StopIteration: coro: stop iteration
	// is ErrGeneratorRaisedStop: true
	// is ErrStopIteration: false
	// cause: coro: stop iteration
}

// A panic in a generator's body comes back from the step as a
// *coro.PanicError (an alias of panics.Error, so errors.As with
// gevent.PanicError or greenlet.PanicError finds it too), with the panic's
// value and stack; a panic(err) also matches err.
func ExamplePanicError() {
	gen := coro.New(func(y *coro.Yielder[int, int]) (int, error) {
		y.Yield(1)
		panic(errors.New("bad input"))
	})
	v, err := gen.Next()
	fmt.Println(v, err)
	_, err = gen.Next()
	var pe *coro.PanicError
	fmt.Println(errors.As(err, &pe), pe.Value, len(pe.Stack()) > 0)
	// Output:
	// 1 <nil>
	// true bad input true
}
