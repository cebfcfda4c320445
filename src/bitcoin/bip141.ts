// BIP141 stripping of a coinbase split around its extranonce. SV2's
// NewExtendedMiningJob must carry the legacy serialization, so that
// prefix ‖ extranonce ‖ suffix hashes to the txid: the marker and flag
// (2 bytes after the version) leave the prefix, and the coinbase witness
// (count 0x01, length 0x20, 32-byte reserved value = 34 bytes before the
// 4-byte locktime) leaves the suffix.
import { BitcoinDataError } from './errors.js';

const WITNESS_SECTION = 34;
const LOCKTIME = 4;

/** Whether a coinbase prefix carries the BIP141 marker (0x00) and a non-zero flag after the version. */
export function hasBip141Marker(prefix: Uint8Array): boolean {
  return prefix.length >= 6 && prefix[4] === 0x00 && prefix[5] !== 0x00;
}

/**
 * The stripped prefix and suffix. Idempotent: an already stripped pair comes
 * back as is (`stripped: false`), so a downstream may strip defensively.
 */
export function stripBip141(
  prefix: Uint8Array,
  suffix: Uint8Array,
): { prefix: Uint8Array; suffix: Uint8Array; stripped: boolean } {
  if (!hasBip141Marker(prefix)) return { prefix, suffix, stripped: false };
  if (prefix[5] !== 0x01) throw new BitcoinDataError(`unknown segwit flag 0x${prefix[5]!.toString(16)}`);
  const at = suffix.length - LOCKTIME - WITNESS_SECTION;
  if (at < 0 || suffix[at] !== 0x01 || suffix[at + 1] !== 0x20) {
    throw new BitcoinDataError('coinbase suffix does not end with one 32-byte witness item and a locktime');
  }
  const strippedPrefix = new Uint8Array(prefix.length - 2);
  strippedPrefix.set(prefix.subarray(0, 4));
  strippedPrefix.set(prefix.subarray(6), 4);
  const strippedSuffix = new Uint8Array(suffix.length - WITNESS_SECTION);
  strippedSuffix.set(suffix.subarray(0, at));
  strippedSuffix.set(suffix.subarray(at + WITNESS_SECTION), at);
  return { prefix: strippedPrefix, suffix: strippedSuffix, stripped: true };
}
