// The translator against scripted SV2 pools: extranonce split, version
// rolling only when the pool allows it, shares forwarded and accepted by the
// pool, per-miner channels, keepalive notifies and UpdateChannel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { targetToDifficulty, u256FromLE } from '../../src/bitcoin/index.js';
import { startPoolAndTranslator, eventually } from './fixture.js';
import { JOB_VERSION } from './scripted-pool.js';
import { V1Client } from './v1-client.js';

const EASY = 'x,d=1e-8';

test(
  "aggregated: one channel, the pool's prefix in coinb1, a 4-byte extranonce1 per miner, rolled shares accepted",
  { timeout: 60_000 },
  async (t) => {
    const { pool, tr } = await startPoolAndTranslator(t);
    await pool.until(() => pool.channels.length === 1);
    assert.equal(pool.opens[0]!.min_extranonce_size, 4 + 8, 'asks for extranonce1 + extranonce2_size');

    const a = await V1Client.connect(tr.port);
    const b = await V1Client.connect(tr.port);
    t.after(() => (a.close(), b.close()));
    await a.handshake('acct.a', { password: EASY, rolling: true });
    await b.handshake('acct.b', { password: EASY });
    assert.equal(a.mask, 0x1fffe000, 'granted the BIP320 mask ∩ the SV2 job mask');
    // The port's default band and the miners' own band (difficulty 1e-8): one channel each.
    await pool.until(() => pool.channels.length === 2);
    const ch = pool.channels[1]!;
    for (const c of [a, b]) {
      assert.equal(c.extranonce1.length, 8, '4-byte extranonce1');
      // The scripted pool grants exactly 12 bytes: no padding after its prefix.
      await c.until(() => c.notify!.coinb1.endsWith(Buffer.from(ch.prefix).toString('hex')));
      assert.equal(c.extranonce2Size, 8);
      assert.equal(c.difficulty, 1e-8);
    }
    assert.notEqual(a.extranonce1, b.extranonce1);
    assert.equal(pool.channels.length, 2, 'no channel per miner');

    for (let i = 0; i < 3; i++) {
      assert.equal((await a.mineAndSubmit('acct.a')).result, true);
      assert.equal((await b.mineAndSubmit('acct.b')).result, true);
    }
    await pool.until(() => pool.shares.length >= 6);
    assert.equal(
      pool.acceptedShares.length,
      pool.shares.length,
      JSON.stringify(pool.shares.map((s) => s.error)),
    );
    assert.ok(
      pool.shares.some((s) => s.msg.version !== JOB_VERSION),
      'rolled version bits reach the pool',
    );
    assert.ok(pool.shares.every((s) => s.msg.channel_id === ch.channel_id));
    assert.ok(pool.shares.every((s) => s.msg.extranonce.length === ch.extranonce_size));
    assert.equal(tr.translator.metrics.sharesAccepted, 6);
  },
);

test(
  "a miner's true waits for the pool's acknowledgement; a share whose pool connection drops first gets an error",
  { timeout: 60_000 },
  async (t) => {
    const { pool, tr } = await startPoolAndTranslator(t);
    const c = await V1Client.connect(tr.port);
    t.after(() => c.close());
    await c.handshake('acct.w', { password: EASY });
    pool.holdAcks = true;
    const first = c.mineAndSubmit('acct.w');
    await pool.until(() => pool.shares.length === 1);
    // Slowness can only make this more certain: no answer exists before the pool's.
    const early = await Promise.race([
      first.then(() => 'answered'),
      new Promise((r) => setTimeout(() => r('waiting'), 300)),
    ]);
    assert.equal(early, 'waiting');
    pool.releaseAcks();
    assert.equal((await first).result, true);

    const second = c.mineAndSubmit('acct.w');
    await pool.until(() => pool.shares.length === 2);
    pool.dropConnections();
    const reply = await second;
    assert.equal(reply.result, false);
    assert.deepEqual(reply.error, [20, 'Pool connection lost before the share was confirmed', null]);
    assert.equal(tr.translator.metrics.sharesLost, 1);
    assert.equal(tr.translator.metrics.sharesAccepted, 1);
  },
);

test(
  'version rolling is refused when the pool forbids it; shares keep the job version',
  { timeout: 60_000 },
  async (t) => {
    const { pool, tr } = await startPoolAndTranslator(t, { versionRollingAllowed: false });
    const c = await V1Client.connect(tr.port);
    t.after(() => c.close());
    await c.handshake('acct.w', { password: EASY, rolling: true });
    const configure = c.lines.find((l) => l.id === 101)!;
    assert.deepEqual(configure.result, { 'version-rolling': false });
    assert.equal(c.mask, 0);
    assert.equal((await c.mineAndSubmit('acct.w')).result, true);
    await pool.until(() => pool.shares.length >= 1);
    assert.equal(pool.shares[0]!.ok, true, pool.shares[0]!.error);
    assert.equal(pool.shares[0]!.msg.version, JOB_VERSION);
  },
);

test(
  'shares below the pool target are answered locally and not forwarded',
  { timeout: 60_000 },
  async (t) => {
    // Pool target far harder than the miners' difficulty, mainnet-like nBits: nothing meets either.
    const { pool, tr } = await startPoolAndTranslator(t, { target: 1n << 200n, nbits: 0x1d00ffff });
    const c = await V1Client.connect(tr.port);
    t.after(() => c.close());
    await c.handshake('acct.w', { password: EASY });
    for (let i = 0; i < 5; i++) assert.equal((await c.mineAndSubmit('acct.w')).result, true);
    assert.equal(tr.translator.metrics.sharesAccepted, 5);
    assert.equal(tr.translator.metrics.sharesForwarded, 0);
    assert.equal(pool.shares.length, 0);
  },
);

test(
  'non-aggregated: one channel per miner under its own name, CloseChannel when it leaves',
  { timeout: 60_000 },
  async (t) => {
    // Accounts checked: the pool's answer to the miner's own channel is the check.
    const { pool, tr } = await startPoolAndTranslator(t, {}, { aggregate: false, verifyAccounts: true });
    const a = await V1Client.connect(tr.port);
    const b = await V1Client.connect(tr.port);
    t.after(() => (a.close(), b.close()));
    await a.handshake('acct.a', { password: EASY, rolling: true });
    await b.handshake('acct.b', { password: EASY });
    assert.equal(pool.channels.length, 2);
    assert.deepEqual(pool.opens.map((o) => o.user_identity).sort(), ['acct.a', 'acct.b']);
    for (const o of pool.opens) assert.equal(o.min_extranonce_size, 4 + 8);
    assert.equal(a.extranonce1.length, 8);
    assert.equal((await a.mineAndSubmit('acct.a')).result, true);
    assert.equal((await b.mineAndSubmit('acct.b')).result, true);
    await pool.until(() => pool.shares.length >= 2);
    assert.ok(pool.shares.every((s) => s.ok));
    assert.notEqual(pool.shares[0]!.msg.channel_id, pool.shares[1]!.msg.channel_id);
    a.close();
    await pool.until(() => pool.closes.length === 1);
  },
);

test(
  'keepalive notify: same job, ntime moved on, not clean; its shares are accepted',
  { timeout: 60_000 },
  async (t) => {
    const { pool, tr } = await startPoolAndTranslator(t, {}, { keepaliveMs: 1000 });
    const c = await V1Client.connect(tr.port);
    t.after(() => c.close());
    await c.handshake('acct.k', { password: EASY });
    const first = c.notify!;
    await c.until(() => c.notifies.length >= 2);
    const again = c.notifies[1]!;
    assert.equal(again.clean, false);
    assert.equal(again.coinb1, first.coinb1);
    assert.equal(again.prevhash, first.prevhash);
    assert.ok(parseInt(again.ntime, 16) > parseInt(first.ntime, 16));
    assert.equal((await c.mineAndSubmit('acct.k')).result, true);
    await pool.until(() => pool.shares.length >= 1);
    assert.equal(pool.shares[0]!.ok, true, pool.shares[0]!.error);
    assert.equal(pool.shares[0]!.msg.ntime, parseInt(c.notify!.ntime, 16));
  },
);

test(
  'new block: clean notify to every miner; shares on the old job are stale and not forwarded',
  { timeout: 60_000 },
  async (t) => {
    const { pool, tr } = await startPoolAndTranslator(t);
    const c = await V1Client.connect(tr.port);
    t.after(() => c.close());
    await c.handshake('acct.s', { password: EASY });
    const old = c.findShare('acct.s')!;
    pool.newBlock();
    await c.until(() => c.notifies.length >= 2);
    assert.equal(c.notify!.clean, true);
    const stale = await c.request('mining.submit', old);
    assert.equal(stale.result, false);
    assert.equal((stale.error as unknown[])[0], 21);
    assert.equal((await c.mineAndSubmit('acct.s')).result, true);
    await pool.until(() => pool.shares.length >= 1);
    assert.equal(pool.shares.length, 1);
    assert.equal(pool.shares[0]!.ok, true);
  },
);

test('UpdateChannel carries the sum of the miners’ hashrates', { timeout: 60_000 }, async (t) => {
  const { pool, tr } = await startPoolAndTranslator(
    t,
    {},
    { listen: [{ address: '127.0.0.1', port: 0, kind: 'asic' }] },
  );
  const clients = await Promise.all([1, 2, 3].map(() => V1Client.connect(tr.port)));
  t.after(() => clients.forEach((c) => c.close()));
  // d=1024 on an ASIC port: each miner counts as 1024 · 2^32 · 6 / 60 H/s.
  for (const c of clients) await c.handshake('acct.u', { password: 'd=1024' });
  // They share the channel of difficulty band [1024, 4096): its UpdateChannel sums them.
  const expected = (3 * 1024 * 2 ** 32 * 6) / 60;
  const near = (u: { nominal_hash_rate: number }) =>
    Math.abs(u.nominal_hash_rate - expected) / expected < 1e-3;
  await eventually(() => pool.updates.some(near), 'an UpdateChannel with the three miners');
  const update = pool.updates.find(near)!;
  const channel = pool.channels.find((c) => c.channel_id === update.channel_id)!;
  assert.equal(channel.user_identity, 'test-user');
  assert.equal(
    Math.round(targetToDifficulty(u256FromLE(update.maximum_target))),
    4096,
    "the band's top difficulty",
  );
});

test(
  'difficulty bands: miners far apart in difficulty get shared channels of their own band',
  { timeout: 60_000 },
  async (t) => {
    const { pool, tr } = await startPoolAndTranslator(t);
    const low = await V1Client.connect(tr.port);
    const high = await V1Client.connect(tr.port);
    t.after(() => (low.close(), high.close()));
    await low.handshake('acct.low', { password: 'd=1e-8' });
    await high.handshake('acct.high', { password: 'd=0.00002' });
    assert.equal((await low.mineAndSubmit('acct.low')).result, true);
    assert.equal((await high.mineAndSubmit('acct.high')).result, true);
    await pool.until(() => pool.shares.length >= 2);
    const byMiner = new Map(
      pool.shares.map((s) => [Buffer.from(s.msg.extranonce).toString('hex'), s.msg.channel_id]),
    );
    assert.equal(byMiner.size, 2);
    const [a, b] = [...byMiner.values()];
    assert.notEqual(a, b, 'each band has its channel');
    for (const id of [a, b]) {
      const open = pool.opens[pool.channels.findIndex((c) => c.channel_id === id)]!;
      const top = targetToDifficulty(u256FromLE(open.max_target));
      assert.ok(top === 4 ** Math.round(Math.log(top) / Math.log(4)), `max_target at a power of 4 (${top})`);
    }
    assert.ok(pool.shares.every((s) => s.ok));
    assert.equal(tr.translator.metrics.sharesForwarded, 2);
  },
);
