package vulndb

import "encoding/json"

// GoSpecific is what a Go record's ecosystem_specific says about the code
// that is vulnerable: the packages and their functions (govulncheck's data).
// A Go advisory built by this version always carries it, so a nil value
// means an index without symbol data, not "the whole module".
type GoSpecific struct {
	// Imports lists the vulnerable packages; empty means every package of
	// the module is vulnerable.
	Imports []GoImport `json:"imports,omitempty"`
}

// GoImport is one vulnerable package of a Go module.
type GoImport struct {
	Path string `json:"path"`
	// Symbols are the vulnerable functions ("Func", "Type.Method"); empty
	// means every symbol of the package.
	Symbols []string `json:"symbols,omitempty"`
	GOOS    []string `json:"goos,omitempty"`
	GOARCH  []string `json:"goarch,omitempty"`
}

// goSpecific decodes affected[].ecosystem_specific of a Go record; a
// malformed value keeps the advisory but drops the symbol data (nil), so
// the scanner says "unknown" rather than guess.
func goSpecific(eco string, raw json.RawMessage) *GoSpecific {
	if eco != "Go" {
		return nil
	}
	out := &GoSpecific{}
	if len(raw) == 0 || string(raw) == "null" {
		return out
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return nil
	}
	return out
}
