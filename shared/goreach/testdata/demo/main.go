package main

import (
	"os"

	"example.com/demo/lib"
)

func main() {
	s := &lib.Server{N: len(os.Args)}
	b := &lib.Box[string]{V: "x"}
	xs := lib.Map([]int{1, 2}, func(x int) int { return x + 1 })
	println(s.Serve(), b.Get(), len(xs), lib.Tiny(len(os.Args)))
}
