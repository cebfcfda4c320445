// `npm run bench -- scale`: what more processes buy on one machine. Each kind
// of row has a function of its own below; today:
//   - translator: V1 submits answered per second through the translator
//     with `workers = 1` and `workers = 2` (and per worker, i.e. per core
//     when there is one core per worker, and per CPU-second of all its
//     processes), driven by the shared load generator
//     (`../shared/tools/v1load.mjs`, or the file named by V1LOAD) exactly as
//     the v1load bench drives it: 100 connections, rising offered rates, the
//     best rate answered with p99 < 100 ms and the plateau. The translator
//     runs behind a quiet scripted SV2 pool (chain target mainnet's
//     difficulty 1, so random shares are answered as below the miner's
//     difficulty). The worker counts alternate (1, 2, then 2, 1, …) so a
//     machine whose load drifts weighs on both alike.
//   - store: the pool's acknowledged shares per second end to end (100
//     Noise channels, the pool bench) on SQLite and on PostgreSQL, and
//     shares committed per second through the store's batch writer at batch
//     sizes 10, 100 and 1000 on both engines. PostgreSQL is a throwaway
//     local server (unix socket, durable settings); without the server
//     programs these rows are skipped.
//   - pool: the pool's acknowledged shares per second end to end (the pool
//     bench) with `workers = 1` and `workers = 2` (the --workers list),
//     alternating over the rounds, on SQLite and PostgreSQL, with the
//     shares per CPU-second of all the pool's processes.
//   - validate: share validation inline against a bench-only worker_threads
//     prototype (validate-threads.ts): shares/s and shares per CPU-second of
//     the main thread, 64 and 256 shares per message, one and two threads.
// Options: --rates 20,50,… (per connection) --seconds S --rounds R
// --workers 1,2 --user NAME (as in the v1load bench); --only translator|store|pool|validate.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScriptedPool } from '../test/translator/scripted-pool.js';
import { emit } from './harness.js';
import { measurePoolAcks } from './pool.bench.js';
import { hasPostgres, startBenchPostgres } from './postgres.js';
import { committedShares, tempSqlite } from './store-engines.js';
import { loadTestLines, startBenchTranslator } from './translator-process.js';
import { measureInline, measureThreads } from './validate-threads.js';
import { SOURCES, submitLadder, v1loadPath, type Ladder, type SubmitStep } from './v1load-run.js';

const HERE = fileURLToPath(import.meta.url);

interface Options {
  rates: number[];
  seconds: number;
  rounds: number;
  workers: number[];
  user?: string;
  only?: Only;
}

const ONLY = ['translator', 'store', 'validate', 'pool'] as const;
type Only = (typeof ONLY)[number];

function options(argv: string[]): Options {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  };
  const list = (name: string, fallback: string, integer: boolean): number[] => {
    const v = (get(name) ?? fallback).split(',').map(Number);
    if (v.some((n) => !(n > 0) || (integer && !Number.isInteger(n))))
      throw new Error(`scale bench: --${name} must be positive ${integer ? 'integers' : 'numbers'}`);
    return v;
  };
  const int = (name: string, fallback: number): number => list(name, String(fallback), true)[0]!;
  return {
    rates: list('rates', '20,50,100,150,200,250,300,400,500,600', false),
    seconds: int('seconds', 6),
    rounds: int('rounds', 2),
    workers: list('workers', '1,2', true),
    user: get('user'),
    only: parseOnly(get('only')),
  };
}

function parseOnly(v: string | undefined): Options['only'] {
  if (v === undefined) return undefined;
  if ((ONLY as readonly string[]).includes(v)) return v as Only;
  throw new Error(`scale bench: --only must be one of ${ONLY.join(', ')}`);
}

/** Answers per CPU-second of the translator's processes at a step, if its CPU was read. */
function perCpuSecond(step: SubmitStep | null): number | null {
  if (step === null || step.cpuPct === null || step.cpuPct <= 0) return null;
  return Math.round(step.answered / (step.cpuPct / 100));
}

/** One ladder through a fresh translator with `workers` processes behind a fresh scripted pool. */
async function translatorLadder(script: string, workers: number, o: Options, round: number): Promise<Ladder> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-scale-bench-'));
  const pool = await ScriptedPool.start({ nbits: 0x1d00ffff });
  let stop = (): void => {};
  try {
    const translator = await startBenchTranslator(dir, pool, loadTestLines(workers));
    stop = translator.stop;
    // Every worker has its own upstream channel before miners come.
    await pool.until(() => pool.channels.length >= workers);
    const common = [
      '--port',
      String(translator.port),
      '--src-ips',
      SOURCES,
      '--pid',
      translator.pids.join(','),
      ...(o.user ? ['--user', o.user] : []),
    ];
    return await submitLadder(script, common, o.rates, o.seconds, `scale.translator.workers${workers}`, {
      round,
      processes: translator.pids.length,
    });
  } finally {
    stop();
    await new Promise((r) => setTimeout(r, 1000));
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The translator rows: each worker count per round (alternating), then the best round of each. */
async function translatorRows(o: Options): Promise<void> {
  const script = v1loadPath();
  if (!script) {
    emit({ bench: 'scale.translator', value: 0, unit: 'skipped', note: 'v1load.mjs not found (set V1LOAD)' });
    return;
  }
  const best = new Map<
    number,
    { under100: SubmitStep | null; plateau: number; plateauStep: SubmitStep | null }
  >();
  for (let round = 1; round <= o.rounds; round++) {
    const order = round % 2 === 1 ? o.workers : [...o.workers].reverse();
    for (const workers of order) {
      const ladder = await translatorLadder(script, workers, o, round);
      const plateauStep = ladder.steps.find((s) => s.answered === ladder.plateau) ?? null;
      const name = `scale.translator.workers${workers}`;
      emit({
        bench: `${name}.p99_under_100ms`,
        value: ladder.bestUnder100?.answered ?? 0,
        unit: 'answers/s',
        round,
        offered_per_s: ladder.bestUnder100?.offered ?? null,
        p99_ms: ladder.bestUnder100?.p99 ?? null,
      });
      emit({
        bench: `${name}.plateau`,
        value: ladder.plateau,
        unit: 'answers/s',
        round,
        per_worker: Math.round(ladder.plateau / workers),
        per_cpu_second: perCpuSecond(plateauStep),
        server_cpu_pct: plateauStep?.cpuPct ?? null,
        machine_idle_pct: plateauStep?.machineIdlePct ?? null,
      });
      const b = best.get(workers);
      best.set(workers, {
        under100:
          (ladder.bestUnder100?.answered ?? 0) > (b?.under100?.answered ?? 0)
            ? ladder.bestUnder100
            : (b?.under100 ?? null),
        plateau: Math.max(ladder.plateau, b?.plateau ?? 0),
        plateauStep: ladder.plateau > (b?.plateau ?? -1) ? plateauStep : (b?.plateauStep ?? null),
      });
    }
  }
  const one = best.get(1);
  for (const [workers, b] of best) {
    emit({
      bench: `scale.translator.workers${workers}.best`,
      value: b.plateau,
      unit: 'answers/s (plateau, best round)',
      p99_under_100ms: b.under100?.answered ?? 0,
      p99_ms: b.under100?.p99 ?? null,
      plateau_per_worker: Math.round(b.plateau / workers),
      plateau_per_cpu_second: perCpuSecond(b.plateauStep),
      vs_one_worker: one && one.plateau > 0 ? Number((b.plateau / one.plateau).toFixed(2)) : null,
      cores: availableParallelism(),
      note: 'the load generator runs on the same cores',
    });
  }
}

/** The store rows: the pool end to end on each engine, then the batch writer's commits per batch size. */
async function storeRows(): Promise<void> {
  if (!hasPostgres()) {
    emit({ bench: 'scale.store', value: 0, unit: 'skipped', note: 'no PostgreSQL server programs' });
    return;
  }
  const cleanups: (() => unknown)[] = [];
  try {
    const pg = await startBenchPostgres({ after: (fn) => cleanups.push(fn) });
    // Alternating engines, two rounds each.
    for (let round = 1; round <= 2; round++) {
      for (const engine of round === 1 ? ['sqlite', 'postgres'] : ['postgres', 'sqlite']) {
        const r = await measurePoolAcks(engine === 'postgres' ? await pg.createDatabase() : undefined);
        emit({
          bench: `scale.store.pool_acknowledged.${engine}`,
          value: r.perSecond,
          unit: 'shares/s',
          round,
          clients: r.clients,
          window: r.window,
        });
      }
    }
    for (const batch of [10, 100, 1000]) {
      const shares = batch * 200;
      for (const engine of ['sqlite', 'postgres']) {
        let r;
        if (engine === 'postgres') r = await committedShares(await pg.createDatabase(), batch, shares);
        else {
          const f = tempSqlite();
          try {
            r = await committedShares(f.path, batch, shares);
          } finally {
            f.remove();
          }
        }
        emit({
          bench: `scale.store.committed.${engine}`,
          value: r.perSecond,
          unit: 'shares/s',
          batch,
          shares,
        });
      }
    }
  } finally {
    for (const fn of cleanups.reverse()) await fn();
  }
}

/**
 * Share validation inline against a worker_threads prototype (bench only):
 * shares per second and per CPU-second of the main thread, batch sizes 64
 * and 256, one and two threads.
 */
/**
 * The pool rows: acknowledged shares per second end to end (the pool
 * bench's 100 Noise clients) with each `--workers` count, alternating
 * over `--rounds`, on SQLite and (with the server programs) PostgreSQL.
 */
async function poolRows(o: Options): Promise<void> {
  const cleanups: (() => unknown)[] = [];
  try {
    const pg = hasPostgres() ? await startBenchPostgres({ after: (fn) => cleanups.push(fn) }) : undefined;
    const engines = pg ? ['sqlite', 'postgres'] : ['sqlite'];
    const best = new Map<string, number>();
    for (let round = 1; round <= o.rounds; round++) {
      const order = round % 2 === 1 ? o.workers : [...o.workers].reverse();
      for (const engine of engines) {
        for (const workers of order) {
          const r = await measurePoolAcks(
            engine === 'postgres' ? await pg!.createDatabase() : undefined,
            workers,
          );
          const name = `scale.pool.acknowledged.${engine}.workers${workers}`;
          best.set(name, Math.max(best.get(name) ?? 0, r.perSecond));
          emit({
            bench: name,
            value: r.perSecond,
            unit: 'shares/s',
            round,
            processes: r.processes,
            per_pool_cpu_second: r.perPoolCpuSecond,
            load_generator_cpu_pct: r.loadCpuPct,
            clients: r.clients,
            window: r.window,
          });
        }
      }
    }
    for (const engine of engines) {
      const one = best.get(`scale.pool.acknowledged.${engine}.workers1`);
      for (const workers of o.workers) {
        const v = best.get(`scale.pool.acknowledged.${engine}.workers${workers}`) ?? 0;
        emit({
          bench: `scale.pool.acknowledged.${engine}.workers${workers}.best`,
          value: v,
          unit: 'shares/s (best round)',
          vs_one_worker: one ? Number((v / one).toFixed(2)) : null,
          cores: availableParallelism(),
          note: 'the load generator (one process) runs on the same cores',
        });
      }
    }
  } finally {
    for (const fn of cleanups.reverse()) await fn();
  }
}

async function validateRows(): Promise<void> {
  const total = 200_000;
  const inline = measureInline(total);
  emit({
    bench: 'scale.validate.inline',
    value: inline.perSecond,
    unit: 'shares/s',
    per_main_cpu_second: inline.perMainCpuSecond,
    merkle_path: 12,
  });
  for (const threads of [1, 2]) {
    for (const batch of [64, 256]) {
      const r = await measureThreads(threads, batch, total);
      emit({
        bench: 'scale.validate.worker_threads',
        value: r.perSecond,
        unit: 'shares/s',
        threads,
        batch,
        per_main_cpu_second: r.perMainCpuSecond,
        thread_start_us: r.threadStartUs,
        job_clone_us: r.jobCloneUs,
        vs_inline: Number((r.perSecond / inline.perSecond).toFixed(2)),
      });
    }
  }
}

async function run(o: Options): Promise<void> {
  const want = (k: Only) => o.only === undefined || o.only === k;
  if (want('translator')) await translatorRows(o);
  if (want('store')) await storeRows();
  if (want('validate')) await validateRows();
  if (want('pool')) await poolRows(o);
}

export default async function (): Promise<void> {
  await run(options(process.argv.slice(2)));
}

if (process.argv[1] === HERE) await run(options(process.argv.slice(2)));
