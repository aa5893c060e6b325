// Builds the `osv-scanner` binary (the vulnerability scan the runner makes of
// a repository's lockfiles and manifests; src/runner/security/osv.ts) from its
// Go module, pinned in go.mod beside this file, once into the shared cache
// outside the clone (tools/go-build.ts). The Dockerfile installs the same
// version into the image.
//
//   node tools/osv-scanner/build.ts     build if missing, print the binary's path
import { ensureGoTool, type GoTool, pinnedVersion } from '../go-build.ts';

const MODULE = 'github.com/google/osv-scanner/v2';

const OSV_SCANNER: GoTool = {
  name: 'osv-scanner',
  moduleDir: import.meta.dirname,
  module: MODULE,
  keyFiles: ['go.mod', 'go.sum'],
  pkg: `${MODULE}/cmd/osv-scanner`,
};

/** The osv-scanner version pinned in go.mod. */
export function osvScannerVersion(): string {
  return pinnedVersion(OSV_SCANNER);
}

/** Returns the path of the osv-scanner binary, building it first if needed. */
export function ensureOsvScanner(log: (msg: string) => void = (m) => console.error(m)): string {
  return ensureGoTool(OSV_SCANNER, log);
}

if (import.meta.main) {
  console.log(ensureOsvScanner());
}
