// Node flags of the worker processes a primary forks (translator and pool
// `workers`), and the heap settings of the translator's primary.
//
// V8 grows a busy process's young generation to 16 MiB per semi-space and
// shrinks it again when traffic dips, so a worker's resident memory swung by
// some 30 MB with the traffic (a 30-minute soak read it as 10–23 % growth)
// while its live heap stayed flat. Pool workers start with semi-spaces of
// 2 MiB: at 60,000 V1 submits/s through two translator workers the plateau
// and p99 were the same as with the default.
//
// Translator workers hold thousands of idle connections each and allocate
// little per share, so they start leaner still: 1 MiB semi-spaces, and the
// old generation collected once it grows 10 % past what the last full
// collection kept (V8 otherwise lets it grow by up to 4x on a small heap
// first). With 10,000 idle V1 connections on two workers that took the
// memory per connection from 5.3 to 4.1 kB once all were connected (README,
// "Scaling out"). The translator's primary gets the same at run time
// (leanPrimaryHeap). An operator's own flags (command line or NODE_OPTIONS)
// win.
import v8 from 'node:v8';

export interface WorkerHeap {
  /** --max-semi-space-size, MiB. */
  semiSpaceMb: number;
  /** --heap-growing-percent (unset: V8's own heap growing). */
  heapGrowingPercent?: number;
}

/** Pool workers. */
export const WORKER_HEAP: WorkerHeap = { semiSpaceMb: 2 };
/** Translator workers: many idle connections, little allocation per share. */
export const LEAN_HEAP: WorkerHeap = { semiSpaceMb: 1, heapGrowingPercent: 10 };

const given = (flag: string, list: readonly string[]) => {
  const names = [flag, `--${flag.slice(2).replaceAll('-', '_')}`];
  return list.some((f) => names.some((n) => f === n || f.startsWith(`${n}=`)));
};

/** The operator set the young generation's size (command line or NODE_OPTIONS). */
const semiSpaceGiven = (execArgv: readonly string[], nodeOptions: string) =>
  given('--max-semi-space-size', execArgv) || given('--max-semi-space-size', nodeOptions.split(/\s+/));

/** execArgv for a forked worker: the primary's own flags, plus `heap` where the operator set nothing. */
export function workerExecArgv(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
  heap: WorkerHeap = WORKER_HEAP,
): string[] {
  const out = [...execArgv];
  if (!semiSpaceGiven(execArgv, nodeOptions)) out.push(`--max-semi-space-size=${heap.semiSpaceMb}`);
  if (heap.heapGrowingPercent !== undefined && !given('--heap-growing-percent', execArgv))
    out.push(`--heap-growing-percent=${heap.heapGrowingPercent}`);
  return out;
}

/**
 * The translator's primary holds no connection, only counts, but a burst
 * of connections grew its young generation to 16 MiB semi-spaces (its
 * admission messages): keep it at its starting size, and its old
 * generation as LEAN_HEAP's, unless the command line says otherwise. Both
 * V8 settings are read at each collection, so setting them now takes.
 */
export function leanPrimaryHeap(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
): string[] {
  const set: string[] = [];
  if (!semiSpaceGiven(execArgv, nodeOptions)) set.push('--semi-space-growth-factor=1');
  if (!given('--heap-growing-percent', execArgv))
    set.push(`--heap-growing-percent=${LEAN_HEAP.heapGrowingPercent!}`);
  for (const flag of set) v8.setFlagsFromString(flag);
  return set;
}
