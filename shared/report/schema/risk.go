package schema

import "fmt"

// FindingsTag is the compact count of a report's findings for the
// LambdaScanFindings tag: "C<critical>-H<high>-M<medium>-L<low>-U<unknown>-K<kev>",
// e.g. "C0-H1-M2-L0-U96-K1". K counts findings in CISA's KEV catalog (they
// are also counted under their severity). At most 6 numbers of 7 digits:
// far inside Lambda's 256-character tag values, and only characters tag
// values allow.
func FindingsTag(bySeverity map[string]int, kev int) string {
	b := bySeverity
	return fmt.Sprintf("C%d-H%d-M%d-L%d-U%d-K%d", b[LevelCritical], b[LevelHigh], b[LevelMedium],
		b[LevelLow], b[LevelUnknown], kev)
}

// CountsAtOrAbove is AtOrAbove over counts per severity: any finding at or
// above level, or of unknown severity unless ignoreUnknown.
func CountsAtOrAbove(bySeverity map[string]int, level string, ignoreUnknown bool) bool {
	want := Rank(level)
	for l, n := range bySeverity {
		if n == 0 {
			continue
		}
		if l == LevelUnknown {
			if !ignoreUnknown {
				return true
			}
			continue
		}
		if Rank(l) >= want {
			return true
		}
	}
	return false
}
