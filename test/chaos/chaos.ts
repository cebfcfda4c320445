// Kill loops: the whole stack (devnet, tp, pool, translator, started as
// start-pool.sh starts them) under V1 miners through the translator and SV2
// miners on the pool; each round SIGKILLs one role, chosen with a seeded
// PRNG, at a random moment, starts it again with the same command line and
// checks:
// - the pool database opens and PRAGMA integrity_check answers "ok";
// - SV2, per worker: every acknowledged share is stored (stored ≥ the sum of
//   new_submits_accepted_count) and none twice (stored ≤ sent − refused);
// - V1, per worker: no share stored twice (stored ≤ submitted), and every
//   `true` answer is accounted for by the pool (a stored share or a counted
//   reject), whatever role was killed: the translator answers a forwarded
//   share only once the pool has acknowledged it, after its commit;
// - every V1 miner has new work (a mining.notify) within 10 s of the killed
//   role's return;
// - no other role exited (each role recovers by itself).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { ChaosStack, ROLES, type Role } from './stack.js';
import { Sv2Miner, V1Miner, type MinerCounts } from './miners.js';
import { Rng } from '../messages/random-values.js';

export interface ChaosOptions {
  seed: number;
  rounds: number;
  v1: number;
  sv2: number;
  /** Roles to pick from (default all four). */
  roles: readonly Role[];
  /** The role of each round in turn instead of a random one (tests). */
  plan?: readonly Role[];
  /** Mean seconds between one V1 miner's shares. */
  v1IntervalSecs: number;
  /** Mean seconds between one SV2 miner's shares. */
  sv2IntervalSecs: number;
  /** The kill comes this many seconds into the round, uniformly in [min, max]. */
  killMinSecs: number;
  killMaxSecs: number;
  /** Longest wait for the V1 miners' work after a return (the check is 10 s). */
  workTimeoutSecs: number;
  /** Keep the stack's directory (logs are in memory; the database stays). */
  keep: boolean;
}

export const DEFAULTS: ChaosOptions = {
  seed: 1,
  rounds: 20,
  v1: 500,
  sv2: 50,
  roles: ROLES,
  v1IntervalSecs: 10,
  sv2IntervalSecs: 10,
  killMinSecs: 3,
  killMaxSecs: 15,
  workTimeoutSecs: 30,
  keep: false,
};

/** V1 miners must be back on work this soon after the role's return. */
export const WORK_LIMIT_MS = 10_000;

export interface RoundReport {
  round: number;
  role: Role;
  /** Seconds into the round when the role was killed. */
  killedAfterSecs: number;
  /** Kill to the role's ready log record. */
  returnMs: number;
  /** After the return: the V1 miner with the slowest new mining.notify, and the median. */
  v1WorkMaxMs: number | null;
  v1WorkMedianMs: number | null;
  /** V1 miners without new work within workTimeoutSecs. */
  v1WithoutWork: number;
  integrity: string;
  sv2: { submitted: number; acknowledged: number; refused: number; stored: number };
  v1: {
    submitted: number;
    acknowledged: number;
    refused: number;
    stored: number;
    rejectedByPool: number;
    unaccounted: number;
  };
  violations: string[];
}

export interface ChaosSummary {
  options: Omit<ChaosOptions, 'plan'> & { plan?: readonly Role[] };
  rounds: RoundReport[];
  kills: Record<string, number>;
  sharesChecked: { sv2Acknowledged: number; sv2Stored: number; v1Acknowledged: number; v1Stored: number };
  v1UnaccountedTotal: number;
  returnMs: { max: number; median: number };
  v1WorkMs: { max: number | null; median: number | null };
  violations: string[];
  ok: boolean;
}

/** A seeded PRNG in [0, 1): mulberry32, the messages tests' Rng. */
export function prng(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.u32() / 0x100000000;
}

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

const ACCOUNT = 'chaos';

interface DbCounts {
  integrity: string;
  stored: Map<string, number>;
  rejected: Map<string, number>;
}

/** Opens the pool database read-only: integrity_check, accepted shares and counted rejects per worker. */
export function readDb(path: string): DbCounts {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    const integrity = rows.map((r) => r.integrity_check).join('; ');
    const stored = new Map<string, number>();
    for (const r of db
      .prepare(
        `SELECT w.name AS name, COUNT(*) AS n FROM shares s JOIN workers w ON w.id = s.worker_id
         JOIN accounts a ON a.id = s.account_id WHERE a.name = ? GROUP BY w.name`,
      )
      .all(ACCOUNT) as { name: string; n: number }[]) {
      stored.set(r.name, r.n);
    }
    const rejected = new Map<string, number>();
    for (const r of db
      .prepare(
        `SELECT w.name AS name, SUM(r.count) AS n FROM rejects r JOIN workers w ON w.id = r.worker_id
         JOIN accounts a ON a.id = r.account_id WHERE a.name = ? GROUP BY w.name`,
      )
      .all(ACCOUNT) as { name: string; n: number }[]) {
      rejected.set(r.name, r.n);
    }
    return { integrity, stored, rejected };
  } finally {
    db.close();
  }
}

/** Waits until `check` holds (polling every 100 ms) or `ms` pass; whether it held. */
async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

export class Chaos {
  private stack: ChaosStack | undefined;
  private dir: string | undefined;
  private readonly v1: V1Miner[] = [];
  private readonly sv2: Sv2Miner[] = [];
  private readonly running: Promise<void>[] = [];
  private readonly paused = { value: false };
  private readonly random: () => number;
  private closed = false;

  constructor(
    readonly o: ChaosOptions,
    private readonly say: (line: string) => void = (l) => console.log(l),
  ) {
    this.random = prng(o.seed);
  }

  /** Runs every round; always stops what it started. */
  async run(): Promise<ChaosSummary> {
    try {
      return await this.rounds();
    } finally {
      await this.close();
    }
  }

  /** Stops the miners and the stack, removes the directory (unless kept). Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const m of [...this.v1, ...this.sv2]) m.stop();
    const t0 = performance.now();
    await Promise.race([Promise.allSettled(this.running), sleep(5_000, undefined, { ref: false })]);
    const t1 = performance.now();
    await this.stack?.stopAll();
    if (process.env.STRATA_CHAOS_DEBUG === '1') {
      this.say(
        `miners stopped in ${Math.round(t1 - t0)} ms, roles in ${Math.round(performance.now() - t1)} ms`,
      );
    }
    if (this.dir && !this.o.keep) rmSync(this.dir, { recursive: true, force: true });
    else if (this.dir) this.say(`kept ${this.dir}`);
  }

  /** SIGKILL to every role without waiting (process exit). */
  killNow(): void {
    this.stack?.killAllNow();
  }

  private async rounds(): Promise<ChaosSummary> {
    const o = this.o;
    this.dir = mkdtempSync(join(tmpdir(), 'strata-chaos-'));
    const stack = await ChaosStack.prepare(this.dir, [ACCOUNT]);
    this.stack = stack;
    await stack.startAll();
    this.say(`stack up in ${this.dir} (pool ${stack.ports.pool}, translator ${stack.ports.translator})`);

    const poolKey = join(this.dir, 'data', 'keys', 'pool-authority.pub');
    const keys = { publicPath: poolKey, publicKey: '', secretPath: '' };
    const fleet = { random: this.random };
    for (let i = 0; i < o.sv2; i++) {
      const m = new Sv2Miner(
        `${ACCOUNT}.sv2-${String(i).padStart(3, '0')}`,
        () => stack.ports.pool,
        keys,
        { ...fleet, intervalMs: o.sv2IntervalSecs * 1000 },
        this.paused,
      );
      this.sv2.push(m);
      this.running.push(m.run());
    }
    for (let i = 0; i < o.v1; i++) {
      const m = new V1Miner(
        i,
        `${ACCOUNT}.v1-${String(i).padStart(4, '0')}`,
        stack.ports.translator,
        { ...fleet, intervalMs: o.v1IntervalSecs * 1000 },
        this.paused,
      );
      this.v1.push(m);
      this.running.push(m.run());
      if (i % 50 === 49) await sleep(200);
    }
    const t0 = performance.now();
    const allWorking = await until(
      () => this.v1.every((m) => m.lastNotify > 0) && this.sv2.every((m) => m.client?.prev !== undefined),
      120_000,
    );
    if (!allWorking) throw new Error('the miners did not all get work within 120 s of the start');
    this.say(`${o.v1} V1 and ${o.sv2} SV2 miners on work after ${Math.round(performance.now() - t0)} ms`);

    const reports: RoundReport[] = [];
    for (let r = 1; r <= o.rounds; r++) {
      reports.push(await this.round(r));
      const x = reports.at(-1)!;
      this.say(
        `round ${r}/${o.rounds}: killed ${x.role} after ${x.killedAfterSecs.toFixed(1)} s, back in ${x.returnMs} ms; ` +
          `V1 work max ${x.v1WorkMaxMs ?? '-'} ms (median ${x.v1WorkMedianMs ?? '-'}, ${x.v1WithoutWork} without); ` +
          `SV2 acknowledged ${x.sv2.acknowledged} stored ${x.sv2.stored} sent ${x.sv2.submitted}; ` +
          `V1 acknowledged ${x.v1.acknowledged} stored ${x.v1.stored} rejected by pool ${x.v1.rejectedByPool} ` +
          `unaccounted ${x.v1.unaccounted}; integrity_check ${x.integrity}` +
          (x.violations.length ? `; VIOLATIONS: ${x.violations.join(' | ')}` : ''),
      );
    }
    return this.summary(reports);
  }

  private pick(r: number): Role {
    const plan = this.o.plan;
    if (plan && plan.length > 0) return plan[(r - 1) % plan.length]!;
    return this.o.roles[Math.floor(this.random() * this.o.roles.length)]!;
  }

  private async round(r: number): Promise<RoundReport> {
    const o = this.o;
    const stack = this.stack!;
    const violations: string[] = [];
    const role = this.pick(r);
    const killedAfterSecs = o.killMinSecs + this.random() * (o.killMaxSecs - o.killMinSecs);
    await sleep(killedAfterSecs * 1000);

    const killedAt = performance.now();
    await stack.kill(role);
    try {
      await stack.start(role);
    } catch (err) {
      violations.push(`${role} did not come back: ${(err as Error).message.split('\n')[0]}`);
    }
    const readyAt = performance.now();
    const returnMs = Math.round(readyAt - killedAt);

    // Back on work: a mining.notify after the return, for every V1 miner.
    await until(() => this.v1.every((m) => m.lastNotify > readyAt), o.workTimeoutSecs * 1000);
    const delays = this.v1.filter((m) => m.lastNotify > readyAt).map((m) => m.lastNotify - readyAt);
    const v1WithoutWork = this.v1.length - delays.length;
    const v1WorkMaxMs = delays.length ? Math.round(Math.max(...delays)) : null;
    if (v1WithoutWork > 0)
      violations.push(`${v1WithoutWork} V1 miners without new work ${o.workTimeoutSecs} s after the return`);
    else if (v1WorkMaxMs !== null && v1WorkMaxMs > WORK_LIMIT_MS) {
      violations.push(
        `a V1 miner waited ${v1WorkMaxMs} ms for work after the return (limit ${WORK_LIMIT_MS})`,
      );
    }
    // And the SV2 miners connected with work again (reported through the share counts).
    await until(() => this.sv2.every((m) => m.client?.prev !== undefined), o.workTimeoutSecs * 1000);

    // A role that died with the killed one needed a manual step: record it and start it again.
    for (const e of stack.unexpectedExits.splice(0)) {
      violations.push(`${e.role} exited (${String(e.code)}) while ${role} was down or coming back`);
      if (!stack.running(e.role)) {
        try {
          await stack.start(e.role);
        } catch (err) {
          violations.push(`${e.role} did not restart: ${(err as Error).message.split('\n')[0]}`);
        }
      }
    }

    // Settle: no new shares, every answer in, the pool's last batch committed.
    this.paused.value = true;
    await until(() => this.v1.every((m) => !m.pending) && this.sv2.every((m) => m.inFlight <= 0), 10_000);
    await sleep(1_500);
    let db: DbCounts;
    try {
      db = readDb(stack.db);
    } catch (err) {
      db = { integrity: `cannot open: ${(err as Error).message}`, stored: new Map(), rejected: new Map() };
    }
    this.paused.value = false;
    if (db.integrity !== 'ok') violations.push(`integrity_check: ${db.integrity}`);

    const sv2 = { submitted: 0, acknowledged: 0, refused: 0, stored: 0 };
    for (const m of this.sv2) {
      const c = m.snapshot();
      const stored = db.stored.get(workerOf(c)) ?? 0;
      add(sv2, c, stored);
      if (stored < c.acknowledged)
        violations.push(`${c.worker}: ${c.acknowledged} acknowledged, ${stored} stored`);
      if (stored > c.submitted - c.refused) {
        violations.push(
          `${c.worker}: ${stored} stored, more than ${c.submitted} sent − ${c.refused} refused`,
        );
      }
    }
    const v1 = { submitted: 0, acknowledged: 0, refused: 0, stored: 0, rejectedByPool: 0, unaccounted: 0 };
    for (const m of this.v1) {
      const c = m.counts;
      const stored = db.stored.get(workerOf(c)) ?? 0;
      const rejected = db.rejected.get(workerOf(c)) ?? 0;
      add(v1, c, stored);
      v1.rejectedByPool += rejected;
      v1.unaccounted += Math.max(0, c.acknowledged - stored - rejected);
      if (stored > c.submitted)
        violations.push(`${c.worker}: ${stored} stored, more than ${c.submitted} submitted`);
    }
    const before = this.lastUnaccounted;
    this.lastUnaccounted = v1.unaccounted;
    if (v1.unaccounted > before) {
      violations.push(
        `${v1.unaccounted - before} V1 shares answered true are neither stored nor rejected by the pool`,
      );
    }
    for (const p of stack.procs.values()) p.records.length = 0;

    return {
      round: r,
      role,
      killedAfterSecs,
      returnMs,
      v1WorkMaxMs,
      v1WorkMedianMs: delays.length ? Math.round(median(delays)!) : null,
      v1WithoutWork,
      integrity: db.integrity,
      sv2,
      v1,
      violations,
    };
  }

  private lastUnaccounted = 0;

  private summary(rounds: RoundReport[]): ChaosSummary {
    const kills: Record<string, number> = {};
    for (const r of rounds) kills[r.role] = (kills[r.role] ?? 0) + 1;
    const last = rounds.at(-1);
    const work = rounds.map((r) => r.v1WorkMaxMs).filter((x): x is number => x !== null);
    const returns = rounds.map((r) => r.returnMs);
    const violations = rounds.flatMap((r) => r.violations.map((v) => `round ${r.round} (${r.role}): ${v}`));
    return {
      options: this.o,
      rounds,
      kills,
      sharesChecked: {
        sv2Acknowledged: last?.sv2.acknowledged ?? 0,
        sv2Stored: last?.sv2.stored ?? 0,
        v1Acknowledged: last?.v1.acknowledged ?? 0,
        v1Stored: last?.v1.stored ?? 0,
      },
      v1UnaccountedTotal: last?.v1.unaccounted ?? 0,
      returnMs: { max: Math.max(0, ...returns), median: median(returns) ?? 0 },
      v1WorkMs: { max: work.length ? Math.max(...work) : null, median: median(work) },
      violations,
      ok: violations.length === 0,
    };
  }
}

/** The worker part of `account.worker`. */
function workerOf(c: MinerCounts): string {
  return c.worker.slice(c.worker.indexOf('.') + 1);
}

function add(
  sum: { submitted: number; acknowledged: number; refused: number; stored: number },
  c: MinerCounts,
  stored: number,
): void {
  sum.submitted += c.submitted;
  sum.acknowledged += c.acknowledged;
  sum.refused += c.refused;
  sum.stored += stored;
}
