package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFilesConfig(t *testing.T) {
	c := loadConfig(env(map[string]string{"CHATCENTER_DATA_DIR": "/var/lib/cc"}))
	require.EqualValues(t, 25<<20, c.MaxUpload)
	require.Equal(t, filepath.Join("/var/lib/cc", "files"), c.filesDir(true))
	require.Equal(t, "files", c.filesDir(false))

	c = loadConfig(env(map[string]string{"CHATCENTER_FILES_DIR": "/srv/uploads", "CHATCENTER_MAX_UPLOAD_MB": "100"}))
	require.EqualValues(t, 100<<20, c.MaxUpload)
	require.Equal(t, "/srv/uploads", c.filesDir(true))
	require.Equal(t, "/srv/uploads", c.filesDir(false))

	for _, bad := range []string{"0", "-5", "lots"} {
		c = loadConfig(env(map[string]string{"CHATCENTER_MAX_UPLOAD_MB": bad}))
		require.EqualValues(t, 25<<20, c.MaxUpload, bad)
	}
}
