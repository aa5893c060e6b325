// No Docker engine on these machines, and no hadolint (not in Debian
// bookworm; PyPI is out of reach). So the Dockerfile is linted by BuildKit's
// own linter, the rules of `docker build --check`, built from its Go module
// (tools/dockerfile-lint) and run offline; the structural checks hold it to
// what the cluster manifests and the project assume.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { RUNNER_UID } from '../../src/controllers/job-builder.ts';
import { ensureDockerfileLint } from '../../tools/dockerfile-lint/build.ts';
import { gitleaksVersion } from '../../tools/gitleaks/build.ts';
import { osvScannerVersion } from '../../tools/osv-scanner/build.ts';
import { repoRoot } from '../support/kube.ts';

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
// Instructions with their continuation lines joined, comments dropped.
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const stages = instructions
  .join('\n')
  .split(/^FROM /m)
  .slice(1)
  .map((s) => `FROM ${s}`);
const finalStage = stages.at(-1)!;

describe('Dockerfile', () => {
  test('the Node base is the exact release the project pins (package.json devDependency node)', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    const arg = /^ARG NODE_IMAGE=(\S+)$/m.exec(instructions.join('\n'))?.[1];
    expect(arg).toBe(`node:${pkg.devDependencies.node}-bookworm-slim`);
    expect(stages.map((s) => s.split('\n')[0])).toEqual([
      'FROM ${NODE_IMAGE} AS build',
      'FROM ${GO_IMAGE} AS gitleaks',
      'FROM ${GO_IMAGE} AS osv-scanner',
      'FROM ${NODE_IMAGE}',
    ]);
  });

  test('the image ships the gitleaks version tools/gitleaks pins, where the runner looks for it', () => {
    const arg = /^ARG GITLEAKS_VERSION=(\S+)$/m.exec(instructions.join('\n'))?.[1];
    expect(arg).toBe(gitleaksVersion());
    const stage = stages.find((s) => s.startsWith('FROM ${GO_IMAGE} AS gitleaks'))!;
    expect(stage).toMatch(/^ARG GITLEAKS_VERSION$/m);
    expect(stage).toMatch(
      /go install .*"github\.com\/zricethezav\/gitleaks\/v8@\$\{GITLEAKS_VERSION\}"/,
    );
    expect(finalStage).toMatch(
      /^COPY --from=gitleaks \/go\/bin\/gitleaks \/usr\/local\/bin\/gitleaks$/m,
    );
    expect(finalStage).toMatch(/OPENCODE_GITLEAKS=\/usr\/local\/bin\/gitleaks/);
  });

  test('the image ships the osv-scanner version tools/osv-scanner pins, where the runner looks for it', () => {
    const arg = /^ARG OSV_SCANNER_VERSION=(\S+)$/m.exec(instructions.join('\n'))?.[1];
    expect(arg).toBe(osvScannerVersion());
    const stage = stages.find((s) => s.startsWith('FROM ${GO_IMAGE} AS osv-scanner'))!;
    expect(stage).toMatch(/^ARG OSV_SCANNER_VERSION$/m);
    expect(stage).toMatch(
      /go install .*"github\.com\/google\/osv-scanner\/v2\/cmd\/osv-scanner@\$\{OSV_SCANNER_VERSION\}"/,
    );
    expect(finalStage).toMatch(
      /^COPY --from=osv-scanner \/go\/bin\/osv-scanner \/usr\/local\/bin\/osv-scanner$/m,
    );
    expect(finalStage).toMatch(/OPENCODE_OSV_SCANNER=\/usr\/local\/bin\/osv-scanner/);
  });

  test('the final stage runs as uid 65532 with HOME=/tmp, has git, no npm, and runs the operator', () => {
    expect(finalStage).toMatch(/^USER 65532:65532$/m);
    expect(finalStage).toMatch(/HOME=\/tmp/);
    expect(finalStage).toMatch(/apt-get install -y --no-install-recommends git ca-certificates/);
    expect(finalStage).toMatch(/rm -rf \/var\/lib\/apt\/lists\/\*/);
    expect(finalStage).toMatch(/\/usr\/local\/bin\/npm/); // removed
    expect(finalStage).toMatch(/^CMD \["node", "dist\/cli\/operator\.js"\]$/m);
    expect(finalStage).not.toMatch(/^RUN npm /m);
  });

  test('the build stage installs from the lock file and prunes dev dependencies', () => {
    const build = stages[0]!;
    expect(build).toMatch(/COPY package\.json package-lock\.json/);
    expect(build).toMatch(/npm install --no-audit/);
    expect(build).toMatch(/npm run build/);
    expect(build).toMatch(/npm prune --omit=dev/);
  });

  test('the image uid is the one the manifests run as', () => {
    const dep = parse(readFileSync(join(repoRoot, 'config/manager/deployment.yaml'), 'utf8'));
    expect(dep.spec.template.spec.securityContext.runAsUser).toBe(65532);
    expect(RUNNER_UID).toBe(65532);
  });

  test('.dockerignore lets in exactly what the build stage copies', () => {
    const ignore = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    const allowed = ignore
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1).replace(/\/$/, ''));
    const copied = instructions
      .filter((l) => l.startsWith('COPY ') && !l.includes('--from='))
      .flatMap((l) => l.split(/\s+/).slice(1, -1));
    expect(copied.sort()).toEqual(allowed.sort());
    expect(ignore[0]).toBe('*');
  });

  describe("BuildKit's linter", () => {
    // Built by the global setup; this finds it in the cache.
    const lint = (file: string) =>
      spawnSync(ensureDockerfileLint(), [file], { encoding: 'utf8', timeout: 30_000 });

    test('reports no warning on our Dockerfile', () => {
      const r = lint(join(repoRoot, 'Dockerfile'));
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('');
      expect(r.status).toBe(0);
    });

    test('reports the rules a bad Dockerfile breaks, with file and line', () => {
      const dir = mkdtempSync(join(tmpdir(), 'dockerfile-lint-'));
      const bad = join(dir, 'Dockerfile');
      writeFileSync(bad, 'FROM node:24 as build\nWORKDIR /app\nCMD node server.js\n');
      const r = lint(bad);
      rmSync(dir, { recursive: true, force: true });
      const lines = r.stdout.trim().split('\n');
      expect(lines.every((l) => l.startsWith(`${bad}:`))).toBe(true);
      expect(lines.map((l) => l.slice(bad.length))).toEqual([
        expect.stringMatching(
          /^:1: FromAsCasing: .* \(https:\/\/docs\.docker\.com\/go\/dockerfile\/rule\/from-as-casing\/\)$/,
        ),
        expect.stringMatching(/^:3: JSONArgsRecommended: .*CMD/),
      ]);
      expect(r.status).toBe(1);
    });
  });
});
