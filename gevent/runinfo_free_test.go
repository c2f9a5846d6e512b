package gevent

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// SetRunInfo lists free-mode green threads with their spawner, spawn site
// and what they are blocked in; finished ones leave the list, and nothing
// is listed while it is off.
func TestFreeModeRunInfo(t *testing.T) {
	ctx := context.Background()
	assert.Empty(t, RunInfo(), "off by default")
	SetRunInfo(true)
	defer SetRunInfo(false)

	var lock Lock
	lock.Acquire(ctx)
	var started Event
	parent := Go(ctx, func(ctx context.Context) error {
		child := Go(ctx, func(ctx context.Context) error {
			if err := lock.Acquire(ctx); err != nil {
				return err
			}
			lock.Release()
			return nil
		}, WithName("waiter"))
		started.Set()
		return child.Join(ctx)
	}, WithName("parent"))
	require.NoError(t, started.Wait(ctx))
	var byName map[string]ThreadInfo
	require.Eventually(t, func() bool {
		byName = map[string]ThreadInfo{}
		for _, in := range RunInfo() {
			byName[in.Name] = in
		}
		return byName["waiter"].State == ThreadBlocked && byName["parent"].State == ThreadBlocked
	}, 10*time.Second, time.Millisecond)
	w, p := byName["waiter"], byName["parent"]
	assert.Equal(t, p.ID, w.SpawnerID)
	assert.Equal(t, "parent", w.SpawnerName)
	assert.Regexp(t, `^Lock\.Acquire at runinfo_free_test\.go:\d+$`, w.BlockedOn)
	assert.Regexp(t, `^runinfo_free_test\.go:\d+$`, w.SpawnSite)
	assert.Regexp(t, `^GreenThread\.Join at runinfo_free_test\.go:\d+$`, p.BlockedOn)
	assert.GreaterOrEqual(t, w.BlockedFor, time.Duration(0))

	var out bytes.Buffer
	require.NoError(t, WriteRunInfo(&out))
	assert.Contains(t, out.String(), "Free mode: 2 green thread(s)\nparent #")
	assert.Regexp(t, `\n└── waiter #\d+ blocked for .* in Lock\.Acquire at runinfo_free_test\.go:\d+; spawned by parent #\d+ at runinfo_free_test\.go:\d+\n`, out.String())
	out.Reset()
	n, err := WriteAllRunInfo(&out)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, n, 1)
	assert.Contains(t, out.String(), "Free mode: 2 green thread(s)")

	lock.Release()
	require.NoError(t, parent.Join(ctx))
	assert.Empty(t, RunInfo(), "finished green threads leave the list")

	SetRunInfo(false)
	g := Go(ctx, func(context.Context) error { return nil })
	require.NoError(t, g.Join(ctx))
	assert.Empty(t, RunInfo())
}
