// Templates, tips and hand mining for the channels tests.
import {
  encodeBip34Height,
  foldMerklePath,
  headerHash,
  serializeHeader,
  serializeOutputs,
  sha256d,
  u256ToLE,
  witnessCommitment,
  witnessCommitmentScript,
  type TxOutput,
} from '../../src/bitcoin/index.js';
import {
  MiningChain,
  coinbaseMerkleRoot,
  type ChannelsConfig,
  type ChannelsOutMessage,
  type NewTemplateMessage,
  type SetNewPrevHashTdpMessage,
} from '../../src/channels/index.js';
import type { MessageByName, MessageName } from '../../src/messages/index.js';

export const PAYOUT_SCRIPT = Uint8Array.of(0x00, 0x14, ...new Uint8Array(20).fill(7));
export const EASY_BITS = 0x207fffff;
export const HARD_BITS = 0x1d00ffff;

export function makeChain(config: Partial<ChannelsConfig> = {}): MiningChain {
  return new MiningChain(config, (key, t) => ({
    outputs: [{ value: t.coinbase_tx_value_remaining, script: PAYOUT_SCRIPT }] as TxOutput[],
    miner_tag: key === 'tagged' ? 'miner' : '',
  }));
}

export function template(template_id: bigint, future: boolean, pathLength = 2): NewTemplateMessage {
  const commitment: TxOutput = {
    value: 0n,
    script: witnessCommitmentScript(witnessCommitment(new Uint8Array(32))),
  };
  return {
    type: 'NewTemplate',
    template_id,
    future_template: future,
    version: 0x20000000,
    coinbase_tx_version: 2,
    coinbase_prefix: encodeBip34Height(800_000),
    coinbase_tx_input_sequence: 0xffffffff,
    coinbase_tx_value_remaining: 312_500_000n,
    coinbase_tx_outputs_count: 1,
    coinbase_tx_outputs: serializeOutputs([commitment], false),
    coinbase_tx_locktime: 0,
    merkle_path: Array.from({ length: pathLength }, (_, i) =>
      sha256d(Uint8Array.of(i, Number(template_id & 0xffn))),
    ),
  };
}

export function prevHash(template_id: bigint, nbits = HARD_BITS, seed = 1): SetNewPrevHashTdpMessage {
  return {
    type: 'SetNewPrevHashTdp',
    template_id,
    prev_hash: sha256d(Uint8Array.of(seed)),
    header_timestamp: 1_700_000_000,
    nBits: nbits,
    target: u256ToLE(1n),
  };
}

export const NOW = 1_700_000_000_000;

export function openExtendedMsg(
  request_id: number,
  nominal_hash_rate = 1,
  min_extranonce_size = 0,
  max_target = u256ToLE((1n << 256n) - 1n),
): MessageByName<'OpenExtendedMiningChannel'> {
  return {
    type: 'OpenExtendedMiningChannel',
    request_id,
    user_identity: 'alice.worker1',
    nominal_hash_rate,
    max_target,
    min_extranonce_size,
  };
}

export function openStandardMsg(
  request_id: number,
  nominal_hash_rate = 1,
  max_target = u256ToLE((1n << 256n) - 1n),
): MessageByName<'OpenStandardMiningChannel'> {
  return {
    type: 'OpenStandardMiningChannel',
    request_id,
    user_identity: 'bob.rig',
    nominal_hash_rate,
    max_target,
  };
}

/** Header hash a miner on an extended job would get. */
export function extendedHash(
  job: MessageByName<'NewExtendedMiningJob'>,
  prev_hash: Uint8Array,
  nbits: number,
  extranonce: Uint8Array[],
  share: { nonce: number; ntime: number; version: number },
): Uint8Array {
  const root = coinbaseMerkleRoot(
    job.coinbase_tx_prefix,
    extranonce,
    job.coinbase_tx_suffix,
    job.merkle_path,
  );
  return headerHash(
    serializeHeader({
      version: share.version,
      prev_hash,
      merkle_root: root,
      time: share.ntime,
      bits: nbits,
      nonce: share.nonce,
    }),
  );
}

export function standardHash(
  merkle_root: Uint8Array,
  prev_hash: Uint8Array,
  nbits: number,
  share: { nonce: number; ntime: number; version: number },
): Uint8Array {
  return headerHash(
    serializeHeader({
      version: share.version,
      prev_hash,
      merkle_root,
      time: share.ntime,
      bits: nbits,
      nonce: share.nonce,
    }),
  );
}

export { foldMerklePath };

/** The first message of a type in a list of produced messages (throws if absent). */
export function first<N extends MessageName>(out: readonly ChannelsOutMessage[], type: N): MessageByName<N> {
  const found = out.find((m) => m.type === type);
  if (!found) throw new Error(`no ${type} among ${out.map((m) => m.type).join(', ')}`);
  return found as unknown as MessageByName<N>;
}
