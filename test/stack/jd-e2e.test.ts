// `./start-pool.sh --with-jd --with-miner` from a fresh clone: devnet (with
// synthetic transactions), tp, pool with custom jobs, jds, the JDC's own tp,
// jdc, translator behind the JDC and both demo miners on random loopback
// ports. The JDC's jobs are acknowledged by the pool; a block found through
// the JDC is on the devnet's chain, pays the pool's address, carries
// transactions besides the coinbase and is on the pool's page; `stop` leaves
// nothing running.
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
import { NETWORKS, hexToBytes, parseBlock, scriptToAddress } from '../../src/bitcoin/index.js';
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
  tomlString,
} from './stack-helpers.js';

/** The pool's payout (P2WPKH of twenty 0x5a bytes), set apart from the JDC's solo default. */
const POOL_SCRIPT = Uint8Array.from([0x00, 0x14, ...new Array<number>(20).fill(0x5a)]);
const POOL_ADDRESS = scriptToAddress(POOL_SCRIPT, NETWORKS.regtest)!;

/** One JSON-RPC call to the devnet with its cookie. */
async function rpc<T>(port: number, cookieFile: string, method: string, params: unknown[] = []): Promise<T> {
  const cookie = readFileSync(cookieFile, 'utf8').trim();
  const res = await fetch(`http://127.0.0.1:${port}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(cookie).toString('base64')}`,
    },
    body: JSON.stringify({ jsonrpc: '1.0', id: 1, method, params }),
  });
  const body = (await res.json()) as { result: T; error: { message: string } | null };
  if (body.error !== null) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

test(
  'start-pool.sh --with-jd --with-miner from a fresh clone: custom jobs, a block with transactions found through the JDC, clean stop',
  { timeout: 900_000 },
  async (t) => {
    const t0 = Date.now();
    const at = (what: string) => t.diagnostic(`${what} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const tmp = mkdtempSync(join(tmpdir(), 'strata-jd-clone-'));
    const clone = join(tmp, 'strata');
    execFileSync('git', ['clone', '--quiet', ROOT, clone]);
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
    const ports = await freePorts(8);
    const [devnet, tp, pool, web, translator, jds, jdcTp, jdc] = ports as [
      number,
      number,
      number,
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
          'pool.coinbase_reward_script': tomlString(POOL_ADDRESS),
          'translator.port': String(translator),
          'jds.port': String(jds),
          'jdc_tp.port': String(jdcTp),
          'jdc.port': String(jdc),
          'miner.report_interval_secs': '2',
        },
        readFileSync(join(clone, 'config', 'stack.toml'), 'utf8'),
      ),
    );
    const logs = join(clone, 'logs');
    const run = join(clone, 'data', 'run');
    const keys = join(clone, 'data', 'keys');
    const cookie = join(clone, 'data', 'devnet', '.cookie');
    t.after(async () => {
      await runStartPool(clone, ['stop'], quickEnv(true), 60_000);
      rmSync(tmp, { recursive: true, force: true });
    });

    // The clone has no dist/: this run installs nothing (node_modules is linked) but builds.
    const started = await runStartPool(clone, ['--with-jd', '--with-miner'], quickEnv(false), 400_000);
    assert.equal(started.code, 0, `start failed:\n${started.stdout}\n${started.stderr}`);
    at('built and started');
    const roles = ['devnet', 'tp', 'pool', 'jds', 'jdc-tp', 'jdc', 'translator', 'miner-sv1', 'miner-sv2'];
    const order = roles.map((role) => {
      const m = new RegExp(`^start-pool\\.sh: ${role} up \\(pid \\d+`, 'm').exec(started.stdout);
      assert.ok(m, `${role} not reported up:\n${started.stdout}`);
      return m.index;
    });
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
      'roles start in order',
    );
    assert.match(started.stdout, new RegExp(`JDC on port ${jdc} \\(miners pin .*jdc-authority\\.pub\\)`));
    for (const name of ['tp-authority', 'pool-authority', 'jdc-authority']) {
      assert.ok(existsSync(join(keys, `${name}.key`)) && existsSync(join(keys, `${name}.pub`)), name);
    }
    assert.match(readFileSync(join(keys, 'jd-token.key'), 'utf8'), /^[0-9a-f]{64}\n$/);

    // The JDC declares its own templates and the pool acknowledges them as custom jobs.
    const acked = await poll(
      () =>
        logRecords(join(logs, 'jdc.log')).some((r) => r.msg === 'custom job acknowledged by the pool') ||
        undefined,
      240,
    );
    assert.ok(acked, `the pool acknowledged no custom job:\n${tail(join(logs, 'jdc.log'))}`);
    at('first custom job acknowledged');

    // A block found through the JDC (a custom job at the pool) is on the devnet's
    // chain, pays the pool's address and carries transactions besides the coinbase.
    const seen = new Set<string>();
    const found = await poll(async () => {
      for (const r of logRecords(join(logs, 'pool.log'))) {
        if (r.msg !== 'block found' || r.custom_job !== true) continue;
        const hash = String(r.hash);
        if (seen.has(hash)) continue;
        let onChain: string;
        try {
          onChain = await rpc<string>(devnet, cookie, 'getblockhash', [Number(r.height)]);
        } catch {
          continue; // not that high yet
        }
        if (onChain !== hash) continue; // maybe not yet (the JDC submits it), or replaced
        seen.add(hash);
        const block = parseBlock(hexToBytes(await rpc<string>(devnet, cookie, 'getblock', [hash, 0])));
        if (block.transactions.length > 1) return { hash, record: r, block };
      }
      return undefined;
    }, 240);
    assert.ok(
      found,
      `no block with transactions found through the JDC on the devnet's chain (${seen.size} without):\n` +
        `${tail(join(logs, 'pool.log'))}\n${tail(join(logs, 'jdc.log'))}`,
    );
    const coinbase = found.block.transactions[0]!;
    assert.ok(
      coinbase.outputs.some((o) => Buffer.from(o.script).equals(Buffer.from(POOL_SCRIPT)) && o.value > 0n),
      "the block's coinbase pays the pool's address",
    );
    assert.equal(found.record.account, 'demo', 'the finder is a demo miner behind the JDC');
    at('block with transactions on the chain');
    t.diagnostic(
      `block ${found.hash} at height ${String(found.record.height)} by demo.${String(found.record.worker)}: ` +
        `${found.block.transactions.length - 1} transactions besides the coinbase`,
    );

    // The pool's page lists the block with its finder.
    const base = `http://127.0.0.1:${web}`;
    const listed = await poll(async () => {
      const res = await fetch(new URL('/api/blocks?limit=100', base));
      if (!res.ok) return undefined;
      const body = (await res.json()) as { blocks: { hash: string; account: string | null }[] };
      return body.blocks.find((b) => b.hash === found.hash);
    }, 120);
    assert.ok(listed, `/api/blocks never listed ${found.hash}`);
    assert.equal(listed.account, 'demo');
    const stats = await poll(async () => {
      const res = await fetch(new URL('/api/stats', base));
      if (!res.ok) return undefined;
      const s = (await res.json()) as { blocks_found?: number };
      return (s.blocks_found ?? 0) > 0 ? s : undefined;
    }, 120);
    assert.ok(stats, '/api/stats never counted a block');
    // Both demo miners behind the JDC are credited under their own names (the 0x0002 identity).
    const demo = await poll(async () => {
      const res = await fetch(new URL('/api/miner/demo', base));
      if (!res.ok) return undefined;
      const m = (await res.json()) as { workers?: { name: string; accepted: number }[] };
      const names = new Set((m.workers ?? []).filter((w) => w.accepted > 0).map((w) => w.name));
      return names.has('sv1') && names.has('sv2') ? m : undefined;
    }, 120);
    assert.ok(demo, '/api/miner/demo never showed accepted shares for both demo.sv1 and demo.sv2');
    at('block and both demo workers on the pool page');

    const status = await runStartPool(clone, ['status'], quickEnv(true), 60_000);
    assert.equal(status.code, 0, status.stdout + status.stderr);
    for (const role of roles.slice(0, 7)) {
      assert.match(status.stdout, new RegExp(`^${role}\\s+\\d+\\s+\\d+\\s+running, port answering`, 'm'));
    }
    for (const role of ['miner-sv1', 'miner-sv2']) {
      assert.match(status.stdout, new RegExp(`^${role}\\s+\\d+\\s+-\\s+running`, 'm'));
    }

    // stop ends exactly what start started: no process, no listening port, no PID file.
    const pids = readdirSync(run)
      .filter((f) => f.endsWith('.pid'))
      .map((f) => Number(readFileSync(join(run, f), 'utf8').trim()));
    assert.equal(pids.length, roles.length);
    const stopped = await runStartPool(clone, ['stop'], quickEnv(true), 120_000);
    assert.equal(stopped.code, 0, stopped.stdout + stopped.stderr);
    for (const pid of pids) assert.equal(pidAlive(pid), false, `pid ${pid} still running`);
    for (const port of ports) assert.equal(await portAnswers(port), false, `port ${port} still answers`);
    assert.deepEqual(
      readdirSync(run).filter((f) => f.endsWith('.pid')),
      [],
    );
    at('stopped');
  },
);
