//go:build unix

package scancli

import (
	"os"

	"golang.org/x/sys/unix"
)

func termWidth(f *os.File) (int, bool) {
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0, false
	}
	return int(ws.Col), true
}
