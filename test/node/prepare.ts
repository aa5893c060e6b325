// What a real node needs before it starts, made once per machine and cached:
// Debian packages, the node's binaries, the images. Jest's global setup calls
// prepareRealNode() when the run includes a suite under test/node, so that no
// suite's timeout counts a build; useRealNode() (use.ts) starts a node per
// test file.
import { ensureDebianPackages } from '../support/debian.ts';
import { ensureNodeBuilt } from './build.ts';
import { ensureImages, type NodeImages } from './images.ts';
import { ensureProjectImage, type ProjectImage } from './project-image.ts';

/** The environment variable through which the global setup hands the prepared node to workers. */
export const REAL_NODE_ENV = 'OPENCODE_TEST_REAL_NODE';
/** Set instead when the global setup could not prepare it: why. */
export const REAL_NODE_ERROR_ENV = 'OPENCODE_TEST_REAL_NODE_ERROR';

export interface PreparedNode {
  binDir: string;
  images: NodeImages;
  /** The project's image from its Dockerfile, or why it could not be built. */
  project?: ProjectImage;
  projectError?: string;
}

/**
 * Why this machine cannot run a real node, or '' when it can: it needs root
 * on Linux; OPENCODE_REAL_NODE=off turns it off.
 */
export function realNodeUnsupported(): string {
  if (process.env.OPENCODE_REAL_NODE === 'off') return 'OPENCODE_REAL_NODE=off';
  if (process.platform !== 'linux') return 'a real node needs Linux';
  if (process.getuid?.() !== 0) return 'a real node needs root';
  return '';
}

/** Installs the packages, builds the binaries and images (each only when missing). */
export function prepareRealNode(log: (m: string) => void): PreparedNode {
  const timed = <T>(what: string, fn: () => T): T => {
    const started = Date.now();
    const r = fn();
    const ms = Date.now() - started;
    if (ms > 1000) log(`real node: ${what} took ${(ms / 1000).toFixed(0)}s`);
    return r;
  };
  timed('Debian packages', () =>
    ensureDebianPackages(
      [
        { pkg: 'runc', command: 'runc' },
        { pkg: 'containerd', command: 'containerd' },
        { pkg: 'containernetworking-plugins', command: '/usr/lib/cni/bridge' },
        { pkg: 'iptables', command: 'iptables' },
        { pkg: 'podman', command: 'podman' },
        { pkg: 'buildah', command: 'buildah' },
        { pkg: 'debootstrap', command: 'debootstrap' },
        { pkg: 'busybox-static', command: '/bin/busybox' },
      ],
      log,
    ),
  );
  const binDir = timed('kubelet, kube-scheduler, kube-proxy build', () => ensureNodeBuilt(log));
  const images = timed('images', () => ensureImages(binDir, log));
  try {
    const project = timed('project image', () => ensureProjectImage(log));
    return { binDir, images, project };
  } catch (err) {
    // The node itself still serves the suites that need no project image.
    const projectError = (err as Error).message.slice(-3000);
    log(`real node: the project image could not be built: ${projectError}`);
    return { binDir, images, projectError };
  }
}
