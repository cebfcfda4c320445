// Error codes the channels layer answers with. The spec leaves codes to the
// implementation; these are the reference pool's strings, so clients that
// count rejects by code see familiar names.

export const SUBMIT_ERROR = {
  INVALID_CHANNEL_ID: 'invalid-channel-id',
  STALE_SHARE: 'stale-share',
  INVALID_JOB_ID: 'invalid-job-id',
  BAD_EXTRANONCE_SIZE: 'bad-extranonce-size',
  INVALID_SHARE: 'invalid-share',
  INVALID_NON_ROLLABLE_VERSION_BIT: 'invalid-non-rollable-version-bit',
  VERSION_ROLLING_NOT_ALLOWED: 'version-rolling-not-allowed',
  DIFFICULTY_TOO_LOW: 'difficulty-too-low',
  DUPLICATE_SHARE: 'duplicate-share',
} as const;

export const OPEN_ERROR = {
  UNKNOWN_USER: 'unknown-user',
  INVALID_NOMINAL_HASHRATE: 'invalid-nominal-hashrate',
  MAX_TARGET_OUT_OF_RANGE: 'max-target-out-of-range',
  MIN_EXTRANONCE_SIZE_TOO_LARGE: 'min-extranonce-size-too-large',
  CAPACITY_EXHAUSTED: 'channel-capacity-exhausted',
  STANDARD_CHANNELS_NOT_SUPPORTED: 'standard-channels-not-supported',
  /** A connection with REQUIRES_WORK_SELECTION mines custom jobs, which need extended channels. */
  STANDARD_CHANNELS_NOT_SUPPORTED_FOR_CUSTOM_WORK: 'standard-channels-not-supported-for-custom-work',
} as const;

export const UPDATE_ERROR = {
  INVALID_CHANNEL_ID: 'invalid-channel-id',
  INVALID_NOMINAL_HASHRATE: 'invalid-nominal-hashrate',
} as const;

export type SubmitErrorCode = (typeof SUBMIT_ERROR)[keyof typeof SUBMIT_ERROR];
