// Checks a submitted block the way Bitcoin Core does where it matters to a
// mining stack, and names failures with Core's reject reasons. There is no
// UTXO set: inputs are not looked up and scripts are not run; fees are known
// only for transactions the devnet itself saw (others count as 0).
import {
  MAX_COINBASE_SCRIPT_SIG,
  MAX_MONEY,
  MIN_COINBASE_SCRIPT_SIG,
  bytesToHex,
  encodeBip34Height,
  equalBytes,
  findWitnessCommitment,
  hasWitness,
  hashMeetsTarget,
  isCoinbase,
  toDisplayHex,
  witnessCommitment,
  witnessMerkleRoot,
} from '../../bitcoin/index.js';
import { merkleRoot, type Block } from './block.js';
import {
  MAX_BLOCK_SIGOPS_COST,
  MAX_BLOCK_WEIGHT,
  MAX_FUTURE_BLOCK_TIME,
  POW_LIMIT,
  REGTEST_BITS,
  blockSubsidy,
  targetOf,
} from './consensus.js';
import { sigopCost } from './tx.js';

export interface BlockContext {
  /** Height the block would have. */
  height: number;
  /** Median time past of its parent chain. */
  medianTimePast: number;
  /** Node clock, seconds. */
  now: number;
  /** Fee of a non-coinbase transaction when known (mempool or earlier block), in satoshis. */
  feeOf(txidHex: string): bigint | undefined;
  /** False when reloading the node's own blocks file: the clock and fees of then are gone. */
  replay?: boolean;
  /** False skips the proof-of-work check (testblockvalidity of an unmined template). */
  checkPow?: boolean;
}

/** Header checks that need no chain context: proof of work against the header's own bits. */
export function checkProofOfWork(block: Block): string | null {
  const target = targetOf(block.header.bits);
  if (target === null || target > POW_LIMIT) return 'high-hash';
  if (!hashMeetsTarget(block.hash, target)) return 'high-hash';
  return null;
}

/** Returns Core's reject reason, or null when the block is valid. */
export function validateBlock(block: Block, ctx: BlockContext): string | null {
  if (ctx.checkPow !== false) {
    const pow = checkProofOfWork(block);
    if (pow) return pow;
  }
  const { header, txs } = block;
  if (header.bits !== REGTEST_BITS) return 'bad-diffbits';
  if (header.time <= ctx.medianTimePast) return 'time-too-old';
  if (!ctx.replay && header.time > ctx.now + MAX_FUTURE_BLOCK_TIME) return 'time-too-new';
  if (header.version < 4) return `bad-version(0x${header.version.toString(16).padStart(8, '0')})`;

  const first = txs[0];
  if (first === undefined) return 'bad-blk-length';
  if (!merkleRoot(txs.map((t) => t.txid)).equals(header.merkleRoot)) return 'bad-txnmrklroot';
  const seen = new Set<string>();
  for (const t of txs) {
    const id = bytesToHex(t.txid);
    if (seen.has(id)) return 'bad-txns-duplicate';
    seen.add(id);
  }
  if (!isCoinbase(first.tx)) return 'bad-cb-missing';
  for (let i = 1; i < txs.length; i++) if (isCoinbase(txs[i]!.tx)) return 'bad-cb-multiple';
  for (const t of txs) {
    if (t.tx.inputs.length === 0) return 'bad-txns-vin-empty';
    if (t.tx.outputs.length === 0) return 'bad-txns-vout-empty';
    let sum = 0n;
    for (const o of t.tx.outputs) {
      // Values are read as signed: one with the top bit set is beyond MAX_MONEY too.
      if (o.value < 0n || o.value > MAX_MONEY) return 'bad-txns-vout-toolarge';
      sum += o.value;
    }
    if (sum > MAX_MONEY) return 'bad-txns-txouttotal-toolarge';
  }
  const scriptSig = first.tx.inputs[0]!.script_sig;
  if (scriptSig.length < MIN_COINBASE_SCRIPT_SIG || scriptSig.length > MAX_COINBASE_SCRIPT_SIG)
    return 'bad-cb-length';
  const sigops = txs.reduce((n, t) => n + sigopCost(t.tx), 0);
  if (sigops > MAX_BLOCK_SIGOPS_COST) return 'bad-blk-sigops';

  const heightPrefix = encodeBip34Height(ctx.height);
  if (!equalBytes(scriptSig.subarray(0, heightPrefix.length), heightPrefix)) return 'bad-cb-height';

  const witnessReason = checkWitness(block);
  if (witnessReason) return witnessReason;
  const weight =
    txs.reduce((n, t) => n + t.weight, 0) + (block.raw.length - txs.reduce((n, t) => n + t.size, 0)) * 4;
  if (weight > MAX_BLOCK_WEIGHT) return 'bad-blk-weight';

  if (!ctx.replay) {
    let fees = 0n;
    for (let i = 1; i < txs.length; i++) fees += ctx.feeOf(toDisplayHex(txs[i]!.txid)) ?? 0n;
    const paid = first.tx.outputs.reduce((s, o) => s + o.value, 0n);
    if (paid > blockSubsidy(ctx.height) + fees) return 'bad-cb-amount';
  }
  return null;
}

/** BIP141: a commitment, when present, must match; witness data needs one. */
export function checkWitness(block: Block): string | null {
  const coinbase = block.txs[0]!.tx;
  const found = findWitnessCommitment(coinbase.outputs);
  if (found) {
    const witness = coinbase.inputs[0]!.witness;
    if (witness.length !== 1 || witness[0]!.length !== 32) return 'bad-witness-nonce-size';
    const root = witnessMerkleRoot(block.txs.map((t) => t.wtxid));
    if (!equalBytes(found.commitment, witnessCommitment(root, witness[0]!)))
      return 'bad-witness-merkle-match';
    return null;
  }
  if (block.txs.some((t) => hasWitness(t.tx))) return 'unexpected-witness';
  return null;
}
