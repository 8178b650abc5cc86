// Command bench measures `lambdascan scan` against the peer scanner
// (OSV-Scanner v2.6.0) on every package of ../shared/corpus, in one run, on
// the same data: wall time and peak RSS of each process, plus `unzip -p` of
// the same zip (our scan reads straight from the zip and must not be slower
// than merely inflating it). Run it with `make bench`.
package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

type sample struct {
	wall time.Duration
	rss  int64 // KiB
	// inProcess is the median of the scan's own total_ms (our report's
	// timings): the work after process start, DB open included.
	inProcess float64
}

// timeBin reports a child's peak RSS. getrusage from this Go process is not
// usable: Go starts children with a vfork-style clone, and Linux then folds
// the parent's own high-water RSS into the child's ru_maxrss.
const timeBin = "/usr/bin/time"

const rssTag = "LAMBDASCAN_BENCH_MAXRSS_KB="

// measure runs the command n times and returns the median wall time and the
// median peak RSS.
func measure(n int, dir string, name string, args ...string) (sample, error) {
	return measureEnv(n, dir, nil, name, args...)
}

// measureEnv is measure with extra environment variables.
func measureEnv(n int, dir string, env []string, name string, args ...string) (sample, error) {
	args = append([]string{"-f", rssTag + "%M", name}, args...)
	name = timeBin
	var walls []time.Duration
	var rsss []int64
	var inproc []float64
	for i := 0; i < n; i++ {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		if env != nil {
			cmd.Env = append(os.Environ(), env...)
		}
		var stderr strings.Builder
		var stdout bytes.Buffer
		cmd.Stderr = &stderr
		cmd.Stdout = &stdout
		start := time.Now()
		err := cmd.Run()
		wall := time.Since(start)
		rss, ok := parseRSS(stderr.String())
		if !ok {
			return sample{}, fmt.Errorf("%s %v: no RSS figure from %s\n%s", name, args, timeBin, tail(stderr.String()))
		}
		if err != nil {
			// 1: findings; 128: the peer's "no package sources found".
			if ee, ok := err.(*exec.ExitError); !ok || (ee.ExitCode() != 1 && ee.ExitCode() != 128) {
				return sample{}, fmt.Errorf("%s %v: %v\n%s", name, args, err, tail(stderr.String()))
			}
		}
		walls = append(walls, wall)
		rsss = append(rsss, rss)
		var r struct {
			Timings struct {
				TotalMS float64 `json:"total_ms"`
			} `json:"timings"`
		}
		if json.Unmarshal(stdout.Bytes(), &r) == nil {
			inproc = append(inproc, r.Timings.TotalMS)
		}
	}
	sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
	sort.Slice(rsss, func(i, j int) bool { return rsss[i] < rsss[j] })
	sort.Float64s(inproc)
	s := sample{wall: walls[n/2], rss: rsss[n/2]}
	if len(inproc) > 0 {
		s.inProcess = inproc[len(inproc)/2]
	}
	return s, nil
}

func parseRSS(stderr string) (int64, bool) {
	i := strings.LastIndex(stderr, rssTag)
	if i < 0 {
		return 0, false
	}
	var kb int64
	_, err := fmt.Sscanf(stderr[i+len(rssTag):], "%d", &kb)
	return kb, err == nil
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}

func main() {
	ours := flag.String("lambdascan", "bin/lambdascan", "lambdascan binary")
	peer := flag.String("peer", "", "osv-scanner v2.6.0 binary")
	corpus := flag.String("corpus", "../shared/corpus", "corpus folder")
	osvDir := flag.String("osv", "../shared/osv", "OSV export folder (<Ecosystem>/all.zip)")
	runs := flag.Int("runs", 5, "runs per measurement (median is reported)")
	flag.Parse()
	if err := run(*ours, *peer, *corpus, *osvDir, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// Targets: a run that misses one fails, naming it and its worst package.
const (
	targetTimeRatio  = 0.25 // our wall time / the peer's
	targetRSSRatio   = 0.33 // our peak RSS / the peer's
	targetUnzipRatio = 1.00 // our scan / `unzip -p` of the same zip
)

// worst is the highest ratio seen and the package it was seen on.
type worst struct {
	ratio float64
	pkg   string
}

func (w *worst) see(r float64, pkg string) {
	if r > w.ratio {
		w.ratio, w.pkg = r, pkg
	}
}

func run(ours, peer, corpus, osvDir string, runs int) error {
	if _, err := os.Stat(timeBin); err != nil {
		return fmt.Errorf("%s is needed to measure peak RSS (Debian package \"time\")", timeBin)
	}
	ours, _ = filepath.Abs(ours)
	if peer != "" {
		peer, _ = filepath.Abs(peer)
	}
	corpus, _ = filepath.Abs(corpus)
	osvDir, _ = filepath.Abs(osvDir)
	work, err := os.MkdirTemp("", "lambdascan-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	// Our index and the peer's offline DB come from the same export zips.
	db := filepath.Join(work, "osv.lsdb")
	if out, err := exec.Command(ours, "db", "build", "--from", osvDir, "--out", db).CombinedOutput(); err != nil {
		return fmt.Errorf("db build: %v: %s", err, out)
	}
	peerDB := filepath.Join(work, "peerdb")
	if err := peerDBDir(osvDir, peerDB); err != nil {
		return err
	}
	open, err := measure(runs, work, ours, "db", "info", db)
	if err != nil {
		return err
	}

	zips, _ := filepath.Glob(filepath.Join(corpus, "*.zip"))
	if len(zips) == 0 {
		return fmt.Errorf("no zips in %s", corpus)
	}
	fmt.Printf("lambdascan vs %s, median of %d runs, same OSV data (%s)\n", peerName(peer), runs, osvDir)
	fmt.Printf("index open (`lambdascan db info`, whole process): %.1f ms, %d MiB RSS\n\n", ms(open.wall), open.rss/1024)
	fmt.Println("| package | ours ms | peer ms | time ratio | ours MiB | peer MiB | RSS ratio | unzip -p ms | ours / unzip -p | scan in-process ms |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	var sumOurs, sumPeer, sumUnzip time.Duration
	var maxTimeRatio, maxRSSRatio, maxUnzipRatio worst
	for _, z := range zips {
		name := strings.TrimSuffix(filepath.Base(z), ".zip")
		o, err := measure(runs, work, ours, "scan", "--db", db, "--format", "json", "--fail-on", "critical", z)
		if err != nil {
			return err
		}
		u, err := measure(runs, work, "unzip", "-p", z)
		if err != nil {
			return err
		}
		line := fmt.Sprintf("| %s | %.1f |", name, ms(o.wall))
		if peer != "" {
			// The peer scans a folder; unpacking is not counted against it.
			dir := filepath.Join(work, "unpacked", name)
			if err := unzipTo(z, dir); err != nil {
				return err
			}
			p, err := measure(runs, work, peer, "scan", "source", "--offline", "--local-db-path", peerDB,
				"--experimental-plugins=artifact", "--format", "json", "--all-packages", "-r", dir)
			if err != nil {
				return err
			}
			tr := float64(o.wall) / float64(p.wall)
			rr := float64(o.rss) / float64(p.rss)
			maxTimeRatio.see(tr, name)
			maxRSSRatio.see(rr, name)
			sumPeer += p.wall
			line += fmt.Sprintf(" %.1f | %.2f | %.1f | %.1f | %.2f |", ms(p.wall), tr, mib(o.rss), mib(p.rss), rr)
		} else {
			line += fmt.Sprintf(" - | - | %.1f | - | - |", mib(o.rss))
		}
		ur := float64(o.wall) / float64(u.wall)
		maxUnzipRatio.see(ur, name)
		sumOurs += o.wall
		sumUnzip += u.wall
		fmt.Printf("%s %.1f | %.2f | %.0f |\n", line, ms(u.wall), ur, o.inProcess)
	}
	fmt.Println()
	fmt.Printf("total: ours %.0f ms, unzip -p %.0f ms", ms(sumOurs), ms(sumUnzip))
	if peer != "" {
		fmt.Printf(", peer %.0f ms; worst time ratio %.2f (target <= %.2f), worst RSS ratio %.2f (target <= %.2f)",
			ms(sumPeer), maxTimeRatio.ratio, targetTimeRatio, maxRSSRatio.ratio, targetRSSRatio)
	}
	fmt.Printf("; worst ours/unzip -p %.2f (target <= %.2f)\n", maxUnzipRatio.ratio, targetUnzipRatio)
	it, ir, err := benchImageRows(ours, peer, db, peerDB, work, corpus, runs)
	if err != nil {
		return err
	}
	if peer != "" {
		fmt.Printf("\nimages: worst time ratio %.2f, worst RSS ratio %.2f\n", it, ir)
	}
	var missed []string
	check := func(what string, w worst, target float64) {
		if w.ratio > target {
			missed = append(missed, fmt.Sprintf("%s %.2f > %.2f on %s", what, w.ratio, target, w.pkg))
		}
	}
	if peer != "" {
		check("time ratio", maxTimeRatio, targetTimeRatio)
		check("RSS ratio", maxRSSRatio, targetRSSRatio)
	}
	check("ours/unzip -p", maxUnzipRatio, targetUnzipRatio)
	if len(missed) > 0 {
		return fmt.Errorf("missed %d target(s): %s", len(missed), strings.Join(missed, "; "))
	}
	fmt.Println("all targets met")
	return nil
}

func peerName(p string) string {
	if p == "" {
		return "no peer (pass -peer)"
	}
	out, err := exec.Command(p, "--version").Output()
	if err != nil {
		return p
	}
	return strings.SplitN(strings.TrimSpace(string(out)), "\n", 2)[0]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
func mib(kib int64) float64      { return float64(kib) / 1024 }

// peerDBDir lays out DIR/osv-scalibr/<Ecosystem>/all.zip; ecosystems the
// peer may meet but we have no data for get an empty zip, as it requires.
func peerDBDir(osvDir, dst string) error {
	ecos := map[string]bool{}
	for _, e := range []string{"npm", "PyPI", "Go", "Maven", "RubyGems", "NuGet", "crates.io", "Packagist", "Debian"} {
		ecos[e] = true
	}
	ents, err := os.ReadDir(osvDir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.IsDir() {
			ecos[e.Name()] = true
		}
	}
	for eco := range ecos {
		d := filepath.Join(dst, "osv-scalibr", eco)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		src := filepath.Join(osvDir, eco, "all.zip")
		if b, err := os.ReadFile(src); err == nil {
			if err := os.WriteFile(filepath.Join(d, "all.zip"), b, 0o644); err != nil {
				return err
			}
			continue
		}
		f, err := os.Create(filepath.Join(d, "all.zip"))
		if err != nil {
			return err
		}
		zw := zip.NewWriter(f)
		zw.Close()
		f.Close()
	}
	return nil
}

// unzipTo unpacks with Unix modes kept, as `unzip` and Lambda do.
func unzipTo(zipPath, dir string) error {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return err
	}
	defer zr.Close()
	for _, f := range zr.File {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if !strings.HasPrefix(p, filepath.Clean(dir)+string(os.PathSeparator)) {
			continue
		}
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		rc, err := f.Open()
		if err != nil {
			return err
		}
		out, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, f.Mode().Perm())
		if err != nil {
			rc.Close()
			return err
		}
		_, err = io.Copy(out, rc)
		rc.Close()
		out.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
