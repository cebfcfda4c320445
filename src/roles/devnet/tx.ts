// Transactions in Bitcoin's wire format (BIP144 segwit serialization): decode,
// encode with or without witness, txid/wtxid and weight.
import { DecodeError, Reader, Writer, sha256d } from './wire.js';

export interface TxIn {
  /** Previous txid, internal byte order. */
  prevTxid: Buffer;
  prevVout: number;
  scriptSig: Buffer;
  sequence: number;
  witness: Buffer[];
}

export interface TxOut {
  value: bigint;
  scriptPubKey: Buffer;
}

export interface Tx {
  version: number;
  inputs: TxIn[];
  outputs: TxOut[];
  locktime: number;
}

/** Bitcoin's MAX_MONEY in satoshis. */
export const MAX_MONEY = 21_000_000n * 100_000_000n;

export function hasWitness(tx: Tx): boolean {
  return tx.inputs.some((i) => i.witness.length > 0);
}

export function isCoinbase(tx: Tx): boolean {
  const only = tx.inputs.length === 1 ? tx.inputs[0] : undefined;
  return only !== undefined && only.prevVout === 0xffffffff && only.prevTxid.every((b) => b === 0);
}

export function readTx(r: Reader): Tx {
  const version = r.i32();
  let inCount = r.varint(100_000);
  let segwit = false;
  if (inCount === 0) {
    // BIP144 marker 0x00 then flag 0x01; a real zero-input tx is not valid anyway.
    const flag = r.u8();
    if (flag !== 1) throw new DecodeError('unknown segwit flag');
    segwit = true;
    inCount = r.varint(100_000);
  }
  const inputs: TxIn[] = [];
  for (let i = 0; i < inCount; i++) {
    const prevTxid = Buffer.from(r.bytes(32));
    const prevVout = r.u32();
    const scriptSig = Buffer.from(r.varbytes());
    const sequence = r.u32();
    inputs.push({ prevTxid, prevVout, scriptSig, sequence, witness: [] });
  }
  const outCount = r.varint(100_000);
  const outputs: TxOut[] = [];
  for (let i = 0; i < outCount; i++) {
    const value = r.u64();
    outputs.push({ value, scriptPubKey: Buffer.from(r.varbytes()) });
  }
  if (segwit) {
    for (const input of inputs) {
      const items = r.varint(100_000);
      for (let k = 0; k < items; k++) input.witness.push(Buffer.from(r.varbytes()));
    }
    // BIP144: the flag must not be set when every witness is empty.
    if (!inputs.some((i) => i.witness.length > 0)) throw new DecodeError('superfluous witness record');
  }
  const locktime = r.u32();
  return { version, inputs, outputs, locktime };
}

export function writeTx(w: Writer, tx: Tx, withWitness: boolean): void {
  const segwit = withWitness && hasWitness(tx);
  w.i32(tx.version);
  if (segwit) w.u8(0).u8(1);
  w.varint(tx.inputs.length);
  for (const i of tx.inputs) w.bytes(i.prevTxid).u32(i.prevVout).varbytes(i.scriptSig).u32(i.sequence);
  w.varint(tx.outputs.length);
  for (const o of tx.outputs) w.u64(o.value).varbytes(o.scriptPubKey);
  if (segwit) {
    for (const i of tx.inputs) {
      w.varint(i.witness.length);
      for (const item of i.witness) w.varbytes(item);
    }
  }
  w.u32(tx.locktime);
}

export function decodeTx(raw: Buffer): Tx {
  const r = new Reader(raw);
  const tx = readTx(r);
  if (r.remaining !== 0) throw new DecodeError('trailing bytes after transaction');
  return tx;
}

export function encodeTx(tx: Tx, withWitness = true): Buffer {
  const w = new Writer();
  writeTx(w, tx, withWitness);
  return w.done();
}

/** A transaction together with the figures every RPC and check needs. */
export interface TxInfo {
  tx: Tx;
  raw: Buffer;
  /** Internal byte order. */
  txid: Buffer;
  wtxid: Buffer;
  size: number;
  weight: number;
  vsize: number;
}

export function txInfo(tx: Tx, raw = encodeTx(tx, true)): TxInfo {
  const stripped = hasWitness(tx) ? encodeTx(tx, false) : raw;
  const weight = stripped.length * 3 + raw.length;
  return {
    tx,
    raw,
    txid: sha256d(stripped),
    wtxid: sha256d(raw),
    size: raw.length,
    weight,
    vsize: Math.ceil(weight / 4),
  };
}

/** Legacy sigop cost (×4 as block templates report it) from the output and input scripts. */
export function sigopCost(tx: Tx): number {
  let n = 0;
  const scan = (s: Buffer) => {
    for (let i = 0; i < s.length; i++) {
      const op = s[i]!;
      if (op >= 0x01 && op <= 0x4b) i += op;
      else if (op === 0x4c) i += 1 + (s[i + 1] ?? 0);
      else if (op === 0x4d) {
        if (i + 3 > s.length) break;
        i += 2 + s.readUInt16LE(i + 1);
      } else if (op === 0x4e) break;
      else if (op === 0xac || op === 0xad) n += 1;
      else if (op === 0xae || op === 0xaf) n += 20;
    }
  };
  for (const o of tx.outputs) scan(o.scriptPubKey);
  if (!isCoinbase(tx)) for (const i of tx.inputs) scan(i.scriptSig);
  return n * 4;
}
