// Block candidates under load: on devnet about half of all hashes meet the
// network target, so a flood of shares is a flood of competing blocks. SV2
// clients over loopback (Noise, one extended channel each, a share target far
// harder than the network's) pipeline blocks below their target into a
// `strata pool` process with node RPC, fed by devnet + tp processes, for a
// fixed interval. Figures: candidates the pool answered per second, the
// pool's CPU time per candidate and its memory, and afterwards how long the
// pool takes to settle every candidate's status with the node, and whether
// the blocks it counts as found are exactly the chain's.
import { setImmediate as yieldNow } from 'node:timers/promises';
import { emit, processCpuMs, processRssKiB } from './harness.js';
import {
  MiningClient,
  poolAccountCli,
  queryDb,
  startPool,
  startStack,
  targetOf,
  type Cleanup,
} from '../test/pool/fixture.js';

const CLIENTS = Number(process.env.BLOCKS_BENCH_CLIENTS ?? 20);
/** Unanswered candidates each client keeps in flight. */
const WINDOW = 20;
const WARMUP_MS = 1000;
const MEASURE_MS = Number(process.env.BLOCKS_BENCH_MS ?? 10_000);
const SETTLE_LIMIT_MS = 60_000;
/** BLOCKS_BENCH_RPC=0: the pool without node RPC (statuses from the TP's tips only). */
const RPC = process.env.BLOCKS_BENCH_RPC !== '0';

export default async function (): Promise<void> {
  const cleanups: (() => unknown)[] = [];
  const scope: Cleanup = { after: (fn) => cleanups.push(fn) };
  try {
    const s = await startStack(scope);
    poolAccountCli(['add', 'bench', '--database', s.db]);
    const pool = await startPool(scope, s, [
      ...(RPC ? ['--rpc-url', s.devnet.url, '--rpc-cookie', s.devnet.cookie] : []),
      '--block-check-interval',
      '1',
      '--block-confirmations',
      '100',
      '--vardiff-interval',
      '0',
    ]);
    const pid = pool.proc.child.pid!;
    const startHeight = await s.devnet.rpc.getblockcount();
    let stop = false;
    const clients: { c: MiningClient; run: () => Promise<void> }[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const c = await MiningClient.connect(scope, pool.port, s.poolKeys);
      if ((await c.setup()).type !== 'SetupConnectionSuccess') throw new Error('setup refused');
      // A share target of about 10^12 hashes: every block these clients find is below it.
      const open = await c.openExtended(`bench.w${i}`, 1e11);
      if (open.type !== 'OpenExtendedMiningChannelSuccess') throw new Error('open refused');
      const target = targetOf(open.target);
      let sent = 0;
      const run = async () => {
        while (!stop && !c.conn.isClosed) {
          if (sent - c.acknowledged - c.refused >= WINDOW) {
            await c
              .next((m) => m.type === 'SubmitSharesSuccess' || m.type === 'SubmitSharesError', 5000)
              .catch(() => undefined);
            continue;
          }
          // Always on the newest tip the pool announced.
          await c.send(c.mine(open, await c.activeWork(), target, 'block-below-target'));
          sent++;
          if (sent % 8 === 0) await yieldNow();
        }
      };
      clients.push({ c, run });
    }
    const answered = () => clients.reduce((n, x) => n + x.c.acknowledged + x.c.refused, 0);
    const acknowledged = () => clients.reduce((n, x) => n + x.c.acknowledged, 0);
    const running = clients.map((x) => x.run());
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    const n0 = answered();
    const a0 = acknowledged();
    const others = { devnet: s.devnet.proc.child.pid!, tp: s.tp.proc.child.pid! };
    const cpu0 = processCpuMs(pid);
    const other0 = Object.fromEntries(Object.entries(others).map(([k, p]) => [k, processCpuMs(p)]));
    const self0 = process.cpuUsage();
    const h0 = await s.devnet.rpc.getblockcount();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, MEASURE_MS));
    const n1 = answered();
    const a1 = acknowledged();
    const cpu1 = processCpuMs(pid);
    const elapsed = performance.now() - t0;
    const share = (ms: number) => Number((ms / elapsed).toFixed(2));
    const cpuShares = Object.fromEntries(
      Object.entries(others).map(([k, p]) => [`${k}_cpu_share`, share(processCpuMs(p) - other0[k]!)]),
    );
    const self = process.cpuUsage(self0);
    const chainBlocks = (await s.devnet.rpc.getblockcount()) - h0;
    const rss = processRssKiB(pid);
    stop = true;
    await Promise.all(running);
    for (const x of clients) x.c.close();

    // Settling: every candidate's status from the node; kept = exactly the chain's blocks found by the pool.
    const settleStart = performance.now();
    let settledMs = -1;
    let last = { kept: 0, orphaned: 0, rejected: 0, chain: 0, wrong: 0 };
    while (performance.now() - settleStart < SETTLE_LIMIT_MS) {
      const rows = queryDb<{ hash: string; height: number; status: string }>(
        s.db,
        'SELECT hash, height, status FROM blocks',
      );
      const top = await s.devnet.rpc.getblockcount();
      const chain = new Set<string>();
      for (let h = startHeight + 1; h <= top; h++)
        chain.add(await s.devnet.rpc.call<string>('getblockhash', [h]));
      const kept = rows.filter((r) => r.status === 'pending' || r.status === 'confirmed');
      const ours = rows.filter((r) => chain.has(r.hash)).length;
      const wrong =
        kept.filter((r) => !chain.has(r.hash)).length + (ours - kept.filter((r) => chain.has(r.hash)).length);
      last = {
        kept: kept.length,
        orphaned: rows.filter((r) => r.status === 'orphaned').length,
        rejected: rows.filter((r) => r.status === 'rejected').length,
        chain: ours,
        wrong,
      };
      if (wrong === 0) {
        settledMs = Math.round(performance.now() - settleStart);
        break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    if (process.env.BLOCKS_BENCH_DEBUG) {
      for (const [name, proc] of [
        ['devnet', s.devnet.proc],
        ['tp', s.tp.proc],
        ['pool', pool.proc],
      ] as const) {
        const counts = new Map<string, number>();
        for (const r of proc.records) counts.set(String(r.msg), (counts.get(String(r.msg)) ?? 0) + 1);
        console.log(name, JSON.stringify([...counts]));
      }
    }
    const common = { clients: CLIENTS, window: WINDOW, measure_ms: MEASURE_MS, rpc: RPC };
    emit({
      bench: 'pool block candidates answered',
      value: Math.round(((n1 - n0) * 1000) / elapsed),
      unit: 'candidates/s',
      acknowledged_per_s: Math.round(((a1 - a0) * 1000) / elapsed),
      ...common,
    });
    emit({
      bench: 'pool CPU per block candidate',
      value: n1 > n0 ? Number(((cpu1 - cpu0) / (n1 - n0)).toFixed(3)) : NaN,
      unit: 'ms',
      pool_cpu_share: share(cpu1 - cpu0),
      pool_rss_kib: rss,
      ...cpuShares,
      clients_cpu_share: share((self.user + self.system) / 1000),
      chain_blocks_in_interval: chainBlocks,
      ...common,
    });
    emit({
      bench: 'pool block statuses settled after the load',
      value: settledMs,
      unit: 'ms (-1: not within 60 s)',
      recorded: last.kept + last.orphaned + last.rejected,
      kept: last.kept,
      orphaned: last.orphaned,
      rejected: last.rejected,
      on_chain: last.chain,
      miscounted: last.wrong,
      ...common,
    });
  } finally {
    for (const fn of cleanups.reverse()) await fn();
  }
}
