// Upstream failover and failback: the first pool goes away while V1 miners
// mine; miners stay connected and get fresh work from the second pool
// (their extranonce1 is the translator's own, so no set_extranonce and no
// reconnect), old jobs' shares are answered stale and never forwarded; when
// the first pool is back and stays up, the miners move back to it the same
// way; with no pool at all the miners are disconnected after the limit; a
// single pool that restarts inside that limit gets its miners back.
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
    const extranonce1 = [subscribed.extranonce1, plain.extranonce1];

    await first.close();
    const prevhash = Buffer.from(second.prevHash).swap32().toString('hex');
    // The miners' difficulty band's channel on the second pool: its prefix is in their coinb1.
    const onSecond = (c: V1Client) =>
      second.channels.some((ch) => c.notify!.coinb1.includes(Buffer.from(ch.prefix).toString('hex')));
    for (const c of [subscribed, plain]) {
      await c.until(() => c.notify!.prevhash === prevhash && onSecond(c));
      assert.equal(c.closed, false, 'every miner keeps its TCP connection');
      assert.equal(c.notify!.clean, true);
      assert.ok(
        !c.lines.some((l) => l.method === 'mining.set_extranonce' || l.method === 'client.reconnect'),
      );
    }
    assert.deepEqual([subscribed.extranonce1, plain.extranonce1], extranonce1, 'extranonce1 unchanged');

    // A share for the first pool's job is stale and goes nowhere.
    const stale = await subscribed.request('mining.submit', oldShare);
    assert.equal(stale.result, false);
    assert.equal((stale.error as unknown[])[0], 21);

    assert.equal((await subscribed.mineAndSubmit('acct.x')).result, true);
    assert.equal((await plain.mineAndSubmit('acct.p')).result, true);
    await second.until(() => second.shares.length >= 2);
    assert.equal(second.shares.length, 2, 'only the new shares reached the second pool');
    assert.ok(
      second.shares.every((s) => s.ok),
      JSON.stringify(second.shares.map((s) => s.error)),
    );
    assert.equal(tr.translator.metrics.upstreamLosses, 1);
  },
);

test(
  'failback: the first pool returns, stays up, and every miner moves back without reconnecting; no share lost or sent twice',
  { timeout: 90_000 },
  async (t) => {
    let first = await ScriptedPool.start();
    const firstPort = first.port;
    const keyPair = first.keyPair;
    const second = await ScriptedPool.start();
    const pools = [first, second];
    t.after(() => Promise.all(pools.map((p) => p.close())));
    const tr = await startTranslator([first, second], {
      failbackMs: 1500,
      failbackRetryMs: 300,
      drainMs: 500,
    });
    t.after(() => tr.stop());

    const miners = await Promise.all([V1Client.connect(tr.port), V1Client.connect(tr.port)]);
    t.after(() => miners.forEach((m) => m.close()));
    await miners[0]!.handshake('acct.a', { password: EASY, rolling: true });
    await miners[1]!.handshake('acct.b', { password: EASY });
    const sent = new Set<string>();
    const mine = async (): Promise<void> => {
      for (const [i, m] of miners.entries()) {
        const params = m.findShare(i === 0 ? 'acct.a' : 'acct.b')!;
        assert.equal((await m.request('mining.submit', params)).result, true);
        sent.add(`${i}/${params[2]}/${params[4]}`);
      }
    };
    await mine();
    await first.until(() => first.acceptedShares.length === 2);

    // The first pool goes away: the miners move to the second.
    await first.close();
    const onSecond = Buffer.from(second.prevHash).swap32().toString('hex');
    await second.until(() => second.channels.length === 1);
    for (const m of miners) await m.until(() => m.notify!.prevhash === onSecond);
    await mine();
    await second.until(() => second.acceptedShares.length === 2);

    // It comes back on the same port with the same key: after failbackMs the miners return.
    first = await ScriptedPool.start({ port: firstPort, keyPair });
    pools.push(first);
    await first.until(() => first.channels.length === 1);
    const back = Buffer.from(first.prevHash).swap32().toString('hex');
    for (const m of miners) await m.until(() => m.notify!.prevhash === back);
    await eventually(() => tr.translator.metrics.failbacks === 1, 'one failback counted');
    assert.ok(tr.logs.some((r) => r.msg === 'returned to the preferred pool'));
    for (const m of miners) {
      assert.equal(m.closed, false, 'no miner was disconnected');
      assert.equal(m.notify!.clean, true);
      assert.ok(
        !m.lines.some((l) => l.method === 'client.reconnect' || l.method === 'mining.set_extranonce'),
      );
    }
    await mine();
    await first.until(() => first.acceptedShares.length === 2);
    // The second pool's connection is closed after the drain.
    await eventually(() => second.conns.every((c) => c.isClosed), 'the second pool is let go');

    const reached = [...pools.flatMap((p) => p.acceptedShares)];
    assert.equal(reached.length, 6, 'every share reached exactly one pool');
    assert.equal(sent.size, 6);
    // The same work twice would carry the same extranonce, ntime and nonce.
    const work = new Set(
      reached.map((s) => `${Buffer.from(s.msg.extranonce).toString('hex')}/${s.msg.ntime}/${s.msg.nonce}`),
    );
    assert.equal(work.size, 6, 'no share was sent twice');
    assert.ok(
      pools.every((p) => p.shares.every((s) => s.ok)),
      'no share refused anywhere',
    );
    assert.equal(tr.translator.metrics.sharesForwarded, 6);
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
    await c.handshake('acct.n', { password: EASY });
    assert.equal((await c.mineAndSubmit('acct.n')).result, true);
    await first.close();
    await second.until(() => second.channels.length === 1);
    // Accounts are not checked here: the channel carries the translator's identity.
    assert.match(second.opens[0]!.user_identity, /^test-user\.miner\d+$/);
    const prefix = Buffer.from(second.channels[0]!.prefix).toString('hex');
    const want = Buffer.from(second.prevHash).swap32().toString('hex');
    await c.until(() => c.notify!.coinb1.includes(prefix) && c.notify!.prevhash === want);
    assert.equal(c.closed, false);
    assert.equal((await c.mineAndSubmit('acct.n')).result, true);
    await second.until(() => second.shares.length >= 1);
    assert.equal(second.shares[0]!.ok, true, second.shares[0]!.error);
  },
);

test(
  'one pool restarts within the no-work limit: miners keep their sockets and mine on it again',
  { timeout: 60_000 },
  async (t) => {
    let pool = await ScriptedPool.start();
    const { keyPair, port } = { keyPair: pool.keyPair, port: pool.port };
    t.after(() => pool.close());
    const tr = await startTranslator([pool]);
    t.after(() => tr.stop());
    const miner = await V1Client.connect(tr.port);
    t.after(() => miner.close());
    await miner.handshake('acct.one', { password: EASY });
    assert.equal((await miner.mineAndSubmit('acct.one')).result, true);
    const extranonce1 = miner.extranonce1;

    await pool.close();
    await eventually(() => tr.translator.metrics.upstreamLosses === 1, 'the translator saw the pool go');
    // Back on the same port with the same key, well inside no_work_timeout_secs.
    pool = await ScriptedPool.start({ keyPair, port });
    const prevhash = Buffer.from(pool.prevHash).swap32().toString('hex');
    await miner.until(() => miner.notify!.prevhash === prevhash);
    assert.equal(miner.closed, false, 'the miner kept its TCP connection');
    assert.equal(miner.notify!.clean, true);
    assert.equal(miner.extranonce1, extranonce1);
    assert.ok(!miner.lines.some((l) => l.method === 'client.reconnect'));
    assert.equal((await miner.mineAndSubmit('acct.one')).result, true);
    await pool.until(() => pool.acceptedShares.length === 1);
  },
);
