// A refused share that names the miner behind a proxy (the 0x0002
// user_identity TLV, as a translator sends for each V1 miner) is counted for
// that miner's worker, as its accepted shares are, not for the proxy's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MiningClient, queryDb, startPool, startStack } from './fixture.js';

test("a refused share with the worker TLV is counted for the worker it names, not the proxy's", async (t) => {
  const s = await startStack(t);
  const pool = await startPool(t, s, ['--auto-create-accounts', 'true']);
  const c = await MiningClient.connect(t, pool.port, s.poolKeys);
  assert.equal((await c.setup()).type, 'SetupConnectionSuccess');
  await c.send({ type: 'RequestExtensions', request_id: 1, requested_extensions: [2] });
  await c.nextOf('RequestExtensionsSuccess');
  // The miner's account exists (its own channel created it); the proxy's channel is another account's.
  assert.equal((await c.openExtended('rigs.first', 1, 2)).type, 'OpenExtendedMiningChannelSuccess');
  const proxy = await c.openExtended('relay.proxy', 1, 3);
  assert.equal(proxy.type, 'OpenExtendedMiningChannelSuccess');
  if (proxy.type !== 'OpenExtendedMiningChannelSuccess') return;
  await c.send({
    type: 'SubmitSharesExtended',
    channel_id: proxy.channel_id,
    sequence_number: 1,
    job_id: 0xfffffff0,
    nonce: 0,
    ntime: 0,
    version: 0,
    extranonce: new Uint8Array(proxy.extranonce_size),
    user_identity: 'rigs.w7',
  });
  const refused = await c.nextOf('SubmitSharesError');
  await pool.proc.stop();
  const rows = queryDb<{ account: string; worker: string; reason: string; count: number }>(
    s.db,
    `SELECT a.name AS account, w.name AS worker, r.reason AS reason, r.count AS count
       FROM rejects r JOIN workers w ON w.id = r.worker_id JOIN accounts a ON a.id = r.account_id`,
  );
  assert.deepEqual(rows, [{ account: 'rigs', worker: 'w7', reason: refused.error_code, count: 1 }]);
});
