// Vardiff by simulation: a seeded PRNG draws Poisson share arrivals on a
// synthetic clock; after 5 minutes the share rate must be near the aim.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashrateToTarget, u256FromLE, u256ToLE } from '../../src/bitcoin/index.js';
import { ServerConnectionChannels } from '../../src/channels/index.js';
import { NOW, first, makeChain, openExtendedMsg, prevHash, template } from './fixture.js';
import { simulateVardiff } from './sim.js';

const SPM = 6;

for (const hashrate of [1e6, 1e9, 1e12, 1e14, 5e14]) {
  for (const [label, declared] of [
    ['as declared', hashrate],
    ['declared 1000x too high', hashrate * 1000],
    ['declared 1000x too low', hashrate / 1000],
  ] as const) {
    test(`vardiff converges for ${hashrate.toExponential()} H/s, ${label}`, () => {
      for (const seed of [1, 2, 3]) {
        const result = simulateVardiff(hashrate, declared, SPM, 5, seed);
        const ratio = result.final_rate / SPM;
        assert.ok(ratio < 1.6 && ratio > 1 / 1.6, `seed ${seed}: ${result.final_rate.toFixed(2)} shares/min`);
      }
    });
  }
}

test('a steady device is mostly left alone and stays near the aim', () => {
  let retargets = 0;
  for (let seed = 1; seed <= 20; seed++) {
    const result = simulateVardiff(1e12, 1e12, SPM, 30, seed);
    retargets += result.retargets;
    for (const rate of result.rates_by_minute)
      assert.ok(rate / SPM < 1.6 && SPM / rate < 1.6, `seed ${seed}: ${rate}`);
  }
  assert.ok(retargets <= 10, `${retargets} retargets in 10 hours`);
});

test('the channel target follows vardiff, is clamped to max_target, and UpdateChannel resets it', () => {
  const chain = makeChain({ shares_per_minute: SPM });
  chain.newTemplate(template(1n, true));
  chain.setNewPrevHash(prevHash(1n), NOW);
  const conn = new ServerConnectionChannels(chain, { flags: 0 });
  const max = hashrateToTarget(1e9, SPM);
  const success = first(
    conn.openExtended(openExtendedMsg(1, 1e6, 0, u256ToLE(max)), { ok: true, payout_key: 'p' }, NOW),
    'OpenExtendedMiningChannelSuccess',
  );
  assert.equal(u256FromLE(success.target), max); // 1 MH/s would be easier than the device allows
  const id = success.channel_id;
  // Silence for 10 minutes: vardiff wants an easier target, but max_target holds.
  assert.deepEqual(conn.evaluateVardiff(NOW + 600_000), []);
  assert.deepEqual(
    conn.updateChannel(
      { type: 'UpdateChannel', channel_id: 999, nominal_hash_rate: 1, maximum_target: u256ToLE(max) },
      NOW,
    ),
    [{ type: 'UpdateChannelError', channel_id: 999, error_code: 'invalid-channel-id' }],
  );
  assert.deepEqual(
    conn.updateChannel(
      { type: 'UpdateChannel', channel_id: id, nominal_hash_rate: -1, maximum_target: u256ToLE(max) },
      NOW,
    ),
    [{ type: 'UpdateChannelError', channel_id: id, error_code: 'invalid-nominal-hashrate' }],
  );
  const set = conn.updateChannel(
    {
      type: 'UpdateChannel',
      channel_id: id,
      nominal_hash_rate: 1e12,
      maximum_target: u256ToLE((1n << 256n) - 1n),
    },
    NOW + 600_000,
  );
  assert.deepEqual(set, [
    { type: 'SetTarget', channel_id: id, maximum_target: u256ToLE(hashrateToTarget(1e12, SPM)) },
  ]);
  // No shares for long after: vardiff lowers the difficulty with a SetTarget.
  const later = conn.evaluateVardiff(NOW + 600_000 + 300_000);
  assert.equal(later.length, 1);
  assert.ok(u256FromLE(first(later, 'SetTarget').maximum_target) > hashrateToTarget(1e12, SPM));
  assert.ok(conn.channelInfo(id, NOW + 900_000)!.hashrate > 0);
});
