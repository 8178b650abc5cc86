//go:build unix

package inventory

import (
	"os"
	"syscall"
)

// dupFile opens a second descriptor on f's file, which stays readable after
// f is closed (and after a temp file was unlinked).
func dupFile(f syscall.Conn, name string) (*os.File, error) {
	sc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var fd int
	var derr error
	if err := sc.Control(func(raw uintptr) { fd, derr = syscall.Dup(int(raw)) }); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, derr
	}
	syscall.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), name), nil
}
