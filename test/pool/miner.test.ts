// devnet + tp + pool + `strata miner` as real processes: the miner's standard
// channel gets shares accepted (pool log and SQLite rows) and, at regtest
// difficulty, finds a block that the devnet accepts and the pool records
// with its finder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRole } from '../helpers/process.js';
import { poolAccountCli, queryDb, startPool, startStack } from './fixture.js';

test('strata miner mines shares and a block through strata pool', async (t) => {
  const s = await startStack(t);
  // The operator CLI creates the account on the pool's database before the pool starts.
  const out = poolAccountCli(['add', 'alice', '--database', s.db]);
  assert.match(out, /account alice created/);
  const pool = await startPool(t, s);
  const height = await s.devnet.rpc.getblockcount();

  const miner = startRole([
    'miner',
    '--pool',
    `127.0.0.1:${pool.port}`,
    '--authority-key',
    s.poolKeys.publicPath,
    '--user',
    'alice.rig1',
    '--threads',
    '1',
    '--nominal-hashrate',
    '100000',
    '--report-interval',
    '1',
  ]);
  t.after(() => miner.stop());
  await miner.waitFor((r) => r.msg === 'connected');
  const opened = await pool.proc.waitFor((r) => r.msg === 'channel opened');
  assert.equal(opened.kind, 'standard');
  assert.equal(opened.user, 'alice.rig1');

  // Every share at this difficulty is also a block on regtest.
  const found = await pool.proc.waitFor((r) => r.msg === 'block found', 60_000);
  assert.equal(found.account, 'alice');
  assert.equal(found.worker, 'rig1');
  assert.equal(found.height, height + 1);
  await s.tp.proc.waitFor((r) => r.msg === 'block accepted by bitcoind' && r.hash === found.hash);
  assert.ok((await s.devnet.rpc.getblockcount()) >= height + 1);
  assert.equal(await s.devnet.rpc.call('getblockhash', [height + 1]), found.hash);
  await miner.waitFor((r) => r.msg === 'report' && Number(r.accepted) >= 1, 30_000);
  await miner.stop();

  const shares = queryDb<{ account: string; worker: string; is_block: number }>(
    s.db,
    `SELECT a.name AS account, w.name AS worker, s.is_block FROM shares s
       JOIN accounts a ON a.id = s.account_id JOIN workers w ON w.id = s.worker_id`,
  );
  assert.ok(shares.length >= 1);
  assert.ok(shares.every((r) => r.account === 'alice' && r.worker === 'rig1'));
  const blocks = queryDb<{ hash: string; height: number; account: string; worker: string; status: string }>(
    s.db,
    `SELECT b.hash, b.height, a.name AS account, w.name AS worker, b.status FROM blocks b
       JOIN accounts a ON a.id = b.account_id JOIN workers w ON w.id = b.worker_id WHERE b.hash = ?`,
    found.hash,
  );
  assert.equal(blocks.length, 1);
  assert.deepEqual(blocks[0], {
    hash: found.hash,
    height: height + 1,
    account: 'alice',
    worker: 'rig1',
    status: 'pending',
  });
  assert.ok(shares.some((r) => r.is_block === 1));

  // SIGTERM: a clean stop.
  assert.equal(await pool.proc.stop(), 0);
});
