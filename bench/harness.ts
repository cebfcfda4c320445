// Shared helpers for `npm run bench`: every figure is one JSON line on stdout.
import { readFileSync } from 'node:fs';

export interface Figure {
  bench: string;
  value: number;
  unit: string;
  [extra: string]: unknown;
}

export function emit(figure: Figure): void {
  process.stdout.write(JSON.stringify(figure) + '\n');
}

/** Runs `fn` in growing batches until at least `minMs` of wall time has passed (after a short JIT warm-up). */
function run(fn: () => void, minMs: number): { ops: number; wallMs: number; cpuSeconds: number } {
  for (let i = 0; i < 1000; i++) fn();
  let ops = 0;
  let batch = 100;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < batch; i++) fn();
    ops += batch;
    elapsed = performance.now() - start;
    if (elapsed < minMs / 10) batch *= 2;
  }
  const used = process.cpuUsage(cpu0);
  return { ops, wallMs: elapsed, cpuSeconds: (used.user + used.system) / 1e6 };
}

/** Operations per second of wall time. */
export function opsPerSecond(fn: () => void, minMs = 1000): number {
  const r = run(fn, minMs);
  return Math.round((r.ops * 1000) / r.wallMs);
}

/**
 * Operations per second of this process's CPU time (user + system): a
 * per-core figure that holds when other work shares the machine, where
 * wall-clock rates fall with the load. Both are returned.
 */
export function opsPerCpuSecond(fn: () => void, minMs = 1000): { cpu: number; wall: number } {
  const r = run(fn, minMs);
  return { cpu: Math.round(r.ops / r.cpuSeconds), wall: Math.round((r.ops * 1000) / r.wallMs) };
}

/** Median and 99th percentile of a list of samples (same unit as the samples). */
export function percentiles(samples: number[]): { median: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { median: at(0.5), p99: at(0.99) };
}

/** CPU time (user + system) another process has used, in ms (Linux clock ticks of 10 ms). */
export function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Resident memory of a process, KiB. */
export function processRssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}
