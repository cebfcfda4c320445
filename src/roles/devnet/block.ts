// Block headers and blocks: wire format, merkle roots (txid and wtxid trees)
// and the BIP141 witness commitment.
import { DecodeError, Reader, Writer, sha256d } from './wire.js';
import { readTx, txInfo, type TxInfo, type Tx } from './tx.js';

export interface Header {
  version: number;
  /** Internal byte order. */
  prevHash: Buffer;
  merkleRoot: Buffer;
  time: number;
  bits: number;
  nonce: number;
}

export interface Block {
  header: Header;
  txs: TxInfo[];
  raw: Buffer;
  /** Header hash, internal byte order. */
  hash: Buffer;
}

export const HEADER_SIZE = 80;
/** BIP141 commitment output script prefix: OP_RETURN, push 36, 0xaa21a9ed. */
export const WITNESS_COMMITMENT_PREFIX = Buffer.from('6a24aa21a9ed', 'hex');

export function encodeHeader(h: Header): Buffer {
  return new Writer()
    .i32(h.version)
    .bytes(h.prevHash)
    .bytes(h.merkleRoot)
    .u32(h.time)
    .u32(h.bits)
    .u32(h.nonce)
    .done();
}

export function readHeader(r: Reader): Header {
  return {
    version: r.i32(),
    prevHash: Buffer.from(r.bytes(32)),
    merkleRoot: Buffer.from(r.bytes(32)),
    time: r.u32(),
    bits: r.u32(),
    nonce: r.u32(),
  };
}

export function headerHash(h: Header): Buffer {
  return sha256d(encodeHeader(h));
}

/** Decodes a full block; throws DecodeError on any malformed or trailing byte. */
export function decodeBlock(raw: Buffer): Block {
  const r = new Reader(raw);
  const header = readHeader(r);
  const count = r.varint(1_000_000);
  const txs: TxInfo[] = [];
  for (let i = 0; i < count; i++) {
    const start = r.pos;
    const tx = readTx(r);
    txs.push(txInfo(tx, Buffer.from(raw.subarray(start, r.pos))));
  }
  if (r.remaining !== 0) throw new DecodeError('trailing bytes after block');
  return { header, txs, raw, hash: headerHash(header) };
}

export function encodeBlock(header: Header, txs: TxInfo[]): Buffer {
  const w = new Writer().bytes(encodeHeader(header)).varint(txs.length);
  for (const t of txs) w.bytes(t.raw);
  return w.done();
}

/** Bitcoin's merkle root: pairwise SHA256d, duplicating the last hash of an odd level. */
export function merkleRoot(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return Buffer.alloc(32);
  let level = leaves;
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const a = level[i]!;
      const b = level[i + 1] ?? a;
      next.push(sha256d(Buffer.concat([a, b])));
    }
    level = next;
  }
  return level[0]!;
}

/** BIP141 witness root: wtxids with the coinbase's replaced by zeros. */
export function witnessMerkleRoot(wtxidsAfterCoinbase: Buffer[]): Buffer {
  return merkleRoot([Buffer.alloc(32), ...wtxidsAfterCoinbase]);
}

export function witnessCommitment(witnessRoot: Buffer, reservedValue: Buffer): Buffer {
  return sha256d(Buffer.concat([witnessRoot, reservedValue]));
}

export function witnessCommitmentScript(commitment: Buffer): Buffer {
  return Buffer.concat([WITNESS_COMMITMENT_PREFIX, commitment]);
}

/** Index of the commitment output (the last one matching, as BIP141 says), or -1. */
export function findWitnessCommitment(coinbase: Tx): number {
  for (let i = coinbase.outputs.length - 1; i >= 0; i--) {
    const s = coinbase.outputs[i]!.scriptPubKey;
    if (s.length >= 38 && s.subarray(0, 6).equals(WITNESS_COMMITMENT_PREFIX)) return i;
  }
  return -1;
}
