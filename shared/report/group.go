package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/google/osv-scalibr/semantic"

	"github.com/lambdascan/lambdascan/shared/ecosystem"
	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/match"
	"github.com/lambdascan/lambdascan/shared/report/schema"
)

// PackageFindings is one package and the findings on it: the unit the table
// and the HTML report show, since one upgrade fixes them together.
type PackageFindings struct {
	Package  inventory.Package
	Findings []match.Finding // in the report's order
	// Upgrade is the lowest version that fixes every finding with a fix
	// (the highest of their fixed versions); Fixes counts those findings.
	Upgrade   string
	Fixes     int
	Max       string // highest severity level
	KEV       int    // findings in CISA's KEV catalog
	Reachable int    // Go findings whose vulnerable symbols the binary links
}

// Groups gathers the findings by package (ecosystem, name, version and
// origin), ordered by KEV, then reachable, then severity, then count.
func Groups(r *Report) []PackageFindings {
	idx := map[string]int{}
	var gs []PackageFindings
	fs := append([]match.Finding(nil), r.Findings...)
	match.Sort(fs)
	for _, f := range fs {
		p := f.Package
		k := strings.Join([]string{p.Ecosystem, p.Name, p.Version, p.Origin.Kind, p.Origin.Layer}, "\x00")
		i, ok := idx[k]
		if !ok {
			i = len(gs)
			idx[k] = i
			gs = append(gs, PackageFindings{Package: p, Max: match.LevelUnknown})
		}
		g := &gs[i]
		g.Findings = append(g.Findings, f)
		if match.Rank(f.Severity.Level) > match.Rank(g.Max) {
			g.Max = f.Severity.Level
		}
		if f.KEV != nil {
			g.KEV++
		}
		if Reachable(f) {
			g.Reachable++
		}
	}
	for i := range gs {
		gs[i].Upgrade, gs[i].Fixes = upgrade(gs[i].Findings)
		// Within a package, known-exploited and reachable findings lead;
		// otherwise the report's order holds.
		sort.SliceStable(gs[i].Findings, func(a, b int) bool {
			fa, fb := gs[i].Findings[a], gs[i].Findings[b]
			if (fa.KEV != nil) != (fb.KEV != nil) {
				return fa.KEV != nil
			}
			return Reachable(fa) && !Reachable(fb)
		})
	}
	sort.SliceStable(gs, func(i, j int) bool {
		a, b := gs[i], gs[j]
		switch {
		case (a.KEV > 0) != (b.KEV > 0):
			return a.KEV > 0
		case (a.Reachable > 0) != (b.Reachable > 0):
			return a.Reachable > 0
		case match.Rank(a.Max) != match.Rank(b.Max):
			return match.Rank(a.Max) > match.Rank(b.Max)
		case len(a.Findings) != len(b.Findings):
			return len(a.Findings) > len(b.Findings)
		}
		return a.Package.Name < b.Package.Name
	})
	return gs
}

// Reachable: the binary links a vulnerable symbol (govulncheck's "symbol").
func Reachable(f match.Finding) bool {
	return f.Reachability != nil && f.Reachability.Level == match.ReachSymbol
}

// upgrade is the highest fixed version among the findings, and how many
// findings have a fix.
func upgrade(fs []match.Finding) (string, int) {
	best, n := "", 0
	var bestV semantic.Version
	for _, f := range fs {
		if f.FixedVersion == "" {
			continue
		}
		n++
		v, err := semantic.Parse(f.FixedVersion, ecosystem.Base(f.Package.Ecosystem))
		if err != nil {
			if best == "" {
				best = f.FixedVersion
			}
			continue
		}
		if bestV == nil {
			best, bestV = f.FixedVersion, v
			continue
		}
		if c, err := v.Compare(bestV); err == nil && c > 0 {
			best, bestV = f.FixedVersion, v
		}
	}
	return best, n
}

// Headline is the package's line: "Go stdlib 1.20.14 → 1.23.12 fixes 70
// (max high, 3 reachable)". Versions longer than maxVersion are shortened.
func (g PackageFindings) Headline(maxVersion int) string {
	p := g.Package
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s", p.Ecosystem, p.Name, ShortVersion(p.Version, maxVersion))
	n := len(g.Findings)
	switch {
	case g.Fixes == 0:
		fmt.Fprintf(&b, " no fix for %d", n)
	case g.Fixes == n:
		fmt.Fprintf(&b, " → %s fixes %d", ShortVersion(g.Upgrade, maxVersion), n)
	default:
		fmt.Fprintf(&b, " → %s fixes %d of %d", ShortVersion(g.Upgrade, maxVersion), g.Fixes, n)
	}
	extra := []string{"max " + g.Max}
	if g.Reachable > 0 {
		extra = append(extra, fmt.Sprintf("%d reachable", g.Reachable))
	}
	if g.KEV > 0 {
		extra = append(extra, fmt.Sprintf("%d KEV", g.KEV))
	}
	fmt.Fprintf(&b, " (%s)", strings.Join(extra, ", "))
	return b.String()
}

// ShortVersion keeps the head and tail of a long version (Go pseudo
// versions, distro revisions): "v0.0.0-2023…e4f5a6b7".
func ShortVersion(v string, max int) string {
	r := []rune(v)
	if max <= 0 || len(r) <= max || max < 8 {
		return v
	}
	tail := (max - 1) / 2
	head := max - 1 - tail
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

// Aliases lists a finding's aliases once each, CVEs first, without the id.
func Aliases(f match.Finding) []string {
	seen := map[string]bool{f.ID: true}
	var cves, other []string
	for _, a := range f.Aliases {
		if seen[a] {
			continue
		}
		seen[a] = true
		if strings.HasPrefix(a, "CVE-") {
			cves = append(cves, a)
		} else {
			other = append(other, a)
		}
	}
	sort.Strings(cves)
	sort.Strings(other)
	return append(cves, other...)
}

// Where says where a package sits: its first path and its origin (layer,
// image layer).
func Where(p inventory.Package) string {
	w := "-"
	if len(p.Paths) > 0 {
		w = p.Paths[0]
		if len(p.Paths) > 1 {
			w += fmt.Sprintf(" (+%d)", len(p.Paths)-1)
		}
	}
	if o := OriginText(p.Origin); o != "" {
		w += " [" + o + "]"
	}
	if p.Bundled {
		w += " [bundled]"
	}
	return w
}

// OriginText names a package's origin for people: "" for function code,
// "layer NAME", or "image layer 3 (base)".
func OriginText(o inventory.Origin) string {
	switch o.Kind {
	case inventory.OriginLayer:
		return "layer " + o.Layer
	case inventory.OriginImage:
		s := fmt.Sprintf("image layer %d", o.LayerIndex)
		if o.BaseImage {
			s += " (base)"
		}
		return s
	}
	return ""
}

// Describe says what was read, as Target.Describe does; a zip whose
// packages all sit in the /opt layout was read as a layer zip.
func (r *Report) Describe() string {
	t := r.Target
	if t.Kind == schema.KindZip && len(t.Layers) == 0 && len(r.Packages) > 0 {
		layer := true
		for _, p := range r.Packages {
			layer = layer && p.Origin.Kind == inventory.OriginLayer
		}
		if layer {
			return "layer zip " + t.Path
		}
	}
	return DescribeTarget(t)
}

// DescribeTarget says what was read: "zip app.zip + 1 layer zip", "function
// arn:… (zip, 2 layers)", "image python:3.12 (linux/amd64)".
func DescribeTarget(t Target) string {
	layers := func() string {
		if len(t.Layers) == 0 {
			return ""
		}
		kind := "layer zip"
		if strings.HasPrefix(t.Layers[0].ARN, "arn:") {
			kind = "layer"
		}
		if len(t.Layers) == 1 {
			return fmt.Sprintf(" + %s %s", kind, t.Layers[0].ARN)
		}
		return fmt.Sprintf(" + %d %ss", len(t.Layers), kind)
	}
	img := func() string {
		if t.Image == nil {
			return ""
		}
		s := t.Image.Ref
		var in []string
		if t.Image.Platform != "" {
			in = append(in, t.Image.Platform)
		}
		if d := t.Image.Digest; d != "" {
			in = append(in, ShortVersion(d, 19))
		}
		if len(in) > 0 {
			s += " (" + strings.Join(in, ", ") + ")"
		}
		return s
	}
	switch t.Kind {
	case schema.KindFunction:
		if t.Image != nil {
			return "function " + t.FunctionARN + ", image " + img()
		}
		return "function " + t.FunctionARN + " (zip" + layers() + ")"
	case schema.KindImage:
		if t.Image != nil && t.Image.Ref != "" {
			return "image " + img()
		}
		return "image " + t.Path
	case schema.KindLayer:
		if t.Path != "" {
			return "layer zip " + t.Path + layers()
		}
		switch len(t.Layers) {
		case 0:
			return "layer"
		case 1:
			if strings.HasPrefix(t.Layers[0].ARN, "arn:") {
				return "layer " + t.Layers[0].ARN
			}
			return "layer zip " + t.Layers[0].ARN
		}
		return strings.TrimPrefix(layers(), " + ")
	case schema.KindDirectory:
		return "directory " + t.Path + layers()
	case "":
		return t.Path
	}
	return string(t.Kind) + " " + t.Path + layers()
}
