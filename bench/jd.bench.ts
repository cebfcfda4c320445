// Job declarator server: the round trip AllocateMiningJobToken → token →
// DeclareMiningJob → DeclareMiningJob.Success for 3,000-transaction jobs,
// once with transactions the server's mempool mirror holds and once with
// transactions it must ask for (ProvideMissingTransactions, then the fee
// lookup at the node; new made-up transactions each round, so their fees are
// unknown and the coinbase pays the subsidy), the first read of a
// 5,000-transaction mirror, and the `strata jds` process's memory with it. Real processes on loopback: a devnet whose
// mempool is filled with synthetic transactions, `strata jds`, and the
// scripted client of the tests.
import { blockSubsidy, fromDisplayHex, hexToBytes } from '../src/bitcoin/index.js';
import { satoshis } from '../src/roles/jds/mirror.js';
import { emit, percentiles, processRssKiB } from './harness.js';
import {
  JdClient,
  POOL_SCRIPT,
  buildJob,
  madeUpTx,
  startJds,
  startJdsStack,
  type BuiltJob,
  type TxData,
  type Cleanup,
} from '../test/jds/fixture.js';

const TXS = 3000;
const MEMPOOL = 5000;
const ROUNDS_KNOWN = 100;
const ROUNDS_ASKED = 40;
const WARMUP = 3;

const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const round2 = (v: number) => Math.round(v * 100) / 100;

async function roundTrip(jdc: JdClient, job: BuiltJob, id: number, provide: boolean): Promise<number> {
  const start = performance.now();
  const alloc = await jdc.allocate(id);
  let r = await jdc.declare(job, id + 1, alloc.mining_job_token);
  if (r.type === 'ProvideMissingTransactions') {
    if (!provide) throw new Error(`the server asked for ${r.unknown_tx_position_list.length} transactions`);
    r = await jdc.provide(
      id + 1,
      r.unknown_tx_position_list.map((p) => job.txs[p]!.raw),
    );
  } else if (provide) {
    throw new Error(`expected ProvideMissingTransactions, got ${r.type}`);
  }
  if (r.type !== 'DeclareMiningJobSuccess') throw new Error(`declaration failed: ${JSON.stringify(r)}`);
  return performance.now() - start;
}

export default async function (): Promise<void> {
  const cleanups: (() => unknown)[] = [];
  const scope: Cleanup = { after: (fn) => cleanups.push(fn) };
  try {
    // 500 synthetic transactions a second into a devnet mempool of up to 8,000: MEMPOOL after 10 s,
    // and nothing evicted before 16 s, while the JDS reads its mirror.
    const s = await startJdsStack(scope, ['--tx-rate', '30000', '--max-mempool-txs', '8000']);
    const rpc = s.devnet.rpc;
    let before: string[] = [];
    for (let i = 0; i < 600 && before.length < MEMPOOL; i++) {
      await new Promise((r) => setTimeout(r, 100));
      before = await rpc.getrawmempool(false);
    }
    if (before.length < MEMPOOL) throw new Error(`the devnet mempool reached only ${before.length}`);
    // One mempool read at start (the MEMPOOL highest fee rates); the mirror then keeps what it read.
    const jds = await startJds(
      scope,
      s,
      [
        '--mempool-poll',
        '100000',
        '--max-mempool-txs',
        String(MEMPOOL),
        '--token-burst',
        '10000',
        '--token-rate',
        '10000',
      ],
      120_000,
    );
    const pid = jds.proc.child.pid!;
    const rssLoaded = processRssKiB(pid);
    const loaded = jds.proc.records.find((r) => r.msg === 'mempool mirror loaded')!;

    // A transaction in the mempool both before the mirror's read and after it was there all along
    // (a synthetic transaction that leaves never comes back). Of those, the highest fee rates were
    // also among the MEMPOOL the mirror kept: the mirror holds them.
    const after = await rpc.getrawmempool(true);
    const rate = (id: string) => after[id]!.fees.base / after[id]!.vsize;
    const held = before.filter((id) => after[id] !== undefined).sort((x, y) => rate(y) - rate(x));
    const candidates = held.slice(0, TXS + 500);
    const raws = await rpc.getrawtransactions(candidates);
    const txs: TxData[] = [];
    let fees = 0n;
    for (const [i, id] of candidates.entries()) {
      const hex = raws[i];
      if (txs.length === TXS) break;
      if (hex === null || hex === undefined) continue;
      txs.push({ raw: hexToBytes(hex), txid: fromDisplayHex(id), wtxid: fromDisplayHex(after[id]!.wtxid) });
      fees += satoshis(after[id]!.fees.base);
    }
    if (txs.length < TXS)
      throw new Error(`only ${txs.length} transactions known to the mirror (${JSON.stringify(loaded)})`);
    const gbt = await rpc.getblocktemplate();
    const subsidy = blockSubsidy(gbt.height, 'regtest');
    const knownJob = buildJob({
      height: gbt.height,
      version: gbt.version,
      outputs: [{ value: subsidy + fees, script: POOL_SCRIPT }],
      txs,
    });
    const jdc = await JdClient.setUp(scope, jds.port, s.keys);
    let id = 1;
    const knownSamples: number[] = [];
    for (let i = 0; i < WARMUP + ROUNDS_KNOWN; i++) {
      const ms = await roundTrip(jdc, knownJob, id, false);
      id += 2;
      if (i >= WARMUP) knownSamples.push(ms);
    }
    const k = percentiles(knownSamples);
    emit({
      bench: 'jd.declare_known_3000tx.median',
      value: round2(k.median),
      unit: 'ms',
      rounds: ROUNDS_KNOWN,
    });
    emit({ bench: 'jd.declare_known_3000tx.p99', value: round2(k.p99), unit: 'ms', rounds: ROUNDS_KNOWN });

    // 3,000 transactions no node has seen, new ones each round: all asked for, fees unknown.
    const askedSamples: number[] = [];
    for (let i = 0; i < WARMUP + ROUNDS_ASKED; i++) {
      const job = buildJob({
        height: gbt.height,
        version: gbt.version,
        outputs: [{ value: subsidy, script: POOL_SCRIPT }],
        txs: Array.from({ length: TXS }, madeUpTx),
      });
      const ms = await roundTrip(jdc, job, id, true);
      id += 2;
      if (i >= WARMUP) askedSamples.push(ms);
    }
    const a = percentiles(askedSamples);
    emit({
      bench: 'jd.declare_provided_3000tx.median',
      value: round2(a.median),
      unit: 'ms',
      rounds: ROUNDS_ASKED,
    });
    emit({ bench: 'jd.declare_provided_3000tx.p99', value: round2(a.p99), unit: 'ms', rounds: ROUNDS_ASKED });

    const heapLine = loaded;
    emit({
      bench: 'jd.jds_rss_mirror_5000tx',
      value: mib(rssLoaded * 1024),
      unit: 'MiB',
      mirror_txs: Number(heapLine.txs),
      mirror_raw_mib: mib(Number(heapLine.bytes)),
    });
    emit({
      bench: 'jd.mirror_first_read_5000tx',
      value: Number(heapLine.ms),
      unit: 'ms',
      mirror_txs: Number(heapLine.txs),
      note: 'getrawmempool verbose + batched getrawtransaction',
    });
    emit({
      bench: 'jd.jds_heap_used_mirror_5000tx',
      value: mib(Number(heapLine.heap_used)),
      unit: 'MiB',
      mirror_txs: Number(heapLine.txs),
    });
    emit({
      bench: 'jd.jds_rss_after_rounds',
      value: mib(processRssKiB(pid) * 1024),
      unit: 'MiB',
      rounds: ROUNDS_KNOWN + ROUNDS_ASKED + 2 * WARMUP,
    });
  } finally {
    for (const fn of cleanups.reverse()) await fn();
  }
}
