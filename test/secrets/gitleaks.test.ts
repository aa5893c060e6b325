// The secret scan with the real gitleaks, built from tools/gitleaks: its
// default rules find the usual secret shapes by rule, file and line, leave
// ordinary code alone, and nothing returned carries the secret text. The
// secrets are made here at run time, so the repository holds none.
import { randomBytes, randomInt } from 'node:crypto';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { scanForSecrets, type SecretScanResult } from '../../src/runner/secrets/scan.ts';
import { ensureGitleaks, gitleaksVersion } from '../../tools/gitleaks/build.ts';

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const pick = (alphabet: string, n: number) =>
  Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join('');

// GitHub classic PAT: ghp_ and 36 alphanumerics.
const githubPat = `ghp_${pick(UPPER + LOWER + DIGITS, 36)}`;
// AWS access key id: AKIA and 16 base32 characters.
const awsKeyId = `AKIA${pick(`${UPPER}234567`, 16)}`;
// AWS secret access key: 40 base64 characters. Letters alternate with digits
// or symbols so no English word (the generic rule's stop words) can occur.
const awsSecret = Array.from(
  { length: 20 },
  () => pick(UPPER + LOWER, 1) + pick(`${DIGITS}+/`, 1),
).join('');
// A private key block; the header is put together so that this file holds none.
const keyHeader = ['-----BEGIN', 'RSA', 'PRIVATE', 'KEY-----'].join(' ');
const keyFooter = ['-----END', 'RSA', 'PRIVATE', 'KEY-----'].join(' ');
const keyBody = (
  randomBytes(600)
    .toString('base64')
    .match(/.{1,64}/g) ?? []
).join('\n');
const privateKey = `${keyHeader}\n${keyBody}\n${keyFooter}\n`;
const SECRETS = [githubPat, awsKeyId, awsSecret, keyBody.split('\n')[0]!, keyBody];

const CLEAN = `import { readFile } from 'node:fs/promises';

/** Reads the settings file and returns its keys, sorted. */
export async function settingKeys(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  const secretName = 'API_TOKEN';
  return Object.keys(JSON.parse(text) as object)
    .filter((k) => k !== secretName)
    .sort();
}
`;

let gitleaks: string;
beforeAll(() => {
  gitleaks = ensureGitleaks((m) => process.stderr.write(`${m}\n`));
}, 20 * 60_000);

function expectNoSecretText(r: SecretScanResult): void {
  const text = JSON.stringify(r);
  for (const s of SECRETS) expect(text).not.toContain(s);
}

describe('scanForSecrets with gitleaks', () => {
  test('finds a GitHub PAT, an AWS key pair and a private key by rule, file and line', async () => {
    const r = await scanForSecrets({
      files: [
        { path: 'src/settings.ts', content: CLEAN },
        {
          path: 'src/client.ts',
          content: `import { Octokit } from '@octokit/rest';\n\nconst auth = '${githubPat}';\nexport const gh = new Octokit({ auth });\n`,
        },
        {
          path: 'deploy/aws/credentials',
          content: `[default]\naws_access_key_id = ${awsKeyId}\naws_secret_access_key = ${awsSecret}\nregion = eu-west-1\n`,
        },
        { path: 'certs/server.key', content: `# test server\n${privateKey}` },
      ],
      ownSecrets: [],
      gitleaks,
    });
    expect(r.scanner).toBe(`gitleaks ${gitleaksVersion()}`);
    expect(r.note).toBeUndefined();
    expect(r.findings).toContainEqual({ rule: 'github-pat', path: 'src/client.ts', line: 3 });
    expect(r.findings).toContainEqual({
      rule: 'aws-access-token',
      path: 'deploy/aws/credentials',
      line: 2,
    });
    // gitleaks has no rule of its own for the secret half: its generic rule finds it.
    expect(r.findings).toContainEqual({
      rule: 'generic-api-key',
      path: 'deploy/aws/credentials',
      line: 3,
    });
    expect(r.findings).toContainEqual({ rule: 'private-key', path: 'certs/server.key', line: 2 });
    expect(r.findings.filter((f) => f.path === 'src/settings.ts')).toEqual([]);
    expectNoSecretText(r);
  });

  test('ordinary code gives no finding', async () => {
    const r = await scanForSecrets({
      files: [
        { path: 'src/settings.ts', content: CLEAN },
        { path: 'README.md', content: '# Settings\n\nSet `API_TOKEN` in the environment.\n' },
      ],
      ownSecrets: [],
      gitleaks,
    });
    expect(r).toEqual({ findings: [], scanner: `gitleaks ${gitleaksVersion()}` });
  });

  test('a change cannot silence it: its .gitleaks.toml, .gitleaksignore and gitleaks:allow count for nothing', async () => {
    const r = await scanForSecrets({
      files: [
        { path: '.gitleaks.toml', content: "[allowlist]\npaths = ['''.*''']\n" },
        { path: '.gitleaksignore', content: 'src/client.ts:github-pat:1\n' },
        { path: 'src/client.ts', content: `const auth = '${githubPat}'; // gitleaks:allow\n` },
      ],
      ownSecrets: [],
      gitleaks,
    });
    expect(r.findings).toEqual([{ rule: 'github-pat', path: 'src/client.ts', line: 1 }]);
    expectNoSecretText(r);
  });

  test("also finds the runner's own secrets, which match no pattern", async () => {
    const token = pick(LOWER + DIGITS, 48);
    const r = await scanForSecrets({
      files: [{ path: 'notes.txt', content: `one\ntwo ${token}\n` }],
      ownSecrets: [token],
      gitleaks,
    });
    expect(r.findings).toContainEqual({ rule: 'runner-secret', path: 'notes.txt', line: 2 });
    expect(JSON.stringify(r)).not.toContain(token);
  });
});
