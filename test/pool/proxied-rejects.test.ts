// A proxy (the translator) names the miner behind each share with the 0x0002
// TLV: accepted shares are credited to that miner, and refused ones must be
// counted against it too, not against the proxy's own channel identity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { MiningClient, poolAccountCli, queryDb, startPool, startStack, targetOf } from './fixture.js';

test("a refused share relayed by a proxy counts against the TLV's miner", async (t) => {
  const s = await startStack(t);
  poolAccountCli(['add', 'proxy', '--database', s.db]);
  poolAccountCli(['add', 'dave', '--database', s.db]);
  const pool = await startPool(t, s);

  const c = await MiningClient.connect(t, pool.port, s.poolKeys);
  assert.equal((await c.setup()).type, 'SetupConnectionSuccess');
  await c.send({ type: 'RequestExtensions', request_id: 1, requested_extensions: [2] });
  await c.nextOf('RequestExtensionsSuccess');
  const open = await c.openExtended('proxy.relay', 0.01);
  if (open.type !== 'OpenExtendedMiningChannelSuccess') assert.fail(`open failed: ${JSON.stringify(open)}`);
  const work = await c.activeWork();
  const share = c.mine(open, work, targetOf(open.target), 'share');

  await c.send({ ...share, user_identity: 'dave.rig1' });
  await c.nextOf('SubmitSharesSuccess');
  // The same share again: a duplicate, refused.
  await c.send({ ...share, user_identity: 'dave.rig1' });
  const refused = await c.nextOf('SubmitSharesError');
  assert.equal(refused.error_code, 'duplicate-share');

  const rejects = () =>
    queryDb<{ account: string; worker: string; reason: string; n: number }>(
      s.db,
      `SELECT a.name AS account, w.name AS worker, r.reason AS reason, SUM(r.count) AS n FROM rejects r
       JOIN workers w ON w.id = r.worker_id JOIN accounts a ON a.id = r.account_id GROUP BY 1, 2, 3`,
    );
  // Rejects are committed with the next share batch (bounded wait).
  for (let i = 0; i < 100 && rejects().length === 0; i++) await sleep(100);
  assert.deepEqual(rejects(), [{ account: 'dave', worker: 'rig1', reason: 'duplicate-share', n: 1 }]);
  const stored = queryDb<{ account: string; worker: string }>(
    s.db,
    `SELECT a.name AS account, w.name AS worker FROM shares sh JOIN workers w ON w.id = sh.worker_id
     JOIN accounts a ON a.id = sh.account_id`,
  );
  assert.deepEqual(stored, [{ account: 'dave', worker: 'rig1' }]);
});
