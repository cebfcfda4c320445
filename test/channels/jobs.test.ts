// Jobs from templates: what a channel receives on open, on future templates,
// on a new tip and on non-future templates; job ids; group channels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { u256ToLE } from '../../src/bitcoin/index.js';
import {
  ServerConnectionChannels,
  coinbaseMerkleRoot,
  type ChannelsOutMessage,
} from '../../src/channels/index.js';
import { MINING_SETUP_FLAGS } from '../../src/messages/index.js';
import { NOW, first, makeChain, openExtendedMsg, openStandardMsg, prevHash, template } from './fixture.js';

function types(messages: ChannelsOutMessage[]): string[] {
  return messages.map((m) => m.type);
}

function liveChain() {
  const chain = makeChain();
  chain.newTemplate(template(1n, true));
  chain.setNewPrevHash(prevHash(1n), NOW);
  return chain;
}

test('an extended channel opened on a live tip gets Success, a future job, then SetNewPrevHash for it', () => {
  const conn = new ServerConnectionChannels(liveChain(), { flags: 0 });
  const out = conn.openExtended(openExtendedMsg(7), { ok: true, payout_key: 'pool' }, NOW);
  assert.deepEqual(types(out), [
    'OpenExtendedMiningChannelSuccess',
    'NewExtendedMiningJob',
    'SetNewPrevHash',
  ]);
  const success = first(out, 'OpenExtendedMiningChannelSuccess');
  const job = first(out, 'NewExtendedMiningJob');
  const snph = first(out, 'SetNewPrevHash');
  assert.equal(success.request_id, 7);
  assert.equal(job.min_ntime, null);
  assert.equal(snph.job_id, job.job_id);
  assert.equal(snph.channel_id, success.channel_id);
  assert.equal(snph.min_ntime, prevHash(1n).header_timestamp);
  assert.equal(snph.nbits, prevHash(1n).nBits);
});

test('a channel opened after non-future templates starts on the newest one', () => {
  const chain = liveChain();
  chain.newTemplate(template(2n, false));
  chain.newTemplate(template(3n, false, 3));
  const conn = new ServerConnectionChannels(chain, { flags: 0 });
  const out = conn.openExtended(openExtendedMsg(1), { ok: true, payout_key: 'pool' }, NOW);
  assert.deepEqual(types(out), [
    'OpenExtendedMiningChannelSuccess',
    'NewExtendedMiningJob',
    'SetNewPrevHash',
  ]);
  const job = first(out, 'NewExtendedMiningJob');
  assert.deepEqual(job.merkle_path, template(3n, false, 3).merkle_path);
  assert.equal(first(out, 'SetNewPrevHash').job_id, job.job_id);
});

test('future template then SetNewPrevHash: future job first, then SetNewPrevHash naming it; older jobs become stale', () => {
  const chain = liveChain();
  const conn = new ServerConnectionChannels(chain, { flags: 0 });
  const success = first(
    conn.openExtended(openExtendedMsg(1), { ok: true, payout_key: 'pool' }, NOW),
    'OpenExtendedMiningChannelSuccess',
  );
  const oldJob = 1;
  chain.newTemplate(template(2n, true));
  const futureOut = conn.onNewTemplate(2n);
  assert.deepEqual(types(futureOut), ['NewExtendedMiningJob']);
  const future = first(futureOut, 'NewExtendedMiningJob');
  assert.equal(future.min_ntime, null);
  assert.ok(chain.setNewPrevHash(prevHash(2n, undefined, 2), NOW + 1000));
  const tipOut = conn.onSetNewPrevHash();
  assert.deepEqual(types(tipOut), ['SetNewPrevHash']);
  assert.equal(first(tipOut, 'SetNewPrevHash').job_id, future.job_id);
  const stale = conn.submitExtended(
    {
      type: 'SubmitSharesExtended',
      channel_id: success.channel_id,
      sequence_number: 1,
      job_id: oldJob,
      nonce: 0,
      ntime: 1_700_000_000,
      version: 0x20000000,
      extranonce: new Uint8Array(success.extranonce_size),
    },
    NOW + 2000,
  );
  assert.equal(stale.accepted, false);
  if (!stale.accepted) assert.equal(stale.error_code, 'stale-share');
});

test('non-future templates give active jobs with min_ntime = the tip header_timestamp, ids unique and increasing', () => {
  const chain = liveChain();
  const conn = new ServerConnectionChannels(chain, { flags: MINING_SETUP_FLAGS.REQUIRES_STANDARD_JOBS });
  conn.openExtended(openExtendedMsg(1), { ok: true, payout_key: 'pool' }, NOW);
  conn.openStandard(openStandardMsg(2), { ok: true, payout_key: 'pool' }, NOW);
  const seen = new Map<number, Set<number>>();
  for (let id = 2n; id < 202n; id++) {
    const future = id % 10n === 0n;
    assert.ok(chain.newTemplate(template(id, future)));
    const out = conn.onNewTemplate(id);
    if (future) {
      assert.ok(chain.setNewPrevHash(prevHash(id, undefined, Number(id)), NOW));
      out.push(...conn.onSetNewPrevHash());
    }
    for (const m of out) {
      if (m.type !== 'NewExtendedMiningJob' && m.type !== 'NewMiningJob') continue;
      if (!future) assert.equal(m.min_ntime, prevHash(1n).header_timestamp);
      const ids = seen.get(m.channel_id) ?? new Set<number>();
      assert.ok(!ids.has(m.job_id), `job id ${m.job_id} reused on channel ${m.channel_id}`);
      ids.add(m.job_id);
      seen.set(m.channel_id, ids);
    }
  }
  assert.equal(seen.size, 2);
  for (const ids of seen.values()) assert.equal(ids.size, 200);
});

test("a standard job's merkle root equals the root derived from the extended job with that channel's prefix", () => {
  const chain = liveChain();
  // Same payout, same full extranonce size: the extended and standard coinbases are the same template bytes.
  const std = new ServerConnectionChannels(chain, { flags: MINING_SETUP_FLAGS.REQUIRES_STANDARD_JOBS });
  const grouped = new ServerConnectionChannels(chain, { flags: 0 });
  const stdOut = std.openStandard(openStandardMsg(1), { ok: true, payout_key: 'pool' }, NOW);
  const groupOut = grouped.openStandard(openStandardMsg(1), { ok: true, payout_key: 'pool' }, NOW);
  const stdSuccess = first(stdOut, 'OpenStandardMiningChannelSuccess');
  const stdJob = first(stdOut, 'NewMiningJob');
  const groupSuccess = first(groupOut, 'OpenStandardMiningChannelSuccess');
  const groupJob = first(groupOut, 'NewExtendedMiningJob');
  assert.equal(stdSuccess.group_channel_id, 0);
  assert.notEqual(groupSuccess.group_channel_id, 0);
  assert.equal(groupJob.channel_id, groupSuccess.group_channel_id);
  assert.equal(stdSuccess.extranonce_prefix.length, groupSuccess.extranonce_prefix.length);
  const derived = coinbaseMerkleRoot(
    groupJob.coinbase_tx_prefix,
    [stdSuccess.extranonce_prefix],
    groupJob.coinbase_tx_suffix,
    groupJob.merkle_path,
  );
  assert.deepEqual(stdJob.merkle_root, derived);
});

test('standard channels without REQUIRES_STANDARD_JOBS share one group: jobs once on the group id', () => {
  const chain = liveChain();
  const conn = new ServerConnectionChannels(chain, { flags: 0 });
  const one = conn.openStandard(openStandardMsg(1), { ok: true, payout_key: 'pool' }, NOW);
  const second = conn.openStandard(openStandardMsg(2), { ok: true, payout_key: 'pool' }, NOW);
  const g1 = first(one, 'OpenStandardMiningChannelSuccess').group_channel_id;
  assert.equal(first(second, 'OpenStandardMiningChannelSuccess').group_channel_id, g1);
  assert.deepEqual(types(second), ['OpenStandardMiningChannelSuccess']);
  chain.newTemplate(template(2n, false));
  const out = conn.onNewTemplate(2n);
  assert.deepEqual(types(out), ['NewExtendedMiningJob']);
  assert.equal(first(out, 'NewExtendedMiningJob').channel_id, g1);
  // Another payout key gets another group.
  const other = conn.openStandard(openStandardMsg(3), { ok: true, payout_key: 'bc1qsolo' }, NOW);
  assert.notEqual(first(other, 'OpenStandardMiningChannelSuccess').group_channel_id, g1);
});

test('no jobs before the first tip; the future template and its tip then reach the channel', () => {
  const chain = makeChain();
  const conn = new ServerConnectionChannels(chain, { flags: 0 });
  const out = conn.openExtended(openExtendedMsg(1), { ok: true, payout_key: 'pool' }, NOW);
  assert.deepEqual(types(out), ['OpenExtendedMiningChannelSuccess']);
  assert.equal(chain.newTemplate(template(5n, false)), false);
  chain.newTemplate(template(6n, true));
  assert.deepEqual(types(conn.onNewTemplate(6n)), ['NewExtendedMiningJob']);
  chain.setNewPrevHash(prevHash(6n), NOW);
  assert.deepEqual(types(conn.onSetNewPrevHash()), ['SetNewPrevHash']);
  assert.equal(chain.setNewPrevHash(prevHash(99n), NOW), false);
});

test('open errors: unknown user, bad hashrate, max target, extranonce size', () => {
  const conn = new ServerConnectionChannels(liveChain(), { flags: 0 });
  const code = (out: ChannelsOutMessage[]) => first(out, 'OpenMiningChannelError').error_code;
  assert.equal(code(conn.openExtended(openExtendedMsg(1), { ok: false }, NOW)), 'unknown-user');
  assert.equal(
    code(conn.openExtended(openExtendedMsg(2, -5), { ok: true, payout_key: 'p' }, NOW)),
    'invalid-nominal-hashrate',
  );
  assert.equal(
    code(conn.openExtended(openExtendedMsg(3, NaN), { ok: true, payout_key: 'p' }, NOW)),
    'invalid-nominal-hashrate',
  );
  assert.equal(
    code(conn.openStandard(openStandardMsg(4, 1, u256ToLE(0n)), { ok: true, payout_key: 'p' }, NOW)),
    'max-target-out-of-range',
  );
  assert.equal(
    code(conn.openExtended(openExtendedMsg(5, 1, 29), { ok: true, payout_key: 'p' }, NOW)),
    'min-extranonce-size-too-large',
  );
  const ok = first(
    conn.openExtended(openExtendedMsg(6, 1, 28), { ok: true, payout_key: 'p' }, NOW),
    'OpenExtendedMiningChannelSuccess',
  );
  assert.equal(ok.type, 'OpenExtendedMiningChannelSuccess');
  assert.equal(ok.extranonce_size, 28);
  assert.equal(ok.extranonce_prefix.length + ok.extranonce_size, 32);
  assert.equal(conn.channelCount, 1);
});
