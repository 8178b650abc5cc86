package main

import (
	"strings"

	"github.com/lambdascan/lambdascan/internal/scancli"
)

// The scan command's flag helpers serve every command.
var defaultDBPath = scancli.DefaultDBPath

type multiFlag = scancli.MultiFlag

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
