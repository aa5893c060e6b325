// Builds the `helm` binary from its Go module (pinned in go.mod beside this
// file) once into the shared cache outside the clone, keyed by the helm
// version and a hash of go.mod/go.sum (tools/go-build.ts).
//
//   node tools/helm/build.ts        build if missing, print the binary's path
import { ensureGoTool, type GoTool, pinnedVersion, toolDir } from '../go-build.ts';

const MODULE = 'helm.sh/helm/v4';

const HELM: GoTool = {
  name: 'helm',
  moduleDir: import.meta.dirname,
  module: MODULE,
  keyFiles: ['go.mod', 'go.sum'],
  pkg: `${MODULE}/cmd/helm`,
  // The same stamps as helm's own Makefile, so `helm version` tells the truth.
  ldflags: (version) =>
    `-X ${MODULE}/internal/version.version=${version} -X ${MODULE}/internal/version.gitTreeState=clean`,
};

/** The helm version pinned in go.mod. */
export function helmVersion(): string {
  return pinnedVersion(HELM);
}

export function helmDir(): string {
  return toolDir(HELM);
}

/** Returns the path of the helm binary, building it first if needed. */
export function ensureHelm(log: (msg: string) => void = (m) => console.error(m)): string {
  return ensureGoTool(HELM, log);
}

if (import.meta.main) {
  console.log(ensureHelm());
}
