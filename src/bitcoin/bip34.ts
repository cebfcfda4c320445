// BIP34: a block's coinbase scriptSig starts with its height exactly as
// Bitcoin Core's `CScript() << height` writes it: OP_0 for 0, OP_1..OP_16 for
// 1..16, otherwise a direct push of the minimal CScriptNum. Core compares
// those bytes, so any other spelling of the same number is invalid.
import { BitcoinDataError } from './errors.js';
import { decodeScriptNum, encodeScriptNum } from './script-num.js';

const OP_0 = 0x00;
const OP_1 = 0x51;
const OP_16 = 0x60;

/** The height push that must begin the coinbase scriptSig. */
export function encodeBip34Height(height: number): Uint8Array {
  if (!Number.isSafeInteger(height) || height < 0 || height > 0x7fffffff) {
    throw new RangeError(`block height out of range: ${height}`);
  }
  if (height === 0) return Uint8Array.of(OP_0);
  if (height <= 16) return Uint8Array.of(OP_1 + height - 1);
  const num = encodeScriptNum(height);
  return Uint8Array.of(num.length, ...num);
}

/** Reads the BIP34 height back from the start of a coinbase scriptSig; returns it and the push's length. */
export function decodeBip34Height(scriptSig: Uint8Array): { height: number; length: number } {
  const op = scriptSig[0];
  if (op === undefined) throw new BitcoinDataError('coinbase scriptSig is empty: no BIP34 height');
  if (op === OP_0) return { height: 0, length: 1 };
  if (op >= OP_1 && op <= OP_16) return { height: op - OP_1 + 1, length: 1 };
  // Heights below 2^31 take at most 4 bytes; anything else is not Core's encoding.
  if (op < 0x01 || op > 0x04) {
    throw new BitcoinDataError(
      `coinbase scriptSig starts with opcode 0x${op.toString(16)}, not a BIP34 height push`,
    );
  }
  if (scriptSig.length < 1 + op) {
    throw new BitcoinDataError(
      `BIP34 height push of ${op} bytes is truncated (${scriptSig.length - 1} available)`,
    );
  }
  const value = decodeScriptNum(scriptSig.subarray(1, 1 + op), 4, true);
  if (value < 0n) throw new BitcoinDataError('BIP34 height is negative');
  if (value <= 16n)
    throw new BitcoinDataError(`BIP34 height ${value} must be pushed as a small-integer opcode`);
  return { height: Number(value), length: 1 + op };
}
