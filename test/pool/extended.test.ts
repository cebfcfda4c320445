// A test client on an extended channel, mining on the CPU from
// NewExtendedMiningJob: a share acknowledged with SubmitShares.Success, a
// block accepted by the devnet, and after a new tip a share on the old job
// answered 'stale-share'. Also the SetupConnection and OpenMiningChannel
// refusals the pool gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MINING_SETUP_FLAGS } from '../../src/messages/index.js';
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

test('extended channel: shares, a block, and a stale share after a new tip', async (t) => {
  const s = await startStack(t);
  poolAccountCli(['add', 'bob', '--database', s.db]);
  // An easy target (60 shares a minute at 1 H/s) so shares need not be blocks.
  const pool = await startPool(t, s, ['--shares-per-minute', '60', '--vardiff-interval', '0']);

  const c = await MiningClient.connect(t, pool.port, s.poolKeys);
  const setup = await c.setup();
  assert.equal(setup.type, 'SetupConnectionSuccess');
  assert.equal(setup.type === 'SetupConnectionSuccess' && setup.flags, 0);
  const open = await c.openExtended('bob.cpu0');
  assert.equal(open.type, 'OpenExtendedMiningChannelSuccess');
  if (open.type !== 'OpenExtendedMiningChannelSuccess') return;
  assert.equal(open.extranonce_size, 8);
  const target = targetOf(open.target);

  // A share that is not a block: acknowledged once its batch is committed.
  const work = await c.activeWork();
  assert.equal(work.job.channel_id, open.channel_id);
  await c.send(c.mine(open, work, target, 'share'));
  const ok = await c.nextOf('SubmitSharesSuccess');
  assert.equal(ok.channel_id, open.channel_id);
  assert.equal(ok.new_submits_accepted_count, 1);
  assert.equal(queryDb(s.db, 'SELECT id FROM shares').length, 1);

  // A block: acknowledged at once, submitted, accepted by the devnet.
  const height = await s.devnet.rpc.getblockcount();
  const block = c.mine(open, work, target, 'block');
  await c.send(block);
  const blockAck = await c.nextOf('SubmitSharesSuccess');
  assert.equal(blockAck.last_sequence_number, block.sequence_number);
  const found = await pool.proc.waitFor((r) => r.msg === 'block found');
  assert.equal(found.account, 'bob');
  assert.equal(found.worker, 'cpu0');
  await s.tp.proc.waitFor((r) => r.msg === 'block accepted by bitcoind' && r.hash === found.hash);
  assert.equal(await s.devnet.rpc.getblockcount(), height + 1);
  await c.tipWhere((m) => toDisplayHex(m.prev_hash) === found.hash);

  // A block mined elsewhere: the job of the old tip is stale now.
  const newTip = await c.activeWork();
  const before = c.mine(open, newTip, target, 'share');
  const [other] = await s.devnet.rpc.generatetoaddress(1, POOL_ADDRESS);
  const next = await c.tipWhere((m) => toDisplayHex(m.prev_hash) === other);
  assert.notEqual(next.job_id, before.job_id);
  await c.send(before);
  const stale = await c.nextOf('SubmitSharesError');
  assert.equal(stale.error_code, 'stale-share');
  assert.equal(stale.sequence_number, before.sequence_number);

  // A share on the new job is fine again; the reject is counted by reason.
  await c.send(c.mine(open, await c.activeWork(), target, 'share'));
  await c.nextOf('SubmitSharesSuccess');
  const rejects = queryDb<{ reason: string; count: number }>(s.db, 'SELECT reason, count FROM reject_totals');
  assert.deepEqual(rejects, [{ reason: 'stale-share', count: 1 }]);
});

test('setup and channel refusals', async (t) => {
  const s = await startStack(t);
  poolAccountCli(['add', 'carol', '--database', s.db]);
  const pool = await startPool(t, s);

  // Work selection needs a job declarator: refused, naming the flag.
  const jd = await MiningClient.connect(t, pool.port, s.poolKeys);
  const refused = await jd.setup(
    MINING_SETUP_FLAGS.REQUIRES_WORK_SELECTION | MINING_SETUP_FLAGS.REQUIRES_VERSION_ROLLING,
  );
  assert.equal(refused.type, 'SetupConnectionError');
  if (refused.type !== 'SetupConnectionError') return;
  assert.equal(refused.error_code, 'unsupported-feature-flags');
  assert.equal(refused.flags, MINING_SETUP_FLAGS.REQUIRES_WORK_SELECTION);

  const c = await MiningClient.connect(t, pool.port, s.poolKeys);
  assert.equal((await c.setup(MINING_SETUP_FLAGS.REQUIRES_VERSION_ROLLING)).type, 'SetupConnectionSuccess');
  const unknown = await c.openExtended('mallory.x', 1, 1);
  assert.equal(unknown.type, 'OpenMiningChannelError');
  assert.equal(unknown.type === 'OpenMiningChannelError' && unknown.error_code, 'unknown-user');
  const known = await c.openExtended('carol', 1, 2);
  assert.equal(known.type, 'OpenExtendedMiningChannelSuccess');
  // The worker defaults to "default".
  const workers = queryDb<{ name: string }>(s.db, 'SELECT name FROM workers');
  assert.deepEqual(workers, [{ name: 'default' }]);

  // CloseChannel frees the channel: its shares are refused afterwards.
  if (known.type !== 'OpenExtendedMiningChannelSuccess') return;
  const work = await c.activeWork();
  await c.send({ type: 'CloseChannel', channel_id: known.channel_id, reason_code: 'done' });
  await c.send(c.mine(known, work, targetOf(known.target), 'block'));
  const err = await c.nextOf('SubmitSharesError');
  assert.equal(err.error_code, 'invalid-channel-id');
});
