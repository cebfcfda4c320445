// Custom jobs (SetCustomMiningJob, spec 5.3.18): what a connection with
// REQUIRES_WORK_SELECTION declares on its extended channels, checked against
// the chain tip before it becomes a job. The mining_job_token is the
// caller's to verify (the channels layer holds no secrets); the checks of
// the job's outputs a pool makes (its payout share, the declared token's
// commitment) are helpers here for the caller to pass in.
//
// Coinbase of a custom job (legacy serialization, what shares hash):
//   coinbase_tx_version ‖ 0x01 ‖ 32 zero bytes ‖ 0xffffffff ‖
//   CompactSize(len(coinbase_prefix) + F) ‖ coinbase_prefix ‖ full extranonce (F bytes) ‖
//   coinbase_tx_input_nSequence ‖ coinbase_tx_outputs (CompactSize-prefixed, as sent) ‖ coinbase_tx_locktime
// F = the channel's full extranonce: extranonce_prefix ‖ the extranonce_size
// bytes the miner rolls. coinbase_prefix is the whole scriptSig head before
// the extranonce (BIP34 height push, tags, the extranonce's push opcode), so
// it may hold at most 100 − F bytes. A block's coinbase adds the witness
// reserved value when an output carries a witness commitment.
import { equalBytes, type TxOutput } from '../bitcoin/index.js';
import type { MessageByName } from '../messages/index.js';
import { declaredCommitment } from './jd-token.js';

/** SetCustomMiningJob.Error codes (the spec's parameter names, `_` written `-`). */
export const CUSTOM_JOB_ERROR = {
  /** SetupConnection did not set REQUIRES_WORK_SELECTION. */
  WORK_SELECTION_NOT_NEGOTIATED: 'work-selection-not-negotiated',
  /** No such channel, or not an extended channel. */
  INVALID_CHANNEL_ID: 'invalid-channel-id',
  INVALID_MINING_JOB_TOKEN: 'invalid-mining-job-token',
  /** prev_hash is not the current chain tip (or no tip is known yet). */
  STALE_CHAIN_TIP: 'stale-chain-tip',
  INVALID_VERSION: 'invalid-job-param-value-version',
  INVALID_NBITS: 'invalid-job-param-value-nbits',
  INVALID_MIN_NTIME: 'invalid-job-param-value-min-ntime',
  INVALID_COINBASE_PREFIX: 'invalid-job-param-value-coinbase-prefix',
  INVALID_COINBASE_TX_OUTPUTS: 'invalid-job-param-value-coinbase-tx-outputs',
  INVALID_COINBASE_TX_LOCKTIME: 'invalid-job-param-value-coinbase-tx-locktime',
} as const;

/** Why a custom job is refused: the code sent, and a reason for the log. */
export interface CustomJobRefusal {
  error_code: string;
  reason: string;
}

/** A custom job that fits the chain tip, before the caller's own checks. */
export interface CustomJobDraft {
  message: MessageByName<'SetCustomMiningJob'>;
  channel_id: number;
  user_identity: string;
  /** Height of the block the job builds (the BIP34 height in coinbase_prefix). */
  height: number;
  /** coinbase_tx_outputs, parsed. */
  outputs: TxOutput[];
  /** Their total value, sats. */
  value: bigint;
}

/** What the caller decided, handed to ServerConnectionChannels.setCustomJob. */
export interface CustomJobCheck {
  /** The verdict on mining_job_token: null when it is good. */
  token: CustomJobRefusal | null;
  /** Checks of the job once it fits the chain tip (pool payout, commitment); null accepts it. */
  job?: (draft: CustomJobDraft) => CustomJobRefusal | null;
}

/** A custom job accepted into a channel's stream. */
export interface CustomJobInfo {
  job_id: number;
  request_id: number;
  height: number;
  outputs: TxOutput[];
  value: bigint;
}

export type CustomJobVerdict =
  | { accepted: true; message: MessageByName<'SetCustomMiningJobSuccess'>; job: CustomJobInfo }
  | {
      accepted: false;
      message: MessageByName<'SetCustomMiningJobError'>;
      error_code: string;
      reason: string;
    };

/** BIP9 version bits: the top three bits of a block version are 001. */
export const VERSION_TOP_BITS_MASK = 0xe0000000;
export const VERSION_TOP_BITS = 0x20000000;

/** How far min_ntime may lie before the tip's header_timestamp or after now (seconds). */
export const CUSTOM_JOB_NTIME_SLACK = 2 * 60 * 60;

/** Locktimes from this value on are times, below it heights. */
export const LOCKTIME_THRESHOLD = 500_000_000;

export interface PoolPayoutRule {
  /** The pool's payout script (coinbase_reward_script). */
  script: Uint8Array;
  /** Share of the outputs' total value the outputs paying `script` must carry, percent. */
  min_percent: number;
  /** The least the outputs may add up to: the block subsidy at the job's height. */
  subsidy: bigint;
}

/**
 * The pool's payout check of a custom job's outputs: the outputs paying the
 * pool's script carry at least min_percent of the total value, and the total
 * is at least the subsidy (the pool cannot see the fees of a coinbase-only
 * job, but no valid block pays less). Null when the outputs pass.
 */
export function poolPayoutRefusal(
  outputs: readonly TxOutput[],
  rule: PoolPayoutRule,
): CustomJobRefusal | null {
  let total = 0n;
  let paid = 0n;
  for (const o of outputs) {
    total += o.value;
    if (equalBytes(o.script, rule.script)) paid += o.value;
  }
  const code = CUSTOM_JOB_ERROR.INVALID_COINBASE_TX_OUTPUTS;
  if (total < rule.subsidy) {
    return {
      error_code: code,
      reason: `the outputs pay ${total} sats, less than the subsidy of ${rule.subsidy}`,
    };
  }
  // Percent to basis points, so the comparison stays in integers.
  const bp = BigInt(Math.round(rule.min_percent * 100));
  if (paid * 10_000n < total * bp) {
    return {
      error_code: code,
      reason: `the pool payout output gets ${paid} of ${total} sats, less than ${rule.min_percent}%`,
    };
  }
  return null;
}

/** Refuses a job that is not the one a declared token's commitment names. */
export function commitmentRefusal(
  commitment: Uint8Array,
  message: Pick<MessageByName<'SetCustomMiningJob'>, 'version' | 'coinbase_tx_outputs' | 'merkle_path'>,
): CustomJobRefusal | null {
  const actual = declaredCommitment(message.version, message.coinbase_tx_outputs, message.merkle_path);
  if (equalBytes(actual, commitment)) return null;
  return {
    error_code: CUSTOM_JOB_ERROR.INVALID_MINING_JOB_TOKEN,
    reason:
      'the job differs from the one declared with this token (version, coinbase outputs or merkle path)',
  };
}
