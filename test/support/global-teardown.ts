export default async function globalTeardown(): Promise<void> {
  const cp = globalThis.__OPENCODE_CONTROLPLANE__;
  globalThis.__OPENCODE_CONTROLPLANE__ = undefined;
  await cp?.stop();
}
