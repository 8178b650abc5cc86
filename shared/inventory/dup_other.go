//go:build !unix

package inventory

import (
	"errors"
	"os"
	"syscall"
)

// dupFile is not available here: the scanner opens the binary again.
func dupFile(syscall.Conn, string) (*os.File, error) { return nil, errors.New("dup not supported") }
