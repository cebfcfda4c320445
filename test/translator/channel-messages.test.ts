// The pool changes a channel under the miners: SetExtranoncePrefix gives
// every miner a clean job whose coinb1 carries the new prefix (old-prefix
// shares turn stale); SetTarget changes which shares are forwarded, and with
// vardiff off it is the miners' difficulty.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startPoolAndTranslator } from './fixture.js';
import { V1Client, difficultyTarget } from './v1-client.js';

const EASY = 'x,d=1e-8';

test(
  'SetExtranoncePrefix: a clean job whose coinb1 carries the new prefix; same extranonce1; old-prefix shares are stale',
  { timeout: 60_000 },
  async (t) => {
    const { pool, tr } = await startPoolAndTranslator(t);
    const c = await V1Client.connect(tr.port);
    const plain = await V1Client.connect(tr.port);
    t.after(() => (c.close(), plain.close()));
    await c.handshake('acct.p', { password: EASY, xnsub: true });
    await plain.handshake('acct.q', { password: EASY });
    const before = c.extranonce1;
    const old = c.findShare('acct.p')!;
    const prefixes = pool.rotatePrefixes().map((p) => Buffer.from(p).toString('hex'));
    for (const m of [c, plain]) {
      await m.until(() => prefixes.some((hex) => m.notify!.coinb1.includes(hex)) && m.notify!.clean);
    }
    assert.equal(c.extranonce1, before, "the miner's extranonce1 is the translator's own: unchanged");
    assert.ok(!c.lines.some((l) => l.method === 'mining.set_extranonce'), 'no set_extranonce needed');
    assert.equal(plain.closed, false, 'a miner without extranonce.subscribe keeps its connection too');
    const stale = await c.request('mining.submit', old);
    assert.equal((stale.error as unknown[])[0], 21);
    assert.equal((await c.mineAndSubmit('acct.p')).result, true);
    assert.equal((await plain.mineAndSubmit('acct.q')).result, true);
    await pool.until(() => pool.shares.length >= 2);
    assert.equal(pool.shares.length, 2);
    assert.ok(
      pool.shares.every((s) => s.ok),
      JSON.stringify(pool.shares.map((s) => s.error)),
    );
  },
);

test('SetTarget: shares that miss the new target stay local', { timeout: 60_000 }, async (t) => {
  const { pool, tr } = await startPoolAndTranslator(t, { nbits: 0x1d00ffff });
  const c = await V1Client.connect(tr.port);
  t.after(() => c.close());
  await c.handshake('acct.t', { password: EASY });
  assert.equal((await c.mineAndSubmit('acct.t')).result, true);
  await pool.until(() => pool.shares.length === 1);
  pool.setTarget(1n << 180n);
  // A new block after it on the same connection: once its notify is here, SetTarget was read.
  const seen = c.notifies.length;
  pool.newBlock();
  await c.until(() => c.notifies.length > seen);
  for (let i = 0; i < 3; i++) assert.equal((await c.mineAndSubmit('acct.t')).result, true);
  assert.equal(tr.translator.metrics.sharesAccepted, 4);
  assert.equal(tr.translator.metrics.sharesForwarded, 1);
});

test(
  "vardiff off: the pool's SetTarget reaches the miners as mining.set_difficulty",
  { timeout: 60_000 },
  async (t) => {
    const { pool, tr } = await startPoolAndTranslator(
      t,
      { target: difficultyTarget(0.00001), nbits: 0x1d00ffff },
      { vardiff: false },
    );
    const c = await V1Client.connect(tr.port);
    t.after(() => c.close());
    await c.handshake('acct.f');
    assert.equal(c.difficulty, 0.00001, "the channel's target from the start");
    // A suggestion does not override the pool's choice.
    await c.request('mining.suggest_difficulty', [0.5]);
    assert.equal((await c.mineAndSubmit('acct.f')).result, true);
    pool.setTarget(difficultyTarget(0.00002));
    await c.until(() => c.difficulty === 0.00002);
    const last = c.lines.filter((l) => l.method !== undefined).slice(-2);
    assert.deepEqual(
      last.map((l) => l.method),
      ['mining.set_difficulty', 'mining.notify'],
      'set_difficulty, then a clean job',
    );
    assert.equal(c.notify!.clean, true);
    assert.equal((await c.mineAndSubmit('acct.f')).result, true);
    await pool.until(() => pool.shares.length >= 2);
    assert.ok(
      pool.shares.every((s) => s.ok),
      JSON.stringify(pool.shares.map((s) => s.error)),
    );
    assert.ok(!c.lines.some((l) => l.method === 'mining.set_difficulty' && l.params![0] === 0.5));
  },
);
