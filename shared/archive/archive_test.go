package archive_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/archive"
	"github.com/lambdascan/lambdascan/shared/archive/archivetest"
)

func open(t *testing.T, data []byte, lim archive.Limits) (*archive.FS, error) {
	t.Helper()
	return archive.Open(bytes.NewReader(data), int64(len(data)), lim)
}

func TestOpenRejectsWholeArchive(t *testing.T) {
	good := archivetest.Zip(archivetest.Entry{Name: "index.js", Body: []byte("exports.handler=1")})
	many := make([]archivetest.Entry, 20)
	for i := range many {
		many[i] = archivetest.Entry{Name: strings.Repeat("a", i+1)}
	}
	lim := archive.DefaultLimits()
	tests := []struct {
		name string
		data []byte
		lim  func(*archive.Limits)
		want error
	}{
		{"empty file", nil, nil, archive.ErrNotZip},
		{"not a zip", []byte(strings.Repeat("#!/bin/sh\necho hi\n", 10)), nil, archive.ErrNotZip},
		{"truncated", good[:len(good)-10], nil, archive.ErrCorrupt},
		{"cut in half", good[:len(good)/2], nil, archive.ErrCorrupt},
		{"too many entries", archivetest.Zip(many...), func(l *archive.Limits) { l.MaxEntries = 10 }, archive.ErrTooManyEntries},
		{"declared size too big", archivetest.Zip(archivetest.Entry{Name: "big", Body: make([]byte, 4096)}), func(l *archive.Limits) { l.DeclaredMaxBytes = 1024 }, archive.ErrZipBomb},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := lim
			if tc.lim != nil {
				tc.lim(&l)
			}
			_, err := open(t, tc.data, l)
			require.Error(t, err)
			assert.True(t, errors.Is(err, tc.want), "got %v, want %v", err, tc.want)
		})
	}
}

func TestEntriesRefusedAreRecorded(t *testing.T) {
	data := archivetest.Zip(
		archivetest.Entry{Name: "../../etc/passwd", Body: []byte("root")},
		archivetest.Entry{Name: "/abs/path.js", Body: []byte("x")},
		archivetest.Entry{Name: "ok/../../escape.js", Body: []byte("x")},
		archivetest.Entry{Name: `C:\windows\evil.dll`, Body: []byte("x")},
		archivetest.Entry{Name: "link", Body: []byte("/etc/shadow"), Mode: fs.ModeSymlink | 0o777},
		archivetest.Entry{Name: "index.js", Body: []byte("ok")},
		archivetest.Entry{Name: "empty.txt"},
	)
	z, err := open(t, data, archive.DefaultLimits())
	require.NoError(t, err)
	assert.Equal(t, []string{"empty.txt", "index.js"}, z.Files())

	codes := map[error]int{}
	for _, p := range z.Problems() {
		for _, e := range []error{archive.ErrUnsafePath, archive.ErrSymlinkEntry} {
			if errors.Is(p.Err, e) {
				codes[e]++
			}
		}
	}
	assert.Equal(t, 4, codes[archive.ErrUnsafePath])
	assert.Equal(t, 1, codes[archive.ErrSymlinkEntry])

	b, err := fs.ReadFile(z, "empty.txt")
	require.NoError(t, err)
	assert.Empty(t, b)
}

func TestZipBombLimits(t *testing.T) {
	zeros := make([]byte, 4<<20) // compresses about 1000:1
	bomb := archivetest.Zip(archivetest.Entry{Name: "zeros.bin", Body: zeros})
	text := archivetest.Zip(archivetest.Entry{Name: "a.txt", Body: bytes.Repeat([]byte("abcdefgh12345678"), 1<<16)}, archivetest.Entry{Name: "b.txt", Body: bytes.Repeat([]byte("zyxwvuts87654321"), 1<<16)})
	tests := []struct {
		name string
		data []byte
		file string
		lim  func(*archive.Limits)
		want error
	}{
		{"ratio", bomb, "zeros.bin", nil, archive.ErrZipBomb},
		{"entry too large", bomb, "zeros.bin", func(l *archive.Limits) { l.MaxEntryBytes = 1 << 20 }, archive.ErrEntryTooLarge},
		{"total budget", text, "b.txt", func(l *archive.Limits) { l.MaxRatio = 0; l.MaxTotalBytes = 1 << 20 }, archive.ErrZipBomb},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := archive.DefaultLimits()
			if tc.lim != nil {
				tc.lim(&l)
			}
			z, err := open(t, tc.data, l)
			require.NoError(t, err)
			if tc.name == "total budget" {
				_, err := fs.ReadFile(z, "a.txt")
				require.NoError(t, err)
			}
			_, err = fs.ReadFile(z, tc.file)
			require.Error(t, err)
			assert.True(t, errors.Is(err, tc.want), "got %v", err)
			require.NotEmpty(t, z.Problems(), "a refused entry must be recorded")
		})
	}
}

// Entries whose headers lie (size, checksum) are refused with a named error.
func TestLyingHeaders(t *testing.T) {
	raw := func(h zip.FileHeader, body string) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, err := zw.CreateRaw(&h)
		require.NoError(t, err)
		_, err = w.Write([]byte(body))
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		return buf.Bytes()
	}
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"larger than declared", raw(zip.FileHeader{Name: "x.json", Method: zip.Store, CompressedSize64: 4, UncompressedSize64: 2}, "{}{}"), archive.ErrCorrupt},
		{"bad checksum", raw(zip.FileHeader{Name: "x.json", Method: zip.Store, CompressedSize64: 4, UncompressedSize64: 4, CRC32: 12345}, "{}{}"), archive.ErrCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			z, err := open(t, tc.data, archive.DefaultLimits())
			require.NoError(t, err)
			_, err = fs.ReadFile(z, "x.json")
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

func TestFSContract(t *testing.T) {
	data := archivetest.Zip(
		archivetest.Entry{Name: "nodejs/", Mode: fs.ModeDir | 0o755},
		archivetest.Entry{Name: "nodejs/node_modules/a/package.json", Body: []byte(`{"name":"a","version":"1.0.0"}`)},
		archivetest.Entry{Name: "bootstrap", Body: []byte("\x7fELF"), Mode: 0o755},
	)
	z, err := open(t, data, archive.DefaultLimits())
	require.NoError(t, err)
	require.NoError(t, fstest.TestFS(z, "nodejs/node_modules/a/package.json", "bootstrap"))

	f, err := z.Open("bootstrap")
	require.NoError(t, err)
	defer f.Close()
	_, ok := f.(io.ReaderAt)
	assert.True(t, ok, "osv-scalibr needs io.ReaderAt for binaries and jars")
	st, err := f.Stat()
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o755), st.Mode().Perm())
}

func TestDuplicateEntriesAreReported(t *testing.T) {
	data := archivetest.Zip(
		archivetest.Entry{Name: "package-lock.json", Body: []byte("{}")},
		archivetest.Entry{Name: "./package-lock.json", Body: []byte(`{"lockfileVersion":3}`)},
		archivetest.Entry{Name: "a", Body: []byte("file")},
		archivetest.Entry{Name: "a/b", Body: []byte("below")},
	)
	z, err := open(t, data, archive.DefaultLimits())
	require.NoError(t, err)
	assert.Equal(t, []string{"a/b", "package-lock.json"}, z.Files())
	var dups int
	for _, p := range z.Problems() {
		if errors.Is(p.Err, archive.ErrDuplicateEntry) {
			dups++
		}
	}
	assert.Equal(t, 2, dups)
	require.NoError(t, fstest.TestFS(z, "a/b", "package-lock.json"))
	body, err := fs.ReadFile(z, "package-lock.json")
	require.NoError(t, err)
	assert.Equal(t, `{"lockfileVersion":3}`, string(body), "the last entry is the one unzip leaves on disk")
}

// Sizes past int64 in the central directory must not overflow the checks.
func TestHugeDeclaredSizes(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, size := range []uint64{math.MaxUint64, 1} {
		w, err := zw.CreateRaw(&zip.FileHeader{Name: fmt.Sprintf("f%d", size%7), Method: zip.Store, CompressedSize64: 1, UncompressedSize64: size})
		require.NoError(t, err)
		_, err = w.Write([]byte("x"))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	z, err := open(t, buf.Bytes(), archive.DefaultLimits())
	if err != nil {
		assert.ErrorIs(t, err, archive.ErrZipBomb)
		return
	}
	for _, f := range z.Files() {
		_, _ = fs.ReadFile(z, f) // must not panic
	}
	assert.NotEmpty(t, z.Problems())
}

func TestPrefetchGivesTheSameBytes(t *testing.T) {
	var entries []archivetest.Entry
	var names []string
	for i := 0; i < 40; i++ {
		name := fmt.Sprintf("d%d/f%02d.txt", i%3, i)
		entries = append(entries, archivetest.Entry{Name: name, Body: bytes.Repeat([]byte{byte('a' + i%26)}, 1000+i*997)})
		names = append(names, name)
	}
	body := make([]byte, 2<<20) // incompressible, so no ratio limit applies
	rand.NewChaCha8([32]byte{1}).Read(body)
	big := archivetest.Entry{Name: "bin/big", Body: body, Mode: 0o755}
	entries = append(entries, big)
	names = append(names, big.Name)
	data := archivetest.Zip(entries...)
	lim := archive.DefaultLimits()
	lim.SpillBytes = 1 << 20 // "bin/big" (2 MiB) goes through a temp file
	for _, tc := range []struct {
		name    string
		workers int
		ahead   int64
	}{{"no prefetch", 0, 0}, {"two workers, tight budget", 2, 8 << 10}, {"four workers", 4, 64 << 20}} {
		t.Run(tc.name, func(t *testing.T) {
			z, err := open(t, data, lim)
			require.NoError(t, err)
			stop := z.Prefetch(names[:30], tc.workers, tc.ahead) // some prefetched, some not
			defer stop()
			for _, e := range entries {
				got, err := fs.ReadFile(z, e.Name)
				require.NoError(t, err)
				assert.Equal(t, e.Body, got, e.Name)
			}
			f, err := z.Open(big.Name)
			require.NoError(t, err)
			ra, ok := f.(io.ReaderAt)
			require.True(t, ok)
			buf := make([]byte, 16)
			_, err = ra.ReadAt(buf, 16*1000)
			require.NoError(t, err)
			assert.Equal(t, body[16000:16016], buf)
			require.NoError(t, f.Close())
		})
	}
}

// Stopping while entries wait unopened must not hang or leak goroutines.
func TestPrefetchStopWithUnopenedEntries(t *testing.T) {
	var entries []archivetest.Entry
	var names []string
	for i := 0; i < 20; i++ {
		n := fmt.Sprintf("f%02d", i)
		entries = append(entries, archivetest.Entry{Name: n, Body: bytes.Repeat([]byte("x"), 4096)})
		names = append(names, n)
	}
	z, err := open(t, archivetest.Zip(entries...), archive.DefaultLimits())
	require.NoError(t, err)
	stop := z.Prefetch(names, 2, 8192)
	_, err = fs.ReadFile(z, "f05")
	require.NoError(t, err)
	stop()
}
