// Records the store takes and returns. Times are Unix milliseconds; amounts
// are bigint satoshis; difficulties are Bitcoin difficulty (diff-1 = 1).

export interface ShareInput {
  /** The `account` of `account.worker` (for solo mining: the payout address). */
  account: string;
  worker: string;
  /**
   * What the share is credited with: the difficulty of the channel target it
   * met, or the network difficulty for a block below every channel target
   * (below_target).
   */
  difficulty: number;
  /** Difficulty of the share's own hash (≥ difficulty). */
  share_difficulty: number;
  /** A block that met no channel target: its difficulty is not the worker's current one. */
  below_target?: boolean;
  channel_id: number;
  job_id: number;
  /** Defaults to the time of enqueue. */
  time?: number;
  is_block?: boolean;
}

export interface RejectInput {
  account: string;
  worker: string;
  /** The SubmitShares.Error code, e.g. 'stale-share', 'difficulty-too-low'. */
  reason: string;
  time?: number;
}

export interface WorkerOptions {
  user_agent?: string;
  /** Solo identity: the account name is a Bitcoin address and becomes its payout address. */
  solo?: boolean;
}

export interface WorkerIds {
  account_id: number;
  worker_id: number;
  /** The account's name as stored (its first spelling). */
  account: string;
}

export interface Account {
  id: number;
  name: string;
  password_hash: string | null;
  payout_address: string | null;
  created_at: number;
}

/**
 * pending: on the chain (or not yet settled), fewer than block_confirmations
 * deep; confirmed: on the chain and deep enough; orphaned: valid but not on
 * the best chain (can come back in a reorg); rejected: refused by the node as
 * invalid (comes back only if the chain turns out to hold its header after
 * all). Only pending and confirmed blocks count as found.
 */
export type BlockStatus = 'pending' | 'confirmed' | 'orphaned' | 'rejected';

/** Statuses of blocks the chain kept. */
export const KEPT_STATUSES: readonly BlockStatus[] = ['pending', 'confirmed'];

export interface BlockInput {
  height: number;
  /** Block hash as displayed (big-endian hex). */
  hash: string;
  /** Display hash of the block it builds on. */
  prev_hash?: string;
  account: string | null;
  worker: string | null;
  /** What the block pays the pool's miners (split by PPLNS), sats. */
  reward_sats: bigint;
  /** Total value of the coinbase outputs, sats. */
  coinbase_value: bigint;
  status?: BlockStatus;
  time?: number;
}

export interface Block {
  height: number;
  hash: string;
  prev_hash: string | null;
  account: string | null;
  worker: string | null;
  reward_sats: bigint;
  coinbase_value: bigint;
  status: BlockStatus;
  time: number;
  payouts_recorded: boolean;
}

export interface Payout {
  block_hash: string;
  account: string;
  script: string;
  amount: bigint;
}
