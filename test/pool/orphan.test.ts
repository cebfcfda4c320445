// Block status through the node's RPC: a block the pool found is submitted
// directly too (submitblock), turns 'orphaned' when the devnet invalidates it
// and builds a longer other branch, and a block on that branch turns
// 'confirmed' after block_confirmations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toDisplayHex } from '../../src/bitcoin/index.js';
import {
  MiningClient,
  POOL_ADDRESS,
  poolAccountCli,
  queryDb,
  startPool,
  startStack,
  targetOf,
} from './fixture.js';

test('found blocks become orphaned or confirmed as the chain decides', async (t) => {
  const s = await startStack(t);
  poolAccountCli(['add', 'erin', '--database', s.db]);
  const pool = await startPool(t, s, [
    '--rpc-url',
    s.devnet.url,
    '--rpc-cookie',
    s.devnet.cookie,
    '--block-check-interval',
    '0.2',
    '--block-confirmations',
    '3',
    '--shares-per-minute',
    '60',
    '--vardiff-interval',
    '0',
  ]);
  const status = (hash: string) =>
    queryDb<{ status: string }>(s.db, 'SELECT status FROM blocks WHERE hash = ?', hash)[0]?.status;

  const c = await MiningClient.connect(t, pool.port, s.poolKeys);
  assert.equal((await c.setup()).type, 'SetupConnectionSuccess');
  const open = await c.openExtended('erin.a');
  if (open.type !== 'OpenExtendedMiningChannelSuccess') assert.fail('open failed');
  const target = targetOf(open.target);

  await c.send(c.mine(open, await c.activeWork(), target, 'block'));
  const found = await pool.proc.waitFor((r) => r.msg === 'block found');
  const hash = String(found.hash);
  await pool.proc.waitFor((r) => r.msg === 'submitblock done' && r.hash === hash);
  assert.equal(await s.devnet.rpc.getbestblockhash(), hash);
  assert.equal(status(hash), 'pending');

  // The node drops the block and mines a longer branch without it.
  await s.devnet.rpc.invalidateblock(hash);
  const branch = await s.devnet.rpc.generatetoaddress(2, POOL_ADDRESS);
  await pool.proc.waitFor(
    (r) => r.msg === 'block status changed' && r.hash === hash && r.status === 'orphaned',
  );
  assert.equal(status(hash), 'orphaned');

  // A block on the new branch, buried under block_confirmations blocks.
  await c.tipWhere((m) => toDisplayHex(m.prev_hash) === branch[1]);
  await c.send(c.mine(open, await c.activeWork(), target, 'block'));
  const second = await pool.proc.waitFor((r) => r.msg === 'block found' && r.hash !== hash);
  await pool.proc.waitFor((r) => r.msg === 'submitblock done' && r.hash === second.hash);
  await s.devnet.rpc.generatetoaddress(2, POOL_ADDRESS);
  await pool.proc.waitFor(
    (r) => r.msg === 'block status changed' && r.hash === second.hash && r.status === 'confirmed',
  );
  assert.equal(status(String(second.hash)), 'confirmed');
  assert.equal(status(hash), 'orphaned');
});
