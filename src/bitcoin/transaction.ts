// Transactions, legacy and segwit (BIP144: marker 0x00, flag 0x01, one
// witness stack per input before the locktime). The txid hashes the legacy
// serialization; the wtxid hashes the full one.
import { BitcoinDataError } from './errors.js';
import { sha256d } from './hash.js';
import { ByteReader } from './reader.js';
import { ByteWriter } from './writer.js';
import { readOutput, writeOutput, type TxOutput } from './outputs.js';

export interface TxInput {
  /** Previous txid, internal order (32 zero bytes for a coinbase). */
  prev_txid: Uint8Array;
  /** Previous output index (0xffffffff for a coinbase). */
  prev_index: number;
  script_sig: Uint8Array;
  sequence: number;
  /** Witness stack items; empty when the input has no witness. */
  witness: Uint8Array[];
}

export interface Transaction {
  version: number;
  inputs: TxInput[];
  outputs: TxOutput[];
  locktime: number;
}

export function hasWitness(tx: Transaction): boolean {
  return tx.inputs.some((i) => i.witness.length > 0);
}

export function writeTransaction(w: ByteWriter, tx: Transaction, withWitness = true): void {
  const segwit = withWitness && hasWitness(tx);
  w.u32(tx.version);
  if (segwit) w.u8(0x00).u8(0x01);
  w.compactSize(tx.inputs.length);
  for (const input of tx.inputs) {
    if (input.prev_txid.length !== 32) throw new RangeError('prev_txid must be 32 bytes');
    w.bytes(input.prev_txid).u32(input.prev_index).varBytes(input.script_sig).u32(input.sequence);
  }
  w.compactSize(tx.outputs.length);
  for (const output of tx.outputs) writeOutput(w, output);
  if (segwit) {
    for (const input of tx.inputs) {
      w.compactSize(input.witness.length);
      for (const item of input.witness) w.varBytes(item);
    }
  }
  w.u32(tx.locktime);
}

/** Serializes a transaction; `withWitness = false` gives the legacy (txid) form. */
export function serializeTransaction(tx: Transaction, withWitness = true): Uint8Array {
  const w = new ByteWriter();
  writeTransaction(w, tx, withWitness);
  return w.finish();
}

/** Reads one transaction from a reader (used for blocks, which hold many). */
export function readTransaction(r: ByteReader): Transaction {
  const version = r.u32('tx version');
  let inputCount = r.compactSize('input count');
  let segwit = false;
  if (inputCount === 0) {
    // Zero inputs here means the BIP144 marker; the next byte is the flag.
    const flag = r.u8('segwit flag');
    if (flag !== 0x01) throw new BitcoinDataError(`unknown segwit flag 0x${flag.toString(16)}`);
    segwit = true;
    inputCount = r.compactSize('input count');
  }
  // An input takes at least 41 bytes: refuse counts the input cannot hold.
  if (inputCount * 41 > r.remaining) throw new BitcoinDataError(`${inputCount} inputs cannot fit`);
  const inputs: TxInput[] = [];
  for (let i = 0; i < inputCount; i++) {
    const prev_txid = r.bytesN(32, 'previous txid');
    const prev_index = r.u32('previous output index');
    const script_sig = r.varBytes('scriptSig');
    const sequence = r.u32('sequence');
    inputs.push({ prev_txid, prev_index, script_sig, sequence, witness: [] });
  }
  const outputCount = r.compactSize('output count');
  if (outputCount * 9 > r.remaining) throw new BitcoinDataError(`${outputCount} outputs cannot fit`);
  const outputs: TxOutput[] = [];
  for (let i = 0; i < outputCount; i++) outputs.push(readOutput(r));
  if (segwit) {
    for (const input of inputs) {
      const items = r.compactSize('witness item count');
      if (items > r.remaining) throw new BitcoinDataError(`${items} witness items cannot fit`);
      for (let j = 0; j < items; j++) input.witness.push(r.varBytes('witness item'));
    }
    // Core refuses a segwit serialization whose witnesses are all empty.
    if (!inputs.some((i) => i.witness.length > 0)) throw new BitcoinDataError('superfluous witness record');
  }
  const locktime = r.u32('locktime');
  return { version, inputs, outputs, locktime };
}

/** Parses exactly one transaction; trailing bytes are an error. */
export function parseTransaction(bytes: Uint8Array): Transaction {
  const r = new ByteReader(bytes);
  const tx = readTransaction(r);
  if (r.remaining !== 0) throw new BitcoinDataError(`${r.remaining} bytes left after the transaction`);
  return tx;
}

/** txid, internal order. */
export function txid(tx: Transaction): Uint8Array {
  return sha256d(serializeTransaction(tx, false));
}

/** wtxid, internal order (equals the txid for a transaction without witness). */
export function wtxid(tx: Transaction): Uint8Array {
  return sha256d(serializeTransaction(tx, true));
}

/** A coinbase has one input spending the null outpoint. */
export function isCoinbase(tx: Transaction): boolean {
  const input = tx.inputs[0];
  return (
    tx.inputs.length === 1 &&
    input !== undefined &&
    input.prev_index === 0xffffffff &&
    input.prev_txid.every((b) => b === 0)
  );
}
