package greenlet_test

import (
	"errors"
	"iter"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geventgo/geventgo/greenlet"
)

// genlets ports the genlet helper of greenlet's test_generator.py and
// test_generator_nested.py: a generator is a greenlet whose parent is reset
// to the consumer before each step; Yield switches from anywhere inside it
// (nested calls included) to the parent of the nearest enclosing genlet.
type genlets struct {
	t  *testing.T
	is map[*G]bool
}

var errYieldOutside = errors.New("yield outside a genlet")

func newGenlets(t *testing.T) *genlets { return &genlets{t: t, is: map[*G]bool{}} }

// gen returns the sequence of values fn yields, fn running in a new genlet.
func (gs *genlets) gen(cur *G, fn func(self *G) error) iter.Seq[any] {
	return func(yield func(any) bool) {
		g := greenlet.New(cur, func(self *G, _ any) (any, error) { return nil, fn(self) })
		gs.is[g] = true
		for {
			caller := cur.Tree().Current()
			require.NoError(gs.t, g.SetParent(caller))
			v, err := caller.Switch(g, nil)
			require.NoError(gs.t, err)
			if !g.Active() {
				return // run returned: StopIteration
			}
			if !yield(v) {
				return // left suspended: the tree's Close kills it
			}
		}
	}
}

// yield is greenlet's Yield(value): cur is the running greenlet.
func (gs *genlets) yield(cur *G, v any) error {
	g := cur
	for !gs.is[g] {
		if g = g.Parent(); g == nil {
			return errYieldOutside
		}
	}
	_, err := cur.Switch(g.Parent(), v)
	return err
}

// test_generator, test_genlet_simple (g2 and g3)
func TestGeneratorYieldsEachValueOnce(t *testing.T) {
	run(t, func(main *G) error {
		gs := newGenlets(t)
		direct := func(n int, seen *[]int) func(self *G) error {
			return func(self *G) error {
				for i := range n {
					*seen = append(*seen, i+1)
					if err := gs.yield(self, i); err != nil {
						return err
					}
				}
				return nil
			}
		}
		nested := func(self *G, i int) error { return gs.yield(self, i) } // Yield from a helper call
		indirect := func(n int, seen *[]int) func(self *G) error {
			return func(self *G) error {
				for i := range n {
					*seen = append(*seen, i+1)
					if err := nested(self, i); err != nil {
						return err
					}
				}
				return nil
			}
		}
		for _, body := range []func(int, *[]int) func(*G) error{direct, indirect} {
			var seen []int
			for range 3 {
				for j := range gs.gen(main, body(5, &seen)) {
					seen = append(seen, j.(int))
				}
			}
			assert.Equal(t, slices.Repeat([]int{1, 0, 2, 1, 3, 2, 4, 3, 5, 4}, 3), seen)
		}
		return nil
	})
}

// test_nested_genlets
func TestNestedGeneratorsYieldThroughEachOther(t *testing.T) {
	run(t, func(main *G) error {
		gs := newGenlets(t)
		var ax func(n int) func(self *G) error
		ax = func(n int) func(self *G) error {
			return func(self *G) error {
				if n == 0 {
					return nil
				}
				for ii := range gs.gen(self, ax(n-1)) {
					if err := gs.yield(self, ii); err != nil {
						return err
					}
				}
				return gs.yield(self, n)
			}
		}
		var seen []any
		for ii := range gs.gen(main, ax(5)) {
			seen = append(seen, ii)
		}
		assert.Equal(t, []any{1, 2, 3, 4, 5}, seen)
		return nil
	})
}

// test_permutations
func TestPermutationsGenerator(t *testing.T) {
	run(t, func(main *G) error {
		gs := newGenlets(t)
		var perms func(l []int) func(self *G) error
		perms = func(l []int) func(self *G) error {
			return func(self *G) error {
				if len(l) <= 1 {
					return gs.yield(self, l)
				}
				for _, e := range l {
					rest := slices.DeleteFunc(slices.Clone(l), func(x int) bool { return x == e })
					for p := range gs.gen(self, perms(rest)) {
						if err := gs.yield(self, append([]int{e}, p.([]int)...)); err != nil {
							return err
						}
					}
				}
				return nil
			}
		}
		var all [][]int
		for p := range gs.gen(main, perms([]int{0, 1, 2, 3})) {
			all = append(all, p.([]int))
		}
		assert.Len(t, all, 24)
		assert.Contains(t, all, []int{0, 1, 2, 3})
		assert.Contains(t, all, []int{3, 2, 1, 0})

		// Stop early: the suspended generators are killed when the tree closes.
		var first [][]int
		for p := range gs.gen(main, perms([]int{0, 1, 2})) {
			first = append(first, p.([]int))
			if len(first) == 2 {
				break
			}
		}
		assert.Equal(t, [][]int{{0, 1, 2}, {0, 2, 1}}, first)
		return nil
	})
}

// test_genlet_bad
func TestYieldOutsideGeneratorIsError(t *testing.T) {
	run(t, func(main *G) error {
		assert.ErrorIs(t, newGenlets(t).yield(main, 10), errYieldOutside)
		return nil
	})
}
