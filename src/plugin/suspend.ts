// suspend / resume: exactly `kubectl patch improvementtarget <t> --type=merge
// -p '{"spec":{"suspend":true|false}}'`; resume also sets the circuit-reset
// annotation to now, which closes an open circuit breaker.
import { ANNOTATION_CIRCUIT_RESET, GROUP, TARGET } from '../crds/index.ts';
import type { PluginClient } from './kube.ts';

export const suspendPatch = (suspend: boolean, now = new Date()) =>
  suspend
    ? { spec: { suspend } }
    : {
        metadata: { annotations: { [ANNOTATION_CIRCUIT_RESET]: now.toISOString() } },
        spec: { suspend },
      };

export async function setSuspended(
  client: PluginClient,
  name: string,
  suspend: boolean,
): Promise<string> {
  const t = await client.patchTarget(name, suspendPatch(suspend));
  const ref = `${TARGET.singular}.${GROUP}/${name}`;
  const active = t.status?.activeRuns ?? [];
  // A started run is not stopped by suspend; say so rather than let it surprise.
  const circuit = t.status?.circuit;
  const note =
    suspend && active.length
      ? ` (run ${active.join(', ')} is still active and will finish)`
      : !suspend && circuit?.open
        ? ` (its circuit breaker closes: ${circuit.message ?? 'it had stopped itself'})`
        : '';
  return `${ref} ${suspend ? 'suspended' : 'resumed'}${note}`;
}
