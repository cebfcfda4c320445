// The pool as two worker processes behind one mining port (`--workers 2`) on
// one SQLite file, with SV2 clients and `strata miner` processes on both
// workers: the channels' extranonce prefixes are disjoint across workers,
// the web API adds up both workers' live figures, a worker killed with
// SIGKILL is restarted by the primary and its miners mine again, every
// share a client saw acknowledged is stored once, every block found is
// recorded once, and both workers build the same PPLNS payouts (one window
// over every worker's shares).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as yieldNow } from 'node:timers/promises';
import { bytesToHex } from '../../src/bitcoin/index.js';
import { startRole, type RoleProcess } from '../helpers/process.js';
import {
  MiningClient,
  POOL_ADDRESS,
  jobOutputs,
  poolAccountCli,
  queryDb,
  regtestAddress,
  startPool,
  startStack,
  targetOf,
  type Cleanup,
  type PoolProcess,
  type Stack,
} from './fixture.js';

const POOL_FLAGS = [
  '--workers',
  '2',
  '--shares-per-minute',
  '60',
  '--vardiff-interval',
  '0',
  '--share-batch-size',
  '5',
  // The window covers every share of the test: the payouts show all of it.
  '--pplns-window-factor',
  '1e15',
];

interface Miner {
  name: string;
  client: MiningClient;
  open: { extranonce_prefix: Uint8Array; extranonce_size: number };
  sent: number;
  stop: () => Promise<void>;
}

/** Opens an extended channel as `name` and pipelines shares on the newest work until stopped or disconnected. */
async function mine(t: Cleanup, s: Stack, pool: PoolProcess, name: string): Promise<Miner> {
  const client = await MiningClient.connect(t, pool.port, s.poolKeys);
  assert.equal((await client.setup()).type, 'SetupConnectionSuccess');
  const open = await client.openExtended(name);
  if (open.type !== 'OpenExtendedMiningChannelSuccess') assert.fail(`open failed: ${JSON.stringify(open)}`);
  await client.activeWork();
  const target = targetOf(open.target);
  const m: Miner = { name, client, open, sent: 0, stop: async () => {} };
  let sending = true;
  const loop = (async () => {
    // Bounded: stopped (or the worker killed) long before this many shares.
    for (let i = 0; i < 100_000 && sending && !client.conn.isClosed; i++) {
      if (m.sent - client.acknowledged - client.refused >= 40) {
        await client
          .next((x) => x.type === 'SubmitSharesSuccess' || x.type === 'SubmitSharesError', 2000)
          .catch(() => undefined);
        continue;
      }
      try {
        // The newest work: `strata miner` processes find blocks, so tips move.
        await client.send(client.mine(open, await client.activeWork(), target, 'share'));
      } catch {
        break;
      }
      m.sent++;
      if (i % 16 === 0) {
        client.forget();
        await yieldNow();
      }
    }
  })();
  m.stop = async () => {
    sending = false;
    await loop;
  };
  return m;
}

/** Waits (bounded, 60 s) until `ok()` holds. */
async function until(ok: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

function startMiner(t: Cleanup, s: Stack, pool: PoolProcess, user: string): RoleProcess {
  const miner = startRole([
    'miner',
    '--pool',
    `127.0.0.1:${pool.port}`,
    '--authority-key',
    s.poolKeys.publicPath,
    '--user',
    user,
    '--threads',
    '1',
    '--nominal-hashrate',
    '100000',
    // A share (and on devnet a block) every few seconds.
    '--max-hashrate',
    '20000',
    '--report-interval',
    '1',
  ]);
  t.after(() => miner.stop());
  return miner;
}

/** The worker that serves a channel: its extranonce index (the prefix after server_id) mod 2. */
function workerOf(prefix: Uint8Array): number {
  return prefix[prefix.length - 1]! % 2;
}

test('two pool workers on one SQLite file: disjoint extranonce space, one web view, a killed worker restarted, shares stored once, one PPLNS window', async (t) => {
  const s = await startStack(t);
  poolAccountCli(['add', 'dave', '--payout-address', regtestAddress(1), '--database', s.db]);
  poolAccountCli(['add', 'erin', '--payout-address', regtestAddress(2), '--database', s.db]);
  const pool = await startPool(t, s, POOL_FLAGS);
  const started = (w: number) => (r: Record<string, unknown>) =>
    r.msg === 'pool worker started' && r.worker === w;
  const pids = [0, 1].map((w) => Number(pool.proc.records.find(started(w))?.worker_pid));
  assert.ok(
    pids.every((p) => p > 0 && p !== pool.proc.child.pid),
    'two worker processes',
  );
  for (const w of [0, 1]) await pool.proc.waitFor((r) => r.msg === 'new tip' && r.worker === w);
  const web = Number((await pool.proc.waitFor((r) => r.msg === 'web ready')).port);

  // Clients alternate between the workers (fewest connections first).
  const clients: Miner[] = [];
  for (const name of ['dave.a', 'erin.a', 'dave.b', 'erin.b']) clients.push(await mine(t, s, pool, name));
  const miners = [startMiner(t, s, pool, 'dave.m'), startMiner(t, s, pool, 'erin.m')];
  for (const m of miners) await m.waitFor((r) => r.msg === 'connected');

  const prefixes = clients.map((c) => bytesToHex(c.open.extranonce_prefix));
  assert.equal(new Set(prefixes).size, prefixes.length, `prefixes not disjoint: ${prefixes.join(' ')}`);
  assert.deepEqual(
    clients.map((c) => workerOf(c.open.extranonce_prefix)).sort(),
    [0, 0, 1, 1],
    'two clients on each worker',
  );
  assert.ok(
    clients.every((c) => c.open.extranonce_prefix[0] === 0),
    'server_id stays the first byte',
  );

  // The web API (served by the primary) counts both workers' connections and channels.
  const stats = async () =>
    (await (await fetch(`http://127.0.0.1:${web}/api/stats`)).json()) as {
      connections: number;
      channels: number;
    };
  await until(async () => {
    const st = await stats();
    return st.connections === 6 && st.channels === 6;
  }, 'the web API to show 6 connections and 6 channels');
  const metrics = async () => await (await fetch(`http://127.0.0.1:${web}/metrics`)).text();
  assert.match(await metrics(), /^strata_connections 6$/m);

  for (const c of clients) await until(() => c.client.acknowledged >= 100, `${c.name}: 100 acknowledged`);
  for (const m of miners) await m.waitFor((r) => r.msg === 'report' && Number(r.accepted) >= 1, 60_000);

  // Worker 1 dies mid-stream; the primary starts a new one.
  process.kill(pids[1]!, 'SIGKILL');
  const onOne = clients.filter((c) => workerOf(c.open.extranonce_prefix) === 1);
  await Promise.all(onOne.map((c) => c.client.conn.closed));
  await pool.proc.waitFor((r) => r.msg === 'pool worker exited: restarting it' && r.worker === 1);
  const restarted = await pool.proc.waitFor(
    (r) => r.msg === 'pool worker started' && r.worker === 1 && Number(r.worker_pid) !== pids[1],
  );
  await pool.proc.waitFor(
    (r) => r.msg === 'pool worker ready' && r.worker === 1 && r.pid === restarted.worker_pid,
  );
  // Its clients come back (to the worker with the fewest connections: the new one) and mine again.
  const again: Miner[] = [];
  for (const c of onOne) {
    await c.stop();
    again.push(await mine(t, s, pool, c.name));
  }
  for (const c of again)
    await until(() => c.client.acknowledged >= 50, `${c.name}: 50 acknowledged after the restart`);
  // The `strata miner` that was on worker 1 reconnects by itself and gets shares accepted again.
  const minerUsers = ['dave.m', 'erin.m'];
  const minerOnOne = miners.filter((_, i) =>
    pool.proc.records.some(
      (r) => r.msg === 'channel opened' && r.user === minerUsers[i] && Number(r.pid) === pids[1],
    ),
  );
  assert.equal(minerOnOne.length, 1, 'one strata miner on worker 1');
  await until(
    () => minerOnOne[0]!.records.filter((r) => r.msg === 'first share accepted').length >= 2,
    'the strata miner of worker 1: shares accepted after reconnecting',
  );
  await until(
    () =>
      pool.proc.records.some(
        (r) => r.msg === 'channel opened' && Number(r.pid) === Number(restarted.worker_pid),
      ),
    'the new worker 1 serving a channel',
  );

  // Everything stops; then one tip more: each worker computes the payouts of its next jobs.
  for (const m of miners) await m.stop();
  const live = [...clients.filter((c) => !onOne.includes(c)), ...again];
  for (const c of live) await c.stop();
  for (const c of live)
    await until(() => c.client.acknowledged + c.client.refused >= c.sent, `${c.name}: every share answered`);
  const tipsBefore = new Map(live.map((c) => [c, c.client.prev?.prev_hash]));
  await s.devnet.rpc.generatetoaddress(1, POOL_ADDRESS);
  const outputs = new Map<number, string>();
  for (const c of live) {
    const prev = await c.client.tipWhere((p) => bytesToHex(p.prev_hash) !== bytesToHex(tipsBefore.get(c)!));
    const job = c.client.jobs.get(prev.job_id)!;
    const out = jobOutputs(job, c.open.extranonce_prefix.length + c.open.extranonce_size)
      .filter((o) => o.value > 0n)
      .map((o) => `${bytesToHex(o.script)}:${o.value}`)
      .join(' ');
    const w = workerOf(c.open.extranonce_prefix);
    if (outputs.has(w)) assert.equal(out, outputs.get(w));
    outputs.set(w, out);
  }
  assert.equal(outputs.size, 2, 'a live client on each worker');
  assert.equal(outputs.get(0), outputs.get(1), 'both workers pay the same PPLNS window');
  assert.ok(outputs.get(0)!.split(' ').length >= 3, `dave, erin and the pool paid: ${outputs.get(0)}`);

  assert.equal(await pool.proc.stop(), 0);

  const rows = queryDb<{ name: string; n: number }>(
    s.db,
    `SELECT a.name || '.' || w.name AS name, COUNT(*) AS n FROM shares s
     JOIN workers w ON w.id = s.worker_id JOIN accounts a ON a.id = s.account_id GROUP BY s.worker_id`,
  );
  const stored = new Map(rows.map((r) => [r.name, r.n]));
  for (const name of ['dave.a', 'erin.a', 'dave.b', 'erin.b']) {
    const all = [...clients, ...again].filter((c) => c.name === name);
    const acked = all.reduce((n, c) => n + c.client.acknowledged, 0);
    const sent = all.reduce((n, c) => n + c.sent - c.client.refused, 0);
    const n = stored.get(name) ?? 0;
    t.diagnostic(`${name}: sent ${sent} (not refused), acknowledged ${acked}, stored ${n}`);
    assert.ok(n >= acked, `${name}: ${n} stored < ${acked} acknowledged`);
    assert.ok(n <= sent, `${name}: ${n} stored > ${sent} sent and not refused (a share stored twice)`);
  }
  // Every block found is recorded once. A worker logs (at info) only the
  // first block it finds on a prev hash; a second one on the same prev hash
  // (competing, logged at debug) is recorded too.
  const found = pool.proc.records.filter((r) => r.msg === 'block found').map((r) => String(r.hash));
  const blocks = queryDb<{ hash: string; prev_hash: string }>(s.db, 'SELECT hash, prev_hash FROM blocks');
  t.diagnostic(`${found.length} blocks found, ${blocks.length} recorded`);
  assert.equal(new Set(found).size, found.length, 'a block reported twice');
  const recorded = new Set(blocks.map((b) => b.hash));
  for (const hash of found) assert.ok(recorded.has(hash), `block ${hash} found but not recorded`);
  const solved = new Set(blocks.filter((b) => found.includes(b.hash)).map((b) => b.prev_hash));
  for (const b of blocks.filter((b) => !found.includes(b.hash)))
    assert.ok(solved.has(b.prev_hash), `block ${b.hash} recorded but neither found nor competing`);
});
