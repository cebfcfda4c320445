// PushSolution → the full block of a declared job: the coinbase is the
// declared prefix ‖ the pushed (full) extranonce ‖ the declared suffix, the
// merkle root folds its txid with the job's merkle path, the header takes the
// pushed version, prev_hash, ntime, nbits and nonce, and the job's
// transactions follow the coinbase.
import {
  BitcoinDataError,
  bitsToTarget,
  blockHash,
  bytesToHex,
  coinbaseTxid,
  concatBytes,
  encodeCompactSize,
  foldMerklePath,
  hashMeetsTarget,
  serializeHeader,
  toDisplayHex,
  type BlockHeader,
} from '../../bitcoin/index.js';
import type { MessageByName } from '../../messages/index.js';
import type { DeclaredJob } from './declare.js';

export type PushSolutionMsg = MessageByName<'PushSolution'>;

export interface SolvedBlock {
  /** The serialized block, hex, for submitblock. */
  hex: string;
  /** Display hex. */
  hash: string;
  height: number;
  /** Whether the header hash meets the target its nbits encode. */
  meetsTarget: boolean;
}

/** Throws BitcoinDataError when the extranonce does not fit the job or nbits is no target. */
export function blockFromPushSolution(job: DeclaredJob, s: PushSolutionMsg): SolvedBlock {
  if (s.extranonce.length !== job.extranonceSize) {
    throw new BitcoinDataError(
      `extranonce is ${s.extranonce.length} bytes, the declared coinbase has room for ${job.extranonceSize}`,
    );
  }
  const header: BlockHeader = {
    version: s.version,
    prev_hash: s.prev_hash,
    merkle_root: foldMerklePath(coinbaseTxid(job.prefix, s.extranonce, job.suffix), job.merklePath),
    time: s.ntime,
    bits: s.nbits,
    nonce: s.nonce,
  };
  const hash = blockHash(header);
  const meetsTarget = hashMeetsTarget(hash, bitsToTarget(s.nbits));
  const raw = concatBytes(
    serializeHeader(header),
    encodeCompactSize(1 + job.txs.length),
    job.prefix,
    s.extranonce,
    job.suffix,
    ...job.txs,
  );
  return { hex: bytesToHex(raw), hash: toDisplayHex(hash), height: job.height, meetsTarget };
}
