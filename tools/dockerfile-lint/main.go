// dockerfile-lint runs BuildKit's Dockerfile lint rules (the checks of
// `docker build --check`) on one Dockerfile, without a Docker engine or
// network: there is neither on the machines that test this project.
//
//	dockerfile-lint path/to/Dockerfile
//
// Prints each warning as `file:line: RuleName: description (url)` and exits 1
// if there is any, 0 if the Dockerfile is clean, 2 if it cannot be linted.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/solver/pb"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

const usage = `usage: dockerfile-lint DOCKERFILE

Runs BuildKit's Dockerfile lint rules (those of ` + "`docker build --check`" + `) on
DOCKERFILE, offline. Honors "# check=skip=..." and "# check=experimental=..."
directives. Base images are not pulled: each is taken as an empty image of
the target platform, so InvalidBaseImagePlatform cannot fire and UndefinedVar
does not know a base image's ENV (PATH aside). CopyIgnoredFile needs the
build context and does not run.

Prints file:line: Rule: description (url) for each warning.
Exit status: 0 clean, 1 warnings, 2 usage or parse error.
`

// offlineResolver stands in for the registry: every base image is an empty
// Linux image of the requested platform. BuildKit's default resolver would
// pull image configs over the network; the lint rules only need a config.
type offlineResolver struct{}

func (offlineResolver) ResolveImageConfig(_ context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	img := ocispecs.Image{Platform: ocispecs.Platform{OS: "linux", Architecture: "amd64"}}
	if opt.ImageOpt != nil && opt.ImageOpt.Platform != nil {
		img.Platform = *opt.ImageOpt.Platform
	}
	// One layer, so BuildKit treats the base as an image rather than scratch.
	img.RootFS = ocispecs.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromString(ref)}}
	dt, err := json.Marshal(img)
	return ref, "", dt, err
}

func main() {
	if len(os.Args) != 2 || os.Args[1] == "" || os.Args[1][0] == '-' {
		if len(os.Args) == 2 && (os.Args[1] == "--help" || os.Args[1] == "-h") {
			fmt.Print(usage)
			os.Exit(0)
		}
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	os.Exit(run(os.Args[1]))
}

func run(path string) int {
	dt, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dockerfile-lint: %v\n", err)
		return 2
	}
	src := llb.NewSourceMap(nil, path, "Dockerfile", dt)
	// The results record the source with its LLB definition; with no build
	// context there is none, and a nil one would be dereferenced.
	src.Definition = &llb.Definition{}
	res, err := dockerfile2llb.DockerfileLint(context.Background(), dt, dockerfile2llb.ConvertOpt{
		SourceMap:    src,
		MetaResolver: offlineResolver{},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "dockerfile-lint: %v\n", err)
		return 2
	}
	line := func(w lint.Warning) int {
		if w.Location == nil {
			return 0
		}
		return firstLine(w.Location.Ranges)
	}
	// In file order: base-image checks run concurrently, one per stage.
	sort.SliceStable(res.Warnings, func(i, j int) bool { return line(res.Warnings[i]) < line(res.Warnings[j]) })
	for _, w := range res.Warnings {
		// Detail is this occurrence's message; Description the rule's summary.
		fmt.Printf("%s:%d: %s: %s (%s)\n", path, line(w), w.RuleName, w.Detail, w.URL)
	}
	// A Dockerfile BuildKit cannot build (no stage, blank base name, ...)
	// comes back as res.Error, after the warnings found up to that point.
	if res.Error != nil {
		fmt.Fprintf(os.Stderr, "%s:%d: error: %s\n", path, firstLine(res.Error.Location.Ranges), res.Error.Message)
		return 2
	}
	if len(res.Warnings) > 0 {
		return 1
	}
	return 0
}

func firstLine(ranges []*pb.Range) int {
	if len(ranges) == 0 {
		return 0
	}
	return int(ranges[0].GetStart().GetLine())
}
