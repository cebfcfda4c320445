// The JSON shapes of Bitcoin Core's block, header and transaction RPC answers.
import { describeScript } from './address.js';
import type { Chain, BlockEntry } from './chain.js';
import { bytesToHex, isCoinbase, toDisplayHex } from '../../bitcoin/index.js';
import { difficulty } from './consensus.js';
import { encodeHeader } from './block.js';
import type { TxInfo } from './tx.js';

export function btc(sats: bigint): number {
  return Number(sats) / 1e8;
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

export function headerHex(entry: BlockEntry): string {
  return encodeHeader(entry.block.header).toString('hex');
}

export function headerJson(chain: Chain, e: BlockEntry): Record<string, unknown> {
  const h = e.block.header;
  const active = chain.isActive(e);
  const next = active ? chain.at(e.height + 1) : undefined;
  return {
    hash: e.hashHex,
    confirmations: active ? chain.height - e.height + 1 : -1,
    height: e.height,
    version: h.version,
    versionHex: hex8(h.version),
    merkleroot: toDisplayHex(h.merkleRoot),
    time: h.time,
    mediantime: e.medianTimePast,
    nonce: h.nonce,
    bits: hex8(h.bits),
    difficulty: difficulty(h.bits),
    chainwork: e.chainWork.toString(16).padStart(64, '0'),
    nTx: e.block.txs.length,
    ...(e.parent ? { previousblockhash: e.parent.hashHex } : {}),
    ...(next ? { nextblockhash: next.hashHex } : {}),
  };
}

export function txJson(t: TxInfo, fee?: bigint): Record<string, unknown> {
  const coinbase = isCoinbase(t.tx);
  return {
    txid: toDisplayHex(t.txid),
    hash: toDisplayHex(t.wtxid),
    // As a signed 32-bit number (the bitcoin layer reads it unsigned).
    version: t.tx.version | 0,
    size: t.size,
    vsize: t.vsize,
    weight: t.weight,
    locktime: t.tx.locktime,
    vin: t.tx.inputs.map((i) => {
      const witness = i.witness.length > 0 ? { txinwitness: i.witness.map(bytesToHex) } : {};
      if (coinbase) return { coinbase: bytesToHex(i.script_sig), ...witness, sequence: i.sequence };
      return {
        txid: toDisplayHex(i.prev_txid),
        vout: i.prev_index,
        scriptSig: { asm: '', hex: bytesToHex(i.script_sig) },
        ...witness,
        sequence: i.sequence,
      };
    }),
    vout: t.tx.outputs.map((o, n) => ({
      value: btc(o.value),
      n,
      scriptPubKey: { asm: '', hex: bytesToHex(o.script), ...describeScript(o.script) },
    })),
    ...(fee !== undefined && !coinbase ? { fee: btc(fee) } : {}),
    hex: t.raw.toString('hex'),
  };
}

export function blockJson(chain: Chain, e: BlockEntry, verbosity: number): Record<string, unknown> {
  const b = e.block;
  const strippedSize = b.raw.length - b.txs.reduce((n, t) => n + t.size - (t.weight - t.size) / 3, 0);
  const { nTx, ...header } = headerJson(chain, e);
  return {
    ...header,
    strippedsize: Math.round(strippedSize),
    size: b.raw.length,
    weight: Math.round(strippedSize) * 3 + b.raw.length,
    tx:
      verbosity >= 2
        ? b.txs.map((t) => txJson(t, chain.knownFees.get(toDisplayHex(t.txid))))
        : b.txs.map((t) => toDisplayHex(t.txid)),
    nTx,
  };
}
