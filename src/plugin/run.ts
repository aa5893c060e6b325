// run: asks for one run now through the run-requested-at annotation, as
// Flux's reconcile.fluxcd.io/requestedAt; honoured also while suspended.
import { ANNOTATION_RUN_REQUESTED_AT, GROUP, TARGET } from '../crds/index.ts';
import type { PluginClient } from './kube.ts';

export const runPatch = (requestedAt: string) => ({
  metadata: { annotations: { [ANNOTATION_RUN_REQUESTED_AT]: requestedAt } },
});

export async function requestRun(client: PluginClient, name: string, now: Date): Promise<string> {
  const at = now.toISOString();
  await client.patchTarget(name, runPatch(at));
  return `${TARGET.singular}.${GROUP}/${name} run requested (${ANNOTATION_RUN_REQUESTED_AT}=${at})`;
}
