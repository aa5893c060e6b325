/** Environment variables through which the global setup tells test workers about the control plane. */
export const ENV = {
  binDir: 'OPENCODE_TEST_BIN_DIR',
  controlPlane: 'OPENCODE_TEST_CONTROLPLANE',
} as const;
