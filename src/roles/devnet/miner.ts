// Builds and mines blocks inside the devnet for generatetoaddress and
// generateblock. Regtest's target passes about every second hash, so a plain
// nonce loop is enough.
import {
  encodeBip34Height,
  hashMeetsTarget,
  headerHash,
  witnessCommitmentScript,
  type Transaction,
} from '../../bitcoin/index.js';
import { commitmentFor, encodeBlock, encodeHeader, merkleRoot, type Header } from './block.js';
import { BLOCK_VERSION, POW_LIMIT, REGTEST_BITS } from './consensus.js';
import { txInfo, type TxInfo } from './tx.js';

/**
 * Coinbase paying `value` to `script`: BIP34 height then an extra byte (the
 * scriptSig must be at least 2 bytes), a witness reserved value of zeros and
 * the witness commitment for `others`.
 */
export function buildCoinbase(
  height: number,
  script: Uint8Array,
  value: bigint,
  others: TxInfo[],
  extra = 0,
): TxInfo {
  const tx: Transaction = {
    version: 2,
    inputs: [
      {
        prev_txid: new Uint8Array(32),
        prev_index: 0xffffffff,
        script_sig: Uint8Array.of(...encodeBip34Height(height), 0x01, extra & 0xff),
        sequence: 0xffffffff,
        witness: [new Uint8Array(32)],
      },
    ],
    outputs: [
      { value, script },
      { value: 0n, script: witnessCommitmentScript(commitmentFor(others)) },
    ],
    locktime: 0,
  };
  return txInfo(tx);
}

/** Searches nonces (then bumps the time) until the header meets the regtest target. */
export function mineHeader(header: Header, maxTries = 1_000_000): Header | null {
  const h = { ...header };
  for (let i = 0; i < maxTries; i++) {
    if (hashMeetsTarget(headerHash(encodeHeader(h)), POW_LIMIT)) return h;
    h.nonce = (h.nonce + 1) >>> 0;
    if (h.nonce === 0) h.time++;
  }
  return null;
}

export interface MinedBlock {
  raw: Buffer;
  header: Header;
}

export function mineBlock(
  prevHash: Uint8Array,
  height: number,
  time: number,
  coinbase: TxInfo,
  others: TxInfo[],
  maxTries?: number,
): MinedBlock | null {
  const txs = [coinbase, ...others];
  const header = mineHeader(
    {
      version: BLOCK_VERSION,
      prevHash,
      merkleRoot: merkleRoot(txs.map((t) => t.txid)),
      time,
      bits: REGTEST_BITS,
      nonce: 0,
    },
    maxTries,
  );
  return header ? { raw: encodeBlock(header, txs), header } : null;
}
