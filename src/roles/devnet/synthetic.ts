// Synthetic mempool transactions: well-formed serializations (legacy and
// segwit spends, random fee rates) that spend made-up outpoints. The devnet
// has no UTXO set, so these exist only to give templates realistic content.
import { randomBytes, randomInt } from 'node:crypto';
import { pushData, type Transaction } from '../../bitcoin/index.js';
import { txInfo, type TxInfo } from './tx.js';

export interface SyntheticTx {
  info: TxInfo;
  /** Satoshis, chosen from a random fee rate of 1–50 sat/vB. */
  fee: bigint;
}

/** A DER-shaped signature of the usual length with a SIGHASH_ALL byte; its content is random. */
function fakeSignature(): Buffer {
  const r = randomBytes(32);
  const s = randomBytes(32);
  r[0] = r[0]! & 0x7f;
  s[0] = s[0]! & 0x7f;
  return Buffer.concat([
    Buffer.from([0x30, 0x44, 0x02, 0x20]),
    r,
    Buffer.from([0x02, 0x20]),
    s,
    Buffer.from([0x01]),
  ]);
}

function fakePubkey(): Buffer {
  return Buffer.concat([Buffer.from([0x02 + randomInt(2)]), randomBytes(32)]);
}

function randomOutputScript(): Buffer {
  switch (randomInt(3)) {
    case 0: // P2WPKH
      return Buffer.concat([Buffer.from([0x00, 0x14]), randomBytes(20)]);
    case 1: // P2TR
      return Buffer.concat([Buffer.from([0x51, 0x20]), randomBytes(32)]);
    default: // P2PKH
      return Buffer.concat([Buffer.from([0x76, 0xa9, 0x14]), randomBytes(20), Buffer.from([0x88, 0xac])]);
  }
}

export function syntheticTx(): SyntheticTx {
  const segwit = randomInt(3) !== 0; // about two thirds segwit, as on mainnet
  const nIn = 1 + randomInt(3);
  const nOut = 1 + randomInt(2);
  const tx: Transaction = { version: 2, inputs: [], outputs: [], locktime: 0 };
  for (let i = 0; i < nIn; i++) {
    const sig = fakeSignature();
    const pub = fakePubkey();
    tx.inputs.push({
      prev_txid: randomBytes(32),
      prev_index: randomInt(4),
      script_sig: segwit ? new Uint8Array(0) : Uint8Array.of(...pushData(sig), ...pushData(pub)),
      sequence: 0xfffffffd,
      witness: segwit ? [sig, pub] : [],
    });
  }
  for (let i = 0; i < nOut; i++) {
    tx.outputs.push({ value: BigInt(1_000 + randomInt(10_000_000)), script: randomOutputScript() });
  }
  const info = txInfo(tx);
  const fee = BigInt(info.vsize * (1 + randomInt(50)));
  return { info, fee };
}
