package greenlet_test

import (
	"errors"
	"fmt"

	"github.com/geventgo/geventgo/greenlet"
)

// The classic greenlet ping-pong: two greenlets hand control to each other
// by hand. The Python original:
//
//	def test1():
//	    print("test1")
//	    t2.switch()
//	    print("test11")
//	    t2.switch()
//
//	def test2():
//	    print("tets2")
//	    t1.switch()
//	    print("test22")
//
//	t1 = greenlet(test1)
//	t2 = greenlet(test2)
//	t1.switch()
//
// test2 returns to its parent, the main greenlet, so t1.switch() returns and
// t1 is left suspended: Run kills it with GreenletExit on the way out.
func Example() {
	err := greenlet.Run(func(main *greenlet.Greenlet[any]) error {
		var t1, t2 *greenlet.Greenlet[any]
		t1 = greenlet.New(main, func(self *greenlet.Greenlet[any], _ any) (any, error) {
			fmt.Println("test1")
			if _, err := self.Switch(t2, nil); err != nil {
				return nil, err
			}
			fmt.Println("test11")
			return self.Switch(t2, nil)
		})
		t2 = greenlet.New(main, func(self *greenlet.Greenlet[any], _ any) (any, error) {
			fmt.Println("tets2")
			if _, err := self.Switch(t1, nil); err != nil {
				return nil, err
			}
			fmt.Println("test22")
			return nil, nil
		})
		_, err := main.Switch(t1, nil)
		return err
	})
	fmt.Println("err:", err)
	// Output:
	// test1
	// tets2
	// test11
	// test22
	// err: <nil>
}

// A generator written with greenlets, as in greenlet's documentation: the
// body switches each value to its parent, the consumer switches back for
// the next one, and the generator is exhausted when the greenlet is dead.
//
//	def squares(n):
//	    for i in range(n):
//	        greenlet.getcurrent().parent.switch(i * i)
//
//	gen = greenlet(squares)
//	v = gen.switch(4)
//	while gen:  # bool(gen): started and not dead
//	    print(v)
//	    v = gen.switch()
func Example_generator() {
	_ = greenlet.Run(func(main *greenlet.Greenlet[int]) error {
		gen := greenlet.New(main, func(self *greenlet.Greenlet[int], n int) (int, error) {
			for i := range n {
				if _, err := self.Switch(self.Parent(), i*i); err != nil {
					return 0, err
				}
			}
			return 0, nil
		})
		v, err := main.Switch(gen, 4)
		for err == nil && gen.Active() {
			fmt.Println(v)
			v, err = main.Switch(gen, 0)
		}
		return err
	})
	// Output:
	// 0
	// 1
	// 4
	// 9
}

// Each greenlet's return value goes to its parent, as the result of the
// parent's pending switch; an error travels the same way.
//
//	def leaf(x):   return x * 2
//	def middle(x): return greenlet(leaf).switch(x) + 10  # leaf's parent: middle
//	print(greenlet(middle).switch(1))                    # middle's parent: main
func Example_parentChain() {
	_ = greenlet.Run(func(main *greenlet.Greenlet[int]) error {
		leaf := func(_ *greenlet.Greenlet[int], x int) (int, error) {
			if x < 0 {
				return 0, errors.New("negative")
			}
			return x * 2, nil
		}
		middle := func(self *greenlet.Greenlet[int], x int) (int, error) {
			v, err := self.Switch(greenlet.New(self, leaf), x) // returns when leaf returns
			return v + 10, err
		}
		fmt.Println(main.Switch(greenlet.New(main, middle), 1))
		fmt.Println(main.Switch(greenlet.New(main, middle), -1))
		return nil
	})
	// Output:
	// 12 <nil>
	// 10 negative
}

// Throw raises an error at the target's pending switch; the default,
// GreenletExit, kills it quietly and runs its cleanup.
//
//	def worker():
//	    try:
//	        main.switch("waiting")
//	    finally:
//	        print("cleanup")
//
//	g = greenlet(worker)
//	print(g.switch())
//	print(g.throw(), g.dead)  # GreenletExit() True
func Example_throw() {
	_ = greenlet.Run(func(main *greenlet.Greenlet[string]) error {
		g := greenlet.New(main, func(self *greenlet.Greenlet[string], _ string) (string, error) {
			defer fmt.Println("cleanup")
			return self.Switch(main, "waiting")
		})
		fmt.Println(main.Switch(g, ""))
		v, err := main.Throw(g, nil)
		fmt.Printf("%q %v %v\n", v, err, g.Dead())
		return nil
	})
	// Output:
	// waiting <nil>
	// cleanup
	// "" <nil> true
}
