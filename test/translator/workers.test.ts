// `workers = 2`: two translator processes, each with its own upstream
// channel, listen on the one V1 port; the primary holds the connection
// limits and admits every connection. Real processes on loopback, behind a
// scripted pool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScriptedPool } from './scripted-pool.js';
import { V1Client } from './v1-client.js';
import { eventually, startTranslatorProcess } from './fixture.js';
import type { RoleProcess } from '../helpers/process.js';
import { workerCount } from '../../src/roles/translator/index.js';
import { mergeSummaries } from '../../src/roles/translator/workers.js';
import { LEAN_HEAP, WORKER_HEAP, workerExecArgv } from '../../src/roles/common/worker-flags.js';

const EASY = 'x,d=1e-8';
const PER_IP = 3;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A scripted pool and a two-worker translator on it, both ended with `t`. */
async function startTwoWorkers(t: {
  after(fn: () => unknown): void;
}): Promise<{ pool: ScriptedPool; proc: RoleProcess; port: number; pids: () => Map<number, number> }> {
  const pool = await ScriptedPool.start();
  t.after(() => pool.close());
  const dir = mkdtempSync(join(tmpdir(), 'strata-workers-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'translator.toml');
  writeFileSync(
    config,
    [
      'workers = 2',
      'summary_interval_secs = 1',
      'verify_accounts = false',
      'downstream_port_kind = "cpu"',
      '[limits]',
      `max_connections_per_ip = ${PER_IP}`,
      '[[upstreams]]',
      'address = "127.0.0.1"',
      `authority_pubkey = "${pool.authorityPublicKey}"`,
    ].join('\n'),
  );
  const { proc, port } = await startTranslatorProcess(t, pool.port, pool.authorityPublicKey, ['-c', config]);
  // The workers' pids as the primary reported them (the latest per worker).
  const pids = () => {
    const out = new Map<number, number>();
    for (const r of proc.records) {
      if (r.msg === 'translator worker started') out.set(Number(r.worker), Number(r.worker_pid));
    }
    return out;
  };
  t.after(async () => {
    await proc.stop();
    for (const pid of pids().values()) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });
  // Each worker opens its own upstream channel.
  await pool.until(() => pool.channels.length >= 2);
  return { pool, proc, port, pids };
}

async function miner(
  t: { after(fn: () => unknown): void },
  port: number,
  name: string,
  localAddress?: string,
): Promise<V1Client> {
  const c = await V1Client.connect(port, localAddress);
  t.after(() => c.close());
  await c.handshake(name, { password: EASY });
  return c;
}

/** How many miners a test connects at most while waiting for one to land on a given worker. */
const TRIES = 24;

/** Resolves true when the server closes `c` without a byte, false when it stays open for `ms`. */
async function refused(c: V1Client, ms = 3000): Promise<boolean> {
  await Promise.race([c.until(() => c.closed), new Promise((r) => setTimeout(r, ms))]);
  return c.closed && c.lines.length === 0;
}

test("workers = 0 is one per core; the summary adds up the workers' counters", () => {
  assert.equal(workerCount(0), availableParallelism());
  assert.equal(workerCount(3), 3);
  assert.deepEqual(
    mergeSummaries([
      { miners: 2, connections_refused: { a: 1 }, upstream: 'p:1' },
      { miners: 3, connections_refused: { a: 2, b: 1 }, upstream: 'p:1' },
      { miners: 0, connections_refused: {}, upstream: '' },
    ]),
    { miners: 5, connections_refused: { a: 3, b: 1 }, upstream: 'p:1' },
  );
  assert.equal(mergeSummaries([{ upstream: 'p:1' }, { upstream: 'q:2' }]).upstream, 'p:1,q:2');
});

test(
  'workers = 2: miners on both workers get work and accepted shares; the per-address cap holds across them',
  { timeout: 120_000 },
  async (t) => {
    const { pool, proc, port } = await startTwoWorkers(t);
    assert.equal(
      new Set(pool.channels.map((c) => c.conn)).size,
      2,
      'two upstream connections, one per worker',
    );

    // The kernel gives each connection to one of the two workers waiting on
    // the port: miners (each from its own address) connect until shares
    // came from both, that is through both upstream channels.
    const miners: V1Client[] = [];
    const workersUsed = () => new Set(pool.acceptedShares.map((s) => s.conn)).size;
    for (let i = 0; i < TRIES && workersUsed() < 2; i++) {
      const m = await miner(t, port, `alice.rig${i}`, `127.0.0.${2 + i}`);
      miners.push(m);
      const reply = await m.mineAndSubmit(`alice.rig${i}`);
      assert.equal(reply.result, true, `share accepted: ${JSON.stringify(reply)}`);
      // Every share meets the scripted pool's target, so each went upstream
      // on the channel of the worker that served its miner.
      await eventually(() => pool.acceptedShares.length >= miners.length, 'the share at the pool');
    }
    assert.equal(workersUsed(), 2, 'shares came from both workers');
    const summary = await proc.waitFor(
      (r) =>
        r.msg === 'summary' &&
        Array.isArray(r.per_worker) &&
        (r.per_worker as { connections_accepted: number }[]).every((w) => w.connections_accepted >= 1) &&
        r.connections_open === miners.length,
    );
    assert.equal(summary.workers, 2);
    assert.equal(summary.miners, miners.length, 'one summary counts the miners of both workers');

    // The cap is the whole translator's: three connections from 127.0.0.1,
    // on whichever workers, and a fourth is refused.
    const local: V1Client[] = [];
    for (let i = 0; i < PER_IP; i++) local.push(await miner(t, port, `carol.rig${i}`, '127.0.0.1'));
    const extra = await V1Client.connect(port, '127.0.0.1');
    t.after(() => extra.close());
    assert.equal(await refused(extra), true, 'a connection beyond max_connections_per_ip is refused');
    await proc.waitFor(
      (r) => r.msg === 'connection refused' && r.reason === 'too many connections from this address',
    );

    // A miner leaving (on whichever worker) frees its place for the next one.
    const open = miners.length + PER_IP;
    local[0]!.close();
    await eventually(
      () => proc.records.some((r) => r.msg === 'summary' && r.connections_open === open - 1),
      'a freed place',
    );
    const again = await miner(t, port, 'carol.again', '127.0.0.1');
    const reply = await again.mineAndSubmit('carol.again');
    assert.equal(reply.result, true);
  },
);

test(
  "workers = 2: a killed worker's places are freed, it is restarted and serves new miners; SIGTERM to the primary leaves no process",
  { timeout: 120_000 },
  async (t) => {
    const { pool, proc, port, pids } = await startTwoWorkers(t);
    const first = pids();
    assert.equal(first.size, 2);
    // Workers start with a lean heap (roles/common/worker-flags.ts).
    for (const pid of first.values()) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      assert.ok(argv.includes(`--max-semi-space-size=${LEAN_HEAP.semiSpaceMb}`), argv.join(' '));
      assert.ok(argv.includes(`--heap-growing-percent=${LEAN_HEAP.heapGrowingPercent}`), argv.join(' '));
    }
    // 127.0.0.1 takes all its places; the worker serving most of them is killed.
    const local: V1Client[] = [];
    for (let i = 0; i < PER_IP; i++) local.push(await miner(t, port, `dave.rig${i}`, '127.0.0.1'));
    type PerWorker = { worker: number; miners: number };
    const placed = await proc.waitFor(
      (r) =>
        r.msg === 'summary' &&
        Array.isArray(r.per_worker) &&
        (r.per_worker as PerWorker[]).reduce((n, w) => n + w.miners, 0) === PER_IP,
    );
    const busiest = (placed.per_worker as PerWorker[]).reduce((a, b) => (b.miners > a.miners ? b : a));
    const index = busiest.worker;
    const victim = first.get(index)!;
    const connsBefore = new Set(pool.channels.map((c) => c.conn));
    process.kill(victim, 'SIGKILL');
    const exited = await proc.waitFor((r) => r.msg === 'translator worker exited: restarting it');
    assert.equal(exited.worker, index);
    await eventually(() => pids().get(index) !== victim, `worker ${index} started again`);
    // Its new upstream connection (the other worker may open channels on its own meanwhile).
    await pool.until(() => pool.channels.some((c) => !connsBefore.has(c.conn)));
    const restarted = pool.channels.find((c) => !connsBefore.has(c.conn))!.conn;

    // The primary released the dead worker's connections: the address has
    // exactly its free places again, and no more.
    await eventually(
      () => local.filter((c) => c.closed).length === busiest.miners,
      "the killed worker's miners disconnected",
    );
    const still = PER_IP - busiest.miners;
    for (let i = still; i < PER_IP; i++) await miner(t, port, `dave.again${i}`, '127.0.0.1');
    const extra = await V1Client.connect(port, '127.0.0.1');
    t.after(() => extra.close());
    assert.equal(await refused(extra), true, 'the cap still holds');

    // New miners are served, by the restarted worker too: miners connect
    // until one of them mined through its new upstream channel.
    const miners: V1Client[] = [];
    for (let i = 0; i < TRIES && !pool.acceptedShares.some((s) => s.conn === restarted); i++) {
      const m = await miner(t, port, `bob.rig${i}`, `127.0.0.${2 + i}`);
      miners.push(m);
      const reply = await m.mineAndSubmit(`bob.rig${i}`);
      assert.equal(reply.result, true);
      await eventually(() => pool.acceptedShares.length >= miners.length, 'the share at the pool');
    }
    assert.ok(
      pool.acceptedShares.some((s) => s.conn === restarted),
      'the restarted worker serves miners',
    );
    const summary = await proc.waitFor(
      (r) =>
        r.msg === 'summary' &&
        Array.isArray(r.per_worker) &&
        (r.per_worker as { worker: number; connections_accepted: number; restarts: number }[]).some(
          (w) => w.worker === index && w.restarts === 1 && w.connections_accepted >= 1,
        ),
    );
    assert.equal(summary.workers_answering, 2);

    const all = [...pids().values(), victim];
    const code = await proc.stop(15_000);
    assert.equal(code, 0, 'the primary stops cleanly');
    await eventually(() => all.every((pid) => !alive(pid)), 'every worker gone', 15_000);
    for (const m of miners) await m.until(() => m.closed);
  },
);

test('worker flags: the heap settings are added unless the command line or NODE_OPTIONS sets them', () => {
  const semi = `--max-semi-space-size=${WORKER_HEAP.semiSpaceMb}`;
  assert.deepEqual(workerExecArgv(['--enable-source-maps'], ''), ['--enable-source-maps', semi]);
  assert.deepEqual(workerExecArgv(['--max-semi-space-size=8'], ''), ['--max-semi-space-size=8']);
  assert.deepEqual(workerExecArgv([], '--trace-warnings --max_semi_space_size=16'), []);
  const lean = [
    `--max-semi-space-size=${LEAN_HEAP.semiSpaceMb}`,
    `--heap-growing-percent=${LEAN_HEAP.heapGrowingPercent}`,
  ];
  assert.deepEqual(workerExecArgv([], '', LEAN_HEAP), lean);
  assert.deepEqual(workerExecArgv(['--heap-growing-percent=50'], '', LEAN_HEAP), [
    '--heap-growing-percent=50',
    lean[0],
  ]);
  assert.deepEqual(workerExecArgv(['--max-semi-space-size=4', '--heap_growing_percent=0'], '', LEAN_HEAP), [
    '--max-semi-space-size=4',
    '--heap_growing_percent=0',
  ]);
});
