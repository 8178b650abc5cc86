// Package imagetest builds container images for tests: deterministic layers
// (fixed times, given order) with history, so base-image detection and layer
// attribution behave as for an image built by docker.
package imagetest

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// File is one tar entry. Link set: a symlink to Link. Dir: a directory.
type File struct {
	Name string
	Body []byte
	Mode int64 // 0 means 0644 (0755 for directories)
	Link string
	Dir  bool
}

// Step is one history entry: a layer of files, or (Files nil) an empty
// layer such as CMD or ENV.
type Step struct {
	CreatedBy string
	Files     []File
}

var fixed = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)

// Tar returns an uncompressed layer tar of the files.
func Tar(files ...File) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.Name, ModTime: fixed, Mode: f.Mode, Typeflag: tar.TypeReg, Size: int64(len(f.Body))}
		switch {
		case f.Link != "":
			h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, f.Link, 0
		case f.Dir:
			h.Typeflag, h.Size = tar.TypeDir, 0
			if h.Mode == 0 {
				h.Mode = 0o755
			}
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(h); err != nil {
			panic(err) // only for bad test input
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(f.Body); err != nil {
				panic(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// Layer is a gzip layer of the files.
func Layer(files ...File) (v1.Layer, error) {
	b := Tar(files...)
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
		tarball.WithMediaType(types.DockerLayer))
}

// Image builds an image from the steps, oldest first, for os/arch.
func Image(platform string, steps ...Step) (v1.Image, error) {
	img := empty.Image
	img = mutate.MediaType(img, types.DockerManifestSchema2)
	img = mutate.ConfigMediaType(img, types.DockerConfigJSON)
	for _, s := range steps {
		add := mutate.Addendum{History: v1.History{CreatedBy: s.CreatedBy, Created: v1.Time{Time: fixed}}}
		if s.Files == nil {
			add.History.EmptyLayer = true
			var err error
			if img, err = appendHistoryOnly(img, add.History); err != nil {
				return nil, err
			}
			continue
		}
		l, err := Layer(s.Files...)
		if err != nil {
			return nil, err
		}
		add.Layer = l
		if img, err = mutate.Append(img, add); err != nil {
			return nil, err
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	p, err := v1.ParsePlatform(platform)
	if err != nil {
		return nil, err
	}
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	cf.Created = v1.Time{Time: fixed}
	return mutate.ConfigFile(img, cf)
}

// appendHistoryOnly records an empty-layer step (CMD, ENV) in the config.
func appendHistoryOnly(img v1.Image, h v1.History) (v1.Image, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.History = append(cf.History, h)
	return mutate.ConfigFile(img, cf)
}

// DebianBase is a small Debian 12 root: os-release and a dpkg status file
// with two packages (facts only: names, versions, source).
func DebianBase() []File {
	return []File{
		{Name: "etc/", Dir: true},
		{Name: "etc/os-release", Body: []byte("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n")},
		{Name: "var/lib/dpkg/", Dir: true},
		{Name: "var/lib/dpkg/status", Body: []byte(
			"Package: openssl\nStatus: install ok installed\nArchitecture: arm64\nVersion: 3.0.11-1~deb12u2\n\n" +
				"Package: zlib1g\nStatus: install ok installed\nArchitecture: arm64\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\n\n")},
		{Name: "usr/bin/", Dir: true},
		{Name: "usr/bin/env", Body: append([]byte("\x7fELF"), make([]byte, 64)...), Mode: 0o755},
		{Name: "usr/bin/script.sh", Body: []byte("#!/bin/sh\necho hi\n"), Mode: 0o755},
	}
}

// PythonApp is a function's code in /var/task: an installed wheel's
// metadata (requests 2.25.0 has known advisories in PyPI data).
func PythonApp() []File {
	return []File{
		{Name: "var/task/", Dir: true},
		{Name: "var/task/app.py", Body: []byte("import requests\n")},
		{Name: "var/task/requests-2.25.0.dist-info/METADATA", Body: []byte("Metadata-Version: 2.1\nName: requests\nVersion: 2.25.0\n")},
	}
}

// EditedTarball is a `docker save` tarball of img whose config was edited
// after the fact: a config that lies about its layers (diff_ids), which
// go-containerregistry will not write itself.
func EditedTarball(img v1.Image, edit func(*v1.ConfigFile)) ([]byte, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cn, err := img.ConfigName()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	edit(cf)
	lie, err := json.Marshal(cf)
	if err != nil {
		return nil, err
	}
	var good, out bytes.Buffer
	if err := tarball.Write(name.MustParseReference("imagetest.example/app:latest"), img, &good); err != nil {
		return nil, err
	}
	tr, tw := tar.NewReader(&good), tar.NewWriter(&out)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			err = tw.Close()
			return out.Bytes(), err
		}
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		if h.Name == cn.String() {
			body, h.Size = lie, int64(len(lie))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(body); err != nil {
			return nil, err
		}
	}
}
