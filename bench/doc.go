// Package bench only measures: its benchmarks put every geventgo mechanism
// side by side with its hand-written Go alternative (iter.Pull, channels,
// go + sync.WaitGroup, errgroup, raw ants), and its scripts run the same
// operations in CPython. Run them with
//
//	go test -run '^$' -bench . ./bench/
//
// It has no API; nothing imports it.
package bench
