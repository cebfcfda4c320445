// The translator as its own process for the V1 benchmarks, behind a scripted
// SV2 pool, with the open-file limit the many-socket benchmarks need.
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ScriptedPool } from '../test/translator/scripted-pool.js';

const MAIN = fileURLToPath(new URL('../src/roles/translator/main.js', import.meta.url));
/** What the many-socket benchmarks raise the soft limit to (the hard limit here is 20,000). */
export const FILES_WANTED = 20_000;

export interface BenchTranslator {
  port: number;
  pid: number;
  /** Every process of the translator: `pid` and, with `workers` > 1, its workers. */
  pids: number[];
  stop: () => void;
}

/**
 * Starts `translator` with `lines` of TOML (its upstream, the scripted pool,
 * is appended) and Node flags `nodeFlags`, and resolves once it listens.
 */
export async function startBenchTranslator(
  dir: string,
  pool: ScriptedPool,
  lines: string[],
  nodeFlags: readonly string[] = [],
): Promise<BenchTranslator> {
  const config = join(dir, 'translator.toml');
  writeFileSync(
    config,
    [
      ...lines,
      '[[upstreams]]',
      'address = "127.0.0.1"',
      `port = ${pool.port}`,
      `authority_pubkey = "${pool.authorityPublicKey}"`,
      'user_identity = "bench"',
    ].join('\n'),
  );
  const child = spawn(process.execPath, [...nodeFlags, MAIN, '-c', config, '--log-level', 'info'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const pids = [child.pid!];
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const r = JSON.parse(line) as { msg?: string; port?: number; worker_pid?: number };
        // The primary starts its workers before it listens.
        if (r.msg === 'translator worker started' && r.worker_pid !== undefined) pids.push(r.worker_pid);
        if (r.msg === 'listening') resolve(r.port!);
      } catch {
        // not a log record
      }
    });
    child.once('exit', () => reject(new Error('translator exited')));
  });
  return { port, pid: child.pid!, pids, stop: () => child.kill('SIGTERM') };
}

/**
 * The translator's TOML for a V1 load generator: loopback, `workers`
 * processes, limits above what the benchmarks open, and the per-miner
 * protections off. A load generator is one address sending far above a
 * miner's rate, and every random share is invalid: those protections would
 * close its connections, which is not what is measured.
 */
export function loadTestLines(workers: number): string[] {
  return [
    'downstream_address = "127.0.0.1"',
    'downstream_port = 0',
    `workers = ${workers}`,
    'summary_interval_secs = 0',
    'handshake_timeout_secs = 120',
    'verify_accounts = false',
    'log_level = "warn"',
    '[limits]',
    'max_connections = 20000',
    'max_connections_per_ip = 20000',
    'max_submits_per_second = 1000000',
    'invalid_shares_fresh_work = 1000000000',
    'invalid_shares_reconnect = 1000000000',
  ];
}

export function softFileLimit(): number {
  const text = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  return text === 'unlimited' ? Infinity : Number(text);
}

/**
 * Runs `run` here when the soft open-file limit is high enough, else re-runs
 * the module file `self` under `ulimit -Sn 20000` with the same arguments.
 */
export async function withFileLimit(self: string, run: () => Promise<void>): Promise<void> {
  if (softFileLimit() >= FILES_WANTED || process.env.STRATA_BENCH_ULIMIT === '1') return run();
  const child = spawn(
    'bash',
    [
      '-c',
      `ulimit -Sn ${FILES_WANTED} 2>/dev/null; exec "${process.execPath}" "${self}" "$@"`,
      '--',
      ...process.argv.slice(2),
    ],
    { stdio: 'inherit', env: { ...process.env, STRATA_BENCH_ULIMIT: '1' } },
  );
  await new Promise<void>((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bench exited with ${code}`)))),
  );
}
