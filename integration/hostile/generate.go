// Package hostile generates the hostile-package corpus: deployment packages,
// directories and images an attacker could ship, each with one named
// expectation in testdata/hostile/EXPECTED.tsv. Nothing large is committed:
// the inputs are built here (`go run ./integration/hostile/gen -out DIR`, or
// by the test into its temp dir).
package hostile

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	kflate "github.com/klauspost/compress/flate"

	"github.com/lambdascan/lambdascan/shared/archive/archivetest"
	"github.com/lambdascan/lambdascan/shared/image"
)

// Case is one hostile input: Build writes it at path (a file or directory).
type Case struct {
	Name  string
	Build func(path string) error
}

// Cases lists every input of the corpus, in table order.
func Cases() []Case {
	return []Case{
		{"good.zip", writeZip(entry("requirements.txt", "requests==2.25.0\n"))},
		{"empty-file.zip", func(p string) error { return os.WriteFile(p, nil, 0o644) }},
		{"not-a-zip.zip", func(p string) error { return os.WriteFile(p, []byte(strings.Repeat("#!/bin/sh\n", 10)), 0o644) }},
		{"truncated-central-directory.zip", truncatedCD},
		{"zip64-locator-lie.zip", zip64LocatorLie},
		{"traversal.zip", writeZip(entry("../../../../tmp/evil/requirements.txt", "requests==2.25.0\n"), entry("requirements.txt", "flask==1.0\n"))},
		{"absolute-path.zip", writeZip(entry("/var/task/requirements.txt", "requests==2.25.0\n"), entry("requirements.txt", "flask==1.0\n"))},
		{"unc-path.zip", writeZip(entry(`\\attacker\share\requirements.txt`, "requests==2.25.0\n"), entry("requirements.txt", "flask==1.0\n"))},
		{"symlink.zip", writeZip(archivetest.Entry{Name: "requirements.txt", Body: []byte("/etc/passwd"), Mode: fs.ModeSymlink | 0o777}, entry("index.js", "exports.handler=()=>1\n"))},
		{"duplicate-decoy.zip", writeZip(entry("requirements.txt", "requests==2.32.0\n"), entry("requirements.txt", "requests==2.25.0\n"))},
		{"yarn-long-line.zip", writeZip(entry("yarn.lock", yarnLongLine()))},
		{"gemfile-long-line.zip", writeZip(entry("Gemfile.lock", "GEM\n  remote: https://rubygems.org/"+strings.Repeat("r", 70_000)+"\n  specs:\n    rack (2.2.3)\n"))},
		{"requirements-600mib.zip", bigRequirements},
		{"size-lie-3.9gib.zip", sizeLie(3_900 << 20)},
		{"zip64-size-lie-4.5gib.zip", sizeLie(4_500 << 20)},
		{"ratio-1000.zip", ratio1000},
		{"gobin-buildinfo-huge-varint.zip", writeZip(archivetest.Entry{Name: "bootstrap", Mode: 0o755,
			Body: archivetest.ELF(append([]byte("\xff Go buildinf:\x08\x02"+strings.Repeat("\x00", 16)), bytes.Repeat([]byte{0xff}, 16)...))})},
		{"gobin-buildinfo-garbage.zip", writeZip(archivetest.Entry{Name: "bootstrap", Mode: 0o755,
			Body: archivetest.ELF([]byte("\xff Go buildinf:" + strings.Repeat("garbage ", 8)))})},
		{"deps-json-malformed.zip", writeZip(entry("App.deps.json", `{"libraries": {"Newtonsoft.Json/13.0.1": {"type": "package"`))},
		{"package-lock-deep-100k.zip", writeZip(entry("package-lock.json", strings.Repeat(`{"a":`, 100_000)+"1"+strings.Repeat("}", 100_000)))},
		{"entries-250k.zip", manyEntries(250_000)},
		{"nested-jars-16x16x16.zip", nestedJars},
		{"nested-jars-42.zip", fortyTwo},
		{"nested-jars-chain-2x48mib.zip", deepJars([]string{"lib/l3.jar", "lib/l2.jar", "app.jar"})},
		{"fat-jar-48mib.zip", deepJars([]string{"lib/big.jar", "app.jar"})},
		{"dir-symlink-loop", dirWith(func(d string) error {
			if err := os.Symlink("a", filepath.Join(d, "b")); err != nil {
				return err
			}
			return os.Symlink("b", filepath.Join(d, "a"))
		})},
		{"dir-fifo", dirWith(func(d string) error { return syscall.Mkfifo(filepath.Join(d, "package-lock.json"), 0o644) })},
		{"image-diffid-mismatch.tar", diffIDMismatch},
		{"image-many-layers.tar", manyLayers(image.MaxLayers + 1)},
	}
}

// Generate writes every case into dir.
func Generate(dir string) error {
	for _, c := range Cases() {
		if err := c.Build(filepath.Join(dir, c.Name)); err != nil {
			return fmt.Errorf("%s: %w", c.Name, err)
		}
	}
	return nil
}

func entry(name, body string) archivetest.Entry {
	return archivetest.Entry{Name: name, Body: []byte(body)}
}

func writeZip(entries ...archivetest.Entry) func(string) error {
	return func(p string) error { return os.WriteFile(p, archivetest.Zip(entries...), 0o644) }
}

func dirWith(fill func(string) error) func(string) error {
	return func(p string) error {
		if err := os.MkdirAll(p, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(p, "requirements.txt"), []byte("requests==2.25.0\n"), 0o644); err != nil {
			return err
		}
		return fill(p)
	}
}

// yarnLongLine: a minimist entry whose resolved URL is 70,000 characters,
// then lodash: the line scanner upstream stops at the long line.
func yarnLongLine() string {
	return "# yarn lockfile v1\n\n\"minimist@^1.2.0\":\n  version \"1.2.0\"\n  resolved \"https://registry.yarnpkg.com/minimist/-/minimist-1.2.0.tgz#" +
		strings.Repeat("a", 70_000) + "\"\n\n\"lodash@^4.17.15\":\n  version \"4.17.15\"\n  resolved \"https://registry.yarnpkg.com/lodash/-/lodash-4.17.15.tgz\"\n"
}

// truncatedCD cuts a good zip inside its central directory.
func truncatedCD(p string) error {
	z := archivetest.Zip(entry("requirements.txt", "requests==2.25.0\n"), entry("index.js", "x"))
	return os.WriteFile(p, z[:len(z)-30], 0o644)
}

// zip64LocatorLie: the end record says "see zip64", and the zip64 locator
// points past the end of the file.
func zip64LocatorLie(p string) error {
	z := archivetest.Zip(entry("requirements.txt", "requests==2.25.0\n"))
	eocd := bytes.LastIndex(z, []byte("PK\x05\x06"))
	rec := append([]byte(nil), z[eocd:]...)
	binary.LittleEndian.PutUint16(rec[8:], 0xffff)
	binary.LittleEndian.PutUint16(rec[10:], 0xffff)
	loc := make([]byte, 20)
	copy(loc, "PK\x06\x07")
	binary.LittleEndian.PutUint64(loc[8:], 1<<40)
	binary.LittleEndian.PutUint32(loc[16:], 1)
	out := append(append(append([]byte(nil), z[:eocd]...), loc...), rec...)
	return os.WriteFile(p, out, 0o644)
}

// repeatedDeflate writes a deflate stream of chunk repeated n times by
// compressing chunk once (a fresh stream refers to nothing before it) and
// repeating the bytes, then an empty final block: gigabytes in milliseconds.
func repeatedDeflate(chunk []byte, n int) (raw []byte, crc uint32, size uint64) {
	var b bytes.Buffer
	fw, _ := kflate.NewWriter(&b, kflate.BestCompression)
	fw.Write(chunk)
	fw.Flush()
	block := b.Bytes()
	var out bytes.Buffer
	for i := 0; i < n; i++ {
		out.Write(block)
		crc = crc32.Update(crc, crc32.IEEETable, chunk)
	}
	out.Write([]byte{0x01, 0x00, 0x00, 0xff, 0xff}) // final empty stored block
	return out.Bytes(), crc, uint64(len(chunk)) * uint64(n)
}

func rawZip(w io.Writer, name string, method uint16, raw []byte, crc uint32, size uint64) error {
	zw := zip.NewWriter(w)
	fw, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: method, CRC32: crc, CompressedSize64: uint64(len(raw)), UncompressedSize64: size})
	if err != nil {
		return err
	}
	if _, err := fw.Write(raw); err != nil {
		return err
	}
	return zw.Close()
}

// bigRequirements: an honest 600 MiB requirements.txt (declared size true,
// compression ratio about 50:1), over the 512 MiB per-entry cap. Each MiB
// repeats 16 KiB of varied lines, so the zip stays near 12 MB.
func bigRequirements(p string) error {
	var part strings.Builder
	for i := 0; part.Len() < 16<<10; i++ {
		fmt.Fprintf(&part, "requests==2.25.0  # %016x%016x\n", uint64(i)*0x9e3779b97f4a7c15, uint64(i)*0xc2b2ae3d27d4eb4f)
	}
	chunk := []byte(strings.Repeat(part.String(), (1<<20)/part.Len()+1)[:1<<20])
	chunk[len(chunk)-1] = '\n'
	raw, crc, size := repeatedDeflate(chunk, 600)
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	defer f.Close()
	return rawZip(f, "requirements.txt", zip.Deflate, raw, crc, size)
}

// sizeLie: a 5 MB requirements.txt whose headers declare `declared` bytes.
func sizeLie(declared uint64) func(string) error {
	return func(p string) error {
		body := bytes.Repeat([]byte("requests==2.25.0\n"), 5_000_000/17)
		var b bytes.Buffer
		if err := rawZip(&b, "requirements.txt", zip.Store, body, crc32.ChecksumIEEE(body), declared); err != nil {
			return err
		}
		return os.WriteFile(p, b.Bytes(), 0o644)
	}
}

// ratio1000: a 10 MiB package-lock.json of spaces around "{}" deflates over 1000:1.
func ratio1000(p string) error {
	chunk := bytes.Repeat([]byte(" "), 1<<20)
	raw, crc, size := repeatedDeflate(chunk, 10)
	var b bytes.Buffer
	if err := rawZip(&b, "package-lock.json", zip.Deflate, raw, crc, size); err != nil {
		return err
	}
	return os.WriteFile(p, b.Bytes(), 0o644)
}

func manyEntries(n int) func(string) error {
	return func(p string) error {
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		defer f.Close()
		zw := zip.NewWriter(f)
		for i := 0; i < n; i++ {
			if _, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("f/%d", i), Method: zip.Store}); err != nil {
				return err
			}
		}
		return zw.Close()
	}
}

// nestedJars: 16 stored jars, each storing 16 jars of 16 deflated 10 MiB
// zero entries (about 40 GiB if everything were inflated).
func nestedJars(p string) error {
	raw, crc, size := repeatedDeflate(make([]byte, 1<<20), 10)
	inner, err := zipOf(16, func(i int) (string, uint16, []byte, uint32, uint64) {
		return fmt.Sprintf("lib/zero-%02d-1.0.jar", i), zip.Deflate, raw, crc, size
	})
	if err != nil {
		return err
	}
	mid, err := zipOf(16, func(i int) (string, uint16, []byte, uint32, uint64) {
		return fmt.Sprintf("lib/inner-%02d-1.0.jar", i), zip.Store, inner, crc32.ChecksumIEEE(inner), uint64(len(inner))
	})
	if err != nil {
		return err
	}
	top, err := zipOf(16, func(i int) (string, uint16, []byte, uint32, uint64) {
		return fmt.Sprintf("lib/mid-%02d-1.0.jar", i), zip.Store, mid, crc32.ChecksumIEEE(mid), uint64(len(mid))
	})
	if err != nil {
		return err
	}
	return os.WriteFile(p, top, 0o644)
}

// fortyTwo: 42.zip's shape with jar names (what the jar extractor opens):
// 16 deflated lib*.jar per level, five levels, the last holding 16 entries
// of 64 MiB of zeros each.
func fortyTwo(p string) error {
	raw, crc, size := repeatedDeflate(make([]byte, 1<<20), 64)
	level, err := zipOf(16, func(i int) (string, uint16, []byte, uint32, uint64) {
		return fmt.Sprintf("%d.txt", i), zip.Deflate, raw, crc, size
	})
	if err != nil {
		return err
	}
	for depth := 4; depth >= 0; depth-- {
		var b bytes.Buffer
		fw, _ := kflate.NewWriter(&b, kflate.BestCompression)
		fw.Write(level)
		fw.Close()
		comp, lc := b.Bytes(), crc32.ChecksumIEEE(level)
		n := uint64(len(level))
		if level, err = zipOf(16, func(i int) (string, uint16, []byte, uint32, uint64) {
			return fmt.Sprintf("lib%d.jar", i), zip.Deflate, comp, lc, n
		}); err != nil {
			return err
		}
	}
	return os.WriteFile(p, level, 0o644)
}

func zipOf(n int, entry func(int) (string, uint16, []byte, uint32, uint64)) ([]byte, error) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i < n; i++ {
		name, method, raw, crc, size := entry(i)
		fw, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: method, CRC32: crc, CompressedSize64: uint64(len(raw)), UncompressedSize64: size})
		if err != nil {
			return nil, err
		}
		if _, err := fw.Write(raw); err != nil {
			return nil, err
		}
	}
	err := zw.Close()
	return b.Bytes(), err
}

// deepJars: an honest 48 MiB jar (g:deep@1.0), stored in jars named by
// wrap, innermost first. The jar extractor holds every nested level in
// memory at once: one level is a fat jar, two are 96 MiB.
func deepJars(wrap []string) func(string) error {
	return func(p string) error {
		noise := make([]byte, 48<<20)
		x := uint64(0x9e3779b97f4a7c15)
		for i := range noise {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			noise[i] = byte(x)
		}
		stored := func(name string, body []byte) archivetest.Entry {
			return archivetest.Entry{Name: name, Body: body, Stored: true}
		}
		level := archivetest.Zip(
			stored("META-INF/maven/g/deep/pom.properties", []byte("groupId=g\nartifactId=deep\nversion=1.0\n")),
			stored("data.bin", noise))
		for _, name := range wrap {
			level = archivetest.Zip(stored(name, level))
		}
		return os.WriteFile(p, level, 0o644)
	}
}
