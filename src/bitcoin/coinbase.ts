// Coinbase transaction from a template, split around the extranonce the way
// SV2 jobs carry it: the prefix ends right where the extranonce begins (inside
// the scriptSig) and the suffix starts right after it (with the input's
// sequence). Both the full segwit form (SubmitSolution, DeclareMiningJob) and
// the BIP141-stripped form (NewExtendedMiningJob) are produced.
import { concatBytes } from './bytes.js';
import { stripBip141 } from './bip141.js';
import { BitcoinDataError } from './errors.js';
import { sha256d } from './hash.js';
import { writeOutput, type TxOutput } from './outputs.js';
import { ByteWriter } from './writer.js';
import { isWitnessCommitmentScript } from './witness-commitment.js';

/** Consensus bounds on a coinbase scriptSig (Core's bad-cb-length). */
export const MIN_COINBASE_SCRIPT_SIG = 2;
export const MAX_COINBASE_SCRIPT_SIG = 100;

/** Template fields (named as in TDP NewTemplate) plus what the pool adds. */
export interface CoinbaseParams {
  coinbase_tx_version: number;
  /** Start of the scriptSig from the template: the BIP34 height push (and whatever the node added). */
  coinbase_prefix: Uint8Array;
  /** Pool bytes between the template prefix and the extranonce (tag pushes, the extranonce's push opcode). */
  script_sig_extra?: Uint8Array;
  /** Bytes reserved for the full extranonce (extranonce_prefix + the miner's extranonce). */
  extranonce_size: number;
  coinbase_tx_input_sequence: number;
  /** Payout outputs; they come first. */
  payout_outputs: readonly TxOutput[];
  /** The template's outputs (e.g. the witness commitment), after the payouts. */
  template_outputs: readonly TxOutput[];
  coinbase_tx_locktime: number;
  /** If given, the payouts may not spend more than this. */
  coinbase_tx_value_remaining?: bigint;
  /**
   * Whether to add the witness reserved value. By default only when an output
   * holds a witness commitment: Core rejects a coinbase witness without one.
   */
  witness?: boolean;
}

export interface CoinbaseParts {
  /** Stripped prefix/suffix for NewExtendedMiningJob: prefix ‖ extranonce ‖ suffix hashes to the txid. */
  coinbase_tx_prefix: Uint8Array;
  coinbase_tx_suffix: Uint8Array;
  /** Full serialization halves (with marker, flag and witness when segwit). */
  witness_prefix: Uint8Array;
  witness_suffix: Uint8Array;
  script_sig_length: number;
  extranonce_size: number;
  segwit: boolean;
}

export function buildCoinbase(p: CoinbaseParams): CoinbaseParts {
  const extra = p.script_sig_extra ?? new Uint8Array(0);
  if (!Number.isInteger(p.extranonce_size) || p.extranonce_size < 0) {
    throw new RangeError(`extranonce_size must be a non-negative integer, got ${p.extranonce_size}`);
  }
  const scriptSigLength = p.coinbase_prefix.length + extra.length + p.extranonce_size;
  if (scriptSigLength < MIN_COINBASE_SCRIPT_SIG || scriptSigLength > MAX_COINBASE_SCRIPT_SIG) {
    throw new BitcoinDataError(
      `coinbase scriptSig would be ${scriptSigLength} bytes (template prefix ${p.coinbase_prefix.length} + ` +
        `pool bytes ${extra.length} + extranonce ${p.extranonce_size}); it must be ` +
        `${MIN_COINBASE_SCRIPT_SIG}..${MAX_COINBASE_SCRIPT_SIG} bytes`,
    );
  }
  if (p.coinbase_tx_value_remaining !== undefined) {
    const paid = p.payout_outputs.reduce((sum, o) => sum + o.value, 0n);
    if (paid > p.coinbase_tx_value_remaining) {
      throw new BitcoinDataError(
        `payout outputs spend ${paid} sats, more than the ${p.coinbase_tx_value_remaining} sats available`,
      );
    }
  }
  const outputs = [...p.payout_outputs, ...p.template_outputs];
  const segwit = p.witness ?? outputs.some((o) => isWitnessCommitmentScript(o.script));

  const pre = new ByteWriter(128).u32(p.coinbase_tx_version);
  if (segwit) pre.u8(0x00).u8(0x01);
  pre
    .compactSize(1)
    .bytes(new Uint8Array(32))
    .u32(0xffffffff)
    .compactSize(scriptSigLength)
    .bytes(p.coinbase_prefix)
    .bytes(extra);

  const suf = new ByteWriter(256).u32(p.coinbase_tx_input_sequence).compactSize(outputs.length);
  for (const o of outputs) writeOutput(suf, o);
  // One witness item: the 32-byte witness reserved value, all zeros.
  if (segwit) suf.compactSize(1).compactSize(32).bytes(new Uint8Array(32));
  suf.u32(p.coinbase_tx_locktime);

  const witness_prefix = pre.finish();
  const witness_suffix = suf.finish();
  const stripped = stripBip141(witness_prefix, witness_suffix);
  return {
    coinbase_tx_prefix: stripped.prefix,
    coinbase_tx_suffix: stripped.suffix,
    witness_prefix,
    witness_suffix,
    script_sig_length: scriptSigLength,
    extranonce_size: p.extranonce_size,
    segwit,
  };
}

/** prefix ‖ extranonce parts ‖ suffix (e.g. extranonce_prefix then the miner's extranonce). */
export function assembleCoinbase(
  prefix: Uint8Array,
  extranonce: Uint8Array | readonly Uint8Array[],
  suffix: Uint8Array,
): Uint8Array {
  const parts = extranonce instanceof Uint8Array ? [extranonce] : extranonce;
  return concatBytes(prefix, ...parts, suffix);
}

/** The coinbase txid from split parts, stripped or not (the stripping is idempotent). */
export function coinbaseTxid(
  prefix: Uint8Array,
  extranonce: Uint8Array | readonly Uint8Array[],
  suffix: Uint8Array,
): Uint8Array {
  const s = stripBip141(prefix, suffix);
  return sha256d(assembleCoinbase(s.prefix, extranonce, s.suffix));
}
