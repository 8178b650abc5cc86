package scanflow

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/integration/localstack"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/image"
	"github.com/lambdascan/lambdascan/shared/image/imagetest"
	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/report"
)

// `lambdascan scan` on ARNs and ECR images, as a user runs it with local
// credentials: the real binaries (lambdascan hands these targets to
// lambdascan-remote) against the local stack and its ECR.
func TestCLIScansDeployedTargets(t *testing.T) {
	ctx := context.Background()
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin+"/", "../../cmd/lambdascan", "../../cmd/lambdascan-remote")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))

	// The index the mirror published, as `lambdascan db update` would fetch it.
	var ptr contract.VulnDBPointerDoc
	getJSON(t, contract.VulnDBPointer, &ptr)
	obj, err := env.AWS.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(localstack.Bucket), Key: aws.String(ptr.Key)})
	require.NoError(t, err)
	db := filepath.Join(bin, "osv.lsdb")
	f, err := os.Create(db)
	require.NoError(t, err)
	_, err = f.ReadFrom(obj.Body)
	obj.Body.Close()
	require.NoError(t, err)
	require.NoError(t, f.Close())

	scanCLI := func(t *testing.T, target string) report.Report {
		t.Helper()
		cmd := exec.Command(filepath.Join(bin, "lambdascan"), "scan", "--db", db, "--format", "json", target)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION="+localstack.Region,
			config.EndpointEnv+"="+env.Stack.Endpoint, image.MirrorEnv+"="+env.RegistryHost)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if ee, ok := err.(*exec.ExitError); ok {
			require.Equal(t, 1, ee.ExitCode(), "exit 1 is findings; anything else is an error: %s", stderr.String())
		} else {
			require.NoError(t, err, stderr.String())
		}
		var r report.Report
		require.NoError(t, json.Unmarshal(out, &r), stderr.String())
		require.NotEqual(t, report.StatusFailed, r.Status, "%+v", r.Error)
		return r
	}

	layer, err := env.PublishLayer(ctx, "cli-yaml", pkg("layer-python-yaml.zip"))
	require.NoError(t, err)
	fn, err := env.CreateFunction(ctx, "cli-zip", pkg("python-requirements.zip"), "python3.11", []string{layer}, nil)
	require.NoError(t, err)

	t.Run("function ARN", func(t *testing.T) {
		r := scanCLI(t, fn)
		assert.Equal(t, report.KindFunction, r.Target.Kind)
		assert.Equal(t, fn, r.Target.FunctionARN)
		require.Len(t, r.Target.Layers, 1)
		assert.Equal(t, layer, r.Target.Layers[0].ARN)
		var fromLayer, fromCode int
		for _, p := range r.Packages {
			switch {
			case p.Origin.Kind == inventory.OriginLayer && p.Origin.Layer == layer:
				fromLayer++
			case p.Origin.Kind == inventory.OriginFunction:
				fromCode++
			}
		}
		assert.Equal(t, 1, fromLayer, "PyYAML, attributed to the layer ARN")
		assert.Positive(t, fromCode)
	})
	t.Run("layer ARN", func(t *testing.T) {
		r := scanCLI(t, layer)
		assert.Equal(t, report.KindLayer, r.Target.Kind)
		require.Len(t, r.Packages, 1)
		assert.Equal(t, "PyYAML", r.Packages[0].Name)
	})

	img, err := imagetest.Image("linux/arm64",
		imagetest.Step{CreatedBy: "ADD rootfs.tar /", Files: imagetest.DebianBase()},
		imagetest.Step{CreatedBy: `CMD ["bash"]`},
		imagetest.Step{CreatedBy: "COPY . /var/task", Files: imagetest.PythonApp()})
	require.NoError(t, err)
	uri, err := env.PushImage(ctx, "cli-app", "v1", img)
	require.NoError(t, err)
	digest, err := img.Digest()
	require.NoError(t, err)
	imgFn, err := env.CreateImageFunction(ctx, "cli-image", uri, "arm64")
	require.NoError(t, err)
	t.Run("image function ARN", func(t *testing.T) {
		r := scanCLI(t, imgFn)
		assert.Equal(t, report.KindFunction, r.Target.Kind)
		require.NotNil(t, r.Target.Image)
		assert.Equal(t, digest.String(), r.Target.Image.Digest)
		assert.Equal(t, "linux/arm64", r.Target.Image.Platform)
	})
	t.Run("ECR image reference", func(t *testing.T) {
		r := scanCLI(t, uri)
		assert.Equal(t, report.KindImage, r.Target.Kind)
		assert.Equal(t, digest.String(), r.Target.Image.Digest)
		var names []string
		for _, p := range r.Packages {
			names = append(names, p.Name)
		}
		assert.Contains(t, names, "requests")
		assert.Contains(t, names, "openssl")
	})
}
