package main

import (
	"os"
)

// Example shows how compare turns `go test -bench` output and pybench.py's
// figures into one row per operation: the medians of the Go runs, the ratio
// to the plain-Go alternative, and the speed against CPython. This is the
// table README.md shows, from a tiny made-up input.
func Example() {
	goOut := []byte(`BenchmarkQueuePutGet/geventgo-2  1000000  34.0 ns/op  0 B/op  0 allocs/op
BenchmarkQueuePutGet/geventgo-2  1000000  36.0 ns/op  0 B/op  0 allocs/op
BenchmarkQueuePutGet/geventgo-2  1000000  35.0 ns/op  0 B/op  0 allocs/op
BenchmarkQueuePutGet/chan-2      1000000  35.0 ns/op  0 B/op  0 allocs/op
`)
	py := pythonResult{Ops: map[string]float64{"QueuePutGet": 150}}
	buildTable(parseBench(goOut), py).writeMarkdown(os.Stdout)
	// Output:
	// | operation | CPython ns/op | plain Go ns/op | geventgo ns/op | geventgo vs Go | geventgo vs CPython | geventgo B/op, allocs/op | goal |
	// |---|---|---|---|---|---|---|---|
	// | queue put+get, cap 100 | 150.0 | 35.0 | 35.0 | 1.00x | 4.3x faster | 0 B, 0 | <= 1.5x chan |
}
