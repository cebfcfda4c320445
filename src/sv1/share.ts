// mining.submit: parse the params, rebuild the header the miner hashed and
// judge it against the job it was mined on. The coinbase is
// coinb1 ‖ extranonce1 ‖ extranonce2 ‖ coinb2 — the same bytes as SV2's
// coinbase_tx_prefix ‖ extranonce_prefix ‖ extranonce ‖ coinbase_tx_suffix —
// so the share can be forwarded upstream unchanged.
import {
  bytesToHex,
  concatBytes,
  foldMerklePath,
  hashDifficulty,
  hashMeetsTarget,
  headerHash,
  sha256d,
  writeHeader,
} from '../bitcoin/index.js';
import { ERR_LOW_DIFFICULTY, ERR_OTHER, ERR_STALE, type Sv1Reject } from './errors.js';
import { parseHexBytes, parseU32Hex } from './hex.js';
import type { SentJob } from './jobs.js';

/** ckpool's window: ntime may run up to this many seconds past the job's ntime. */
export const MAX_NTIME_ROLL = 7000;

export interface SubmitFields {
  worker: string;
  job_id: string;
  extranonce2: string;
  ntime: string;
  nonce: string;
  /** BIP310 6th param; absent from 5-param submits. */
  version_bits?: string;
}

const MAX_FIELD = 256;

/** [worker, job_id, extranonce2, ntime, nonce, version_bits?] with type checks only. */
export function parseSubmitParams(params: unknown[]): SubmitFields | Sv1Reject {
  if (params.length < 5) return { code: ERR_OTHER, message: 'Invalid params' };
  const [worker, job_id, extranonce2, ntime, nonce, version_bits] = params;
  for (const f of [worker, job_id, extranonce2, ntime, nonce]) {
    if (typeof f !== 'string' || f.length > MAX_FIELD) return { code: ERR_OTHER, message: 'Invalid params' };
  }
  const out: SubmitFields = {
    worker: worker as string,
    job_id: job_id as string,
    extranonce2: extranonce2 as string,
    ntime: ntime as string,
    nonce: nonce as string,
  };
  if (version_bits !== undefined && version_bits !== null) {
    if (typeof version_bits !== 'string') return { code: ERR_OTHER, message: 'Invalid params' };
    out.version_bits = version_bits;
  }
  return out;
}

export interface ShareAccepted {
  ok: true;
  /** Header hash, internal order, and its hex (the duplicate key). */
  hash: Uint8Array;
  hashHex: string;
  header: Uint8Array;
  coinbase: Uint8Array;
  version: number;
  ntime: number;
  nonce: number;
  /** Bytes after the upstream extranonce_prefix: per-miner part ‖ extranonce2. */
  extranonce: Uint8Array;
  /** Difficulty the hash achieves. */
  shareDifficulty: number;
  /** Meets the network target. */
  block: boolean;
  /** Meets the upstream channel's target (forward it). */
  meetsUpstream: boolean;
}

export type ShareCheck = ShareAccepted | { ok: false; reject: Sv1Reject };

function fail(code: number, message: string): ShareCheck {
  return { ok: false, reject: { code, message } };
}

/**
 * Judges a share against its job (the job lookup and duplicate check are the
 * caller's). Order: stale, field syntax, version mask, ntime window, then the
 * hash — a block is accepted even if the job's own difficulty is higher.
 */
export function checkShare(job: SentJob, s: SubmitFields): ShareCheck {
  if (job.stale) return fail(ERR_STALE, 'Stale');
  const en = job.extranonce;
  const extranonce2 = parseHexBytes(s.extranonce2, en.extranonce2_size);
  if (!extranonce2) return fail(ERR_OTHER, 'Invalid extranonce2 length');
  const ntime = parseU32Hex(s.ntime);
  if (ntime === undefined) return fail(ERR_OTHER, 'Invalid ntime');
  const nonce = parseU32Hex(s.nonce);
  if (nonce === undefined) return fail(ERR_OTHER, 'Invalid nonce');
  let bits = 0;
  if (s.version_bits !== undefined) {
    const v = parseU32Hex(s.version_bits);
    if (v === undefined) return fail(ERR_OTHER, 'Invalid version bits');
    bits = v;
  }
  if ((bits & ~job.versionMask) >>> 0 !== 0) return fail(ERR_OTHER, 'Invalid version mask');
  const jobNtime = job.upstream.ntime;
  if (ntime < jobNtime || ntime > jobNtime + MAX_NTIME_ROLL) return fail(ERR_OTHER, 'Ntime out of range');

  const coinbase = concatBytes(job.coinb1, en.extranonce1, extranonce2, job.coinb2);
  const root = foldMerklePath(sha256d(coinbase), job.upstream.merkle_path);
  const version = (job.version | (bits & job.versionMask)) >>> 0;
  const header = new Uint8Array(80);
  writeHeader(
    {
      version,
      prev_hash: job.upstream.prev_hash,
      merkle_root: root,
      time: ntime,
      bits: job.upstream.nbits,
      nonce,
    },
    header,
  );
  const hash = headerHash(header);
  const block = hashMeetsTarget(hash, job.networkTarget);
  if (!block && !hashMeetsTarget(hash, job.target)) return fail(ERR_LOW_DIFFICULTY, 'Low difficulty share');
  return {
    ok: true,
    hash,
    hashHex: bytesToHex(hash),
    header,
    coinbase,
    version,
    ntime,
    nonce,
    extranonce: concatBytes(en.extranonce1.subarray(en.upstream_prefix_length), extranonce2),
    shareDifficulty: hashDifficulty(hash),
    block,
    meetsUpstream: block || hashMeetsTarget(hash, job.upstream.upstream_target),
  };
}
