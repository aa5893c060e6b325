// A runner pod reaches a git remote served on the node's bridge address
// over https (the only scheme a target's URL may use besides ssh and
// file://). The certificate is made here and trusted through the runner's
// git ConfigMap; this module also gives the namespace objects a runner
// needs: the forge token Secret, that ConfigMap, its ServiceAccount and Role.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHttpGit, type HttpGitServer } from '../runner/http-git.ts';

export interface HttpsRemote {
  server: HttpGitServer;
  cert: string;
}

/** Serves the bare repositories under `root` on https://<ip>:<port>/, with basic auth by `token`. */
export async function serveHttpsRemote(
  root: string,
  ip: string,
  token: string,
): Promise<HttpsRemote> {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=opencode-e2e',
      '-addext',
      `subjectAltName=IP:${ip}`,
      '-keyout',
      join(root, 'key.pem'),
      '-out',
      join(root, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  const cert = readFileSync(join(root, 'cert.pem'), 'utf8');
  const key = readFileSync(join(root, 'key.pem'), 'utf8');
  const server = await startHttpGit(root, token, { host: ip, tls: { key, cert } });
  return { server, cert };
}

/** The ConfigMap the operator's --runner-git-config-map names here. */
export const RUNNER_GIT_CONFIG_MAP = 'runner-git';
export const RUNNER_SERVICE_ACCOUNT = 'opencode-runner';
export const FORGE_SECRET = 'forge';

/** What a runner needs in its namespace (the chart makes the same ServiceAccount and Role). */
export function runnerNamespaceObjects(ns: string, token: string, cert: string): object[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: FORGE_SECRET, namespace: ns },
      stringData: { token },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: RUNNER_GIT_CONFIG_MAP, namespace: ns },
      data: { gitconfig: '[http]\n\tsslCAInfo = /etc/opencode/git/ca.crt\n', 'ca.crt': cert },
    },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: RUNNER_SERVICE_ACCOUNT, namespace: ns },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: RUNNER_SERVICE_ACCOUNT, namespace: ns },
      rules: [
        { apiGroups: ['opencode.dev'], resources: ['improvementruns/status'], verbs: ['patch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: RUNNER_SERVICE_ACCOUNT, namespace: ns },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: RUNNER_SERVICE_ACCOUNT,
      },
      subjects: [{ kind: 'ServiceAccount', name: RUNNER_SERVICE_ACCOUNT, namespace: ns }],
    },
  ];
}
