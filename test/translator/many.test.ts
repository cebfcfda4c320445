// 2,000 simultaneous V1 connections on loopback (spread over several source
// addresses) all receive the notify for a new block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startPoolAndTranslator } from './fixture.js';
import { V1Client } from './v1-client.js';

const WANTED = 2000;
const PER_SOURCE = 500;
const BATCH = 200;

function openFileLimit(): number {
  const text = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  return text === 'unlimited' ? Infinity : Number(text);
}

test('2,000 V1 connections all get the notify of a new block', { timeout: 180_000 }, async (t) => {
  // Both ends of every connection live in this process: two descriptors each.
  const limit = openFileLimit();
  const n = Math.min(WANTED, Math.floor((limit - 256) / 2));
  if (n < WANTED) t.diagnostic(`open-file limit ${limit}: scaled down to ${n} connections`);
  assert.ok(n > 0);
  const { pool, tr } = await startPoolAndTranslator(t, {}, { summaryMs: 0 });
  const clients: V1Client[] = [];
  t.after(() => clients.forEach((c) => c.close()));
  for (let start = 0; start < n; start += BATCH) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(BATCH, n - start) }, (_, i) =>
        V1Client.connect(tr.port, `127.0.0.${2 + Math.floor((start + i) / PER_SOURCE)}`),
      ),
    );
    clients.push(...batch);
    await Promise.all(batch.map((c, i) => c.handshake(`acct.m${start + i}`)));
  }
  assert.equal(tr.translator.miners.size, n);
  assert.equal(new Set(clients.map((c) => c.extranonce1)).size, n, 'every miner has its own extranonce1');

  pool.newBlock();
  const want = Buffer.from(pool.prevHash).swap32().toString('hex');
  await Promise.all(clients.map((c) => c.until(() => c.notify?.prevhash === want || c.closed)));
  assert.ok(clients.every((c) => !c.closed && c.notify!.prevhash === want && c.notify!.clean));
});
