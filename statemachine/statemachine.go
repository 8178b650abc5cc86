// Package statemachine embeds the workflows' ASL files, the source of truth
// for CDK, the local stack and the docs, and fills their ${Placeholders}.
package statemachine

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
)

// Scan is statemachine/scan.asl.json.
//
//go:embed scan.asl.json
var Scan []byte

// Bulk is statemachine/bulk.asl.json.
//
//go:embed bulk.asl.json
var Bulk []byte

var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9]+)\}`)

// Placeholders lists the ${Names} a definition needs, sorted.
func Placeholders(def []byte) []string {
	seen := map[string]bool{}
	for _, m := range placeholder.FindAllSubmatch(def, -1) {
		seen[string(m[1])] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Substitute fills every placeholder, as CDK's DefinitionSubstitutions does;
// a missing value is an error, never a literal "${...}" left in the output.
func Substitute(def []byte, values map[string]string) (string, error) {
	var missing []string
	out := placeholder.ReplaceAllFunc(def, func(m []byte) []byte {
		name := string(m[2 : len(m)-1])
		v, ok := values[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		return []byte(v)
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("statemachine: no value for %v", missing)
	}
	if !json.Valid(out) {
		return "", fmt.Errorf("statemachine: substituted definition is not JSON")
	}
	return string(out), nil
}
