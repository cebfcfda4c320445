// mining.notify params from an SV2 job. SV1 prints the previous block hash
// with every 4-byte word of the internal-order hash byte-reversed, and
// version/nbits/ntime as 8 big-endian hex digits. The version goes out with
// every rolling-mask bit cleared: ESP-Miner submits rolled XOR job version,
// which only equals the rolled bits when the job version has none of them.
import { bitsToTarget, bytesToHex, stripBip141 } from '../bitcoin/index.js';
import { u32Hex } from './hex.js';
import type { UpstreamJob } from './upstream.js';

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

/**
 * The parts of a mining.notify that every miner on one upstream job shares,
 * worked out once per job instead of once per connection: at thousands of
 * miners the hex and JSON text of a new block dominated the fan-out. Only
 * the job id, the version (it depends on the miner's rolling mask) and the
 * clean flag are filled in per miner.
 */
export interface NotifyTemplate {
  /** BIP141-stripped coinbase parts (shared, never mutated). */
  coinb1: Uint8Array;
  coinb2: Uint8Array;
  networkTarget: bigint;
  /** `","<prevhash>","<coinb1>","<coinb2>",[<branches>],"` */
  middle: string;
  /** `","<nbits>","<ntime>",` */
  times: string;
  /** Version text by the version as sent; few distinct masks per job. */
  versions: Map<number, string>;
}

const HEAD = '{"id":null,"method":"mining.notify","params":["';

// Upstream jobs are immutable (a refresh or re-key makes a new object), so
// the object itself is the cache key and the entry goes with it.
const templates = new WeakMap<UpstreamJob, NotifyTemplate>();

/** The shared notify parts of an upstream job, built on first use. Throws on an unusable coinbase. */
export function notifyTemplate(upstream: UpstreamJob): NotifyTemplate {
  let t = templates.get(upstream);
  if (t !== undefined) return t;
  // Defensive: an already stripped pair comes back unchanged.
  const { prefix, suffix } = stripBip141(upstream.coinbase_tx_prefix, upstream.coinbase_tx_suffix);
  const branches = upstream.merkle_path.map((b) => bytesToHex(b));
  t = {
    coinb1: prefix,
    coinb2: suffix,
    networkTarget: bitsToTarget(upstream.nbits),
    middle: `","${swapPrevHash(upstream.prev_hash)}","${bytesToHex(prefix)}","${bytesToHex(suffix)}",${JSON.stringify(branches)},"`,
    times: `","${u32Hex(upstream.nbits)}","${u32Hex(upstream.ntime)}",`,
    versions: new Map(),
  };
  templates.set(upstream, t);
  return t;
}

/** The mining.notify line; the same text notificationLine('mining.notify', notifyParams(...)) gives. */
export function notifyLine(t: NotifyTemplate, jobId: string, version: number, clean: boolean): string {
  let v = t.versions.get(version);
  if (v === undefined) {
    v = u32Hex(version);
    t.versions.set(version, v);
  }
  // Job ids are lowercase hex: nothing in them needs JSON escaping.
  return HEAD + jobId + t.middle + v + t.times + (clean ? 'true]}' : 'false]}');
}
