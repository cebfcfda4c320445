// Pool throughput: acknowledged shares per second, end to end. 100 SV2
// clients over loopback (Noise, one extended channel each) pipeline shares
// at an easy target into a `strata pool` process fed by devnet + tp
// processes; the figure counts the shares the pool acknowledged with
// SubmitShares.Success (each one validated and committed to SQLite first)
// during a fixed interval. The store is SQLite unless a PostgreSQL URL is
// given (measurePoolAcks; the scale module runs both), and the pool one
// process unless `workers` says otherwise (the scale module's pool rows).
import { setImmediate as yieldNow } from 'node:timers/promises';
import { emit, processCpuMs } from './harness.js';
import {
  MiningClient,
  poolAccountCli,
  startPool,
  startStack,
  targetOf,
  type Cleanup,
} from '../test/pool/fixture.js';

const CLIENTS = 100;
/** Unacknowledged shares each client keeps in flight. */
const WINDOW = 40;
const WARMUP_MS = 1000;
const MEASURE_MS = 5000;

export interface PoolAcks {
  /** Acknowledged shares per second over the measured interval. */
  perSecond: number;
  clients: number;
  window: number;
  /** Pool processes (the primary and its workers, or the one pool). */
  processes: number;
  /** Acknowledged shares per CPU-second of the pool's processes together. */
  perPoolCpuSecond: number | null;
  /** CPU share of this (load-generating) process during the measurement, percent of one core. */
  loadCpuPct: number;
}

/**
 * Runs the measurement once, on the pool's SQLite file or on the PostgreSQL
 * database `databaseUrl`, with `workers` pool processes behind the port.
 */
export async function measurePoolAcks(databaseUrl?: string, workers = 1): Promise<PoolAcks> {
  const cleanups: (() => unknown)[] = [];
  const scope: Cleanup = { after: (fn) => cleanups.push(fn) };
  try {
    const s = await startStack(scope);
    const database = databaseUrl === undefined ? ['--database', s.db] : ['--database-url', databaseUrl];
    poolAccountCli(['add', 'bench', ...database]);
    const pool = await startPool(scope, s, [
      '--shares-per-minute',
      '60',
      '--vardiff-interval',
      '0',
      '--workers',
      String(workers),
      ...database,
    ]);
    const pids = [
      pool.proc.child.pid!,
      ...pool.proc.records.filter((r) => r.msg === 'pool worker started').map((r) => Number(r.worker_pid)),
    ];
    // Every worker has its template before clients come.
    if (workers > 1) {
      for (let w = 0; w < workers; w++) await pool.proc.waitFor((r) => r.msg === 'new tip' && r.worker === w);
    }
    const poolCpuMs = () => pids.reduce((n, pid) => n + processCpuMs(pid), 0);
    const clients: { c: MiningClient; run: () => Promise<void> }[] = [];
    let stop = false;
    for (let i = 0; i < CLIENTS; i++) {
      const c = await MiningClient.connect(scope, pool.port, s.poolKeys);
      if ((await c.setup()).type !== 'SetupConnectionSuccess') throw new Error('setup refused');
      const open = await c.openExtended(`bench.w${i}`);
      if (open.type !== 'OpenExtendedMiningChannelSuccess') throw new Error('open refused');
      const work = await c.activeWork();
      const target = targetOf(open.target);
      let sent = 0;
      const run = async () => {
        // Bounded by the stop flag, set after the measured interval.
        while (!stop && !c.conn.isClosed) {
          if (sent - c.acknowledged >= WINDOW) {
            await c.next((m) => m.type === 'SubmitSharesSuccess', 5000).catch(() => undefined);
            continue;
          }
          await c.send(c.mine(open, work, target, 'share'));
          sent++;
          if (sent % 8 === 0) await yieldNow();
        }
      };
      clients.push({ c, run });
    }
    const acked = () => clients.reduce((n, x) => n + x.c.acknowledged, 0);
    const running = clients.map((x) => x.run());
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    const a0 = acked();
    const t0 = performance.now();
    const cpu0 = poolCpuMs();
    const own0 = process.cpuUsage();
    await new Promise((r) => setTimeout(r, MEASURE_MS));
    const a1 = acked();
    const elapsed = performance.now() - t0;
    const cpuMs = poolCpuMs() - cpu0;
    const own = process.cpuUsage(own0);
    stop = true;
    await Promise.all(running);
    return {
      perSecond: Math.round(((a1 - a0) * 1000) / elapsed),
      clients: CLIENTS,
      window: WINDOW,
      processes: pids.length,
      perPoolCpuSecond: cpuMs > 0 ? Math.round(((a1 - a0) * 1000) / cpuMs) : null,
      loadCpuPct: Math.round(((own.user + own.system) / 1000 / elapsed) * 100),
    };
  } finally {
    for (const fn of cleanups.reverse()) await fn();
  }
}

export default async function (): Promise<void> {
  const r = await measurePoolAcks();
  emit({
    bench: 'pool acknowledged shares',
    value: r.perSecond,
    unit: 'shares/s',
    clients: r.clients,
    window: r.window,
    transport: 'noise',
  });
}
