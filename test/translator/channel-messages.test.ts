// The pool changes a channel under the miners: SetExtranoncePrefix moves
// subscribed miners with mining.set_extranonce (old-prefix shares turn
// stale), SetTarget changes which shares are forwarded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startPoolAndTranslator } from './fixture.js';
import { V1Client } from './v1-client.js';

const EASY = 'x,d=1e-8';

test(
  'SetExtranoncePrefix: set_extranonce and a clean job; old-prefix shares are stale',
  { timeout: 60_000 },
  async (t) => {
    const { pool, tr } = await startPoolAndTranslator(t);
    const c = await V1Client.connect(tr.port);
    t.after(() => c.close());
    await c.handshake('acct.p', { password: EASY, xnsub: true });
    const before = c.extranonce1;
    const old = c.findShare('acct.p')!;
    const [prefix] = pool.rotatePrefixes();
    const hex = Buffer.from(prefix!).toString('hex');
    await c.until(() => c.extranonce1.startsWith(hex) && c.notify!.clean && c.notifies.length >= 3);
    assert.equal(c.extranonce1.slice(8), before.slice(8), 'the miner keeps its index');
    const stale = await c.request('mining.submit', old);
    assert.equal((stale.error as unknown[])[0], 21);
    assert.equal((await c.mineAndSubmit('acct.p')).result, true);
    await pool.until(() => pool.shares.length >= 1);
    assert.equal(pool.shares.length, 1);
    assert.equal(pool.shares[0]!.ok, true, pool.shares[0]!.error);
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
