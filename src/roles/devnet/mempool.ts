// The devnet's mempool: transactions waiting for a block, with the fee the
// devnet believes they pay (it has no UTXO set to compute one). Bounded by a
// transaction count; when full, the lowest fee rate leaves first.
import { toDisplayHex } from '../../bitcoin/index.js';
import { sigopCost, type TxInfo } from './tx.js';

export interface MempoolEntry {
  info: TxInfo;
  /** Display hex, as RPC prints it. */
  txidHex: string;
  /** Satoshis. */
  fee: bigint;
  /** Seconds, when it entered. */
  time: number;
  /** Chain height when it entered. */
  height: number;
  sigops: number;
}

function feeRate(e: MempoolEntry): number {
  return Number(e.fee) / e.info.vsize;
}

export class Mempool {
  readonly entries = new Map<string, MempoolEntry>();
  /** Bumped on every change: part of the getblocktemplate longpoll id, like Core's nTransactionsUpdated. */
  sequence = 0;
  private readonly listeners: (() => void)[] = [];

  constructor(readonly maxTxs: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(txidHex: string): MempoolEntry | undefined {
    return this.entries.get(txidHex);
  }

  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  private changed(): void {
    this.sequence++;
    for (const fn of this.listeners) fn();
  }

  /** Adds a transaction; false when already present or when the pool is full of better-paying ones. */
  add(info: TxInfo, fee: bigint, time: number, height: number): boolean {
    const txidHex = toDisplayHex(info.txid);
    if (this.entries.has(txidHex) || this.maxTxs <= 0) return false;
    const entry: MempoolEntry = { info, txidHex, fee, time, height, sigops: sigopCost(info.tx) };
    if (this.entries.size >= this.maxTxs) {
      let worst: MempoolEntry | undefined;
      for (const e of this.entries.values()) if (!worst || feeRate(e) < feeRate(worst)) worst = e;
      if (!worst || feeRate(worst) >= feeRate(entry)) return false;
      this.entries.delete(worst.txidHex);
    }
    this.entries.set(txidHex, entry);
    this.changed();
    return true;
  }

  /** Removes the given transactions (those a new block confirmed); returns how many were present. */
  removeMany(txidHexes: Iterable<string>): number {
    let n = 0;
    for (const id of txidHexes) if (this.entries.delete(id)) n++;
    if (n > 0) this.changed();
    return n;
  }

  /** Highest fee rate first; ties by arrival so templates are stable. */
  byFeeRate(): MempoolEntry[] {
    return [...this.entries.values()].sort((a, b) => feeRate(b) - feeRate(a) || a.time - b.time);
  }
}
