// Numbers the spec assigns outside message bodies: SetupConnection.protocol
// values and the SetupConnection flag bits of each subprotocol.

/** SetupConnection.protocol (spec 3.6.1). */
export const PROTOCOL = {
  MINING: 0,
  JOB_DECLARATION: 1,
  TEMPLATE_DISTRIBUTION: 2,
} as const;

/** The only protocol version the spec defines. */
export const PROTOCOL_VERSION = 2;

/** Mining Protocol flags in SetupConnection.flags and SetupConnection.Error.flags (spec 5.3.1). */
export const MINING_SETUP_FLAGS = {
  REQUIRES_STANDARD_JOBS: 1 << 0,
  REQUIRES_WORK_SELECTION: 1 << 1,
  REQUIRES_VERSION_ROLLING: 1 << 2,
} as const;

/** Mining Protocol flags in SetupConnection.Success.flags (spec 5.3.1). */
export const MINING_SETUP_SUCCESS_FLAGS = {
  REQUIRES_FIXED_VERSION: 1 << 0,
  REQUIRES_EXTENDED_CHANNELS: 1 << 1,
} as const;

/** Job Declaration flags in SetupConnection.flags and SetupConnection.Error.flags (spec 6.4.1); none for .Success. */
export const JOB_DECLARATION_SETUP_FLAGS = {
  DECLARE_TX_DATA: 1 << 0,
} as const;
