//go:build !unix

package scancli

import "os"

func termWidth(*os.File) (int, bool) { return 0, false }
