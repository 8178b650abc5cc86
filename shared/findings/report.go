package findings

import (
	"encoding/json"
	"fmt"
)

// reportDoc is the part of a lambdascan report (lambdascan.report/v1) the
// store reads; the store links none of the engine.
type reportDoc struct {
	Status   string       `json:"status"`
	Packages []reportPkg  `json:"packages"`
	Findings []reportFind `json:"findings"`
}

type reportPkg struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	Version   string `json:"version"`
	PURL      string `json:"purl"`
	Origin    struct {
		Kind  string `json:"kind"`
		Layer string `json:"layer"`
	} `json:"origin"`
}

type reportFind struct {
	ID       string   `json:"id"`
	Aliases  []string `json:"aliases"`
	Severity struct {
		Level string  `json:"level"`
		Score float64 `json:"score"`
	} `json:"severity"`
	FixedVersion string          `json:"fixed_version"`
	Package      reportPkg       `json:"package"`
	KEV          json.RawMessage `json:"kev"`
	Reachability *struct {
		Level string `json:"level"`
	} `json:"reachability"`
}

func (p reportPkg) pkg() Package {
	out := Package{Ecosystem: p.Ecosystem, Name: p.Name, Version: p.Version, PURL: p.PURL}
	if p.Origin.Kind == "layer" {
		out.Layer = p.Origin.Layer // a layer version ARN; image layers are the function's own
	}
	return out
}

// FromReport fills the snapshot's packages and findings from a report
// document. Only a "complete" report may resolve findings.
func FromReport(raw []byte, snap *Snapshot) error {
	var doc reportDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	seen := map[string]bool{}
	for _, p := range doc.Packages {
		pk := p.pkg()
		if pk.Name == "" || seen[pk.key()] {
			continue
		}
		seen[pk.key()] = true
		snap.Packages = append(snap.Packages, pk)
	}
	seenF := map[string]bool{}
	for _, f := range doc.Findings {
		fd := Finding{Advisory: f.ID, Aliases: f.Aliases, Package: f.Package.pkg(), Fixed: f.FixedVersion,
			Severity: f.Severity.Level, Score: f.Severity.Score, KEV: len(f.KEV) > 0 && string(f.KEV) != "null"}
		if fd.Severity == "" {
			fd.Severity = "unknown"
		}
		if f.Reachability != nil {
			fd.Reachability = f.Reachability.Level
		}
		if k := fd.Advisory + "#" + fd.Package.key(); fd.Advisory != "" && !seenF[k] {
			seenF[k] = true
			snap.Findings = append(snap.Findings, fd)
		}
	}
	snap.Complete = doc.Status == "complete"
	return nil
}
