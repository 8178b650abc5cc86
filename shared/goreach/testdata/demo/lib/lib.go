// Package lib has the shapes of names a vulnerability record lists: a
// method on a pointer receiver, a generic function, a method of a generic
// type, a function inlined at its only call site, and one never called.
package lib

type Server struct{ N int }

//go:noinline
func (s *Server) Serve() int { return s.N + 1 }

type Box[T any] struct{ V T }

//go:noinline
func (b *Box[T]) Get() T { return b.V }

//go:noinline
func Map[T any](xs []T, f func(T) T) []T {
	out := make([]T, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

// Tiny is small enough to be inlined into its caller and left out of the
// binary as a function of its own.
func Tiny(x int) int { return x * 3 }

func Unused() int { return 42 }
