package gevent_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/geventgo/geventgo/gevent"
)

// fetchItem stands for an I/O call that takes a while and may fail.
func fetchItem(ctx context.Context, id int) (string, error) {
	if err := gevent.Sleep(ctx, time.Duration(id)*time.Millisecond); err != nil {
		return "", err // cancelled: another item failed
	}
	if id == 7 {
		return "", errors.New("item 7: not found")
	}
	return fmt.Sprintf("page %d", id), nil
}

// The README's program for Go developers: a bounded fan-out (at most 4
// calls at once) with a result per item in input order, where the first
// failure cancels the calls still running. errgroup.WithContext plus
// SetLimit plus a results slice, or conc's ResultContextPool with
// WithCancelOnError, in one call.
func Example_boundedFanOut() {
	ctx := context.Background()
	pool := gevent.NewPool(4) // at most 4 calls at once
	defer pool.Join(ctx)
	defer pool.Close()

	pages, err := gevent.Map(ctx, pool, []int{1, 2, 3, 4, 5, 6}, fetchItem)
	fmt.Println(pages, err)

	_, err = gevent.Map(ctx, pool, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, fetchItem)
	fmt.Println(err)

	// The same with a group: any number of Go calls, results in call order.
	grp, gctx := gevent.NewResultGroup[string](ctx, gevent.Limit(4), gevent.CancelOnError())
	for _, id := range []int{3, 1, 2} {
		grp.Go(gctx, func(ctx context.Context) (string, error) { return fetchItem(ctx, id) })
	}
	fmt.Println(grp.Wait(ctx))
	// Output:
	// [page 1 page 2 page 3 page 4 page 5 page 6] <nil>
	// item 7: not found
	// [page 3 page 1 page 2] <nil>
}
