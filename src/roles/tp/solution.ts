// SubmitSolution → full block: the header from the solution's version, time
// and nonce on the template's tip, the merkle root from the coinbase's txid
// folded with the template's merkle path, then the coinbase exactly as the
// client sent it (full segwit form) and the template's transactions.
import {
  BitcoinDataError,
  blockHash,
  concatBytes,
  encodeCompactSize,
  foldMerklePath,
  isCoinbase,
  parseTransaction,
  serializeHeader,
  toDisplayHex,
  txid,
  bytesToHex,
  type BlockHeader,
} from '../../bitcoin/index.js';
import type { SubmitSolutionMsg } from '../common/tdp-client.js';
import type { TemplateRecord } from './store.js';

export interface SolvedBlock {
  hex: string;
  /** Display hex, as explorers and RPC print it. */
  hash: string;
  height: number;
  header: BlockHeader;
}

/** Throws BitcoinDataError when the coinbase does not parse or is no coinbase. */
export function blockFromSolution(record: TemplateRecord, s: SubmitSolutionMsg): SolvedBlock {
  let coinbase;
  try {
    coinbase = parseTransaction(s.coinbase_tx);
  } catch (err) {
    throw new BitcoinDataError(`coinbase_tx does not parse: ${(err as Error).message}`);
  }
  if (!isCoinbase(coinbase)) throw new BitcoinDataError('coinbase_tx is not a coinbase transaction');
  const base = record.base;
  const header: BlockHeader = {
    version: s.version,
    prev_hash: base.prevHash,
    merkle_root: foldMerklePath(txid(coinbase), record.fitted.merkle_path),
    time: s.header_timestamp,
    bits: base.bits,
    nonce: s.header_nonce,
  };
  const txs = record.fitted.txs;
  const raw = concatBytes(
    serializeHeader(header),
    encodeCompactSize(1 + txs.length),
    s.coinbase_tx,
    ...txs.map((t) => t.data),
  );
  return { hex: bytesToHex(raw), hash: toDisplayHex(blockHash(header)), height: base.height, header };
}
