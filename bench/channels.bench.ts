// Share validation throughput on one core: SubmitSharesExtended on an extended
// channel (coinbase assembly, txid, 12-step merkle path, header hash) and
// SubmitSharesStandard (merkle root cached per job: header hash only). Every
// share is accepted (the channel target is the easiest one), so the figures
// include duplicate tracking and the share record. Figures are per second of
// CPU time (one core), with the wall-clock rate beside them.
import { emit, opsPerCpuSecond } from './harness.js';
import { DuplicateFilter, ServerConnectionChannels } from '../src/channels/index.js';
import { MINING_SETUP_FLAGS, type MessageByName } from '../src/messages/index.js';
import {
  NOW,
  first,
  makeChain,
  openExtendedMsg,
  openStandardMsg,
  prevHash,
  template,
} from '../test/channels/fixture.js';

export default async function (): Promise<void> {
  const chain = makeChain({ min_hashrate: 1e-9, duplicate_memory: 1 << 20 });
  chain.newTemplate(template(1n, true, 12));
  chain.setNewPrevHash(prevHash(1n), NOW);
  const conn = new ServerConnectionChannels(chain, { flags: MINING_SETUP_FLAGS.REQUIRES_STANDARD_JOBS });
  const auth = { ok: true as const, payout_key: 'pool' };
  const extOut = conn.openExtended(openExtendedMsg(1, 0), auth, NOW);
  const ext = first(extOut, 'OpenExtendedMiningChannelSuccess');
  const extJob = first(extOut, 'NewExtendedMiningJob');
  const stdOut = conn.openStandard(openStandardMsg(2, 0), auth, NOW);
  const std = first(stdOut, 'OpenStandardMiningChannelSuccess');
  const stdJob = first(stdOut, 'NewMiningJob');

  let nonce = 0;
  let accepted = 0;
  const extended: MessageByName<'SubmitSharesExtended'> = {
    type: 'SubmitSharesExtended',
    channel_id: ext.channel_id,
    sequence_number: 0,
    job_id: extJob.job_id,
    nonce: 0,
    ntime: prevHash(1n).header_timestamp,
    version: 0x20000000,
    extranonce: new Uint8Array(ext.extranonce_size),
  };
  const extRate = opsPerCpuSecond(() => {
    extended.nonce = ++nonce;
    extended.sequence_number = nonce;
    if (conn.submitExtended(extended, NOW + 1000).accepted) accepted++;
  });
  if (accepted === 0) throw new Error('no share accepted: the benchmark measures the wrong path');
  emit({
    bench: 'channels.validate.extended',
    value: extRate.cpu,
    unit: 'shares/cpu-s',
    wall: extRate.wall,
    merkle_path: 12,
  });

  accepted = 0;
  const standard: MessageByName<'SubmitSharesStandard'> = {
    type: 'SubmitSharesStandard',
    channel_id: std.channel_id,
    sequence_number: 0,
    job_id: stdJob.job_id,
    nonce: 0,
    ntime: prevHash(1n).header_timestamp,
    version: 0x20000000,
  };
  const stdRate = opsPerCpuSecond(() => {
    standard.nonce = ++nonce;
    standard.sequence_number = nonce;
    if (conn.submitStandard(standard, NOW + 1000).accepted) accepted++;
  });
  if (accepted === 0) throw new Error('no share accepted: the benchmark measures the wrong path');
  // The default per-channel duplicate memory (65,536 hashes), full: each new
  // share evicts the oldest one.
  const seen = new DuplicateFilter(65_536);
  const hash = new Uint8Array(32);
  const view = new DataView(hash.buffer);
  let n = 0;
  const fill = () => {
    view.setUint32(0, ++n, true);
    seen.add(hash);
  };
  for (let i = 0; i < 65_536; i++) fill();
  const dup = opsPerCpuSecond(fill);
  emit({
    bench: 'channels.duplicates.full',
    value: dup.cpu,
    unit: 'hashes/cpu-s',
    wall: dup.wall,
    capacity: 65_536,
  });

  emit({ bench: 'channels.validate.standard', value: stdRate.cpu, unit: 'shares/cpu-s', wall: stdRate.wall });
}
