// The pure core of share validation: given what a job fixed (prev hash,
// nbits, version rules, ntime window, target) and what the miner chose
// (merkle root via its extranonce, version, ntime, nonce), decide. Channel
// lookups, job staleness, extranonce length and duplicates are checked by the
// caller, which knows the channel.
import {
  HEADER_SIZE,
  foldMerklePath,
  hashMeetsTarget,
  headerHash,
  sha256d,
  u256ToLE,
  writeHeader,
} from '../bitcoin/index.js';
import { SUBMIT_ERROR } from './errors.js';

/** BIP323 general-purpose version bits: the only ones a miner may roll. */
export const VERSION_ROLLING_MASK = 0x1fffffe0;

export interface JudgedJob {
  prev_hash: Uint8Array;
  nbits: number;
  /** Network target as 32 little-endian bytes (what nbits decodes to). */
  network_target: Uint8Array;
  version: number;
  version_rolling_allowed: boolean;
  /** Lowest ntime accepted (the chain tip's header_timestamp). */
  min_ntime: number;
  /** Highest ntime accepted; omit for no upper bound. */
  max_ntime?: number;
  /** Targets a share may be credited at, hardest first, as 32 little-endian bytes. */
  targets: readonly Uint8Array[];
}

export interface JudgedWork {
  merkle_root: Uint8Array;
  version: number;
  ntime: number;
  nonce: number;
}

export type Judgement =
  | {
      ok: true;
      /** Meets the network target: a block. */
      block: boolean;
      header: Uint8Array;
      hash: Uint8Array;
      /**
       * Index in `targets` of the hardest target the hash meets; null for a
       * block that meets none of them (possible where the network target is
       * easier than the share targets, as on regtest).
       */
      target_index: number | null;
    }
  | { ok: false; error_code: string; header?: Uint8Array; hash?: Uint8Array };

export function judgeShare(job: JudgedJob, work: JudgedWork): Judgement {
  const ntime = work.ntime >>> 0;
  if (ntime < job.min_ntime || (job.max_ntime !== undefined && ntime > job.max_ntime)) {
    return { ok: false, error_code: SUBMIT_ERROR.INVALID_SHARE };
  }
  // A job that forbids rolling reports any change as such (as the reference pool does).
  const changed = (work.version ^ job.version) >>> 0;
  if (changed !== 0 && !job.version_rolling_allowed) {
    return { ok: false, error_code: SUBMIT_ERROR.VERSION_ROLLING_NOT_ALLOWED };
  }
  if ((changed & ~VERSION_ROLLING_MASK) !== 0) {
    return { ok: false, error_code: SUBMIT_ERROR.INVALID_NON_ROLLABLE_VERSION_BIT };
  }
  const header = new Uint8Array(HEADER_SIZE);
  writeHeader(
    {
      version: work.version,
      prev_hash: job.prev_hash,
      merkle_root: work.merkle_root,
      time: ntime,
      bits: job.nbits,
      nonce: work.nonce,
    },
    header,
  );
  const hash = headerHash(header);
  const block = hashMeetsTarget(hash, job.network_target);
  for (let i = 0; i < job.targets.length; i++) {
    if (hashMeetsTarget(hash, job.targets[i]!)) return { ok: true, block, header, hash, target_index: i };
  }
  // A block is a block whatever the channel target says.
  if (block) return { ok: true, block, header, hash, target_index: null };
  return { ok: false, error_code: SUBMIT_ERROR.DIFFICULTY_TOO_LOW, header, hash };
}

/**
 * Merkle root of an extended job's coinbase with a given full extranonce:
 * SHA256d(coinbase_tx_prefix ‖ extranonce parts ‖ coinbase_tx_suffix) folded
 * over the merkle path. The prefix/suffix must be the BIP141-stripped ones.
 */
export function coinbaseMerkleRoot(
  coinbase_tx_prefix: Uint8Array,
  extranonce: readonly Uint8Array[],
  coinbase_tx_suffix: Uint8Array,
  merkle_path: readonly Uint8Array[],
): Uint8Array {
  let length = coinbase_tx_prefix.length + coinbase_tx_suffix.length;
  for (const part of extranonce) length += part.length;
  const tx = new Uint8Array(length);
  tx.set(coinbase_tx_prefix, 0);
  let at = coinbase_tx_prefix.length;
  for (const part of extranonce) {
    tx.set(part, at);
    at += part.length;
  }
  tx.set(coinbase_tx_suffix, at);
  return foldMerklePath(sha256d(tx), merkle_path);
}

/** A bigint target as the byte form JudgedJob takes. */
export function targetBytes(target: bigint): Uint8Array {
  return u256ToLE(target);
}
