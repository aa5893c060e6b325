// suspend / resume: exactly `kubectl patch improvementtarget <t> --type=merge
// -p '{"spec":{"suspend":true|false}}'`.
import { GROUP, TARGET } from '../crds/index.ts';
import type { PluginClient } from './kube.ts';

export const suspendPatch = (suspend: boolean) => ({ spec: { suspend } });

export async function setSuspended(
  client: PluginClient,
  name: string,
  suspend: boolean,
): Promise<string> {
  const t = await client.patchTarget(name, suspendPatch(suspend));
  const ref = `${TARGET.singular}.${GROUP}/${name}`;
  const active = t.status?.activeRuns ?? [];
  // A started run is not stopped by suspend; say so rather than let it surprise.
  const note =
    suspend && active.length ? ` (run ${active.join(', ')} is still active and will finish)` : '';
  return `${ref} ${suspend ? 'suspended' : 'resumed'}${note}`;
}
