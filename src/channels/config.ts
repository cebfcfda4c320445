// Settings of the channels layer, with the defaults a pool starts from.
// Times are milliseconds (the `now` every method takes); ntime is seconds.

export interface ChannelsConfig {
  /** First extranonce byte: lets several pool servers share one payout without overlapping search space. */
  server_id: number;
  /** Bytes of extranonce_prefix the pool assigns: 1 server byte + (size − 1) channel index bytes. */
  extranonce_prefix_size: number;
  /**
   * Pool processes sharing `server_id` (the pool's workers) and which one
   * this is: this process's channel indices are ≡ worker_index (mod
   * worker_count), so their extranonce prefixes never meet.
   */
  worker_count: number;
  worker_index: number;
  /** Rollable extranonce bytes granted to extended channels that ask for less. */
  default_rollable_extranonce_size: number;
  /** Full extranonce length of standard channels (their prefix, zero-padded to this). */
  standard_extranonce_size: number;
  /**
   * Longest full extranonce (prefix + rollable) an extended channel may get;
   * asking for more is min-extranonce-size-too-large. 32 for a pool; a job
   * declarator client sets the size of its own upstream channel's extranonce.
   */
  max_extranonce_size: number;
  /** Pool tag pushed into the coinbase scriptSig before the extranonce (truncated to fit 100 bytes). */
  pool_signature: string;
  /** Vardiff aim: accepted shares per minute per channel. */
  shares_per_minute: number;
  /** SubmitShares.Success is sent after this many confirmed shares (and at once on a block). */
  share_batch_size: number;
  /** Jobs on the current chain tip kept valid per channel, newest first. */
  max_past_jobs: number;
  /** Future templates held at once, waiting for their SetNewPrevHash. */
  max_future_templates: number;
  /** Whether jobs allow BIP323 version rolling. */
  version_rolling: boolean;
  /** Seconds a share's ntime may run ahead of min_ntime + seconds since the prev hash arrived. */
  ntime_tolerance: number;
  /** Floor for nominal and estimated hashrates (H/s); also used for a nominal_hash_rate of 0. */
  min_hashrate: number;
  /** The hardest max_target a device may ask for; below it Open*Channel fails with max-target-out-of-range. */
  min_target: bigint;
  /** Header hashes remembered per channel for duplicate detection (cleared on every new prev hash). */
  duplicate_memory: number;
  /** Whether vardiff runs; without it targets change only on UpdateChannel. */
  vardiff: boolean;
}

export const DEFAULT_CHANNELS_CONFIG: Readonly<ChannelsConfig> = Object.freeze({
  server_id: 0,
  extranonce_prefix_size: 4,
  worker_count: 1,
  worker_index: 0,
  default_rollable_extranonce_size: 8,
  standard_extranonce_size: 12,
  max_extranonce_size: 32,
  pool_signature: '/Strata/',
  shares_per_minute: 6,
  share_batch_size: 10,
  max_past_jobs: 16,
  max_future_templates: 4,
  version_rolling: true,
  ntime_tolerance: 7200,
  min_hashrate: 1,
  min_target: 1n,
  duplicate_memory: 65536,
  vardiff: true,
});

/** Full extranonce limit of the Mining Protocol (B0_32). */
export const MAX_EXTRANONCE_SIZE = 32;

export function resolveChannelsConfig(partial: Partial<ChannelsConfig> = {}): ChannelsConfig {
  const c: ChannelsConfig = { ...DEFAULT_CHANNELS_CONFIG, ...partial };
  const int = (v: number, lo: number, hi: number, name: string) => {
    if (!Number.isInteger(v) || v < lo || v > hi)
      throw new RangeError(`${name} must be an integer in ${lo}..${hi}`);
  };
  int(c.server_id, 0, 255, 'server_id');
  int(c.extranonce_prefix_size, 2, 5, 'extranonce_prefix_size');
  int(c.worker_count, 1, 2 ** (8 * (c.extranonce_prefix_size - 1)), 'worker_count');
  int(c.worker_index, 0, c.worker_count - 1, 'worker_index');
  int(
    c.default_rollable_extranonce_size,
    0,
    MAX_EXTRANONCE_SIZE - c.extranonce_prefix_size,
    'default_rollable_extranonce_size',
  );
  if (c.extranonce_prefix_size + c.default_rollable_extranonce_size > c.max_extranonce_size) {
    throw new RangeError(
      'extranonce_prefix_size + default_rollable_extranonce_size exceeds max_extranonce_size',
    );
  }
  int(c.max_extranonce_size, c.extranonce_prefix_size, MAX_EXTRANONCE_SIZE, 'max_extranonce_size');
  int(
    c.standard_extranonce_size,
    c.extranonce_prefix_size,
    c.max_extranonce_size,
    'standard_extranonce_size',
  );
  int(c.share_batch_size, 1, 1_000_000, 'share_batch_size');
  int(c.max_past_jobs, 1, 1024, 'max_past_jobs');
  int(c.max_future_templates, 1, 64, 'max_future_templates');
  int(c.duplicate_memory, 1, 1 << 24, 'duplicate_memory');
  if (!(c.shares_per_minute > 0) || !Number.isFinite(c.shares_per_minute))
    throw new RangeError('shares_per_minute must be a positive number');
  if (!(c.ntime_tolerance >= 0)) throw new RangeError('ntime_tolerance must not be negative');
  if (!(c.min_hashrate > 0) || !Number.isFinite(c.min_hashrate))
    throw new RangeError('min_hashrate must be positive');
  if (c.min_target < 1n) throw new RangeError('min_target must be at least 1');
  return c;
}
