// Builds `dockerfile-lint` (main.go beside this file: BuildKit's Dockerfile
// lint rules, offline) once into the shared cache outside the clone, keyed by
// the BuildKit version and a hash of go.mod/go.sum/main.go (tools/go-build.ts).
//
//   node tools/dockerfile-lint/build.ts        build if missing, print the binary's path
import { ensureGoTool, type GoTool, pinnedVersion } from '../go-build.ts';

const DOCKERFILE_LINT: GoTool = {
  name: 'dockerfile-lint',
  moduleDir: import.meta.dirname,
  module: 'github.com/moby/buildkit',
  keyFiles: ['go.mod', 'go.sum', 'main.go'],
  pkg: '.',
};

/** The BuildKit version pinned in go.mod. */
export function buildkitVersion(): string {
  return pinnedVersion(DOCKERFILE_LINT);
}

/** Returns the path of the dockerfile-lint binary, building it first if needed. */
export function ensureDockerfileLint(log: (msg: string) => void = (m) => console.error(m)): string {
  return ensureGoTool(DOCKERFILE_LINT, log);
}

if (import.meta.main) {
  console.log(ensureDockerfileLint());
}
