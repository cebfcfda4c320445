// Checking a DeclareMiningJob, in the order the server can do it: what the
// message says by itself (version, transaction count, coinbase, pool payout
// output, witness commitment against the wtxid list), then the transactions
// (from the mempool mirror, or from the client through
// ProvideMissingTransactions), then what needs them all (fees against the
// coinbase, weight, sigops). Pure: the mirror lookup and the fees come in.
import {
  coinbaseMerklePath,
  compactSizeLength,
  equalBytes,
  witnessCommitment,
  witnessMerkleRoot,
} from '../../bitcoin/index.js';
import { declaredCommitment } from '../../channels/jd-token.js';
import type { MessageByName } from '../../messages/index.js';
import { parseDeclaredCoinbase, type DeclaredCoinbase } from './coinbase.js';
import { DeclareRefusal, JDS_ERROR } from './errors.js';
import { describeTransaction, wtxidKey } from './mirror.js';

export const MAX_BLOCK_WEIGHT = 4_000_000;
export const MAX_BLOCK_SIGOPS_COST = 80_000;
const HEADER_SIZE = 80;

export type DeclareMiningJobMsg = MessageByName<'DeclareMiningJob'>;

export interface DeclarePolicy {
  /** The pool payout output's script (coinbase_reward_script). */
  poolScript: Uint8Array;
  /** The pool payout output must carry at least this share of the subsidy plus the known fees. */
  minPoolPayoutPercent: number;
  maxDeclaredTransactions: number;
  subsidy(height: number): bigint;
}

/** One transaction of the declared set, as the block will carry it. */
export interface DeclaredTx {
  txid: Uint8Array;
  raw: Uint8Array;
  /** Satoshis, when the node knows the transaction; otherwise counted as 0. */
  fee: bigint | undefined;
  weight: number;
  sigops: number;
}

export interface Declaration {
  request_id: number;
  version: number;
  prefix: Uint8Array;
  suffix: Uint8Array;
  coinbase: DeclaredCoinbase;
  wtxids: Uint8Array[];
  keys: string[];
  /** By position in wtxid_list; undefined until known. */
  txs: (DeclaredTx | undefined)[];
  /** Positions ProvideMissingTransactions asks for. */
  missing: number[];
}

/** What a DeclareMiningJob.Success commits to, kept for PushSolution. */
export interface DeclaredJob {
  request_id: number;
  version: number;
  prefix: Uint8Array;
  suffix: Uint8Array;
  extranonceSize: number;
  height: number;
  merklePath: Uint8Array[];
  /** Raw transactions in block order (the coinbase excluded). */
  txs: Uint8Array[];
  commitment: Uint8Array;
  outputsBytes: Uint8Array;
  /** Fees the server knew of, the unknown ones counted as 0. */
  knownFees: bigint;
  unknownFees: number;
}

const TOP_BITS_MASK = 0xe0000000;
const TOP_BITS = 0x20000000;

/**
 * The checks that need nothing but the message: version, transaction count
 * and duplicates, coinbase, a pool payout output, witness commitment.
 */
export function checkDeclaration(m: DeclareMiningJobMsg, p: DeclarePolicy): Declaration {
  if ((m.version & TOP_BITS_MASK) >>> 0 !== TOP_BITS) {
    throw new DeclareRefusal(
      JDS_ERROR.INVALID_VERSION,
      `version 0x${(m.version >>> 0).toString(16).padStart(8, '0')} lacks the BIP9 top bits 001`,
    );
  }
  const n = m.wtxid_list.length;
  if (n > p.maxDeclaredTransactions) {
    throw new DeclareRefusal(
      JDS_ERROR.INVALID_WTXID_LIST,
      `${n} transactions declared, at most ${p.maxDeclaredTransactions} accepted`,
    );
  }
  const keys = m.wtxid_list.map(wtxidKey);
  const seen = new Set<string>();
  for (const [i, k] of keys.entries()) {
    if (seen.has(k))
      throw new DeclareRefusal(JDS_ERROR.INVALID_WTXID_LIST, `wtxid at position ${i} is listed twice`);
    seen.add(k);
  }
  const coinbase = parseDeclaredCoinbase(m.coinbase_tx_prefix, m.coinbase_tx_suffix);
  if (!coinbase.outputs.some((o) => equalBytes(o.script, p.poolScript))) {
    throw new DeclareRefusal(
      JDS_ERROR.INVALID_COINBASE_TX_SUFFIX,
      'no coinbase output pays the pool payout output (the first output of AllocateMiningJobToken.Success)',
    );
  }
  if (coinbase.witnessCommitment !== null) {
    const root = witnessMerkleRoot([new Uint8Array(32), ...m.wtxid_list]);
    if (!equalBytes(witnessCommitment(root, coinbase.witnessReserved!), coinbase.witnessCommitment)) {
      throw new DeclareRefusal(
        JDS_ERROR.INVALID_COINBASE_TX_SUFFIX,
        'the witness commitment output does not commit to the declared wtxid list',
      );
    }
  }
  return {
    request_id: m.request_id,
    version: m.version,
    // Copies: decoded fields are views of the whole frame, which a kept job should not pin.
    prefix: m.coinbase_tx_prefix.slice(),
    suffix: m.coinbase_tx_suffix.slice(),
    coinbase,
    wtxids: m.wtxid_list,
    keys,
    txs: new Array<DeclaredTx | undefined>(n),
    missing: [],
  };
}

/** Fills the transactions the mirror knows; the rest become `missing` (positions, ascending). */
export function resolveKnown(d: Declaration, lookup: (key: string) => DeclaredTx | undefined): void {
  d.missing = [];
  for (let i = 0; i < d.keys.length; i++) {
    const tx = lookup(d.keys[i]!);
    if (tx === undefined) d.missing.push(i);
    else d.txs[i] = tx;
  }
}

/**
 * ProvideMissingTransactions.Success: exactly the requested transactions, in
 * the requested order, each hashing to the wtxid declared at its position.
 * Returns them (their fees unknown until the node is asked).
 */
export function acceptProvided(d: Declaration, list: readonly Uint8Array[]): DeclaredTx[] {
  if (list.length !== d.missing.length) {
    throw new DeclareRefusal(
      JDS_ERROR.MISSING_TRANSACTIONS,
      `${d.missing.length} transactions were asked for, ${list.length} provided`,
    );
  }
  const provided: DeclaredTx[] = [];
  for (const [k, raw] of list.entries()) {
    const pos = d.missing[k]!;
    const t = describeTransaction(raw);
    if (t === null) {
      throw new DeclareRefusal(
        JDS_ERROR.MISSING_TRANSACTIONS,
        `transaction ${k} (position ${pos}) does not parse`,
      );
    }
    if (!equalBytes(t.wtxid, d.wtxids[pos]!)) {
      throw new DeclareRefusal(
        JDS_ERROR.MISSING_TRANSACTIONS,
        `transaction ${k} does not hash to the wtxid declared at position ${pos}`,
      );
    }
    const tx: DeclaredTx = { txid: t.txid, raw, fee: undefined, weight: t.weight, sigops: t.sigops };
    d.txs[pos] = tx;
    provided.push(tx);
  }
  d.missing = [];
  return provided;
}

/**
 * With every transaction known: the coinbase may pay at most the subsidy
 * plus the known fees (unknown fees count 0), the pool payout output must
 * carry at least min_pool_payout_percent of that, and the block must fit the
 * weight and sigop limits. Returns the job with its merkle path and commitment.
 */
export function finishDeclaration(d: Declaration, p: DeclarePolicy): DeclaredJob {
  const txs = d.txs as DeclaredTx[];
  if (txs.length !== d.keys.length || d.missing.length > 0 || txs.some((t) => t === undefined)) {
    throw new Error('finishDeclaration before every transaction is known');
  }
  const cb = d.coinbase;
  if (cb.witnessCommitment === null) {
    const i = txs.findIndex((t, j) => !equalBytes(t.txid, d.wtxids[j]!));
    if (i >= 0) {
      throw new DeclareRefusal(
        JDS_ERROR.INVALID_COINBASE_TX_SUFFIX,
        `transaction ${i} has witness data but the coinbase has no witness commitment output`,
      );
    }
  }
  let knownFees = 0n;
  let unknown = 0;
  let weight = 4 * (HEADER_SIZE + compactSizeLength(1 + txs.length)) + cb.weight;
  let sigops = cb.sigops;
  for (const t of txs) {
    if (t.fee === undefined) unknown++;
    else knownFees += t.fee;
    weight += t.weight;
    sigops += t.sigops;
  }
  if (weight > MAX_BLOCK_WEIGHT) {
    throw new DeclareRefusal(
      JDS_ERROR.INVALID_WTXID_LIST,
      `the block would weigh ${weight} weight units, more than ${MAX_BLOCK_WEIGHT}`,
    );
  }
  if (sigops > MAX_BLOCK_SIGOPS_COST) {
    throw new DeclareRefusal(
      JDS_ERROR.INVALID_WTXID_LIST,
      `the block would cost ${sigops} sigops, more than ${MAX_BLOCK_SIGOPS_COST}`,
    );
  }
  const subsidy = p.subsidy(cb.height);
  const revenue = subsidy + knownFees;
  let total = 0n;
  let pool = 0n;
  for (const o of cb.outputs) {
    total += o.value;
    if (equalBytes(o.script, p.poolScript)) pool += o.value;
  }
  const unknownNote = unknown > 0 ? ` (${unknown} transactions of unknown fee counted as 0)` : '';
  if (total > revenue) {
    throw new DeclareRefusal(
      JDS_ERROR.INVALID_COINBASE_TX_SUFFIX,
      `the coinbase pays ${total} sats, more than the subsidy ${subsidy} plus the known fees ${knownFees}${unknownNote}`,
    );
  }
  // pool / revenue >= percent / 100, in integers (percent to two decimals).
  const hundredths = BigInt(Math.round(p.minPoolPayoutPercent * 100));
  if (pool * 10_000n < revenue * hundredths) {
    throw new DeclareRefusal(
      JDS_ERROR.INVALID_COINBASE_TX_SUFFIX,
      `the pool payout output carries ${pool} sats, less than ${p.minPoolPayoutPercent}% of the subsidy ` +
        `${subsidy} plus the known fees ${knownFees}${unknownNote}`,
    );
  }
  const merklePath = coinbaseMerklePath(txs.map((t) => t.txid));
  return {
    request_id: d.request_id,
    version: d.version,
    prefix: d.prefix,
    suffix: d.suffix,
    extranonceSize: cb.extranonceSize,
    height: cb.height,
    merklePath,
    txs: txs.map((t) => t.raw),
    commitment: declaredCommitment(d.version, cb.outputsBytes, merklePath),
    outputsBytes: cb.outputsBytes,
    knownFees,
    unknownFees: unknown,
  };
}
