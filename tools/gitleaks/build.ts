// Builds the `gitleaks` binary (the secret scanner the runner runs over a
// change before committing it; src/runner/secrets/scan.ts) from its Go module,
// pinned in go.mod beside this file, once into the shared cache outside the
// clone, keyed by the gitleaks version and a hash of go.mod/go.sum
// (tools/go-build.ts). The Dockerfile installs the same version into the image.
//
//   node tools/gitleaks/build.ts        build if missing, print the binary's path
import { ensureGoTool, type GoTool, pinnedVersion } from '../go-build.ts';

const MODULE = 'github.com/zricethezav/gitleaks/v8';

const GITLEAKS: GoTool = {
  name: 'gitleaks',
  moduleDir: import.meta.dirname,
  module: MODULE,
  keyFiles: ['go.mod', 'go.sum'],
  pkg: MODULE,
  // The same stamp as gitleaks' own Makefile, so `gitleaks version` tells the truth.
  ldflags: (version) => `-X=${MODULE}/version.Version=${version}`,
};

/** The gitleaks version pinned in go.mod. */
export function gitleaksVersion(): string {
  return pinnedVersion(GITLEAKS);
}

/** Returns the path of the gitleaks binary, building it first if needed. */
export function ensureGitleaks(log: (msg: string) => void = (m) => console.error(m)): string {
  return ensureGoTool(GITLEAKS, log);
}

if (import.meta.main) {
  console.log(ensureGitleaks());
}
