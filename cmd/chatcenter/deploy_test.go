package main

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"gopkg.in/yaml.v3"

	"github.com/chatcenterhq/chatcenter/workflows"
)

// The production files cannot run here (no Docker), so this checks what ties them to the code:
// the search attributes every place registers, the settings the containers get, the versions of
// the images, the files they mount and the volume serve and worker share.

type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Command     []string          `yaml:"command"`
		Entrypoint  []string          `yaml:"entrypoint"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

func readCompose(t *testing.T) composeFile {
	t.Helper()
	b, err := os.ReadFile("../../docker-compose.yml")
	require.NoError(t, err)
	var c composeFile
	require.NoError(t, yaml.Unmarshal(b, &c))
	return c
}

// wantAttributes is workflows.SearchAttributes() as "Name:Type" in the temporal CLI's spelling.
func wantAttributes() []string {
	var out []string
	for name, typ := range workflows.SearchAttributes() {
		spelled := map[enumspb.IndexedValueType]string{
			enumspb.INDEXED_VALUE_TYPE_KEYWORD:  "Keyword",
			enumspb.INDEXED_VALUE_TYPE_DATETIME: "Datetime",
			enumspb.INDEXED_VALUE_TYPE_INT:      "Int",
			enumspb.INDEXED_VALUE_TYPE_TEXT:     "Text",
			enumspb.INDEXED_VALUE_TYPE_BOOL:     "Bool",
		}[typ]
		out = append(out, name+":"+spelled)
	}
	sort.Strings(out)
	return out
}

func TestSearchAttributesRegisteredEverywhere(t *testing.T) {
	want := wantAttributes()

	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	var inReadme []string
	for _, m := range regexp.MustCompile(`temporal operator search-attribute create --namespace default --name (\w+) --type (\w+)`).FindAllStringSubmatch(string(readme), -1) {
		inReadme = append(inReadme, m[1]+":"+m[2])
	}
	sort.Strings(inReadme)
	require.Equal(t, want, inReadme, "README's search-attribute lines")

	script, err := os.ReadFile("../../deploy/temporal/setup-namespace.sh")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?s)for attr in (.*?); do`).FindSubmatch(script)
	require.NotNil(t, m, "setup-namespace.sh lists its attributes in one for loop")
	inScript := strings.Fields(strings.ReplaceAll(string(m[1]), "\\\n", " "))
	sort.Strings(inScript)
	require.Equal(t, want, inScript, "setup-namespace.sh")
}

func TestComposeMatchesTheCode(t *testing.T) {
	c := readCompose(t)

	// Every setting the chatcenter containers get is one the binary reads.
	read := map[string]bool{}
	loadConfig(func(k string) string { read[k] = true; return "" })
	for _, name := range []string{"migrate", "serve", "worker"} {
		svc, ok := c.Services[name]
		require.True(t, ok, name)
		require.NotEmpty(t, svc.Environment, name)
		for k := range svc.Environment {
			require.True(t, read[k], "%s gets %s, which chatcenter does not read", name, k)
		}
	}
	require.Equal(t, []string{"migrate", "up"}, c.Services["migrate"].Command)
	require.Equal(t, []string{"serve"}, c.Services["serve"].Command)
	require.Equal(t, []string{"worker"}, c.Services["worker"].Command)

	// serve stores uploads and worker sends them: one volume, at the files directory of both.
	for _, name := range []string{"serve", "worker"} {
		svc := c.Services[name]
		dir := svc.Environment["CHATCENTER_FILES_DIR"]
		require.NotEmpty(t, dir, name)
		require.Contains(t, svc.Volumes, "files:"+dir, name)
	}
	require.Contains(t, c.Volumes, "files")
	dockerfile, err := os.ReadFile("../../Dockerfile")
	require.NoError(t, err)
	require.Contains(t, string(dockerfile), "--chown=65532:65532 /out/data /data", "the image owns the files directory's parent for its user")
	require.True(t, strings.HasPrefix(c.Services["serve"].Environment["CHATCENTER_FILES_DIR"], "/data/"))

	// Temporal's images are the versions the code is built and tested against.
	versions := map[string]string{}
	info, ok := debug.ReadBuildInfo()
	require.True(t, ok)
	for _, d := range info.Deps {
		versions[d.Path] = strings.TrimPrefix(d.Version, "v")
	}
	server, ui := versions["go.temporal.io/server"], versions["github.com/temporalio/ui-server/v2"]
	require.NotEmpty(t, server)
	require.NotEmpty(t, ui)
	require.Equal(t, "temporalio/server:"+server, c.Services["temporal"].Image)
	require.Equal(t, "temporalio/admin-tools:"+server, c.Services["temporal-schema"].Image)
	require.Equal(t, "temporalio/admin-tools:"+server, c.Services["temporal-setup"].Image)
	require.Equal(t, "temporalio/ui:"+ui, c.Services["temporal-ui"].Image)

	// What the Temporal containers mount and run is in the repository.
	for name, svc := range c.Services {
		for _, v := range svc.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if !strings.HasPrefix(src, "./") {
				continue
			}
			_, err := os.Stat(filepath.Join("../..", src))
			require.NoError(t, err, "%s mounts %s", name, src)
		}
		for _, arg := range svc.Entrypoint {
			if strings.HasPrefix(arg, "/deploy/") {
				_, err := os.Stat(filepath.Join("../../deploy/temporal", strings.TrimPrefix(arg, "/deploy/")))
				require.NoError(t, err, "%s runs %s", name, arg)
			}
		}
	}
}
