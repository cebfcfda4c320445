// The template provider goes away and comes back: channels keep mining on
// the jobs they have (shares accepted while it is down), and when it returns
// on the same tip those jobs stay valid while its new template joins them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MessageByName } from '../../src/messages/index.js';
import { startTp } from '../tp/fixture.js';
import { MiningClient, poolAccountCli, startPool, startStack, targetOf } from './fixture.js';

test('channels keep mining across a template provider restart', async (t) => {
  const s = await startStack(t);
  poolAccountCli(['add', 'frank', '--database', s.db]);
  const pool = await startPool(t, s, ['--shares-per-minute', '60', '--vardiff-interval', '0']);
  const c = await MiningClient.connect(t, pool.port, s.poolKeys);
  assert.equal((await c.setup()).type, 'SetupConnectionSuccess');
  const open = await c.openExtended('frank.a');
  if (open.type !== 'OpenExtendedMiningChannelSuccess') assert.fail('open failed');
  const target = targetOf(open.target);
  const first = await c.activeWork();

  await s.tp.proc.stop();
  await pool.proc.waitFor((r) => r.msg === 'template provider unreachable; retrying with backoff');
  await c.send(c.mine(open, first, target, 'share'));
  assert.equal((await c.nextOf('SubmitSharesSuccess')).new_submits_accepted_count, 1);

  const tp = await startTp(s.devnet, s.tpKeys, ['--listen', `127.0.0.1:${s.tp.port}`]);
  t.after(() => tp.proc.stop());
  await pool.proc.waitFor(
    (r) => r.msg === 'template provider resumed on the same tip; jobs stay valid',
    30_000,
  );
  const fresh = await c.next<MessageByName<'NewExtendedMiningJob'>>(
    (m) => m.type === 'NewExtendedMiningJob' && m.job_id > first.job.job_id,
  );
  assert.notEqual(fresh.min_ntime, null, 'a job for the current tip, not a future one');

  // The old job is still valid; the new one works, down to a block the restarted TP submits.
  await c.send(c.mine(open, first, target, 'share'));
  assert.equal((await c.nextOf('SubmitSharesSuccess')).new_submits_accepted_count, 1);
  const height = await s.devnet.rpc.getblockcount();
  await c.send(c.mine(open, { job: c.jobs.get(fresh.job_id)!, prev: first.prev }, target, 'block'));
  const found = await pool.proc.waitFor((r) => r.msg === 'block found');
  await tp.proc.waitFor((r) => r.msg === 'block accepted by bitcoind' && r.hash === found.hash);
  assert.equal(await s.devnet.rpc.getblockcount(), height + 1);
});
