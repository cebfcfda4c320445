// mining.notify params from an SV2 job. SV1 prints the previous block hash
// with every 4-byte word of the internal-order hash byte-reversed, and
// version/nbits/ntime as 8 big-endian hex digits. The version goes out with
// every rolling-mask bit cleared: ESP-Miner submits rolled XOR job version,
// which only equals the rolled bits when the job version has none of them.
import { bytesToHex } from '../bitcoin/index.js';
import { u32Hex } from './hex.js';

/** Longest mining.notify line we send (NerdMiner parses lines into a 4 KiB document). */
export const DEFAULT_MAX_NOTIFY_BYTES = 3584;

/** Merkle branches beyond this break Avalon and older ESP-Miner firmware. */
export const MAX_MERKLE_BRANCHES = 32;

/** SV1 prevhash text of a 32-byte internal-order hash. */
export function swapPrevHash(prevHash: Uint8Array): string {
  if (prevHash.length !== 32) throw new RangeError('prev_hash must be 32 bytes');
  const out = new Uint8Array(32);
  for (let w = 0; w < 32; w += 4) {
    out[w] = prevHash[w + 3]!;
    out[w + 1] = prevHash[w + 2]!;
    out[w + 2] = prevHash[w + 1]!;
    out[w + 3] = prevHash[w]!;
  }
  return bytesToHex(out);
}

export interface NotifyFields {
  job_id: string;
  prev_hash: Uint8Array;
  coinb1: Uint8Array;
  coinb2: Uint8Array;
  merkle_path: readonly Uint8Array[];
  /** Version as sent (mask bits already cleared). */
  version: number;
  nbits: number;
  ntime: number;
  clean_jobs: boolean;
}

/** [job_id, prevhash, coinb1, coinb2, [branches], version, nbits, ntime, clean_jobs] — all strings but the last. */
export function notifyParams(
  f: NotifyFields,
): [string, string, string, string, string[], string, string, string, boolean] {
  return [
    f.job_id,
    swapPrevHash(f.prev_hash),
    bytesToHex(f.coinb1),
    bytesToHex(f.coinb2),
    f.merkle_path.map((b) => bytesToHex(b)),
    u32Hex(f.version),
    u32Hex(f.nbits),
    u32Hex(f.ntime),
    f.clean_jobs,
  ];
}
