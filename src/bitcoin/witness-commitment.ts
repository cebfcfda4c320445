// BIP141 witness commitment: an OP_RETURN output of the coinbase holding
// SHA256d(witness_merkle_root ‖ witness_reserved_value); the reserved value
// is the coinbase input's single 32-byte witness item.
import { equalBytes } from './bytes.js';
import { hashPair } from './hash.js';
import type { TxOutput } from './outputs.js';

/** OP_RETURN, push 36, then the 4-byte tag aa21a9ed. */
export const WITNESS_COMMITMENT_HEADER = Uint8Array.of(0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed);

export function witnessCommitment(
  witnessRoot: Uint8Array,
  reservedValue: Uint8Array = new Uint8Array(32),
): Uint8Array {
  return hashPair(witnessRoot, reservedValue);
}

export function witnessCommitmentScript(commitment: Uint8Array): Uint8Array {
  if (commitment.length !== 32) throw new RangeError('witness commitment must be 32 bytes');
  const script = new Uint8Array(38);
  script.set(WITNESS_COMMITMENT_HEADER);
  script.set(commitment, 6);
  return script;
}

export function isWitnessCommitmentScript(script: Uint8Array): boolean {
  return script.length >= 38 && equalBytes(script.subarray(0, 6), WITNESS_COMMITMENT_HEADER);
}

/** The commitment in a list of outputs; when several match, the last one counts (BIP141). */
export function findWitnessCommitment(
  outputs: readonly TxOutput[],
): { index: number; commitment: Uint8Array } | null {
  for (let i = outputs.length - 1; i >= 0; i--) {
    const script = outputs[i]!.script;
    if (isWitnessCommitmentScript(script)) return { index: i, commitment: script.slice(6, 38) };
  }
  return null;
}
