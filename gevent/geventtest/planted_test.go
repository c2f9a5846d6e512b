package geventtest_test

import (
	"context"
	"testing"

	"github.com/geventgo/geventgo/gevent"
)

// The planted bugs: three small programs, each correct under the Hub's
// FIFO schedule and wrong under some other interleaving that gevent
// allows. Each has a fixed twin that passes every schedule.

// lostUpdate: two deposits read the balance, yield (an audit log write),
// then write it back. Under FIFO the second deposit, which validates its
// request first (another yield), reads after the first has written.
func lostUpdate(fixed bool) func(ctx context.Context, t testing.TB) error {
	return func(ctx context.Context, t testing.TB) error {
		balance := 0
		deposit := func(validate bool) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				if validate {
					if err := gevent.Sleep(ctx, 0); err != nil {
						return err
					}
				}
				if fixed { // read and write in one turn
					balance += 10
					return gevent.Sleep(ctx, 0) // the audit log, after
				}
				v := balance
				if err := gevent.Sleep(ctx, 0); err != nil { // the audit log
					return err
				}
				balance = v + 10
				return nil
			}
		}
		a := gevent.Go(ctx, deposit(false), gevent.WithName("deposit-a"))
		b := gevent.Go(ctx, deposit(true), gevent.WithName("deposit-b"))
		if _, err := gevent.JoinAll(ctx, []*gevent.Greenlet[struct{}]{a, b}, gevent.RaiseError()); err != nil {
			return err
		}
		if balance != 20 {
			t.Errorf("balance = %d, want 20: a deposit was lost", balance)
		}
		return nil
	}
}

// abba: two transfers take two locks in opposite orders, with a yield
// (a log write) in between; the second prepares first (a yield), so under
// FIFO the first has both locks and has released them before the second
// takes any.
func abba(fixed bool) func(ctx context.Context, t testing.TB) error {
	return func(ctx context.Context, t testing.TB) error {
		var a, b gevent.Lock
		transfer := func(first, second *gevent.Lock, prepare bool) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				if prepare {
					if err := gevent.Sleep(ctx, 0); err != nil {
						return err
					}
				}
				if err := first.Acquire(ctx); err != nil {
					return err
				}
				defer first.Release()
				if err := gevent.Sleep(ctx, 0); err != nil { // log the debit
					return err
				}
				if err := second.Acquire(ctx); err != nil {
					return err
				}
				second.Release()
				return nil
			}
		}
		second := transfer(&b, &a, true)
		if fixed { // one global lock order
			second = transfer(&a, &b, true)
		}
		x := gevent.Go(ctx, transfer(&a, &b, false), gevent.WithName("a-to-b"))
		y := gevent.Go(ctx, second, gevent.WithName("b-to-a"))
		_, err := gevent.JoinAll(ctx, []*gevent.Greenlet[struct{}]{x, y}, gevent.RaiseError())
		return err
	}
}

// missedWake: a consumer waits for the "inbox not empty" Event, takes the
// inbox, handles it (a yield per message) and only then clears the Event:
// a message posted while it handles the batch set an Event that was still
// set, and the Clear loses its wake. Under FIFO both producers post before
// the consumer takes the inbox.
func missedWake(fixed bool) func(ctx context.Context, t testing.TB) error {
	return func(ctx context.Context, t testing.TB) error {
		var ready gevent.Event
		var inbox []int
		got := 0
		consumer := gevent.Go(ctx, func(ctx context.Context) error {
			for got < 2 {
				if err := ready.Wait(ctx); err != nil {
					return err
				}
				if fixed { // clear before looking: a later post sets it again
					ready.Clear()
				}
				batch := inbox
				inbox = nil
				for range batch {
					if err := gevent.Sleep(ctx, 0); err != nil { // handle it
						return err
					}
					got++
				}
				if !fixed {
					ready.Clear()
				}
			}
			return nil
		}, gevent.WithName("consumer"))
		gs := []*gevent.Greenlet[struct{}]{consumer}
		for i := range 2 {
			gs = append(gs, gevent.Go(ctx, func(context.Context) error {
				inbox = append(inbox, i)
				ready.Set()
				return nil
			}, gevent.WithName("producer")))
		}
		if _, err := gevent.JoinAll(ctx, gs, gevent.RaiseError()); err != nil {
			return err
		}
		if got != 2 {
			t.Errorf("handled %d messages, want 2", got)
		}
		return nil
	}
}
