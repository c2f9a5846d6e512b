package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const goOutput = `goos: linux
goarch: amd64
pkg: github.com/geventgo/geventgo/bench
BenchmarkQueuePutGet/geventgo-2         	 1000000	        70.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkQueuePutGet/geventgo-2         	 1000000	        60.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkQueuePutGet/geventgo-2         	 1000000	        80.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkQueuePutGet/chan-2             	 1000000	        50.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkScaleSpawnJoinAll/n=1000/geventgo-2 	     100	       300000 ns/op	 100.0 B/task	 300.0 ns/task	 100000 B/op	       2000 allocs/op
BenchmarkScaleSpawnJoinAll/n=10000/geventgo-2	     100	       310.0 ns/op	     100 B/op	       2 allocs/op
BenchmarkCrawl/geventgo-2               	      10	  1000 ns/op	  5000 req/s
PASS
ok  	github.com/geventgo/geventgo/bench	1.0s
`

func TestParseBenchTakesMedians(t *testing.T) {
	res := parseBench([]byte(goOutput))
	s := res["QueuePutGet/geventgo"]
	require.NotNil(t, s)
	m, ok := median(s.ns)
	require.True(t, ok)
	assert.Equal(t, 70.0, m)
	assert.Contains(t, res, "QueuePutGet/chan")
	assert.Contains(t, res, "Crawl/geventgo", "custom metrics do not hide ns/op")
	_, ok = median(nil)
	assert.False(t, ok)
	m, _ = median([]float64{4, 1, 3, 2})
	assert.Equal(t, 2.5, m)
}

func TestTableRowsAndRatios(t *testing.T) {
	res := parseBench([]byte(goOutput))
	py := pythonResult{Ops: map[string]float64{"QueuePutGet": 280}, Scale: map[string]map[string]float64{"SpawnJoinAll": {"1000": 19000}}}
	tab := buildTable(res, py)
	require.Len(t, tab.rows, 1, "operations with no figure at all are left out")
	r := tab.rows[0]
	assert.Equal(t, "queue put+get, cap 100", r.op.name)
	assert.Equal(t, []string{"queue put+get, cap 100", "280.0", "50.0", "70.0", "1.40x", "4.0x faster", "0 B, 0", "<= 1.5x chan"}, r.cells())

	var text, md bytes.Buffer
	tab.writeText(&text)
	tab.writeMarkdown(&md)
	assert.Contains(t, text.String(), "geventgo vs CPython")
	assert.Contains(t, md.String(), "| queue put+get, cap 100 | 280.0 | 50.0 | 70.0 | 1.40x |")

	sc := buildScale(res, py)
	require.Len(t, sc.rows, 2)
	assert.Equal(t, []string{"SpawnJoinAll", "1000", "19000", "300.0", "100"}, sc.cells(sc.rows[0]))
	assert.Equal(t, 10000, sc.rows[1].n)
}

func TestPlotWritesSVG(t *testing.T) {
	tab := buildTable(parseBench([]byte(goOutput)), pythonResult{Ops: map[string]float64{"QueuePutGet": 280}})
	path := filepath.Join(t.TempDir(), "out.svg")
	require.NoError(t, tab.plot(path))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(b), "<svg")
}

func TestSpeedupSaysSlower(t *testing.T) {
	assert.Equal(t, "4.0x faster", speedup(70, 280))
	assert.Equal(t, "2.0x slower", speedup(60, 30))
	assert.Equal(t, "-", speedup(0, 30))
}
