// Node flags of the worker processes a primary forks (translator and pool
// `workers`). V8 grows a busy process's young generation to 16 MiB per
// semi-space and shrinks it again when traffic dips, so a worker's resident
// memory swung by some 30 MB with the traffic (a 30-minute soak read it as
// 10–23 % growth) while its live heap stayed flat. Workers start with
// semi-spaces of WORKER_SEMI_SPACE_MB: at 60,000 V1 submits/s through two
// workers the plateau and p99 were the same as with the default. An
// operator's own --max-semi-space-size (command line or NODE_OPTIONS) wins.

/** Young-generation semi-space of a worker process, MiB. */
export const WORKER_SEMI_SPACE_MB = 2;

/** execArgv for a forked worker: the primary's own flags, plus the semi-space size unless one is set. */
export function workerExecArgv(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
): string[] {
  const set = (flag: string) =>
    flag.startsWith('--max-semi-space-size') || flag.startsWith('--max_semi_space_size');
  if (execArgv.some(set) || nodeOptions.split(/\s+/).some(set)) return [...execArgv];
  return [...execArgv, `--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`];
}
