// Protection of the SV1 side: connection limits per IP (with an allow-list)
// and in total, the submit rate, the handshake deadline, and escalation on
// continuous invalid shares. Every refusal is logged with peer and reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startPoolAndTranslator, eventually } from './fixture.js';
import { V1Client } from './v1-client.js';

test('per-IP limit with allow-list, and a total limit', { timeout: 60_000 }, async (t) => {
  const { tr } = await startPoolAndTranslator(
    t,
    {},
    {
      maxPerIp: 2,
      maxConnections: 5,
      allowedIps: ['127.0.0.3', '127.0.1.0/24'],
    },
  );
  const open: V1Client[] = [];
  t.after(() => open.forEach((c) => c.close()));
  for (let i = 0; i < 2; i++) open.push(await V1Client.connect(tr.port, '127.0.0.2'));
  const third = await V1Client.connect(tr.port, '127.0.0.2');
  await third.until(() => third.closed);
  const refusal = tr.logs.find((r) => r.msg === 'connection refused')!;
  assert.match(String(refusal.peer), /^127\.0\.0\.2:\d+$/);
  assert.equal(refusal.reason, 'too many connections from this address');

  // Allow-listed addresses (exact and CIDR) are exempt from the per-IP limit…
  open.push(await V1Client.connect(tr.port, '127.0.0.3'));
  open.push(await V1Client.connect(tr.port, '127.0.0.3'));
  open.push(await V1Client.connect(tr.port, '127.0.1.9'));
  await eventually(() => tr.translator.miners.size === 5, 'five connections admitted');
  // …but not from the total.
  const sixth = await V1Client.connect(tr.port, '127.0.1.10');
  await sixth.until(() => sixth.closed);
  assert.equal(tr.translator.metrics.refused.get('too many connections'), 1);
  assert.equal(tr.translator.metrics.refused.get('too many connections from this address'), 1);
  assert.ok(open.every((c) => !c.closed));
});

test('handshake deadline: a silent connection is closed', { timeout: 60_000 }, async (t) => {
  const { tr } = await startPoolAndTranslator(t, {}, { handshakeMs: 1000 });
  const c = await V1Client.connect(tr.port);
  t.after(() => c.close());
  c.send({ id: 1, method: 'mining.subscribe', params: [] });
  await c.until(() => c.closed);
  assert.equal(tr.translator.metrics.closed.get('handshake timeout'), 1);
});

test('submit flood: the connection is closed', { timeout: 60_000 }, async (t) => {
  const { tr } = await startPoolAndTranslator(t, {}, { submitsPerSecond: 5 });
  const c = await V1Client.connect(tr.port);
  t.after(() => c.close());
  await c.handshake('acct.f', { password: 'x,d=1e-8' });
  const lines = Array.from({ length: 50 }, (_, i) =>
    JSON.stringify({ id: i, method: 'mining.submit', params: ['acct.f', 'x', '00', '00', '00'] }),
  );
  c.raw(lines.join('\n') + '\n');
  await c.until(() => c.closed);
  assert.equal(tr.translator.metrics.closed.get('submit rate exceeded'), 1);
  assert.ok(tr.logs.some((r) => r.msg === 'miner disconnected' && r.reason === 'submit rate exceeded'));
});

test(
  'continuous invalid shares: fresh work first, then client.reconnect and close',
  { timeout: 20_000 },
  async (t) => {
    // Mainnet-like nBits: a weak share is not a block candidate either.
    const { tr } = await startPoolAndTranslator(
      t,
      { nbits: 0x1d00ffff },
      { invalidFreshWork: 3, invalidReconnect: 6, vardiff: false },
    );
    const c = await V1Client.connect(tr.port);
    t.after(() => c.close());
    // Difficulty 1 on a CPU port: a share found at 1e-8 is almost surely too weak.
    await c.handshake('acct.bad', { password: 'x,d=1' });
    // Always on the latest job: shares on retired jobs are stale and do not count.
    const bad = (i: number): unknown[] => {
      const job = c.notify!;
      return ['acct.bad', job.job_id, i.toString(16).padStart(16, '0'), job.ntime, '00000000'];
    };
    for (let i = 0; i < 3; i++) {
      const r = await c.request('mining.submit', bad(i));
      assert.equal(r.result, false);
    }
    await c.until(() => c.notifies.length >= 2);
    assert.equal(c.notify!.clean, true, 'fresh work after 3 invalid shares');
    for (let i = 3; i < 6 && !c.closed; i++) await c.request('mining.submit', bad(i)).catch(() => undefined);
    await c.until(() => c.closed);
    assert.ok(c.lines.some((l) => l.method === 'client.reconnect'));
    assert.ok(tr.logs.some((r) => r.msg === 'continuous invalid shares: reconnect'));
    assert.ok((tr.translator.metrics.rejected.get('Low difficulty share') ?? 0) >= 6);
  },
);
