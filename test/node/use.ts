// useRealNode(): a real node for one test file (like useControllerManager()).
import { afterAll, beforeAll } from '@jest/globals';
import { ENV } from '../support/env.ts';
import {
  prepareRealNode,
  REAL_NODE_ENV,
  REAL_NODE_ERROR_ENV,
  type PreparedNode,
} from './prepare.ts';
import { lockRealNode } from './lock.ts';
import { RealNode } from './realnode.ts';

/**
 * A real node for this test file, started before its tests and removed after
 * them. Returns a getter; the node is undefined when realNodeUnsupported().
 * With `nodeImage`, the project image's NODE_IMAGE base (prepared.project.node)
 * is imported too.
 */
export function useRealNode(opts: { nodeImage?: boolean } = {}): () => RealNode {
  let node: RealNode | undefined;
  let unlock: (() => void) | undefined;
  beforeAll(async () => {
    unlock = await lockRealNode(15 * 60_000, (pid) =>
      process.stderr.write(`waiting for the real node held by pid ${pid}\n`),
    );
    const cp = process.env[ENV.controlPlane];
    if (!cp) throw new Error('a real node joins the test control plane: run through jest');
    const failed = process.env[REAL_NODE_ERROR_ENV];
    if (failed) throw new Error(`the global setup could not prepare the real node: ${failed}`);
    const prepared = process.env[REAL_NODE_ENV]
      ? (JSON.parse(process.env[REAL_NODE_ENV]) as PreparedNode)
      : prepareRealNode((m) => process.stderr.write(`${m}\n`));
    node = new RealNode({
      controlPlane: JSON.parse(cp),
      ...prepared,
      extraArchives: prepared.project
        ? [
            prepared.project.archive,
            // The Debian, Node and npm image the project's is built on: a test container's.
            ...(opts.nodeImage ? [prepared.project.node.archive] : []),
          ]
        : [],
    });
    await node.start();
    process.stderr.write(
      `real node ${node.name} Ready in ${node.startMs}ms ${JSON.stringify(node.timings)}\n`,
    );
  }, 18 * 60_000);
  afterAll(async () => {
    try {
      await node?.stop();
    } finally {
      unlock?.();
    }
  }, 120_000);
  return () => {
    if (!node) throw new Error('the real node has not started');
    return node;
  };
}
