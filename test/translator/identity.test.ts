// V1 miners' own accounts through the translator. Real processes (devnet +
// tp + pool in PPLNS mode + translators): mining.authorize is checked with
// the pool through a probe channel, and each share names its miner in the
// 0x0002 user_identity TLV, so the pool credits the miner's own account.
// Then, against a scripted pool: the probe channel is closed at once, its
// job never reaches a miner, verdicts are cached, and without a negotiated
// 0x0002 no share carries the TLV.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type RoleProcess } from '../helpers/process.js';
import {
  poolAccountCli,
  queryDb,
  regtestAddress,
  startPool,
  startStack,
  type Stack,
} from '../pool/fixture.js';
import { eventually, startPoolAndTranslator, startTranslatorProcess } from './fixture.js';
import { V1Client, type Line } from './v1-client.js';

const EASY = 'x,d=1e-8';

type Cleanup = Parameters<typeof startStack>[0];

/** A `strata translator` process on `poolPort` with identity `tproxy`; resolves with its SV1 port. */
function startTproxy(
  t: Cleanup,
  s: Stack,
  poolPort: number,
  extra: string[],
): Promise<{ proc: RoleProcess; port: number }> {
  return startTranslatorProcess(t, poolPort, s.poolKeys.publicPath, [
    '--user-identity',
    'tproxy',
    '--downstream-port-kind',
    'cpu',
    '--min-miner-hashrate',
    '1000',
    ...extra,
  ]);
}

async function connect(t: Cleanup, port: number): Promise<V1Client> {
  const c = await V1Client.connect(port);
  t.after(() => c.close());
  return c;
}

/** subscribe + authorize; returns the authorize reply (handshake() would wait for work a refused miner never gets). */
async function authorize(c: V1Client, user: string): Promise<Line> {
  const sub = await c.request('mining.subscribe', ['identity-test/1.0']);
  const [, extranonce1, extranonce2Size] = sub.result as [unknown, string, number];
  c.extranonce1 = extranonce1;
  c.extranonce2Size = extranonce2Size;
  return c.request('mining.authorize', [user, EASY]);
}

/**
 * Submits shares until the pool's database credits `account`/`worker`.
 * Only shares meeting the upstream channel's target (or blocks, about half
 * of all hashes at regtest difficulty) are forwarded, so how many that takes
 * varies; bounded.
 */
async function mineUntilCredited(
  c: V1Client,
  name: string,
  db: string,
  account: string,
  worker: string,
): Promise<void> {
  let accepted = 0;
  for (let i = 0; i < 60 && committed(db, account, worker) === 0; i++) {
    await c.until(() => c.notify !== undefined || c.closed);
    if ((await c.mineAndSubmit(name)).result === true) accepted++;
  }
  assert.ok(accepted > 0, `${name}: shares accepted`);
  await eventually(() => committed(db, account, worker) > 0, `${name} credited to ${account}/${worker}`);
}

/** Accepted shares the pool committed, per account and worker. */
function committed(db: string, account: string, worker: string): number {
  const rows = queryDb<{ n: number }>(
    db,
    `SELECT COUNT(*) AS n FROM shares s JOIN accounts a ON a.id = s.account_id
       JOIN workers w ON w.id = s.worker_id WHERE a.name = ? AND w.name = ?`,
    account,
    worker,
  );
  return rows[0]!.n;
}

test(
  'pplns pool: accounts checked at authorize, shares credited to the V1 miner account through 0x0002',
  { timeout: 240_000 },
  async (t) => {
    const s = await startStack(t);
    poolAccountCli(['add', 'alice', '--payout-address', regtestAddress(1), '--database', s.db]);
    // The translators' own identity: the account credited with work of unknown names.
    poolAccountCli(['add', 'tproxy', '--database', s.db]);
    const pool = await startPool(t, s, ['--payout-mode', 'pplns', '--web', 'false']);

    // verify_accounts on (the default), one aggregated channel; one process,
    // since each translator worker keeps verdicts of its own.
    const tr = await startTproxy(t, s, pool.port, ['--workers', '1']);
    const negotiated = await tr.proc.waitFor((r) => r.msg === 'extensions negotiated');
    assert.deepEqual(negotiated.extensions, [0x0002], 'the pool agreed to 0x0002');
    await tr.proc.waitFor((r) => r.msg === 'upstream channel open');

    const alice = await connect(t, tr.port);
    const ok = await authorize(alice, 'alice.rig1');
    assert.equal(ok.result, true);
    assert.equal(ok.error, null);
    await mineUntilCredited(alice, 'alice.rig1', s.db, 'alice', 'rig1');
    assert.equal(committed(s.db, 'tproxy', 'alice.rig1'), 0, 'nothing credited to the translator');
    const probeClosed = await pool.proc.waitFor(
      (r) => r.msg === 'channel closed by the client' && r.reason === 'probe done',
    );
    assert.ok(probeClosed, 'the probe channel was closed');

    const nobody = await connect(t, tr.port);
    const refused = await authorize(nobody, 'nobody.x');
    assert.equal(refused.result, false);
    assert.deepEqual(refused.error, [24, 'Unauthorized worker: unknown-user', null]);
    const submit = await nobody.request('mining.submit', ['nobody.x', '1', '00', '00000000', '00000000']);
    assert.deepEqual(submit.error, [24, 'Unauthorized worker', null], 'an unauthorized name cannot submit');

    // A reconnecting miner is answered from the cached verdict: no second probe.
    const again = await connect(t, tr.port);
    assert.equal((await authorize(again, 'alice.rig1')).result, true);
    const probes = pool.proc.records.filter((r) => r.msg === 'channel opened' && r.user === 'alice.rig1');
    assert.equal(probes.length, 1, 'one probe channel for alice.rig1');

    // verify_accounts off, one channel per miner: every name is accepted; work
    // of unknown accounts goes to the translator's identity, known ones to theirs.
    const open = await startTproxy(t, s, pool.port, [
      '--verify-accounts',
      'false',
      '--aggregate-channels',
      'false',
    ]);
    await open.proc.waitFor((r) => r.msg === 'extensions negotiated');
    const stranger = await connect(t, open.port);
    assert.equal((await authorize(stranger, 'nobody.x')).result, true);
    await mineUntilCredited(stranger, 'nobody.x', s.db, 'tproxy', 'nobody.x');
    const bob = await connect(t, open.port);
    assert.equal((await authorize(bob, 'alice.rig2')).result, true);
    await mineUntilCredited(bob, 'alice.rig2', s.db, 'alice', 'rig2');
    assert.equal(committed(s.db, 'tproxy', 'alice.rig2'), 0, 'alice.rig2 not credited to the translator');
    const nobodyAccount = queryDb<{ n: number }>(
      s.db,
      `SELECT COUNT(*) AS n FROM accounts WHERE name = 'nobody'`,
    );
    assert.equal(nobodyAccount[0]!.n, 0, 'no account was made up for nobody');
  },
);

test(
  'probe channel: closed at once, its job never reaches a miner, verdict cached, no TLV without 0x0002',
  { timeout: 60_000 },
  async (t) => {
    const { pool, tr } = await startPoolAndTranslator(t, {}, { verifyAccounts: true });
    await pool.until(() => pool.channels.length === 1);
    // Shared channels (one per difficulty band) carry the translator's identity; probes the miner's.
    const sharedIds = () =>
      pool.channels.filter((c) => c.user_identity === 'test-user').map((c) => c.channel_id);
    const probes = () => pool.opens.filter((o) => o.user_identity !== 'test-user');

    const a = await V1Client.connect(tr.port);
    t.after(() => a.close());
    assert.equal((await authorize(a, 'acct.a')).result, true);
    await pool.until(() => pool.closes.length === 1);
    const probe = pool.channels.find((c) => c.user_identity !== 'test-user')!;
    assert.equal(probe.user_identity, 'acct.a', 'the probe asks under the miner name');
    assert.equal(pool.closes[0]!.channel_id, probe.channel_id);
    assert.equal(probes()[0]!.min_extranonce_size, 0);

    await a.until(() => a.notify !== undefined);
    assert.equal((await a.mineAndSubmit('acct.a')).result, true);
    await pool.until(() => pool.shares.length === 1);
    const share = pool.shares[0]!;
    assert.equal(share.ok, true);
    assert.ok(sharedIds().includes(share.msg.channel_id), 'shares go on a shared channel only');
    assert.equal(share.msg.user_identity, undefined, 'no TLV: the pool did not answer RequestExtensions');

    // The pool's frames arrive in order: once the new block's job is here,
    // the probe channel's job (sent before) was seen and dropped.
    const before = a.notifies.length;
    pool.newBlock();
    await a.until(() => a.notifies.length > before && a.notifies.at(-1)!.clean);
    const jobs = new Set(a.notifies.map((n) => n.coinb2));
    assert.equal(jobs.size, 2, "only the jobs of the miner's shared channel reached it");

    const b = await V1Client.connect(tr.port);
    t.after(() => b.close());
    assert.equal((await authorize(b, 'acct.a')).result, true);
    assert.equal(probes().length, 1, 'the cached verdict answers: no second probe');
    assert.equal((await b.request('mining.authorize', ['acct.b', EASY])).result, true);
    await pool.until(() => pool.closes.length === 2);
    assert.equal(probes().length, 2, 'a new name is probed');
  },
);
