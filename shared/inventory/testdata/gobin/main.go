// Command gobin is built by the inventory tests: a Go binary whose build
// info lists a module dependency and the toolchain.
package main

import (
	"fmt"

	"github.com/stretchr/testify/assert"
)

func main() { fmt.Println(assert.ObjectsAreEqual(1, 1)) }
