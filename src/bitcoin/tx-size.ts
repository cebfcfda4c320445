// Transaction sizes from lengths alone: the full (BIP144) and stripped
// (legacy, txid) serialized sizes and BIP141 weight, plus the stripped bytes
// cut out of a full serialization. Nothing is re-encoded, so a transaction
// read from a peer can be measured even when it holds a value the writer
// refuses (an output above MAX_MONEY, which consensus rejects later).
import { compactSizeLength } from './compact-size.js';
import { hasWitness, type Transaction } from './transaction.js';

function varBytesLength(b: Uint8Array): number {
  return compactSizeLength(b.length) + b.length;
}

/** Serialized size in bytes; `withWitness = false` gives the stripped (txid) size. */
export function transactionSize(tx: Transaction, withWitness = true): number {
  // version, input count, output count, locktime
  let n = 4 + compactSizeLength(tx.inputs.length) + compactSizeLength(tx.outputs.length) + 4;
  for (const input of tx.inputs) n += 32 + 4 + varBytesLength(input.script_sig) + 4;
  for (const output of tx.outputs) n += 8 + varBytesLength(output.script);
  if (withWitness && hasWitness(tx)) {
    n += 2; // marker and flag
    for (const input of tx.inputs) {
      n += compactSizeLength(input.witness.length);
      for (const item of input.witness) n += varBytesLength(item);
    }
  }
  return n;
}

/** BIP141 weight: three times the stripped size plus the full size. */
export function transactionWeight(tx: Transaction): number {
  return 3 * transactionSize(tx, false) + transactionSize(tx, true);
}

/**
 * The stripped serialization (what the txid hashes) of `tx`, given its full
 * serialization `bytes`: version ‖ inputs and outputs ‖ locktime, without the
 * marker, flag and witnesses. Without witness the bytes come back as they are.
 */
export function strippedBytes(bytes: Uint8Array, tx: Transaction): Uint8Array {
  if (!hasWitness(tx)) return bytes;
  const full = transactionSize(tx, true);
  if (bytes.length !== full) {
    throw new RangeError(`transaction serializes to ${full} bytes, ${bytes.length} given`);
  }
  const stripped = transactionSize(tx, false);
  const out = new Uint8Array(stripped);
  out.set(bytes.subarray(0, 4));
  out.set(bytes.subarray(6, 6 + stripped - 8), 4);
  out.set(bytes.subarray(full - 4), stripped - 4);
  return out;
}
