// The coinbase of a DeclareMiningJob: coinbase_tx_prefix ‖ extranonce ‖
// coinbase_tx_suffix in full (segwit) form. The prefix runs from the version
// to the last scriptSig byte before the extranonce, so the extranonce size is
// the scriptSig length it announces minus the scriptSig bytes it holds. The
// whole is parsed with a zero extranonce: every other byte is what the block
// will carry.
import {
  BitcoinDataError,
  ByteReader,
  LEGACY_SIGOP_COST,
  MAX_COINBASE_SCRIPT_SIG,
  MIN_COINBASE_SCRIPT_SIG,
  concatBytes,
  countLegacySigops,
  decodeBip34Height,
  findWitnessCommitment,
  isCoinbase,
  parseTransaction,
  readOutput,
  transactionSize,
  type Transaction,
  type TxOutput,
} from '../../bitcoin/index.js';
import { DeclareRefusal, JDS_ERROR } from './errors.js';

/** PushSolution.extranonce is a B0_32: no larger extranonce can ever be pushed. */
export const MAX_EXTRANONCE_SIZE = 32;

export interface DeclaredCoinbase {
  /** Bytes of the full extranonce between prefix and suffix. */
  extranonceSize: number;
  /** BIP34 height at the start of the scriptSig. */
  height: number;
  /** The coinbase with a zero extranonce. */
  tx: Transaction;
  outputs: TxOutput[];
  /** The outputs as they appear in the suffix, CompactSize count first (SetCustomMiningJob.coinbase_tx_outputs). */
  outputsBytes: Uint8Array;
  /** Whether the prefix carries the BIP141 marker and flag. */
  segwit: boolean;
  /** The witness commitment output's 32 bytes, if there is one (the last such output counts). */
  witnessCommitment: Uint8Array | null;
  /** The coinbase witness reserved value (one 32-byte item), when segwit. */
  witnessReserved: Uint8Array | null;
  weight: number;
  /** Legacy sigop cost (×4), scriptSig and outputs. */
  sigops: number;
}

function prefixError(details: string): DeclareRefusal {
  return new DeclareRefusal(JDS_ERROR.INVALID_COINBASE_TX_PREFIX, details);
}

function suffixError(details: string): DeclareRefusal {
  return new DeclareRefusal(JDS_ERROR.INVALID_COINBASE_TX_SUFFIX, details);
}

/** Parses and checks a declared coinbase; throws DeclareRefusal naming the part at fault. */
export function parseDeclaredCoinbase(prefix: Uint8Array, suffix: Uint8Array): DeclaredCoinbase {
  const r = new ByteReader(prefix);
  let segwit = false;
  let scriptSigLength: number;
  let headLength: number;
  try {
    r.u32('version');
    if (prefix[r.offset] === 0x00) {
      r.u8('segwit marker');
      const flag = r.u8('segwit flag');
      if (flag !== 0x01) throw new BitcoinDataError(`segwit flag is 0x${flag.toString(16)}, not 0x01`);
      segwit = true;
    }
    const inputs = r.compactSize('input count');
    if (inputs !== 1) throw new BitcoinDataError(`a coinbase has one input, this one ${inputs}`);
    const prev = r.bytesN(32, 'previous txid');
    const index = r.u32('previous output index');
    if (prev.some((b) => b !== 0) || index !== 0xffffffff) {
      throw new BitcoinDataError('the input does not spend the null outpoint (not a coinbase)');
    }
    scriptSigLength = r.compactSize('scriptSig length');
    headLength = r.remaining;
  } catch (err) {
    throw prefixError((err as Error).message);
  }
  if (scriptSigLength < MIN_COINBASE_SCRIPT_SIG || scriptSigLength > MAX_COINBASE_SCRIPT_SIG) {
    throw prefixError(
      `scriptSig length ${scriptSigLength} is outside ${MIN_COINBASE_SCRIPT_SIG}..${MAX_COINBASE_SCRIPT_SIG}`,
    );
  }
  const extranonceSize = scriptSigLength - headLength;
  if (extranonceSize < 0 || extranonceSize > MAX_EXTRANONCE_SIZE) {
    throw prefixError(
      `the prefix holds ${headLength} of the ${scriptSigLength} scriptSig bytes, leaving ${extranonceSize} ` +
        `for the extranonce (0..${MAX_EXTRANONCE_SIZE} allowed)`,
    );
  }
  let height: number;
  try {
    const bip34 = decodeBip34Height(prefix.subarray(r.offset));
    if (bip34.length > headLength)
      throw new BitcoinDataError('the BIP34 height push runs into the extranonce');
    height = bip34.height;
  } catch (err) {
    throw prefixError((err as Error).message);
  }

  // The suffix: nSequence, outputs, witness (when segwit), locktime.
  const s = new ByteReader(suffix);
  let outputs: TxOutput[];
  let outputsBytes: Uint8Array;
  try {
    s.u32('input sequence');
    const start = s.offset;
    const count = s.compactSize('output count');
    if (count === 0) throw new BitcoinDataError('the coinbase has no outputs');
    if (count * 9 > s.remaining) throw new BitcoinDataError(`${count} outputs cannot fit`);
    outputs = [];
    for (let i = 0; i < count; i++) outputs.push(readOutput(s));
    outputsBytes = suffix.slice(start, s.offset);
  } catch (err) {
    throw suffixError((err as Error).message);
  }
  let tx: Transaction;
  try {
    tx = parseTransaction(concatBytes(prefix, new Uint8Array(extranonceSize), suffix));
  } catch (err) {
    throw suffixError(`the coinbase does not parse: ${(err as Error).message}`);
  }
  if (!isCoinbase(tx)) throw prefixError('not a coinbase transaction');
  const witness = tx.inputs[0]!.witness;
  let witnessReserved: Uint8Array | null = null;
  if (segwit) {
    if (witness.length !== 1 || witness[0]!.length !== 32) {
      throw suffixError('a segwit coinbase carries exactly one 32-byte witness item (the reserved value)');
    }
    witnessReserved = witness[0]!;
  }
  const found = findWitnessCommitment(outputs);
  if (found !== null && witnessReserved === null) {
    throw suffixError(
      'a witness commitment output needs the full segwit coinbase (marker, flag, reserved value)',
    );
  }
  if (found === null && witnessReserved !== null) {
    throw suffixError(
      'a coinbase witness without a witness commitment output is invalid (unexpected-witness)',
    );
  }
  let sigops = countLegacySigops(tx.inputs[0]!.script_sig);
  for (const o of outputs) sigops += countLegacySigops(o.script);
  return {
    extranonceSize,
    height,
    tx,
    outputs,
    outputsBytes,
    segwit,
    witnessCommitment: found?.commitment ?? null,
    witnessReserved,
    weight: 3 * transactionSize(tx, false) + transactionSize(tx, true),
    sigops: sigops * LEGACY_SIGOP_COST,
  };
}
