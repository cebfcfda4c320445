// Running the shared V1 load generator (`../shared/tools/v1load.mjs`, or the
// file named by V1LOAD) from the benchmarks: one command at a time, and the
// `submit` ladder (rising offered rates from 100 connections) with its
// figures: the best rate answered with p99 < 100 ms, and the plateau.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emit } from './harness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Local source addresses the load generator spreads its connections over. */
export const SOURCES = '127.0.0.2-41';

export function v1loadPath(): string | null {
  const path = process.env.V1LOAD ?? join(ROOT, '..', 'shared', 'tools', 'v1load.mjs');
  return existsSync(path) ? path : null;
}

/** Runs one v1load command; resolves with the JSON object it prints. */
export function v1load(script: string, args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    child.once('exit', (code) => {
      try {
        resolve(JSON.parse(out) as Record<string, unknown>);
      } catch {
        reject(new Error(`v1load ${args[0]} exited with ${code}: ${err.trim().split('\n').pop()}`));
      }
    });
  });
}

/** The machine's CPU counters (all cores, clock ticks): idle and total. */
function machineCpu(): { idle: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    return { idle: (v[3] ?? 0) + (v[4] ?? 0), total: v.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}

export interface SubmitStep {
  offered: number;
  answered: number;
  median: number | null;
  p99: number | null;
  /** The server's CPU over the step, percent of one core (all its pids added up), if pids were given. */
  cpuPct: number | null;
  /** Share of the machine's CPU time (all cores) left idle during the step, percent. */
  machineIdlePct: number | null;
}

export interface Ladder {
  steps: SubmitStep[];
  /** The best step answered with p99 < 100 ms (and ≥ 95 % of the offer), if any. */
  bestUnder100: SubmitStep | null;
  /** The most answers per second of any step. */
  plateau: number;
}

/**
 * `submit` from 100 connections at each rate per connection of `rates`, in
 * order, for `seconds` each; stops once the server is saturated well past
 * the p99 bound. `common` holds --port, --src-ips, --pid, --user. Each step
 * is emitted as `bench` with `fields` added.
 */
export async function submitLadder(
  script: string,
  common: string[],
  rates: readonly number[],
  seconds: number,
  bench: string,
  fields: Record<string, unknown> = {},
): Promise<Ladder> {
  const steps: SubmitStep[] = [];
  let bestUnder100: SubmitStep | null = null;
  let plateau = 0;
  for (const rate of rates) {
    const before = machineCpu();
    const r = await v1load(script, [
      'submit',
      ...common,
      '--n',
      '100',
      '--rate',
      String(rate),
      '--seconds',
      String(seconds),
    ]);
    const after = machineCpu();
    const latency = r.latency_ms as { median: number | null; p99: number | null };
    const step: SubmitStep = {
      offered: Number(r.offered_per_s),
      answered: Number(r.answered_per_s),
      median: latency.median,
      p99: latency.p99,
      cpuPct: typeof r.server_cpu_pct === 'number' ? r.server_cpu_pct : null,
      machineIdlePct:
        before && after && after.total > before.total
          ? Math.round((1000 * (after.idle - before.idle)) / (after.total - before.total)) / 10
          : null,
    };
    steps.push(step);
    emit({
      bench,
      value: step.answered,
      ...fields,
      unit: 'answers/s',
      offered_per_s: step.offered,
      median_ms: step.median,
      p99_ms: step.p99,
      server_cpu_pct: r.server_cpu_pct ?? null,
      machine_idle_pct: step.machineIdlePct,
      rejected: r.rejected,
      disconnects: r.disconnects,
    });
    plateau = Math.max(plateau, step.answered);
    if (step.p99 !== null && step.p99 < 100 && step.answered >= 0.95 * step.offered) {
      if (!bestUnder100 || step.answered > bestUnder100.answered) bestUnder100 = step;
    }
    // Saturated well past the p99 bound: higher offers only queue more.
    if (step.p99 === null || step.p99 > 2000 || step.answered < 0.5 * step.offered) break;
  }
  return { steps, bestUnder100, plateau };
}
