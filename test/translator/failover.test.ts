// Upstream failover: the first pool goes away while V1 miners mine; miners
// stay connected, get fresh work from the second pool (set_extranonce for
// those who subscribed to it, client.reconnect for the others), old jobs'
// shares are answered stale and never forwarded; with no pool at all the
// miners are disconnected after the configured limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTranslator, eventually } from './fixture.js';
import { ScriptedPool } from './scripted-pool.js';
import { V1Client } from './v1-client.js';

const EASY = 'x,d=1e-8';

test(
  'failover: first pool stops, miners keep their connection and mine on the second',
  { timeout: 60_000 },
  async (t) => {
    const first = await ScriptedPool.start();
    const second = await ScriptedPool.start();
    t.after(() => Promise.all([first.close(), second.close()]));
    const tr = await startTranslator([first, second]);
    t.after(() => tr.stop());

    const subscribed = await V1Client.connect(tr.port);
    const plain = await V1Client.connect(tr.port);
    t.after(() => (subscribed.close(), plain.close()));
    await subscribed.handshake('acct.x', { password: EASY, rolling: true, xnsub: true });
    await plain.handshake('acct.p', { password: EASY });
    assert.equal((await subscribed.mineAndSubmit('acct.x')).result, true);
    await first.until(() => first.acceptedShares.length === 1);
    const oldShare = subscribed.findShare('acct.x')!;
    const oldNotifies = subscribed.notifies.length;

    await first.close();
    await second.until(() => second.channels.length === 1);
    const prefix = Buffer.from(second.channels[0]!.prefix).toString('hex');
    await subscribed.until(
      () => subscribed.notifies.length > oldNotifies && subscribed.extranonce1.startsWith(prefix),
    );
    await subscribed.until(
      () => subscribed.notify!.prevhash === Buffer.from(second.prevHash).swap32().toString('hex'),
    );
    assert.equal(subscribed.closed, false, 'the subscribed miner keeps its TCP connection');
    assert.equal(subscribed.notify!.clean, true);
    assert.ok(subscribed.lines.some((l) => l.method === 'mining.set_extranonce'));

    // The other miner cannot take a new extranonce in place: it is told to reconnect.
    await plain.until(() => plain.closed);
    assert.ok(plain.lines.some((l) => l.method === 'client.reconnect'));

    // A share for the first pool's job is stale and goes nowhere.
    const stale = await subscribed.request('mining.submit', oldShare);
    assert.equal(stale.result, false);
    assert.equal((stale.error as unknown[])[0], 21);

    assert.equal((await subscribed.mineAndSubmit('acct.x')).result, true);
    await second.until(() => second.shares.length >= 1);
    assert.equal(second.shares.length, 1, 'only the new share reached the second pool');
    assert.equal(second.shares[0]!.ok, true, second.shares[0]!.error);
    assert.equal(tr.translator.metrics.upstreamLosses, 1);

    // A new miner is served by the second pool too.
    const late = await V1Client.connect(tr.port);
    t.after(() => late.close());
    await late.handshake('acct.l', { password: EASY });
    assert.ok(late.extranonce1.startsWith(prefix));
  },
);

test(
  'no upstream at all: miners get pings, then are disconnected after the limit',
  { timeout: 60_000 },
  async (t) => {
    const pool = await ScriptedPool.start();
    const tr = await startTranslator([pool], { noWorkMs: 1500, pingMs: 300 });
    t.after(() => tr.stop());
    const c = await V1Client.connect(tr.port);
    t.after(() => c.close());
    await c.handshake('acct.n', { password: EASY });
    await pool.close();
    await c.until(() => c.lines.some((l) => l.method === 'mining.ping'));
    assert.equal(c.closed, false, 'a short outage keeps the miner');
    await c.until(() => c.closed);
    assert.ok(tr.logs.some((r) => r.msg === 'no upstream work: disconnecting miners'));
    assert.equal(tr.translator.metrics.closed.get('no upstream work'), 1);

    // While there is no work, new miners are turned away at once.
    const again = await V1Client.connect(tr.port);
    t.after(() => again.close());
    await again.until(() => again.closed);
    await eventually(() => tr.translator.metrics.refused.get('no upstream work') === 1, 'refusal counted');
  },
);

test(
  'failover with per-miner channels: each miner gets a new channel on the second pool',
  { timeout: 60_000 },
  async (t) => {
    const first = await ScriptedPool.start();
    const second = await ScriptedPool.start();
    t.after(() => Promise.all([first.close(), second.close()]));
    const tr = await startTranslator([first, second], { aggregate: false });
    t.after(() => tr.stop());
    const c = await V1Client.connect(tr.port);
    t.after(() => c.close());
    await c.handshake('acct.n', { password: EASY, xnsub: true });
    assert.equal((await c.mineAndSubmit('acct.n')).result, true);
    await first.close();
    await second.until(() => second.channels.length === 1);
    assert.match(second.opens[0]!.user_identity, /^test-user\.miner\d+$/);
    const prefix = Buffer.from(second.channels[0]!.prefix).toString('hex');
    const want = Buffer.from(second.prevHash).swap32().toString('hex');
    await c.until(() => c.extranonce1.startsWith(prefix) && c.notify!.prevhash === want);
    assert.equal(c.closed, false);
    assert.equal((await c.mineAndSubmit('acct.n')).result, true);
    await second.until(() => second.shares.length >= 1);
    assert.equal(second.shares[0]!.ok, true, second.shares[0]!.error);
  },
);
