// From getblocktemplate to TDP: parse Bitcoin Core's template once, fit it to
// a client's CoinbaseOutputConstraints (spec 7.1), and shape NewTemplate and
// SetNewPrevHash. No I/O here.
import {
  bitsToTarget,
  coinbaseMerklePath,
  encodeBip34Height,
  fromDisplayHex,
  hexToBytes,
  serializeOutputs,
  u256FromBEHex,
  u256ToLE,
  witnessCommitment,
  witnessCommitmentScript,
  witnessMerkleRoot,
  type TxOutput,
} from '../../bitcoin/index.js';
import type { BlockTemplate } from '../../rpc/index.js';
import type { CoinbaseConstraints, NewTemplateMsg, SetNewPrevHashTdpMsg } from '../common/tdp-client.js';

/** Spec 7.1, segwit: header 320 + tx count 12 + fixed coinbase fields 236 + scriptSig 400 + output count 12 + witness commitment 188. */
export const COINBASE_BASE_WEIGHT = 1168;
/** Sigop cost Bitcoin Core keeps for the coinbase when it builds a template. */
export const NODE_RESERVED_SIGOPS = 400;
export const COINBASE_TX_VERSION = 2;
export const COINBASE_INPUT_SEQUENCE = 0xffffffff;
export const COINBASE_LOCKTIME = 0;

export interface TemplateTx {
  /** Full serialization with witness. */
  data: Uint8Array;
  /** Internal byte order. */
  txid: Uint8Array;
  wtxid: Uint8Array;
  fee: bigint;
  sigops: number;
  weight: number;
  /** 1-based indexes of earlier transactions of the template it spends. */
  depends: number[];
}

/** One getblocktemplate answer in the forms the TP works with. */
export interface BaseTemplate {
  height: number;
  version: number;
  /** Previous block hash as RPC prints it, and in internal order. */
  prevHashHex: string;
  prevHash: Uint8Array;
  bits: number;
  target: bigint;
  curtime: number;
  /** Subsidy plus every transaction's fee. */
  coinbasevalue: bigint;
  txs: TemplateTx[];
  /** Core's witness commitment script, if it gave one. */
  witnessCommitment: Uint8Array | null;
  weightlimit: number;
  sigoplimit: number;
  longpollid: string;
}

export function parseBlockTemplate(gbt: BlockTemplate): BaseTemplate {
  const bits = parseInt(gbt.bits, 16);
  return {
    height: gbt.height,
    version: gbt.version >>> 0,
    prevHashHex: gbt.previousblockhash,
    prevHash: fromDisplayHex(gbt.previousblockhash),
    bits,
    target: gbt.target ? u256FromBEHex(gbt.target) : bitsToTarget(bits),
    curtime: gbt.curtime,
    coinbasevalue: BigInt(gbt.coinbasevalue),
    txs: gbt.transactions.map((t) => ({
      data: hexToBytes(t.data),
      txid: fromDisplayHex(t.txid),
      wtxid: fromDisplayHex(t.hash),
      fee: BigInt(t.fee),
      sigops: t.sigops,
      weight: t.weight,
      depends: t.depends,
    })),
    witnessCommitment:
      gbt.default_witness_commitment === undefined ? null : hexToBytes(gbt.default_witness_commitment),
    weightlimit: gbt.weightlimit,
    sigoplimit: gbt.sigoplimit,
    longpollid: gbt.longpollid,
  };
}

/** Weight a client's coinbase may take, header and tx count included (spec 7.1). */
export function requiredWeight(c: CoinbaseConstraints): number {
  return COINBASE_BASE_WEIGHT + 4 * c.coinbase_output_max_additional_size;
}

/** Why constraints cannot be honoured at all, or undefined when they can. */
export function constraintsProblem(c: CoinbaseConstraints, weightlimit = 4_000_000): string | undefined {
  if (requiredWeight(c) > weightlimit) {
    return `coinbase_output_max_additional_size ${c.coinbase_output_max_additional_size} leaves no room in a block`;
  }
  return undefined;
}

export interface FittedTemplate {
  txs: TemplateTx[];
  /** Subsidy plus the kept transactions' fees. */
  coinbase_tx_value_remaining: bigint;
  coinbase_tx_outputs: TxOutput[];
  merkle_path: Uint8Array[];
  /** Transactions dropped to make room for the client's coinbase. */
  dropped: number;
}

/**
 * Fits a template to a client's constraints. While the client needs no more
 * than the node already kept free (`nodeReservedWeight`, 400 sigops), the
 * template is used as is; otherwise transactions are dropped from the end
 * (with anything that spends them) until the block fits, and the value and
 * witness commitment are recomputed for what is left.
 */
export function fitTemplate(
  base: BaseTemplate,
  c: CoinbaseConstraints,
  nodeReservedWeight: number,
): FittedTemplate {
  const needWeight = requiredWeight(c);
  const needSigops = c.coinbase_output_max_additional_sigops;
  const weightBudget = needWeight > nodeReservedWeight ? base.weightlimit - needWeight : Infinity;
  const sigopsBudget = needSigops > NODE_RESERVED_SIGOPS ? base.sigoplimit - needSigops : Infinity;

  const kept = new Array<boolean>(base.txs.length).fill(true);
  let weight = 0;
  let sigops = 0;
  for (const t of base.txs) {
    weight += t.weight;
    sigops += t.sigops;
  }
  const drop = (i: number): void => {
    if (!kept[i]) return;
    kept[i] = false;
    weight -= base.txs[i]!.weight;
    sigops -= base.txs[i]!.sigops;
    // Whatever spends a dropped transaction must go too.
    for (let j = 0; j < base.txs.length; j++) {
      if (kept[j] && base.txs[j]!.depends.includes(i + 1)) drop(j);
    }
  };
  for (let i = base.txs.length - 1; i >= 0 && (weight > weightBudget || sigops > sigopsBudget); i--) drop(i);

  const txs = base.txs.filter((_, i) => kept[i]);
  const dropped = base.txs.length - txs.length;
  let value = base.coinbasevalue;
  for (let i = 0; i < base.txs.length; i++) if (!kept[i]) value -= base.txs[i]!.fee;

  let commitment = base.witnessCommitment;
  if (commitment !== null && dropped > 0) {
    // The coinbase's own wtxid counts as zero; witnessMerkleRoot puts that first.
    const root = witnessMerkleRoot([new Uint8Array(32), ...txs.map((t) => t.wtxid)]);
    commitment = witnessCommitmentScript(witnessCommitment(root));
  }
  return {
    txs,
    coinbase_tx_value_remaining: value,
    coinbase_tx_outputs: commitment === null ? [] : [{ value: 0n, script: commitment }],
    merkle_path: coinbaseMerklePath(txs.map((t) => t.txid)),
    dropped,
  };
}

export function newTemplateMessage(
  base: BaseTemplate,
  fitted: FittedTemplate,
  template_id: bigint,
  future_template: boolean,
): NewTemplateMsg {
  return {
    type: 'NewTemplate',
    template_id,
    future_template,
    version: base.version,
    coinbase_tx_version: COINBASE_TX_VERSION,
    coinbase_prefix: encodeBip34Height(base.height),
    coinbase_tx_input_sequence: COINBASE_INPUT_SEQUENCE,
    coinbase_tx_value_remaining: fitted.coinbase_tx_value_remaining,
    coinbase_tx_outputs_count: fitted.coinbase_tx_outputs.length,
    // No CompactSize count in this field (spec 7.2).
    coinbase_tx_outputs: serializeOutputs(fitted.coinbase_tx_outputs, false),
    coinbase_tx_locktime: COINBASE_LOCKTIME,
    merkle_path: fitted.merkle_path,
  };
}

export function setNewPrevHashMessage(base: BaseTemplate, template_id: bigint): SetNewPrevHashTdpMsg {
  return {
    type: 'SetNewPrevHashTdp',
    template_id,
    prev_hash: base.prevHash,
    header_timestamp: base.curtime,
    nBits: base.bits,
    target: u256ToLE(base.target),
  };
}
