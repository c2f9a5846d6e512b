package gevent_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/geventgo/geventgo/gevent"
)

// A port of errgroup's parallel example, with errgroup.WithContext:
//
//	Google := func(ctx context.Context, query string) ([]Result, error) {
//		g, ctx := errgroup.WithContext(ctx)
//		searches := []Search{Web, Image, Video}
//		results := make([]Result, len(searches))
//		for i, search := range searches {
//			g.Go(func() error {
//				result, err := search(ctx, query)
//				if err == nil {
//					results[i] = result
//				}
//				return err
//			})
//		}
//		if err := g.Wait(); err != nil {
//			return nil, err
//		}
//		return results, nil
//	}
func ExampleNewGroup() {
	type Search func(ctx context.Context, query string) (string, error)
	fake := func(kind string) Search {
		return func(_ context.Context, query string) (string, error) {
			return fmt.Sprintf("%s result for %q", kind, query), nil
		}
	}
	Web, Image, Video := fake("web"), fake("image"), fake("video")

	Google := func(ctx context.Context, query string) ([]string, error) {
		g, ctx := gevent.NewGroup(ctx, gevent.CancelOnError())
		searches := []Search{Web, Image, Video}
		results := make([]string, len(searches))
		for i, search := range searches {
			g.Go(ctx, func(ctx context.Context) error {
				result, err := search(ctx, query)
				if err == nil {
					results[i] = result
				}
				return err
			})
		}
		if err := g.Wait(ctx); err != nil {
			return nil, err
		}
		return results, nil
	}

	results, err := Google(context.Background(), "golang")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, result := range results {
		fmt.Println(result)
	}
	// Output:
	// web result for "golang"
	// image result for "golang"
	// video result for "golang"
}

// With CancelOnError, the first failure cancels the others' context, with
// itself as the cause; Wait still waits for all of them.
func ExampleCancelOnError() {
	errDown := errors.New("backend down")
	grp, ctx := gevent.NewGroup(context.Background(), gevent.CancelOnError())
	for i := range 3 {
		grp.Go(ctx, func(ctx context.Context) error {
			<-ctx.Done() // a long request, cut short
			return fmt.Errorf("request %d: %w", i, context.Cause(ctx))
		})
	}
	grp.Go(ctx, func(context.Context) error { return errDown })
	err := grp.Wait(context.Background())
	fmt.Println(err, errors.Is(err, errDown), grp.Len())
	// Output: backend down true 0
}

// AllErrors joins every failure, as conc's WithErrors; a killed member has
// not failed.
func ExampleAllErrors() {
	ctx := context.Background()
	grp, _ := gevent.NewGroup(ctx, gevent.AllErrors())
	var first gevent.Event
	// A Link runs once the group has counted the failure.
	grp.Go(ctx, func(context.Context) error { return errors.New("one") }).Link(func(*gevent.Greenlet[struct{}]) { first.Set() })
	grp.Go(ctx, func(ctx context.Context) error { _ = first.Wait(ctx); return errors.New("two") })
	killed := grp.Go(ctx, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	_ = killed.Kill(ctx)
	fmt.Println(grp.Wait(ctx))
	// Output:
	// one
	// two
}

// A port of conc's ResultPool example; the results come in the order of
// the calls to Go, so there is nothing to sort:
//
//	p := pool.NewWithResults[int]()
//	for i := 0; i < 10; i++ {
//		p.Go(func() int {
//			return i * 2
//		})
//	}
//	res := p.Wait()
//	// Result order is nondeterministic, so sort them first
//	sort.Ints(res)
//	fmt.Println(res)
func ExampleResultGroup() {
	ctx := context.Background()
	var p gevent.ResultGroup[int]
	for i := 0; i < 10; i++ {
		p.Go(ctx, func(context.Context) (int, error) {
			return i * 2, nil
		})
	}
	res, _ := p.Wait(ctx)
	fmt.Println(res)
	// Output: [0 2 4 6 8 10 12 14 16 18]
}

// TryGo starts a task only if the limit leaves room, as errgroup's TryGo.
func ExampleGroup_TryGo() {
	ctx := context.Background()
	var grp gevent.Group
	grp.SetLimit(1)
	var release gevent.Event
	_, ok1 := grp.TryGo(ctx, func(ctx context.Context) error { return release.Wait(ctx) })
	_, ok2 := grp.TryGo(ctx, func(context.Context) error { return nil })
	release.Set()
	fmt.Println(ok1, ok2, grp.Wait(ctx))
	// Output: true false <nil>
}

// TrySubmit starts a task on a pool only if a slot is free.
func ExampleTrySubmit() {
	ctx := context.Background()
	p := gevent.NewPool(1)
	var release gevent.Event
	first, ok1 := gevent.TrySubmit(ctx, p, func(ctx context.Context) (int, error) { return 1, release.Wait(ctx) })
	_, ok2 := gevent.TrySubmit(ctx, p, func(context.Context) (int, error) { return 2, nil })
	release.Set()
	v, err := first.Get(ctx)
	fmt.Println(ok1, ok2, v, err)
	p.Close()
	_ = p.Join(ctx)
	// Output: true false 1 <nil>
}
