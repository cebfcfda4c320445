// The devnet's view of a block: its header with a signed version (as Core's
// nVersion), every transaction with its figures, the raw bytes and the hash.
// Parsing, serialization and merkle trees are the bitcoin layer's.
import {
  ByteWriter,
  HEADER_SIZE,
  compactSizeLength,
  headerHash,
  merkleRoot as merkleRootOf,
  parseBlock,
  serializeHeader,
  transactionSize,
  witnessCommitment,
  witnessMerkleRoot,
  type BlockHeader,
} from '../../bitcoin/index.js';
import { asBuffer, txInfo, type TxInfo } from './tx.js';

export interface Header {
  /** Signed, as Core's nVersion: a header with the top bit set is an old version. */
  version: number;
  /** Internal byte order. */
  prevHash: Uint8Array;
  merkleRoot: Uint8Array;
  time: number;
  bits: number;
  nonce: number;
}

export interface Block {
  header: Header;
  txs: TxInfo[];
  raw: Buffer;
  /** Header hash, internal byte order. */
  hash: Uint8Array;
}

function toBlockHeader(h: Header): BlockHeader {
  return {
    version: h.version,
    prev_hash: h.prevHash,
    merkle_root: h.merkleRoot,
    time: h.time,
    bits: h.bits,
    nonce: h.nonce,
  };
}

function fromBlockHeader(h: BlockHeader): Header {
  return {
    version: h.version | 0,
    prevHash: h.prev_hash,
    merkleRoot: h.merkle_root,
    time: h.time,
    bits: h.bits,
    nonce: h.nonce,
  };
}

export function encodeHeader(h: Header): Buffer {
  return asBuffer(serializeHeader(toBlockHeader(h)));
}

/** Decodes a full block; throws BitcoinDataError on any malformed or trailing byte. */
export function decodeBlock(bytes: Uint8Array): Block {
  const raw = asBuffer(bytes);
  const parsed = parseBlock(raw);
  // Each transaction keeps the bytes it came in: cut them out rather than re-encode.
  let offset = HEADER_SIZE + compactSizeLength(parsed.transactions.length);
  const txs = parsed.transactions.map((tx) => {
    const end = offset + transactionSize(tx);
    const info = txInfo(tx, raw.subarray(offset, end));
    offset = end;
    return info;
  });
  return { header: fromBlockHeader(parsed.header), txs, raw, hash: headerHash(raw.subarray(0, HEADER_SIZE)) };
}

/** Header, count and each transaction's own bytes (never re-encoded, so kept exactly as they came). */
export function encodeBlock(header: Header, txs: TxInfo[]): Buffer {
  const w = new ByteWriter(HEADER_SIZE + 9 + txs.reduce((n, t) => n + t.size, 0));
  w.bytes(serializeHeader(toBlockHeader(header))).compactSize(txs.length);
  for (const t of txs) w.bytes(t.raw);
  return asBuffer(w.finish());
}

/** BIP141 witness commitment of the transactions after the coinbase (reserved value: zeros). */
export function commitmentFor(others: TxInfo[]): Uint8Array {
  return witnessCommitment(witnessMerkleRoot([new Uint8Array(32), ...others.map((t) => t.wtxid)]));
}

/** Merkle root of txids (internal order); a Buffer, as RPC code compares and prints it. */
export function merkleRoot(txids: Uint8Array[]): Buffer {
  return asBuffer(merkleRootOf(txids));
}
