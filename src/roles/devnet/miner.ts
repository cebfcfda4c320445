// Builds and mines blocks inside the devnet for generatetoaddress and
// generateblock. Regtest's target passes about every second hash, so a plain
// nonce loop is enough.
import {
  encodeBlock,
  encodeHeader,
  merkleRoot,
  witnessCommitment,
  witnessCommitmentScript,
  witnessMerkleRoot,
} from './block.js';
import type { Header } from './block.js';
import { BLOCK_VERSION, POW_LIMIT, REGTEST_BITS, bip34HeightScript, hashToBigInt } from './consensus.js';
import { txInfo, type Tx, type TxInfo } from './tx.js';
import { sha256d } from './wire.js';

/**
 * Coinbase paying `value` to `script`: BIP34 height then an extra byte (the
 * scriptSig must be at least 2 bytes), a witness reserved value of zeros and
 * the witness commitment for `others`.
 */
export function buildCoinbase(
  height: number,
  script: Buffer,
  value: bigint,
  others: TxInfo[],
  extra = 0,
): TxInfo {
  const commitment = witnessCommitment(witnessMerkleRoot(others.map((t) => t.wtxid)), Buffer.alloc(32));
  const tx: Tx = {
    version: 2,
    inputs: [
      {
        prevTxid: Buffer.alloc(32),
        prevVout: 0xffffffff,
        scriptSig: Buffer.concat([bip34HeightScript(height), Buffer.from([0x01, extra & 0xff])]),
        sequence: 0xffffffff,
        witness: [Buffer.alloc(32)],
      },
    ],
    outputs: [
      { value, scriptPubKey: script },
      { value: 0n, scriptPubKey: witnessCommitmentScript(commitment) },
    ],
    locktime: 0,
  };
  return txInfo(tx);
}

/** Searches nonces (then bumps the time) until the header meets the regtest target. */
export function mineHeader(header: Header, maxTries = 1_000_000): Header | null {
  const h = { ...header };
  for (let i = 0; i < maxTries; i++) {
    if (hashToBigInt(sha256d(encodeHeader(h))) <= POW_LIMIT) return h;
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
  prevHash: Buffer,
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
