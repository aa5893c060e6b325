import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import {
  base64Forms,
  GITLEAKS_ENV,
  OWN_SECRET_BASE64_RULE,
  OWN_SECRET_RULE,
  ownSecretFindings,
  resolveGitleaks,
  scanForSecrets,
  scrub,
} from './scan.ts';

// Secret-shaped values are made at run time: none is written in the repository.
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const randomAlnum = (n: number) =>
  Array.from(randomBytes(n), (b) => ALNUM[b % ALNUM.length]).join('');

const token = `tok${randomAlnum(37)}`;
const apiKey = `key-${randomAlnum(44)}`;
const own = [token, apiKey];
const noGitleaks = { PATH: '' };

const CLEAN = 'export function add(a: number, b: number): number {\n  return a + b;\n}\n';

const tmp = mkdtempSync(join(tmpdir(), 'secrets-scan-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function fakeGitleaks(name: string, dirScript: string): string {
  const bin = join(tmp, name);
  writeFileSync(
    bin,
    `#!/bin/sh\nif [ "$1" = version ]; then echo v9.9.9; exit 0; fi\n${dirScript}\n`,
  );
  chmodSync(bin, 0o755);
  return bin;
}

describe('own secrets', () => {
  it('finds a secret value verbatim, by file and line, and nothing in clean code', async () => {
    const r = await scanForSecrets({
      files: [
        { path: 'src/add.ts', content: CLEAN },
        { path: 'src/config.ts', content: `const a = 1;\n\nconst t = '${token}';\n` },
        { path: 'README.md', content: `key ${apiKey} and again ${apiKey}\n` },
      ],
      ownSecrets: own,
      env: noGitleaks,
    });
    expect(r.findings).toEqual([
      { rule: OWN_SECRET_RULE, path: 'README.md', line: 1 },
      { rule: OWN_SECRET_RULE, path: 'src/config.ts', line: 3 },
    ]);
  });

  it.each(['', 'x', 'x-access-token:', 'ab', 'user:', 'Bearer '])(
    'finds its base64 and base64url forms after the prefix %j',
    (prefix) => {
      const plain = Buffer.from(`${prefix}${token}`);
      const files = [
        { path: 'a.txt', content: `Authorization: Basic ${plain.toString('base64')}\n` },
        { path: 'b.txt', content: `x\ny\n${plain.toString('base64url')}\n` },
      ];
      expect(ownSecretFindings(files, own)).toEqual([
        { rule: OWN_SECRET_BASE64_RULE, path: 'a.txt', line: 1 },
        { rule: OWN_SECRET_BASE64_RULE, path: 'b.txt', line: 3 },
      ]);
    },
  );

  it('base64 forms cover every alignment and are long enough not to match by chance', () => {
    const forms = base64Forms(token);
    for (const f of forms) expect(f.length).toBeGreaterThanOrEqual(8);
    for (let k = 0; k < 3; k++) {
      const enc = Buffer.from(`${'z'.repeat(k)}${token}!`).toString('base64');
      expect(forms.some((f) => enc.includes(f))).toBe(true);
    }
  });

  it('ignores empty and very short values, which would match ordinary text', () => {
    expect(ownSecretFindings([{ path: 'a', content: 'abc\n' }], ['', 'abc'])).toEqual([]);
  });

  it('findings never carry the secret text', async () => {
    const r = await scanForSecrets({
      files: [
        { path: 'x.env', content: `T=${token}\nK=${Buffer.from(apiKey).toString('base64')}\n` },
      ],
      ownSecrets: own,
      env: noGitleaks,
    });
    expect(r.findings).toHaveLength(2);
    const text = JSON.stringify(r);
    expect(text).not.toContain(token);
    expect(text).not.toContain(apiKey);
    expect(text).not.toContain(Buffer.from(apiKey).toString('base64'));
  });

  it('refuses paths outside the tree', async () => {
    for (const path of ['../x', '/etc/x', 'a/../../x', './a', 'a//b', '']) {
      await expect(
        scanForSecrets({ files: [{ path, content: '' }], ownSecrets: [], env: noGitleaks }),
      ).rejects.toThrow(/bad file path/);
    }
  });
});

describe('the gitleaks binary', () => {
  it('without one, scans own secrets only and says the pattern scan was skipped', async () => {
    const r = await scanForSecrets({
      files: [{ path: 'a.ts', content: CLEAN }],
      ownSecrets: own,
      env: noGitleaks,
    });
    expect(r).toEqual({
      findings: [],
      scanner: 'own-secrets-only',
      note: expect.stringMatching(/pattern scan was skipped/),
    });
  });

  it('comes from the option, then OPENCODE_GITLEAKS, then PATH', () => {
    const onPath = fakeGitleaks('gitleaks', 'exit 0');
    expect(
      resolveGitleaks({ option: '/opt/g', env: { [GITLEAKS_ENV]: '/env/g', PATH: tmp } }),
    ).toBe('/opt/g');
    expect(resolveGitleaks({ env: { [GITLEAKS_ENV]: '/env/g', PATH: tmp } })).toBe('/env/g');
    expect(resolveGitleaks({ env: { PATH: `/nonexistent:${tmp}` } })).toBe(onPath);
    expect(resolveGitleaks({ env: { PATH: '/nonexistent' } })).toBeUndefined();
  });

  it('maps its JSON report to rule, repository path and line, with its version', async () => {
    const bin = fakeGitleaks(
      'gitleaks-report',
      `printf '[{"RuleID":"fake-rule","File":"files/tree/src/a.ts","StartLine":3,"Secret":"REDACTED"}]' > report.json`,
    );
    const r = await scanForSecrets({
      files: [{ path: 'src/a.ts', content: CLEAN }],
      ownSecrets: own,
      gitleaks: bin,
    });
    expect(r).toEqual({
      findings: [{ rule: 'fake-rule', path: 'src/a.ts', line: 3 }],
      scanner: 'gitleaks v9.9.9',
    });
  });

  it('a failing gitleaks fails the scan, and its stderr does not leak the content', async () => {
    const secret = `ghx_${randomAlnum(36)}`;
    const bin = fakeGitleaks(
      'gitleaks-fail',
      `echo "ERR cannot parse line: secret=${secret} token=${token}" >&2; exit 2`,
    );
    const err = await scanForSecrets({
      files: [{ path: 'a.ts', content: `const s = "${secret}";\n` }],
      ownSecrets: own,
      gitleaks: bin,
    }).then(
      () => undefined,
      (e: unknown) => e as Error & { reason?: string },
    );
    expect(err?.reason).toBe('SecretScanFailed');
    expect(err?.message).toMatch(/exit code 2/);
    expect(err?.message).toMatch(/cannot parse line/);
    expect(err?.message).not.toContain(secret);
    expect(err?.message).not.toContain(secret.slice(4, 20));
    expect(err?.message).not.toContain(token);
  });

  it('a configured binary that does not run fails the scan instead of skipping it', async () => {
    await expect(
      scanForSecrets({
        files: [{ path: 'a.ts', content: CLEAN }],
        ownSecrets: own,
        gitleaks: join(tmp, 'missing-gitleaks'),
      }),
    ).rejects.toThrow(/cannot run gitleaks .*ENOENT/);
  });
});

describe('scrub', () => {
  it('removes every 8-character run that occurs in the content', () => {
    const s = randomAlnum(30);
    expect(scrub(`before ${s} after`, [{ content: `x=${s}\n` }])).toBe('before [REDACTED] after');
    expect(scrub('nothing shared', [{ content: 'other text' }])).toBe('nothing shared');
  });
});
