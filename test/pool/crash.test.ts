// Crash safety: the pool is killed with SIGKILL while a client pipelines
// shares as fast as it can; after a restart on the same database, every share
// the client saw acknowledged (the sum of SubmitShares.Success
// new_submits_accepted_count) is in the shares table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as yieldNow } from 'node:timers/promises';
import { MiningClient, poolAccountCli, queryDb, startPool, startStack, targetOf } from './fixture.js';

const POOL_FLAGS = ['--shares-per-minute', '60', '--vardiff-interval', '0', '--share-batch-size', '5'];

test('no acknowledged share is lost when the pool is killed', async (t) => {
  const s = await startStack(t);
  poolAccountCli(['add', 'dave', '--database', s.db]);
  const pool = await startPool(t, s, POOL_FLAGS);

  const c = await MiningClient.connect(t, pool.port, s.poolKeys);
  assert.equal((await c.setup()).type, 'SetupConnectionSuccess');
  const open = await c.openExtended('dave.fast');
  if (open.type !== 'OpenExtendedMiningChannelSuccess') assert.fail(`open failed: ${JSON.stringify(open)}`);
  const work = await c.activeWork();
  const target = targetOf(open.target);

  let sent = 0;
  let sending = true;
  const submitting = (async () => {
    // Bounded: the pool is killed long before this many shares.
    for (let i = 0; i < 200_000 && sending && !c.conn.isClosed; i++) {
      try {
        await c.send(c.mine(open, work, target, 'share'));
      } catch {
        break;
      }
      sent++;
      if (i % 64 === 0) await yieldNow();
    }
  })();

  // Kill while shares are still streaming in.
  await c.next((m) => m.type === 'SubmitSharesSuccess' && c.acknowledged >= 500, 60_000);
  await pool.proc.kill();
  await c.conn.closed;
  sending = false;
  await submitting;
  const acknowledged = c.acknowledged;
  assert.ok(acknowledged >= 500);
  assert.ok(sent > acknowledged, `shares were in flight (sent ${sent}, acknowledged ${acknowledged})`);

  // The restarted pool opens the same database (WAL recovery) and serves again.
  const again = await startPool(t, s, POOL_FLAGS);
  const [row] = queryDb<{ n: number }>(
    s.db,
    `SELECT COUNT(*) AS n FROM shares s JOIN accounts a ON a.id = s.account_id WHERE a.name = 'dave'`,
  );
  t.diagnostic(`sent ${sent}, acknowledged ${acknowledged}, stored ${row!.n}`);
  assert.ok(row!.n >= acknowledged, `${row!.n} shares stored, ${acknowledged} acknowledged`);

  const c2 = await MiningClient.connect(t, again.port, s.poolKeys);
  assert.equal((await c2.setup()).type, 'SetupConnectionSuccess');
  const open2 = await c2.openExtended('dave.fast');
  if (open2.type !== 'OpenExtendedMiningChannelSuccess') assert.fail('reopen failed');
  await c2.send(c2.mine(open2, await c2.activeWork(), targetOf(open2.target), 'share'));
  await c2.nextOf('SubmitSharesSuccess');
});
