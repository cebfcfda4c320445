// The job declarator server's copy of its node's mempool, keyed by wtxid (the
// key DeclareMiningJob.wtxid_list uses): txid, raw bytes, fee, weight and
// legacy sigops of each transaction. One poll = getrawmempool verbose (every
// txid with its wtxid and base fee) and getrawtransaction for the entries not
// yet held, in JSON-RPC batches; entries the node dropped are dropped here too. When the node holds
// more than `maxTxs`, the highest fee rates are kept.
import {
  LEGACY_SIGOP_COST,
  countLegacySigops,
  parseTransaction,
  sha256d,
  strippedBytes,
  hexToBytes,
} from '../../bitcoin/index.js';
import type { BitcoinRpc, MempoolEntry } from '../../rpc/index.js';

/** getrawtransaction calls per batch request while filling the mirror, and batch requests in flight. */
const FETCH_BATCH = 500;
const FETCH_CONCURRENCY = 4;

export interface MirrorTx {
  /** Internal byte order. */
  txid: Uint8Array;
  /** Display hex, as RPC prints it. */
  txidHex: string;
  /** Full serialization (with witness). */
  raw: Uint8Array;
  /** Satoshis (the node's base fee). */
  fee: bigint;
  weight: number;
  /** Legacy sigop cost (×4) of scriptSigs and outputs. */
  sigops: number;
}

export interface PollResult {
  txs: number;
  added: number;
  removed: number;
  /** Entries the node listed but could not deliver (gone meanwhile) or that did not match their ids. */
  skipped: number;
}

/** The wtxid key of the mirror: internal-order bytes as hex (what arrives on the wire). */
export function wtxidKey(wtxid: Uint8Array): string {
  return Buffer.from(wtxid.buffer, wtxid.byteOffset, wtxid.byteLength).toString('hex');
}

/** Display hex (RPC) → internal-order hex. */
function internalHex(display: string): string {
  return Buffer.from(display, 'hex').reverse().toString('hex');
}

/** BTC amount as RPC prints it → satoshis. */
export function satoshis(btc: number): bigint {
  return BigInt(Math.round(btc * 1e8));
}

/** Figures of one raw transaction, or null when it does not parse. */
export function describeTransaction(
  raw: Uint8Array,
): { txid: Uint8Array; wtxid: Uint8Array; weight: number; sigops: number } | null {
  let tx;
  try {
    tx = parseTransaction(raw);
  } catch {
    return null;
  }
  const stripped = strippedBytes(raw, tx);
  const txid = sha256d(stripped);
  const wtxid = stripped === raw ? txid : sha256d(raw);
  let sigops = 0;
  for (const i of tx.inputs) sigops += countLegacySigops(i.script_sig);
  for (const o of tx.outputs) sigops += countLegacySigops(o.script);
  return { txid, wtxid, weight: stripped.length * 3 + raw.length, sigops: sigops * LEGACY_SIGOP_COST };
}

export class MempoolMirror {
  readonly #rpc: BitcoinRpc;
  readonly #maxTxs: number;
  readonly #byWtxid = new Map<string, MirrorTx>();
  /** txid display hex → wtxid key. */
  readonly #byTxid = new Map<string, string>();
  #bytes = 0;

  constructor(rpc: BitcoinRpc, maxTxs: number) {
    this.#rpc = rpc;
    this.#maxTxs = maxTxs;
  }

  get size(): number {
    return this.#byWtxid.size;
  }

  /** Sum of the raw transaction sizes held. */
  get bytes(): number {
    return this.#bytes;
  }

  get(wtxid: Uint8Array): MirrorTx | undefined {
    return this.#byWtxid.get(wtxidKey(wtxid));
  }

  getByKey(key: string): MirrorTx | undefined {
    return this.#byWtxid.get(key);
  }

  /** One poll of the node; throws the RPC error when getrawmempool fails (the mirror stays as it was). */
  async poll(): Promise<PollResult> {
    const pool = await this.#rpc.getrawmempool(true);
    let listed = Object.entries(pool);
    if (listed.length > this.#maxTxs) {
      const rate = (e: MempoolEntry) => e.fees.base / Math.max(1, e.vsize);
      listed = listed.sort((a, b) => rate(b[1]) - rate(a[1])).slice(0, this.#maxTxs);
    }
    const wanted = new Set(listed.map(([txid]) => txid));
    let removed = 0;
    for (const [txid, key] of this.#byTxid) {
      if (wanted.has(txid)) continue;
      this.#remove(txid, key);
      removed++;
    }
    const fresh = listed.filter(([txid]) => !this.#byTxid.has(txid));
    const chunks: (typeof fresh)[] = [];
    for (let i = 0; i < fresh.length; i += FETCH_BATCH) chunks.push(fresh.slice(i, i + FETCH_BATCH));
    let added = 0;
    let skipped = 0;
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) {
        const chunk = chunks[next++]!;
        const raws = await this.#rpc.getrawtransactions(
          chunk.map(([txid]) => txid),
          { retry: false },
        );
        for (const [i, [txidHex, entry]] of chunk.entries()) {
          if (this.#add(txidHex, entry, raws[i] ?? null)) added++;
          else skipped++;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(FETCH_CONCURRENCY, chunks.length) }, worker));
    return { txs: this.#byWtxid.size, added, removed, skipped };
  }

  /** Adds one listed entry with its raw hex; false when gone meanwhile (null) or not matching its ids. */
  #add(txidHex: string, entry: MempoolEntry, hex: string | null): boolean {
    if (hex === null || this.#byTxid.has(txidHex)) return false;
    let raw: Uint8Array;
    try {
      raw = hexToBytes(hex);
    } catch {
      return false;
    }
    const d = describeTransaction(raw);
    const key = internalHex(entry.wtxid);
    if (d === null || wtxidKey(d.wtxid) !== key || wtxidKey(d.txid) !== internalHex(txidHex)) return false;
    this.#byWtxid.set(key, {
      txid: d.txid,
      txidHex,
      raw,
      fee: satoshis(entry.fees.base),
      weight: d.weight,
      sigops: d.sigops,
    });
    this.#byTxid.set(txidHex, key);
    this.#bytes += raw.length;
    return true;
  }

  #remove(txid: string, key: string): void {
    const tx = this.#byWtxid.get(key);
    if (tx !== undefined) this.#bytes -= tx.raw.length;
    this.#byWtxid.delete(key);
    this.#byTxid.delete(txid);
  }
}
