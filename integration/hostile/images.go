package hostile

import (
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/lambdascan/lambdascan/shared/image/imagetest"
)

var tag = name.MustParseReference("hostile.example/app:latest")

// diffIDMismatch: the config claims another diff_id for the app layer than
// its content hashes to (the layer's compressed digest is honest).
func diffIDMismatch(p string) error {
	img, err := imagetest.Image("linux/amd64",
		imagetest.Step{CreatedBy: "ADD rootfs.tar /", Files: imagetest.DebianBase()},
		imagetest.Step{CreatedBy: "COPY . /var/task", Files: imagetest.PythonApp()})
	if err != nil {
		return err
	}
	b, err := imagetest.EditedTarball(img, func(cf *v1.ConfigFile) {
		cf.RootFS.DiffIDs[1] = v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%064x", 0xbad)}
	})
	if err != nil {
		return err
	}
	return os.WriteFile(p, b, 0o644)
}

// manyLayers: an image of n one-file layers.
func manyLayers(n int) func(string) error {
	return func(p string) error {
		base, err := imagetest.Image("linux/amd64", imagetest.Step{CreatedBy: "COPY . /var/task", Files: imagetest.PythonApp()})
		if err != nil {
			return err
		}
		adds := make([]mutate.Addendum, 0, n-1)
		for i := 1; i < n; i++ {
			l, err := imagetest.Layer(imagetest.File{Name: fmt.Sprintf("srv/f%05d.txt", i), Body: []byte("x")})
			if err != nil {
				return err
			}
			adds = append(adds, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: fmt.Sprintf("RUN step %d", i)}})
		}
		img, err := mutate.Append(base, adds...)
		if err != nil {
			return err
		}
		return tarball.WriteToFile(p, tag, img)
	}
}
