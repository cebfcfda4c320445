// Full blocks: header, CompactSize transaction count, transactions.
import { BitcoinDataError } from './errors.js';
import { HEADER_SIZE, parseHeader, writeHeader, type BlockHeader } from './header.js';
import { ByteReader } from './reader.js';
import { ByteWriter } from './writer.js';
import { readTransaction, writeTransaction, type Transaction } from './transaction.js';

export interface Block {
  header: BlockHeader;
  transactions: Transaction[];
}

export function serializeBlock(block: Block): Uint8Array {
  const w = new ByteWriter(4096);
  const header = new Uint8Array(HEADER_SIZE);
  writeHeader(block.header, header);
  w.bytes(header).compactSize(block.transactions.length);
  for (const tx of block.transactions) writeTransaction(w, tx, true);
  return w.finish();
}

export function parseBlock(bytes: Uint8Array): Block {
  const header = parseHeader(bytes);
  const r = new ByteReader(bytes, HEADER_SIZE);
  const count = r.compactSize('transaction count');
  // The smallest transaction is 60 bytes: refuse counts the input cannot hold.
  if (count * 60 > r.remaining) throw new BitcoinDataError(`${count} transactions cannot fit in the block`);
  const transactions: Transaction[] = [];
  for (let i = 0; i < count; i++) transactions.push(readTransaction(r));
  if (r.remaining !== 0) throw new BitcoinDataError(`${r.remaining} bytes left after the last transaction`);
  return { header, transactions };
}
