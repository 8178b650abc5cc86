package vulndb

import (
	"reflect"
	"testing"
)

func TestParseRecordKeepsGoImports(t *testing.T) {
	tests := []struct {
		name string
		rec  string
		want *GoSpecific
	}{
		{"imports with symbols", `{"id":"GO-1","affected":[{"package":{"ecosystem":"Go","name":"stdlib"},
			"ecosystem_specific":{"imports":[{"path":"net/http","symbols":["Server.Serve","Get"],"goos":["linux"]}]}}]}`,
			&GoSpecific{Imports: []GoImport{{Path: "net/http", Symbols: []string{"Server.Serve", "Get"}, GOOS: []string{"linux"}}}}},
		{"no ecosystem_specific: whole module", `{"id":"GO-2","affected":[{"package":{"ecosystem":"Go","name":"example.com/m"}}]}`,
			&GoSpecific{}},
		{"malformed: no symbol data", `{"id":"GO-3","affected":[{"package":{"ecosystem":"Go","name":"example.com/m"},"ecosystem_specific":{"imports":"x"}}]}`,
			nil},
		{"not Go", `{"id":"GHSA-1","affected":[{"package":{"ecosystem":"npm","name":"x"},"ecosystem_specific":{"imports":[{"path":"x"}]}}]}`,
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := ParseRecord([]byte(tt.rec))
			if err != nil || len(recs) != 1 || len(recs[0].adv.Affected) != 1 {
				t.Fatalf("ParseRecord = %v, %v", recs, err)
			}
			if got := recs[0].adv.Affected[0].Go; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Go = %+v, want %+v", got, tt.want)
			}
		})
	}
}
