package feeds

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Scores is a parsed FIRST EPSS file: one day's scores.
type Scores struct {
	ModelVersion string
	Date         string // score_date, YYYY-MM-DD
	Scores       map[string]EPSSScore
}

// ParseEPSS reads FIRST's published EPSS csv, gzip-compressed or not:
//
//	#model_version:v2025.03.14,score_date:2025-08-25T12:55:00Z
//	cve,epss,percentile
//	CVE-1999-0001,0.0108,0.77296
func ParseEPSS(r io.Reader) (Scores, error) {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return Scores{}, fmt.Errorf("%w: EPSS gzip: %v", ErrBadFeed, err)
		}
		defer zr.Close()
		br = bufio.NewReader(zr)
	}
	var s Scores
	// The comment line carries the model and date; older files lack it.
	if first, _ := br.Peek(1); len(first) == 1 && first[0] == '#' {
		line, err := br.ReadString('\n')
		if err != nil && err != io.EOF {
			return Scores{}, fmt.Errorf("%w: EPSS: %v", ErrBadFeed, err)
		}
		for _, kv := range strings.Split(strings.TrimSpace(strings.TrimPrefix(line, "#")), ",") {
			k, v, _ := strings.Cut(kv, ":")
			switch strings.TrimSpace(k) {
			case "model_version":
				s.ModelVersion = strings.TrimSpace(v)
			case "score_date":
				s.Date, _, _ = strings.Cut(strings.TrimSpace(v), "T")
			}
		}
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = 3
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return Scores{}, fmt.Errorf("%w: EPSS header: %v", ErrBadFeed, err)
	}
	if head[0] != "cve" || head[1] != "epss" || head[2] != "percentile" {
		return Scores{}, fmt.Errorf("%w: EPSS header %q, want cve,epss,percentile", ErrBadFeed, strings.Join(head, ","))
	}
	s.Scores = map[string]EPSSScore{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Scores{}, fmt.Errorf("%w: EPSS: %v", ErrBadFeed, err)
		}
		id := strings.ToUpper(rec[0])
		score, err1 := strconv.ParseFloat(rec[1], 64)
		pct, err2 := strconv.ParseFloat(rec[2], 64)
		// Written so NaN fails too.
		if !strings.HasPrefix(id, "CVE-") || err1 != nil || err2 != nil || !(score >= 0 && score <= 1) || !(pct >= 0 && pct <= 1) {
			line, _ := cr.FieldPos(0)
			return Scores{}, fmt.Errorf("%w: EPSS line %d: %q", ErrBadFeed, line, strings.Join(rec, ","))
		}
		s.Scores[id] = EPSSScore{Score: score, Percentile: pct, Date: s.Date}
	}
	if len(s.Scores) == 0 {
		return Scores{}, fmt.Errorf("%w: EPSS file has no scores", ErrBadFeed)
	}
	return s, nil
}
