// The one-command stack from a fresh clone: `./start-pool.sh --with-miner`
// builds the clone and brings up devnet, tp, pool, translator and both demo
// miners on random loopback ports; shares are accepted on both paths, blocks
// the pool found raise the devnet's height; `stop` leaves nothing running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths.js';
import {
  freePorts,
  logRecords,
  pidAlive,
  poll,
  portAnswers,
  quickEnv,
  runStartPool,
  stackToml,
  tail,
} from './stack-helpers.js';

/** The highest `accepted` a demo miner has reported. */
function accepted(log: string): number {
  let best = 0;
  for (const r of logRecords(log)) {
    if (r.msg === 'report' && typeof r.accepted === 'number') best = Math.max(best, r.accepted);
  }
  return best;
}

async function devnetHeight(port: number, cookieFile: string): Promise<number> {
  const cookie = readFileSync(cookieFile, 'utf8').trim();
  const res = await fetch(`http://127.0.0.1:${port}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(cookie).toString('base64')}`,
    },
    body: JSON.stringify({ jsonrpc: '1.0', id: 1, method: 'getblockcount', params: [] }),
  });
  const body = (await res.json()) as { result: number };
  return body.result;
}

test('start-pool.sh --with-miner from a fresh clone: shares, blocks, status, clean stop', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'strata-clone-'));
  const clone = join(tmp, 'strata');
  execFileSync('git', ['clone', '--quiet', ROOT, clone]);
  symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
  const [devnet, tp, pool, web, translator] = (await freePorts(5)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  writeFileSync(
    join(clone, 'config', 'stack.toml'),
    stackToml(
      {
        bind_address: '"127.0.0.1"',
        start_timeout_secs: '120',
        stop_grace_secs: '10',
        'devnet.rpc_port': String(devnet),
        'tp.port': String(tp),
        'pool.port': String(pool),
        'pool.web_port': String(web),
        'translator.port': String(translator),
        'miner.report_interval_secs': '2',
      },
      readFileSync(join(clone, 'config', 'stack.toml'), 'utf8'),
    ),
  );
  const logs = join(clone, 'logs');
  const run = join(clone, 'data', 'run');
  t.after(async () => {
    await runStartPool(clone, ['stop'], quickEnv(true), 60_000);
    rmSync(tmp, { recursive: true, force: true });
  });

  // The clone has no dist/: this run installs nothing (node_modules is linked) but builds.
  const started = await runStartPool(clone, ['--with-miner'], quickEnv(false), 400_000);
  assert.equal(started.code, 0, `start failed:\n${started.stdout}\n${started.stderr}`);
  for (const role of ['devnet', 'tp', 'pool', 'translator', 'miner-sv1', 'miner-sv2']) {
    assert.match(started.stdout, new RegExp(`${role} up \\(pid \\d+`), started.stdout);
  }
  assert.ok(existsSync(join(clone, 'data', 'keys', 'pool-authority.key')), 'pool key created');
  assert.ok(existsSync(join(clone, 'data', 'keys', 'tp-authority.key')), 'tp key created');
  assert.match(
    readFileSync(join(clone, 'data', 'keys', 'jd-token.key'), 'utf8'),
    /^[0-9a-f]{64}\n$/,
    'job declaration token secret created',
  );

  // Both demo miners get shares accepted (V1 through the translator, SV2 on the pool).
  const sharesOk = await poll(
    () =>
      (accepted(join(logs, 'miner-sv1.log')) > 0 && accepted(join(logs, 'miner-sv2.log')) > 0) || undefined,
    240,
  );
  assert.ok(
    sharesOk,
    `no accepted shares on both miners:\n${tail(join(logs, 'miner-sv1.log'))}\n${tail(join(logs, 'miner-sv2.log'))}\n${tail(join(logs, 'translator.log'))}`,
  );

  // Blocks the pool found are on the devnet's chain.
  const cookie = join(clone, 'data', 'devnet', '.cookie');
  const height = await poll(async () => {
    const found = logRecords(join(logs, 'pool.log')).some((r) => r.msg === 'block found');
    const h = await devnetHeight(devnet, cookie);
    return found && h > 0 ? h : undefined;
  }, 240);
  assert.ok(
    height !== undefined && height > 0,
    `no block found by the pool:\n${tail(join(logs, 'pool.log'))}`,
  );

  // The pool's web page shows the blocks and both demo workers under the demo
  // account: the V1 one through the translator (0x0002 identity), the SV2 one direct.
  const webLine = /pool web page: (http:\/\/[^\s]+)/.exec(started.stdout);
  assert.ok(webLine, `start-pool.sh did not report the pool web page:\n${started.stdout}`);
  const stats = await poll(async () => {
    const res = await fetch(new URL('/api/stats', webLine[1]));
    if (!res.ok) return undefined;
    const s = (await res.json()) as {
      blocks_found?: number;
      workers?: number;
      shares?: { accepted?: number };
    };
    return (s.blocks_found ?? 0) > 0 && (s.workers ?? 0) >= 2 && (s.shares?.accepted ?? 0) > 0
      ? s
      : undefined;
  }, 120);
  assert.ok(stats, '/api/stats never showed blocks, accepted shares and both workers');
  const demo = await poll(async () => {
    const res = await fetch(new URL('/api/miner/demo', webLine[1]));
    if (!res.ok) return undefined;
    const m = (await res.json()) as { workers?: { name: string; accepted: number }[] };
    const names = new Set((m.workers ?? []).filter((w) => w.accepted > 0).map((w) => w.name));
    return names.has('sv1') && names.has('sv2') ? m : undefined;
  }, 120);
  assert.ok(demo, '/api/miner/demo never showed accepted shares for both demo.sv1 and demo.sv2');

  const status = await runStartPool(clone, ['status'], quickEnv(true), 60_000);
  assert.equal(status.code, 0, status.stdout + status.stderr);
  for (const role of ['devnet', 'tp', 'pool', 'translator']) {
    assert.match(status.stdout, new RegExp(`^${role}\\s+\\d+\\s+\\d+\\s+running, port answering`, 'm'));
  }
  for (const role of ['miner-sv1', 'miner-sv2']) {
    assert.match(status.stdout, new RegExp(`^${role}\\s+\\d+\\s+-\\s+running`, 'm'));
  }

  // stop ends exactly what start started: no process, no listening port, no PID file.
  const pids = readdirSync(run)
    .filter((f) => f.endsWith('.pid'))
    .map((f) => Number(readFileSync(join(run, f), 'utf8').trim()));
  assert.equal(pids.length, 6);
  const stopped = await runStartPool(clone, ['stop'], quickEnv(true), 120_000);
  assert.equal(stopped.code, 0, stopped.stdout + stopped.stderr);
  for (const pid of pids) assert.equal(pidAlive(pid), false, `pid ${pid} still running`);
  for (const port of [devnet, tp, pool, web, translator]) {
    assert.equal(await portAnswers(port), false, `port ${port} still answers`);
  }
  assert.deepEqual(
    readdirSync(run).filter((f) => f.endsWith('.pid')),
    [],
  );
});
