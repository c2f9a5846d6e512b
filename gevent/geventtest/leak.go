package geventtest

import "go.uber.org/goleak"

// The goroutines ants keeps for a pool of its: the housekeeping of its
// default pool, which ants starts when it is imported (so in every program
// that imports gevent), and the housekeeping and idle workers of the pool
// under a gevent.Pool until the Pool is joined after Close.
var antsHousekeeping = []string{
	"github.com/panjf2000/ants/v2.(*poolCommon).purgeStaleWorkers",
	"github.com/panjf2000/ants/v2.(*poolCommon).ticktock",
	"github.com/panjf2000/ants/v2.(*goWorker).run.func1",         // an idle worker of a plain ants pool
	"github.com/panjf2000/ants/v2.(*goWorkerWithFunc).run.func1", // an idle worker under a gevent.Pool
}

// LeakOptions returns the goleak options a package that imports gevent
// needs for goleak to report only its own leaks: importing gevent imports
// ants, whose default pool starts two housekeeping goroutines that live as
// long as the program (ants is gevent's worker pool, and ants gives no way
// to import it without them). The options ignore those goroutines, and the
// housekeeping and idle worker goroutines of the ants pool under a
// gevent.Pool that has not been closed and joined yet (a worker running a
// task is not idle: its task's code is on its stack, and a task left
// running is reported); nothing else.
//
// Use them as goleak.VerifyNone(t, geventtest.LeakOptions()...), or call
// VerifyNone or VerifyTestMain.
func LeakOptions() []goleak.Option {
	opts := make([]goleak.Option, len(antsHousekeeping))
	for i, f := range antsHousekeeping {
		opts[i] = goleak.IgnoreTopFunction(f)
	}
	return opts
}

// VerifyNone is goleak.VerifyNone with LeakOptions and opts: it fails t if
// a goroutine other than ants' housekeeping is still running (after
// goleak's retries).
func VerifyNone(t goleak.TestingT, opts ...goleak.Option) {
	goleak.VerifyNone(t, append(LeakOptions(), opts...)...)
}

// VerifyTestMain is goleak.VerifyTestMain with LeakOptions and opts: call
// it from TestMain to run the package's tests and fail the run if they
// leave goroutines behind.
func VerifyTestMain(m goleak.TestingM, opts ...goleak.Option) {
	goleak.VerifyTestMain(m, append(LeakOptions(), opts...)...)
}
