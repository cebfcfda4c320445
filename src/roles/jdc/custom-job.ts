// What a job declarator client tells the JDS and the pool about a job it
// built itself: the coinbase of a downstream job (MiningChain, with the
// pool's extranonce_prefix as fixed bytes at the start of the extranonce)
// turned into DeclareMiningJob's full-segwit prefix/suffix and
// SetCustomMiningJob's fields. Both split the coinbase at the start of the
// POOL's extranonce: its prefix and everything after belong to the extranonce.
import type { CoinbaseParts } from '../../bitcoin/index.js';
import type { ChainTip, NewTemplateMessage } from '../../channels/index.js';
import type { MessageByName } from '../../messages/index.js';

export type CustomJobMessage = Omit<
  MessageByName<'SetCustomMiningJob'>,
  'type' | 'channel_id' | 'request_id'
>;

/** Where the scriptSig starts in a legacy coinbase prefix: version, input count, null outpoint, length. */
function scriptSigStart(parts: CoinbaseParts): number {
  const lengthBytes = parts.script_sig_length < 0xfd ? 1 : 3;
  return 4 + 1 + 32 + 4 + lengthBytes;
}

/** DeclareMiningJob's coinbase halves: full serialization, cut at the pool's extranonce. */
export function declaredCoinbase(
  parts: CoinbaseParts,
  fixedLength: number,
): { coinbase_tx_prefix: Uint8Array; coinbase_tx_suffix: Uint8Array } {
  return {
    coinbase_tx_prefix: parts.witness_prefix.subarray(0, parts.witness_prefix.length - fixedLength),
    coinbase_tx_suffix: parts.witness_suffix,
  };
}

/** SetCustomMiningJob's fields for a job on `tip` (the pool's extranonce starts `fixedLength` bytes before the downstream's). */
export function customJob(
  template: NewTemplateMessage,
  parts: CoinbaseParts,
  fixedLength: number,
  tip: ChainTip,
  token: Uint8Array,
): CustomJobMessage {
  const legacy = parts.coinbase_tx_prefix;
  const suffix = parts.coinbase_tx_suffix;
  return {
    mining_job_token: token,
    version: template.version,
    prev_hash: tip.prev_hash,
    min_ntime: tip.header_timestamp,
    nbits: tip.nbits,
    coinbase_tx_version: template.coinbase_tx_version,
    // BIP34 height, tag push and the extranonce's push opcode: the scriptSig up to the pool's extranonce.
    coinbase_prefix: legacy.subarray(scriptSigStart(parts), legacy.length - fixedLength),
    coinbase_tx_input_nSequence: template.coinbase_tx_input_sequence,
    // Legacy suffix: sequence ‖ count ‖ outputs ‖ locktime.
    coinbase_tx_outputs: suffix.subarray(4, suffix.length - 4),
    coinbase_tx_locktime: template.coinbase_tx_locktime,
    merkle_path: template.merkle_path,
  };
}
