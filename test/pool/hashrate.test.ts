// Hashrate figures are honest: devnet + tp + pool + real `strata miner`
// processes mine for five minutes, then the pool's, the account's and each
// worker's 10-minute hashrate (/api/stats, /api/miner/:account) must be
// within 2× of what the miners measured themselves (the mean of their report
// lines). On devnet every share at the channel target is also a block, so
// the chain, block submission and PPLNS run all along.
//
// Miners are a list: one SV2 device on a standard channel, and one Stratum
// V1 device through a translator (its shares go upstream on the shared
// channel of its difficulty band, named by the 0x0002 TLV).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRole, type RoleProcess } from '../helpers/process.js';
import { startTranslatorProcess } from '../translator/fixture.js';
import {
  poolAccountCli,
  startPool,
  startStack,
  type Cleanup,
  type PoolProcess,
  type Stack,
} from './fixture.js';

const ACCOUNT = 'honest';
const MINING_MS = 5 * 60_000;
const REPORT_SECONDS = 10;

interface Miner {
  /** Worker name; the miner logs in as ACCOUNT.worker. */
  worker: string;
  /** Starts the miner (and what it needs), each process stopped when `t` ends. */
  start(t: Cleanup, s: Stack, pool: PoolProcess): Promise<RoleProcess>;
}

/** The translator's own identity, an account of the pool (its shared channels open under it). */
const TRANSLATOR_IDENTITY = 'strata-translator';

const MINERS: Miner[] = [
  {
    worker: 'sv2',
    async start(t, s, pool) {
      const p = startRole([
        'miner',
        '--pool',
        `127.0.0.1:${pool.port}`,
        '--authority-key',
        s.poolKeys.publicPath,
        '--user',
        `${ACCOUNT}.sv2`,
        '--threads',
        '1',
        '--report-interval',
        String(REPORT_SECONDS),
      ]);
      t.after(() => p.stop());
      await p.waitFor((r) => r.msg === 'connected', 30_000);
      return p;
    },
  },
  {
    worker: 'sv1',
    async start(t, s, pool) {
      const { proc: translator, port } = await startTranslatorProcess(t, pool.port, s.poolKeys.publicPath);
      await translator.waitFor((r) => r.msg === 'upstream channel open', 30_000);
      const p = startRole([
        'miner',
        '--sv1',
        '--pool',
        `127.0.0.1:${String(port)}`,
        '--user',
        `${ACCOUNT}.sv1`,
        '--threads',
        '1',
        '--report-interval',
        String(REPORT_SECONDS),
      ]);
      t.after(() => p.stop());
      await p.waitFor((r) => r.msg === 'connected', 30_000);
      return p;
    },
  },
];

/** The mean of a miner's report lines (each covers one equal interval): what it measured itself. */
function measured(p: RoleProcess): { hashrate: number; reports: number; accepted: number } {
  const reports = p.records.filter((r) => r.msg === 'report' && typeof r.hashrate === 'number');
  const hashrate = reports.reduce((n, r) => n + Number(r.hashrate), 0) / Math.max(1, reports.length);
  const accepted = reports.reduce((n, r) => Math.max(n, Number(r.accepted)), 0);
  return { hashrate, reports: reports.length, accepted };
}

function within2x(what: string, figure: number, reference: number): void {
  const ratio = figure / reference;
  assert.ok(
    ratio >= 0.5 && ratio <= 2,
    `${what}: ${figure.toExponential(3)} H/s vs ${reference.toExponential(3)} H/s measured (×${ratio.toFixed(2)})`,
  );
}

interface Rates {
  '10m': number;
}

test('after five minutes the pool, account and worker hashrates are within 2x of what the miners measure', async (t) => {
  const s = await startStack(t);
  poolAccountCli(['add', ACCOUNT, '--database', s.db]);
  poolAccountCli(['add', TRANSLATOR_IDENTITY, '--database', s.db]);
  const pool = await startPool(t, s, ['--rpc-url', s.devnet.url, '--rpc-cookie', s.devnet.cookie]);
  const web = await pool.proc.waitFor((r) => r.msg === 'web ready');
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${String(web.port)}${path}`);
    assert.equal(res.status, 200, path);
    return (await res.json()) as T;
  };

  const running: { miner: Miner; proc: RoleProcess }[] = [];
  for (const miner of MINERS) {
    const proc = await miner.start(t, s, pool);
    running.push({ miner, proc });
  }
  await new Promise((resolve) => setTimeout(resolve, MINING_MS));

  const stats = await api<{ hashrate: Rates; blocks_found: number }>('/api/stats');
  const account = await api<{
    hashrate: Rates;
    workers: { name: string; hashrate: Rates; accepted: number }[];
  }>(`/api/miner/${ACCOUNT}`);
  let total = 0;
  for (const { miner, proc } of running) {
    const own = measured(proc);
    assert.ok(own.reports >= 10, `${miner.worker}: ${own.reports} report lines`);
    assert.ok(own.accepted > 0, `${miner.worker}: no accepted shares`);
    const worker = account.workers.find((w) => w.name === miner.worker);
    assert.ok(worker, `worker ${miner.worker} missing from /api/miner/${ACCOUNT}`);
    t.diagnostic(
      `${miner.worker}: measured ${own.hashrate.toExponential(3)} H/s, worker 10m ${worker.hashrate['10m'].toExponential(3)} H/s, ${worker.accepted} shares`,
    );
    within2x(`worker ${miner.worker}`, worker.hashrate['10m'], own.hashrate);
    total += own.hashrate;
  }
  t.diagnostic(
    `total measured ${total.toExponential(3)} H/s; account 10m ${account.hashrate['10m'].toExponential(3)} H/s; pool 10m ${stats.hashrate['10m'].toExponential(3)} H/s; blocks found ${stats.blocks_found}`,
  );
  within2x('account', account.hashrate['10m'], total);
  within2x('pool', stats.hashrate['10m'], total);
});
