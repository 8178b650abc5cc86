// Package ecosystem holds the OSV ecosystem facts shared by inventory,
// the vuln index and matching: names and how each compares package names.
package ecosystem

import (
	"regexp"
	"strings"
)

var pep503 = regexp.MustCompile(`[-_.]+`)

// Base strips an OSV ecosystem suffix: "Debian:12" -> "Debian".
func Base(eco string) string {
	b, _, _ := strings.Cut(eco, ":")
	return b
}

// NormalizeName gives the form under which two names of the ecosystem are the
// same package: PEP 503 for PyPI, case-insensitive for NuGet and Packagist.
func NormalizeName(eco, name string) string {
	switch Base(eco) {
	case "PyPI":
		return strings.ToLower(pep503.ReplaceAllString(name, "-"))
	case "NuGet", "Packagist":
		return strings.ToLower(name)
	}
	return name
}

// known OSV ecosystem names, for case-insensitive user input.
var known = []string{"npm", "PyPI", "Go", "Maven", "RubyGems", "NuGet", "crates.io", "Packagist",
	"Pub", "Hex", "Hackage", "CRAN", "SwiftURL", "Debian", "Alpine", "Ubuntu", "Red Hat", "Rocky Linux",
	"AlmaLinux", "Amazon Linux", "openSUSE", "SUSE", "Wolfi", "Chainguard", "GitHub Actions", "Packagist"}

// Canonical spells a known ecosystem as OSV does ("pypi" -> "PyPI"); unknown
// names are returned as given.
func Canonical(name string) string {
	base, suffix, hasSuffix := strings.Cut(name, ":")
	for _, k := range known {
		if strings.EqualFold(k, base) {
			if hasSuffix {
				return k + ":" + suffix
			}
			return k
		}
	}
	return name
}
