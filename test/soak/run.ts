// `npm run soak -- --minutes N`: the whole stack (devnet, tp, pool,
// translator, each `strata <role> -c config/<role>.toml` with loopback
// ports, fresh keys and database as overrides) under simulated miners for N
// minutes, a devnet block every --block-secs. Every role runs with
// probe.js preloaded (through NODE_OPTIONS), which appends its memory,
// event-loop delay and open handles once per --sample-secs; this prints one
// line per role per sample and, at the end, a JSON summary: resident memory
// growth from the end of the warm-up to the end, the worst event-loop
// delay, and the miners' own share counts against the pool database's.
//
// Devnet keeps regtest's difficulty, at which half of all hashes are
// blocks; so that blocks come only from the timer, the pool's vardiff is off
// and its first targets are the easiest (shares_per_minute 1e20), the
// translator's miners follow the pool's target (vardiff off), and every
// simulated miner submits a share that is not a block.
//
// Exit code 0 whether or not the figures meet their targets (the summary
// says which); 1 when the share counts differ, a role or the miners died, or
// the run could not start; 2 on the hard stop.
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeAuthorityKeyPair } from '../../src/roles/keygen.js';
import { softFileLimit } from '../../bench/translator-process.js';
import { ROOT } from '../helpers/paths.js';
import { startNode, type RoleProcess } from '../helpers/process.js';
import { POOL_ADDRESS, queryDb, startPool, type Cleanup, type Stack } from '../pool/fixture.js';
import { makeKeys, startDevnet, startTp } from '../tp/fixture.js';
import { startTranslatorProcess } from '../translator/fixture.js';

const PROBE = fileURLToPath(new URL('./probe.js', import.meta.url));
const MINERS = fileURLToPath(new URL('./miners.js', import.meta.url));
const ROLES = ['devnet', 'tp', 'pool', 'translator'] as const;
type Role = (typeof ROLES)[number];

const TARGETS = { rss_growth_pct: 5, el_p99_ms: 20, el_max_ms: 100 };

interface Options {
  minutes: number;
  v1: number;
  sv2: number;
  sampleSecs: number;
  blockSecs: number;
  shareSecs: number;
  warmupMinutes: number;
  json?: string;
  keep: boolean;
}

function usage(): string {
  return `Usage: npm run soak -- [options]
  --minutes N         minutes under load (default 30; fractions allowed)
  --v1 N              V1 miners on the translator (default 2000)
  --sv2 N             SV2 miners on the pool (default 200)
  --sample-secs S     seconds between samples of every role (default 60)
  --block-secs S      seconds between devnet blocks (default 30)
  --share-secs S      mean seconds between one miner's shares (default 10)
  --warmup-minutes M  memory growth is measured from this minute on
                      (default 5, or a third of a shorter run)
  --json FILE         also write the summary to FILE
  --keep              keep the run's directory (logs, probe samples, database)`;
}

const VALUED = ['minutes', 'v1', 'sv2', 'sample-secs', 'block-secs', 'share-secs', 'warmup-minutes', 'json'];

function options(argv: string[]): Options {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--keep') continue;
    if (!a.startsWith('--') || !VALUED.includes(a.slice(2)) || argv[i + 1] === undefined) {
      throw new Error(`soak: unknown or incomplete option "${a}"\n${usage()}`);
    }
    i++;
  }
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, fallback: number, integer = false): number => {
    const v = get(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!(n > 0) || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n > 1e6) {
      throw new Error(`soak: --${name} must be a positive ${integer ? 'integer' : 'number'}\n${usage()}`);
    }
    return n;
  };
  const minutes = num('minutes', 30);
  return {
    minutes,
    v1: num('v1', 2000, true),
    sv2: num('sv2', 200, true),
    sampleSecs: num('sample-secs', 60),
    blockSecs: num('block-secs', 30),
    shareSecs: num('share-secs', 10),
    warmupMinutes: num('warmup-minutes', Math.min(5, minutes / 3)),
    json: get('json'),
    keep: argv.includes('--keep'),
  };
}

interface Sample {
  role: string;
  pid: number;
  /** `start`: until every role was up; `setup`: until the miners were all connected (their connection burst). */
  phase?: 'start' | 'setup' | 'load';
  t: number;
  rss_mb: number;
  /** Linux only: resident anonymous memory (this process's own) and file-backed pages (shared code). */
  rss_anon_mb?: number | null;
  rss_file_mb?: number | null;
  heap_used_mb: number;
  heap_total_mb: number;
  external_mb: number;
  array_buffers_mb: number;
  el_p99_ms: number;
  el_max_ms: number;
  /** The longest garbage-collection pause of the sample, its kind, and all its pauses added up. */
  gc_max_ms?: number;
  gc_max_kind?: string | null;
  gc_total_ms?: number;
  handles: Record<string, number>;
  handles_total: number;
}

/** New complete lines of a growing file, from `offset` on. */
function readNew(path: string, state: { offset: number; rest: string }): string[] {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return [];
  }
  if (size <= state.offset) return [];
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(size - state.offset);
  readSync(fd, buf, 0, buf.length, state.offset);
  closeSync(fd);
  state.offset = size;
  const text = state.rest + buf.toString('utf8');
  const lines = text.split('\n');
  state.rest = lines.pop()!;
  return lines.filter((l) => l !== '');
}

const say = (text: string): void => void process.stdout.write(`soak: ${text}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function run(): Promise<number> {
  const o = options(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'strata-soak-'));
  const probeFile = join(dir, 'probe.jsonl');
  const cleanups: (() => unknown)[] = [];
  const scope: Cleanup = { after: (fn) => cleanups.push(fn) };
  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch {
        // keep stopping the others
      }
    }
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  };
  /** Set once the run ends: processes exiting from then on are not deaths. */
  let stopping = false;
  const onSignal = (signal: string) => {
    // A terminal's Ctrl-C reaches the roles too: their exits are part of the stop.
    stopping = true;
    say(`${signal}: stopping every process of the run`);
    void cleanup().then(() => process.exit(130));
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  // Hard stop: twenty minutes past the planned time under load (for the start and the stop).
  const hardStop = setTimeout(
    () => {
      say('hard stop: twenty minutes past the planned time under load');
      void cleanup().then(() => process.exit(2));
    },
    (o.minutes + 20) * 60_000,
  );
  hardStop.unref();

  // Every role started from here on preloads the probe; the miners do not.
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import=${pathToFileURL(PROBE).href}`.trim();
  process.env.STRATA_SOAK_PROBE_FILE = probeFile;
  process.env.STRATA_SOAK_PROBE_SECS = String(o.sampleSecs);

  const procs = new Map<Role | 'miners', RoleProcess>();
  const died: string[] = [];
  const watch = (name: Role | 'miners', proc: RoleProcess): void => {
    procs.set(name, proc);
    proc.child.once('exit', (code, signal) => {
      if (!stopping) {
        died.push(`${name} exited (${code ?? signal}) during the run`);
        say(
          `${name} exited (${code ?? signal}) during the run; last output:\n${proc.lines.slice(-10).join('\n')}`,
        );
      }
    });
  };

  const cfg = (role: string) => join(ROOT, 'config', `${role}.toml`);
  try {
    say(`directory ${dir}; ${o.v1} V1 + ${o.sv2} SV2 miners, ${o.minutes} min, block every ${o.blockSecs} s`);
    // The miners' process holds a socket per miner (the translator and pool one each too).
    const files = softFileLimit();
    if (files < o.v1 + o.sv2 + 1000)
      say(`warning: open-file limit ${files} is low for ${o.v1 + o.sv2} miners (ulimit -n)`);
    const devnet = await startDevnet(join(dir, 'devnet'), 0, ['-c', cfg('devnet')]);
    scope.after(() => devnet.proc.stop(15_000));
    watch('devnet', devnet.proc);
    const tpKeys = makeKeys(dir);
    const tp = await startTp(devnet, tpKeys, ['-c', cfg('tp')]);
    scope.after(() => tp.proc.stop(15_000));
    watch('tp', tp.proc);
    const poolKeys = writeAuthorityKeyPair({ outDir: dir, name: 'pool-authority', force: false });
    const stack: Stack = { dir, db: join(dir, 'pool.db'), devnet, tp, tpKeys, poolKeys };
    const pool = await startPool(scope, stack, [
      '-c',
      cfg('pool'),
      '--auto-create-accounts',
      'true',
      '--vardiff-interval',
      '0',
      '--shares-per-minute',
      '1e20',
    ]);
    watch('pool', pool.proc);
    const translator = await startTranslatorProcess(scope, pool.port, poolKeys.publicPath, [
      '-c',
      cfg('translator'),
      '--downstream-port-kind',
      'cpu',
      '--enable-vardiff',
      'false',
      '--user-identity',
      'soak.translator',
    ]);
    watch('translator', translator.proc);
    say(
      `roles up: devnet ${devnet.port}, tp ${tp.port}, pool ${pool.port}, translator ${translator.port}; connecting miners`,
    );
    // Each probe closes its start line (it looks every 250 ms): the burst's lines hold the burst alone.
    writeFileSync(`${probeFile}.up`, '');
    await sleep(500);

    const miners = startNode(
      [
        MINERS,
        '--translator-port',
        String(translator.port),
        '--pool-port',
        String(pool.port),
        '--pool-key',
        poolKeys.publicPath,
        '--v1',
        String(o.v1),
        '--sv2',
        String(o.sv2),
        '--share-secs',
        String(o.shareSecs),
        '--report-secs',
        String(o.sampleSecs),
      ],
      { NODE_OPTIONS: '', STRATA_SOAK_PROBE_FILE: '' },
    );
    scope.after(() => miners.stop(20_000));
    watch('miners', miners);
    const ready = await miners.waitFor(
      (r) => r.msg === 'miners ready' || r.msg === 'miners failed',
      120_000 + (o.v1 + o.sv2) * 100,
    );
    if (ready.msg !== 'miners failed') say(`miners connected: ${JSON.stringify(ready)}`);
    else throw new Error(`the miners could not connect: ${JSON.stringify(ready)}`);

    // Load on: blocks on a timer, samples as they come; each probe closes its
    // setup line now and samples the load's own minutes from here.
    const loadStart = Date.now();
    writeFileSync(`${probeFile}.load`, '');
    let blocks = 0;
    let blockErrors = 0;
    const blockTimer = setInterval(() => {
      devnet.rpc.generatetoaddress(1, POOL_ADDRESS).then(
        () => blocks++,
        (err: unknown) => {
          blockErrors++;
          if (!stopping) say(`generatetoaddress failed: ${String(err)}`);
        },
      );
    }, o.blockSecs * 1000);
    const samples: Sample[] = [];
    const state = { offset: 0, rest: '' };
    let minerRecords = 0;
    const poll = (): void => {
      while (minerRecords < miners.records.length) {
        const r = miners.records[minerRecords++]!;
        if (r.msg !== 'counts') say(`miners: ${JSON.stringify(r)}`);
        else
          say(
            `min ${((Number(r.t) - loadStart) / 60_000).toFixed(1).padStart(5)} miners     ${JSON.stringify({ v1: r.v1, sv2: r.sv2 })}`,
          );
      }
      for (const line of readNew(probeFile, state)) {
        let s: Sample;
        try {
          s = JSON.parse(line) as Sample;
        } catch {
          continue;
        }
        samples.push(s);
        const minute =
          s.phase === 'start' || s.phase === 'setup'
            ? s.phase.padStart(5)
            : ((s.t - loadStart) / 60_000).toFixed(1).padStart(5);
        const f = (v: number, width: number): string => v.toFixed(1).padStart(width);
        const anon = typeof s.rss_anon_mb === 'number' ? ` (anon ${s.rss_anon_mb.toFixed(1)})` : '';
        say(
          [
            `min ${minute} ${s.role.padEnd(10)} rss ${f(s.rss_mb, 6)} MB${anon}`,
            `heap ${f(s.heap_used_mb, 6)}/${s.heap_total_mb.toFixed(1)} MB`,
            `el p99 ${f(s.el_p99_ms, 5)} max ${f(s.el_max_ms, 6)} ms`,
            `gc max ${f(s.gc_max_ms ?? 0, 5)} ms ${s.gc_max_kind ?? '-'}`,
            `handles ${s.handles_total} ${JSON.stringify(s.handles)}`,
          ].join('  '),
        );
      }
    };
    const end = loadStart + o.minutes * 60_000;
    while (Date.now() < end && died.length === 0) {
      await sleep(Math.min(1000, end - Date.now()));
      poll();
    }
    clearInterval(blockTimer);
    const loadMs = Date.now() - loadStart;

    // Stop: the miners first (they wait for their answers), then the roles, the pool flushing its store.
    stopping = true;
    miners.child.kill('SIGTERM');
    const final = await miners.waitFor((r) => r.msg === 'final', 30_000).catch(() => undefined);
    if (final === undefined)
      say(`the miners gave no final counts; their last output:\n${miners.lines.slice(-20).join('\n')}`);
    await miners.stop(5_000);
    poll();
    for (const role of ['translator', 'pool', 'tp', 'devnet'] as const) {
      const code = await procs.get(role)!.stop(30_000);
      if (code !== 0 && code !== 'SIGTERM' && !died.some((d) => d.startsWith(role))) {
        died.push(`${role} ended with ${code} on SIGTERM`);
      }
    }

    const store = queryDb<{ name: string; accepted: number; rejected: number; workers: number }>(
      stack.db,
      `SELECT a.name AS name, SUM(w.accepted) AS accepted, SUM(w.rejected) AS rejected, COUNT(*) AS workers
         FROM workers w JOIN accounts a ON a.id = w.account_id GROUP BY a.name`,
    );
    const shareRows = queryDb<{ name: string; n: number; blocks: number }>(
      stack.db,
      `SELECT a.name AS name, COUNT(*) AS n, SUM(s.is_block) AS blocks
         FROM shares s JOIN accounts a ON a.id = s.account_id GROUP BY a.name`,
    );
    const rejectReasons = queryDb<{ name: string; reason: string; n: number }>(
      stack.db,
      `SELECT a.name AS name, r.reason AS reason, SUM(r.count) AS n
         FROM rejects r JOIN accounts a ON a.id = r.account_id GROUP BY a.name, r.reason`,
    );
    const summary = summarize(
      o,
      samples,
      loadStart,
      loadMs,
      final,
      store,
      shareRows,
      rejectReasons,
      blocks,
      blockErrors,
      died,
    );
    const text = JSON.stringify(summary, null, 2);
    process.stdout.write(text + '\n');
    if (o.json !== undefined) writeFileSync(o.json, text + '\n');
    return summary.ok ? 0 : 1;
  } catch (err) {
    say(`failed: ${err instanceof Error ? err.message : String(err)}`);
    for (const [name, p] of procs) {
      if (p.lines.length > 0) say(`${name}, last output:\n${p.lines.slice(-10).join('\n')}`);
    }
    return 1;
  } finally {
    stopping = true;
    await cleanup();
  }
}

function summarize(
  o: Options,
  samples: Sample[],
  loadStart: number,
  loadMs: number,
  final: Record<string, unknown> | undefined,
  store: { name: string; accepted: number; rejected: number; workers: number }[],
  shareRows: { name: string; n: number; blocks: number }[],
  rejectReasons: { name: string; reason: string; n: number }[],
  blocks: number,
  blockErrors: number,
  died: string[],
) {
  const warmupEnd = loadStart + o.warmupMinutes * 60_000;
  const roles: Record<string, unknown> = {};
  const failures: string[] = [];
  const missed: string[] = [];
  const notes: string[] = [];
  // Every process on its own: the four roles, and each translator worker
  // (its primary forks one per core) as translator-worker[pid].
  const series = new Map<string, Sample[]>();
  for (const role of ROLES) series.set(role, []);
  const pidsOf = new Map<string, Set<number>>();
  for (const s of samples) {
    let pids = pidsOf.get(s.role);
    if (pids === undefined) pidsOf.set(s.role, (pids = new Set()));
    pids.add(s.pid);
  }
  for (const s of samples) {
    const several = (pidsOf.get(s.role)?.size ?? 0) > 1 || s.role === 'translator-worker';
    const key = several && !(ROLES as readonly string[]).includes(s.role) ? `${s.role}[${s.pid}]` : s.role;
    let list = series.get(key);
    if (list === undefined) series.set(key, (list = []));
    list.push(s);
  }
  for (const [role, mine] of series) {
    if (mine.length === 0) {
      failures.push(`${role}: no samples`);
      continue;
    }
    const loaded = mine.filter((s) => s.t >= loadStart && s.phase !== 'setup' && s.phase !== 'start');
    const start = mine.filter((s) => s.phase === 'start');
    const setup = mine.filter((s) => s.phase === 'setup');
    const base = loaded.find((s) => s.t >= warmupEnd) ?? loaded[0] ?? mine[0]!;
    const last = mine[mine.length - 1]!;
    const endpoints = ((last.rss_mb - base.rss_mb) / base.rss_mb) * 100;
    const measured = loaded.length > 0 ? loaded : mine;
    const p99 = Math.max(...measured.map((s) => s.el_p99_ms));
    const max = Math.max(...measured.map((s) => s.el_max_ms));
    const worst = measured.reduce((a, b) => (b.el_max_ms > a.el_max_ms ? b : a));
    const settled = loaded.filter((s) => s.t >= warmupEnd);
    // Judged on the least-squares line through every sample after the
    // warm-up: two single samples can fall on either side of a collection's
    // saw-tooth; the line moves only when memory keeps growing.
    const growth = trendGrowth(settled, (s) => s.rss_mb) ?? endpoints;
    const anon = settled.every((s) => typeof s.rss_anon_mb === 'number')
      ? trendGrowth(settled, (s) => s.rss_anon_mb!)
      : null;
    const heapBase = base.heap_used_mb;
    roles[role] = {
      samples: mine.length,
      samples_under_load: loaded.length,
      rss_mb: {
        first: mine[0]!.rss_mb,
        at_warmup_end: base.rss_mb,
        last: last.rss_mb,
        peak: Math.max(...mine.map((s) => s.rss_mb)),
      },
      rss_growth_pct: round(growth),
      rss_growth_from_two_samples_pct: round(endpoints),
      rss_anon_growth_pct: anon === null ? null : round(anon),
      rss_anon_mb: { at_warmup_end: base.rss_anon_mb ?? null, last: last.rss_anon_mb ?? null },
      rss_file_mb: { at_warmup_end: base.rss_file_mb ?? null, last: last.rss_file_mb ?? null },
      // Least-squares trend after the warm-up: steadier than two samples a garbage collection apart.
      rss_trend_mb_per_hour: slope(settled, (s) => s.rss_mb),
      heap_used_trend_mb_per_hour: slope(settled, (s) => s.heap_used_mb),
      heap_used_mb: {
        at_warmup_end: heapBase,
        last: last.heap_used_mb,
        peak: Math.max(...mine.map((s) => s.heap_used_mb)),
      },
      el_p99_ms_worst: p99,
      el_max_ms_worst: max,
      // Not judged: the process's start (module loading, database, keys)
      // until every role was up, and the miners' connection burst.
      el_start_ms: worstDelay(start),
      el_setup_ms: worstDelay(setup),
      // Whether the worst delay was a collection: the longest GC pause under
      // load, and the sample of the worst delay with its own.
      gc_max_ms_worst: Math.max(0, ...measured.map((s) => s.gc_max_ms ?? 0)),
      worst_delay_sample: {
        minute: Math.round(((worst.t - loadStart) / 60_000) * 10) / 10,
        el_max_ms: worst.el_max_ms,
        gc_max_ms: worst.gc_max_ms ?? null,
        gc_max_kind: worst.gc_max_kind ?? null,
        heap_total_mb: worst.heap_total_mb,
      },
      el_after_warmup_ms: worstDelay(settled),
      handles: {
        first: mine[0]!.handles_total,
        last: last.handles_total,
        peak: Math.max(...mine.map((s) => s.handles_total)),
      },
      meets: {
        rss_growth: growth < TARGETS.rss_growth_pct,
        el_p99: p99 < TARGETS.el_p99_ms,
        el_max: max < TARGETS.el_max_ms,
      },
    };
    if (!(growth < TARGETS.rss_growth_pct)) missed.push(`${role}: RSS grew ${round(growth)} %`);
    if (!(p99 < TARGETS.el_p99_ms)) missed.push(`${role}: event-loop delay p99 ${p99} ms`);
    if (!(max < TARGETS.el_max_ms)) missed.push(`${role}: event-loop delay max ${max} ms`);
  }
  const f = final as
    | { v1?: { accepted: number; rejected: number }; sv2?: { acknowledged: number; refused: number } }
    | undefined;
  const account = (name: string) => store.find((r) => r.name.toLowerCase() === name);
  const rows = (name: string) => shareRows.find((r) => r.name.toLowerCase() === name);
  const shares = {
    v1: {
      miners_accepted: f?.v1?.accepted ?? null,
      miners_rejected: f?.v1?.rejected ?? null,
      store_accepted: account('soakv1')?.accepted ?? 0,
      store_rejected: account('soakv1')?.rejected ?? 0,
      store_share_rows: rows('soakv1')?.n ?? 0,
      store_workers: account('soakv1')?.workers ?? 0,
    },
    sv2: {
      miners_acknowledged: f?.sv2?.acknowledged ?? null,
      miners_refused: f?.sv2?.refused ?? null,
      store_accepted: account('soaksv2')?.accepted ?? 0,
      store_rejected: account('soaksv2')?.rejected ?? 0,
      store_share_rows: rows('soaksv2')?.n ?? 0,
      store_workers: account('soaksv2')?.workers ?? 0,
    },
    miners_final: final ?? null,
    store_accounts: store,
  };
  if (final === undefined) failures.push('the miners gave no final counts');
  // The translator answers a forwarded V1 share once the pool acknowledged
  // it, after its commit, so the V1 miners' accepted count is the store's. A
  // share the pool refuses (stale just after a new block) reaches the miner
  // as a reject: the pool counts it for the V1 miner's worker (the 0x0002
  // TLV), and the miners' rejected count includes it.
  const v1Refused = shares.v1.store_rejected;
  if (shares.v1.miners_accepted !== shares.v1.store_accepted) {
    failures.push(
      `V1 shares: miners counted ${shares.v1.miners_accepted} accepted, the store ${shares.v1.store_accepted}`,
    );
  }
  if (shares.v1.miners_rejected !== null && shares.v1.miners_rejected < v1Refused) {
    failures.push(
      `V1 shares: the pool refused ${v1Refused}, the miners counted only ${shares.v1.miners_rejected} rejects`,
    );
  }
  if (v1Refused > 0) {
    notes.push(
      `V1: the pool refused ${v1Refused} forwarded shares (${JSON.stringify(
        rejectReasons.filter((r) => r.name.toLowerCase() === 'soakv1'),
      )}); their miners were answered with the pool's reason`,
    );
  }
  if (shares.sv2.miners_acknowledged !== shares.sv2.store_accepted) {
    failures.push(
      `SV2 shares: miners counted ${shares.sv2.miners_acknowledged} acknowledged, the store ${shares.sv2.store_accepted}`,
    );
  }
  failures.push(...died);
  return {
    ok: failures.length === 0,
    meets_targets: missed.length === 0,
    failures,
    missed_targets: missed,
    notes,
    targets: TARGETS,
    conditions: {
      minutes_under_load: round(loadMs / 60_000),
      v1_miners: o.v1,
      sv2_miners: o.sv2,
      share_secs: o.shareSecs,
      block_secs: o.blockSecs,
      sample_secs: o.sampleSecs,
      warmup_minutes: o.warmupMinutes,
      blocks_mined: blocks,
      block_errors: blockErrors,
      node: process.version,
    },
    roles,
    shares,
  };
}

/**
 * Growth in percent along the least-squares line of `value` from the first
 * sample's time to the last's, relative to the line's start (null under
 * three samples).
 */
function trendGrowth(samples: Sample[], value: (s: Sample) => number): number | null {
  const perHour = slope(samples, value, false);
  if (perHour === null) return null;
  const hours = (samples[samples.length - 1]!.t - samples[0]!.t) / 3_600_000;
  const mx = samples.reduce((a, s) => a + s.t / 3_600_000, 0) / samples.length;
  const my = samples.reduce((a, s) => a + value(s), 0) / samples.length;
  const start = my + perHour * (samples[0]!.t / 3_600_000 - mx);
  return start > 0 ? ((perHour * hours) / start) * 100 : null;
}

/** Least-squares slope of `value` over time, per hour (null under three samples). */
function slope(samples: Sample[], value: (s: Sample) => number, rounded = true): number | null {
  if (samples.length < 3) return null;
  const xs = samples.map((s) => s.t / 3_600_000);
  const ys = samples.map(value);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  if (den === 0) return null;
  return rounded ? round(num / den) : num / den;
}

/** The worst event-loop delay (p99 and max) over some samples; null for none. */
function worstDelay(samples: Sample[]): { p99_worst: number; max_worst: number } | null {
  if (samples.length === 0) return null;
  return {
    p99_worst: Math.max(...samples.map((s) => s.el_p99_ms)),
    max_worst: Math.max(...samples.map((s) => s.el_max_ms)),
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(usage() + '\n');
} else {
  try {
    options(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
  process.exit(await run());
}
