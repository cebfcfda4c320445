// A transaction with the figures every RPC and check needs (serialization,
// ids, size, weight), and the devnet's sigop cost rule. The wire format
// itself is the bitcoin layer's.
import {
  LEGACY_SIGOP_COST,
  countLegacySigops,
  isCoinbase,
  serializeTransaction,
  sha256d,
  strippedBytes,
  type Transaction,
} from '../../bitcoin/index.js';

/** A Buffer view of the same memory: RPC answers print these with toString('hex'). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export interface TxInfo {
  tx: Transaction;
  /** Full serialization (with witness). */
  raw: Buffer;
  /** Internal byte order. */
  txid: Uint8Array;
  wtxid: Uint8Array;
  size: number;
  weight: number;
  vsize: number;
}

/** Figures of `tx`; `raw`, when given, must be its full serialization (as read from a block). */
export function txInfo(tx: Transaction, raw: Uint8Array = serializeTransaction(tx, true)): TxInfo {
  const stripped = strippedBytes(raw, tx);
  const weight = stripped.length * 3 + raw.length;
  const txid = sha256d(stripped);
  return {
    tx,
    raw: asBuffer(raw),
    txid,
    wtxid: stripped === raw ? txid : sha256d(raw),
    size: raw.length,
    weight,
    vsize: Math.ceil(weight / 4),
  };
}

/** Legacy sigop cost (×4 as block templates report it) of the outputs and, unless coinbase, the scriptSigs. */
export function sigopCost(tx: Transaction): number {
  let n = 0;
  for (const o of tx.outputs) n += countLegacySigops(o.script);
  if (!isCoinbase(tx)) for (const i of tx.inputs) n += countLegacySigops(i.script_sig);
  return n * LEGACY_SIGOP_COST;
}
