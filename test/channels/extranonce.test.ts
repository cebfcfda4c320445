// Extranonce space: no two channels ever share it, freed slots wait for a new tip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex } from '../../src/bitcoin/index.js';
import { ExtranonceAllocator, ServerConnectionChannels } from '../../src/channels/index.js';
import { MINING_SETUP_FLAGS } from '../../src/messages/index.js';
import { NOW, first, makeChain, openExtendedMsg, openStandardMsg, prevHash, template } from './fixture.js';

test('10,000 extended channels over 10 connections get disjoint extranonce space', () => {
  const chain = makeChain({ server_id: 9 });
  chain.newTemplate(template(1n, true));
  chain.setNewPrevHash(prevHash(1n), NOW);
  const prefixes = new Set<string>();
  let prefixLength = -1;
  for (let c = 0; c < 10; c++) {
    const conn = new ServerConnectionChannels(chain, { flags: 0 });
    for (let i = 0; i < 1000; i++) {
      const success = conn.openExtended(
        openExtendedMsg(i, 1, i % 17),
        { ok: true, payout_key: 'pool' },
        NOW,
      )[0];
      assert.equal(success?.type, 'OpenExtendedMiningChannelSuccess');
      // Equal-length, distinct prefixes: the spaces prefix ‖ anything never overlap.
      if (prefixLength < 0) prefixLength = success.extranonce_prefix.length;
      assert.equal(success.extranonce_prefix.length, prefixLength);
      assert.equal(success.extranonce_prefix[0], 9);
      assert.ok(success.extranonce_size >= i % 17);
      prefixes.add(bytesToHex(success.extranonce_prefix));
    }
  }
  assert.equal(prefixes.size, 10_000);
  assert.equal(chain.allocator.allocated, 10_000);
});

test('standard channels get their prefix zero-padded to the common full size, disjoint from extended ones', () => {
  const chain = makeChain({ standard_extranonce_size: 12 });
  const conn = new ServerConnectionChannels(chain, { flags: MINING_SETUP_FLAGS.REQUIRES_STANDARD_JOBS });
  const ext = first(
    conn.openExtended(openExtendedMsg(1), { ok: true, payout_key: 'p' }, NOW),
    'OpenExtendedMiningChannelSuccess',
  );
  const std = first(
    conn.openStandard(openStandardMsg(2), { ok: true, payout_key: 'p' }, NOW),
    'OpenStandardMiningChannelSuccess',
  );
  assert.equal(std.extranonce_prefix.length, 12);
  assert.deepEqual(std.extranonce_prefix.subarray(4), new Uint8Array(8));
  assert.notDeepEqual(std.extranonce_prefix.subarray(0, 4), ext.extranonce_prefix);
});

test('a freed index is reused only after the chain tip moves', () => {
  const a = new ExtranonceAllocator(0, 2); // 256 indices
  const all = Array.from({ length: 256 }, () => a.allocate()!);
  assert.equal(a.allocate(), null);
  a.release(all[5]!.index);
  assert.equal(a.allocate(), null);
  a.newTip();
  assert.deepEqual(a.allocate()!.prefix, all[5]!.prefix);
});

test('closing channels frees their slots; a group id closes every member', () => {
  const chain = makeChain();
  const conn = new ServerConnectionChannels(chain, { flags: 0 });
  const s1 = first(
    conn.openStandard(openStandardMsg(1), { ok: true, payout_key: 'p' }, NOW),
    'OpenStandardMiningChannelSuccess',
  );
  conn.openStandard(openStandardMsg(2), { ok: true, payout_key: 'p' }, NOW);
  conn.openExtended(openExtendedMsg(3), { ok: true, payout_key: 'p' }, NOW);
  assert.equal(chain.allocator.allocated, 3);
  conn.closeChannel(s1.group_channel_id);
  assert.equal(conn.channelCount, 1);
  conn.close();
  assert.equal(conn.channelCount, 0);
  assert.equal(chain.allocator.allocated, 0);
});

test('workers of one server_id partition the index space: no prefix is handed out twice', () => {
  const workers = 3;
  const all = Array.from(
    { length: workers },
    (_, w) => new ExtranonceAllocator(7, 2, { worker: w, workers }),
  );
  // A 2-byte prefix: 256 indices for the server, split 86 + 85 + 85.
  assert.deepEqual(
    all.map((a) => a.capacity),
    [86, 85, 85],
  );
  const seen = new Map<string, number>();
  for (const [w, a] of all.entries()) {
    for (;;) {
      const slot = a.allocate();
      if (slot === null) break;
      assert.equal(slot.index % workers, w, 'index outside its worker');
      assert.equal(slot.prefix[0], 7, 'server_id stays the first byte');
      const hex = bytesToHex(slot.prefix);
      assert.equal(seen.get(hex), undefined, `prefix ${hex} of worker ${w} already given by another`);
      seen.set(hex, w);
    }
  }
  assert.equal(seen.size, 256, 'the partitions cover the whole space together');
  // A freed index comes back to its own worker only.
  const a1 = all[1]!;
  a1.release(4);
  a1.newTip();
  assert.equal(a1.allocate()?.index, 4);
});

test('a chain of worker 1 of 2 opens channels only on odd indices; bad partitions are refused', () => {
  const chain = makeChain({ server_id: 5, worker_count: 2, worker_index: 1 });
  chain.newTemplate(template(1n, true));
  chain.setNewPrevHash(prevHash(1n), NOW);
  const conn = new ServerConnectionChannels(chain, { flags: 0 });
  for (let i = 0; i < 50; i++) {
    const ok = first(
      conn.openExtended(openExtendedMsg(i, 1), { ok: true, payout_key: 'p' }, NOW),
      'OpenExtendedMiningChannelSuccess',
    );
    const p = ok.extranonce_prefix;
    assert.equal(p[0], 5);
    assert.equal(p[p.length - 1]! % 2, 1, `prefix ${bytesToHex(p)} is not worker 1's`);
  }
  assert.throws(() => makeChain({ worker_count: 2, worker_index: 2 }), /worker_index/);
  assert.throws(() => new ExtranonceAllocator(0, 2, { worker: 0, workers: 257 }), /workers must be/);
});
