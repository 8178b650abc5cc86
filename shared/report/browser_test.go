package report_test

import (
	"bytes"
	"context"
	"html"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/report"
)

// chromium finds a headless-capable browser: $LAMBDASCAN_CHROMIUM, else
// Debian's chromium on PATH. CI (.ci/run) installs it and sets
// LAMBDASCAN_REQUIRE_CHROMIUM, so the test cannot skip there.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("LAMBDASCAN_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("LAMBDASCAN_REQUIRE_CHROMIUM") != "" {
		t.Fatal("chromium not found, and LAMBDASCAN_REQUIRE_CHROMIUM is set (apt-get install chromium)")
	}
	t.Skip("chromium not found: the HTML report is not checked in a browser (apt-get install chromium; CI installs it)")
	return ""
}

// headless runs the browser on a file with no network, sync or first-run work.
func headless(t *testing.T, browser, page string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, browser, append(append(base, args...), "file://"+page)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "%s", stderr.String())
	return out
}

var (
	headRE  = regexp.MustCompile(`(?s)<head>.*</head>`)
	tagRE   = regexp.MustCompile(`<[^>]*>`)
	spaceRE = regexp.MustCompile(`\s+`)
)

// visibleText is the DOM's text outside <head>, as a reader sees it.
func visibleText(dom string) string {
	s := headRE.ReplaceAllString(dom, "")
	s = tagRE.ReplaceAllString(s, " ")
	return spaceRE.ReplaceAllString(html.UnescapeString(s), " ")
}

// The report renders in a real browser: the hostile package name shows as
// text and runs nothing, and the page draws at the window's size.
func TestHTMLInBrowser(t *testing.T) {
	browser := chromium(t)
	page := filepath.Join(t.TempDir(), "report.html")
	var b bytes.Buffer
	require.NoError(t, report.WriteHTML(&b, hostileReport()))
	require.NoError(t, os.WriteFile(page, b.Bytes(), 0o644))

	dom := string(headless(t, browser, page, "--dump-dom"))
	require.Contains(t, dom, "</html>", "the browser printed the DOM")
	assert.NotContains(t, dom, "<script", "no script element in the DOM")
	assert.NotContains(t, dom, "<img")
	assert.NotContains(t, dom, "data-pwned", "the onerror handler never ran")
	assert.Contains(t, dom, "<title>lambdascan report: function arn:aws:lambda:us-east-1:123456789012:function:orders (zip)</title>", "the title was not rewritten")
	text := visibleText(dom)
	for _, want := range []string{
		"lambdascan report", "function arn:aws:lambda:us-east-1:123456789012:function:orders (zip)",
		"Status complete", "Findings 3", "In KEV 1", "Reachable 1", "critical 1",
		"Findings by package", "CRITICAL Maven org.apache.logging.log4j:log4j-core 2.14.1 → 2.15.0 fixes 1 (max critical, 1 reachable)",
		hostile, // the name, shown as text
		"KEV", "reachable", "Packages (3)", "layer arn:aws:lambda:us-east-1:123456789012:layer:java:1",
	} {
		assert.Contains(t, text, want)
	}

	shot := filepath.Join(t.TempDir(), "report.png")
	headless(t, browser, page, "--screenshot="+shot, "--window-size=1200,900", "--hide-scrollbars")
	f, err := os.Open(shot)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	assert.Equal(t, 1200, img.Bounds().Dx())
	assert.Equal(t, 900, img.Bounds().Dy())
	// The stylesheet applied: the header band is dark, the page is not blank.
	r, g, bl, _ := img.At(20, 20).RGBA()
	assert.Less(t, (r+g+bl)/3>>8, uint32(64), "dark header at the top")
	colours := map[uint32]bool{}
	for y := 0; y < 900; y += 3 {
		for x := 0; x < 1200; x += 3 {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[r>>8<<16|g>>8<<8|b>>8] = true
		}
	}
	assert.Greater(t, len(colours), 50, "text and badges drawn, not an empty page")
	if out := os.Getenv("LAMBDASCAN_SCREENSHOT"); out != "" { // README picture: go test -run TestHTMLInBrowser with it set
		b, err := os.ReadFile(shot)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(out, b, 0o644))
	}
}
