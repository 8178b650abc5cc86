package main

import (
	"archive/zip"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/lambdascan/lambdascan/shared/image/imagetest"
)

// benchImages writes `docker save` tarballs of Lambda container images:
// a Debian-like base (os-release, a dpkg database of 180 packages, 60 MB of
// libraries and executables that no extractor reads, as a real base has),
// CMD, then a corpus package unpacked into /var/task. Both scanners read
// the same tarball.
func benchImages(corpus, dir string) ([]string, error) {
	base := debianRoot()
	var out []string
	for _, app := range []string{"python311-pip-target", "node20-express-api", "go-al2023-arm64-gin"} {
		files, err := zipFiles(filepath.Join(corpus, app+".zip"), "var/task/")
		if err != nil {
			return nil, err
		}
		img, err := imagetest.Image("linux/amd64",
			imagetest.Step{CreatedBy: "ADD rootfs.tar.xz /", Files: base},
			imagetest.Step{CreatedBy: `CMD ["bash"]`},
			imagetest.Step{CreatedBy: "COPY . /var/task", Files: files})
		if err != nil {
			return nil, err
		}
		p := filepath.Join(dir, "image-"+app+".tar")
		tag, err := name.NewTag("bench/" + app + ":latest")
		if err != nil {
			return nil, err
		}
		if err := tarball.WriteToFile(p, tag, img); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func debianRoot() []imagetest.File {
	r := rand.New(rand.NewPCG(1, 2)) // the same bytes every run
	files := []imagetest.File{
		{Name: "etc/os-release", Body: []byte("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n")},
	}
	var status strings.Builder
	for i := range 180 {
		fmt.Fprintf(&status, "Package: lib%s%d\nStatus: install ok installed\nArchitecture: amd64\nVersion: %d.%d.%d-%d\nDescription: library %d\n\n",
			[]string{"ssl", "z", "c", "xml", "curl", "ffi"}[i%6], i, 1+i%3, i%10, i%7, 1+i%4, i)
	}
	files = append(files, imagetest.File{Name: "var/lib/dpkg/status", Body: []byte(status.String())})
	for i := range 300 { // shared objects and docs: text-like, compressible
		body := make([]byte, 120<<10)
		for j := range body {
			body[j] = "abcdefghij\n"[r.IntN(11)]
		}
		files = append(files, imagetest.File{Name: fmt.Sprintf("usr/lib/x86_64-linux-gnu/lib%03d.so.1", i), Body: body})
	}
	for i := range 80 { // executables: ELF header, random bytes
		body := make([]byte, 300<<10)
		for j := range body {
			body[j] = byte(r.Uint32())
		}
		copy(body, "\x7fELF\x02\x01\x01")
		files = append(files, imagetest.File{Name: fmt.Sprintf("usr/bin/tool%02d", i), Body: body, Mode: 0o755})
	}
	return files
}

// zipFiles reads a deployment package into image files under prefix.
func zipFiles(path, prefix string) ([]imagetest.File, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	var out []imagetest.File
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, imagetest.File{Name: prefix + f.Name, Body: b, Mode: int64(f.Mode().Perm())})
	}
	return out, nil
}

// benchImageRows measures `lambdascan scan IMAGE.tar` against
// `osv-scanner scan image --archive IMAGE.tar`.
func benchImageRows(ours, peer, db, peerDB, work, corpus string, runs int) (worstTime, worstRSS float64, err error) {
	start := time.Now()
	tars, err := benchImages(corpus, work)
	if err != nil {
		return 0, 0, err
	}
	fmt.Printf("\nContainer images (`docker save` tarballs built in %s from the corpus on a Debian-like base):\n\n", time.Since(start).Round(time.Millisecond))
	fmt.Println("| image | size MiB | ours ms | peer ms | time ratio | ours MiB | peer MiB | RSS ratio |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, tar := range tars {
		st, err := os.Stat(tar)
		if err != nil {
			return 0, 0, err
		}
		o, err := measure(runs, work, ours, "scan", "--db", db, "--format", "json", "--fail-on", "critical", tar)
		if err != nil {
			return 0, 0, err
		}
		line := fmt.Sprintf("| %s | %.0f | %.1f |", strings.TrimSuffix(filepath.Base(tar), ".tar"), mib(st.Size()>>10), ms(o.wall))
		if peer == "" {
			fmt.Printf("%s - | - | %.1f | - | - |\n", line, mib(o.rss))
			continue
		}
		// baseimage looks base images up on deps.dev: a network call we do
		// not make either (and offline it only retries and fails).
		p, err := measureEnv(runs, work, []string{"OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY=" + peerDB}, peer, "scan", "image", "--archive",
			"--offline-vulnerabilities", "--experimental-disable-plugins=baseimage", "--format", "json", "--all-packages", tar)
		if err != nil {
			return 0, 0, err
		}
		tr, rr := float64(o.wall)/float64(p.wall), float64(o.rss)/float64(p.rss)
		worstTime, worstRSS = max(worstTime, tr), max(worstRSS, rr)
		fmt.Printf("%s %.1f | %.2f | %.1f | %.1f | %.2f |\n", line, ms(p.wall), tr, mib(o.rss), mib(p.rss), rr)
	}
	return worstTime, worstRSS, nil
}
