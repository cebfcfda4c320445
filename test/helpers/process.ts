// Runs Strata roles as real child processes for tests: waits for a readiness
// log line, collects output for failure messages, and always cleans up.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CLI, ROOT } from './paths.js';

export interface RoleProcess {
  child: ChildProcess;
  /** Every stdout/stderr line seen so far (for assertions and failure messages). */
  lines: string[];
  /** JSON log records parsed from stdout. */
  records: Record<string, unknown>[];
  /** Resolves with the first record matching `pred` (past or future); rejects after `timeoutMs`. */
  waitFor(
    pred: (rec: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (or signal name). */
  stop(graceMs?: number): Promise<number | string | null>;
  /** SIGKILL at once. */
  kill(): Promise<number | string | null>;
}

/**
 * Spawns `node dist/src/cli.js ...args`. Register `stop()` with `t.after` so
 * the process ends even when the test fails.
 */
export function startRole(args: string[], env: NodeJS.ProcessEnv = {}): RoleProcess {
  return startNode([CLI, ...args], env);
}

const cliCommands = new Map<string, boolean>();

/** Whether `strata --help` lists `command` (a role not wired into the CLI yet runs from its own entry). */
export function cliHas(command: string): boolean {
  let has = cliCommands.get(command);
  if (has === undefined) {
    try {
      const help = execFileSync(process.execPath, [CLI, '--help'], { encoding: 'utf8', stdio: 'pipe' });
      has = new RegExp(`^\\s+${command}\\b`, 'm').test(help);
    } catch {
      has = false;
    }
    cliCommands.set(command, has);
  }
  return has;
}

/** `node` argv for `strata <role> ...args`: the CLI, or the role's own main.js until the CLI lists it. */
export function roleArgv(role: string, args: string[]): string[] {
  return cliHas(role) ? [CLI, role, ...args] : [join(ROOT, 'dist', 'src', 'roles', role, 'main.js'), ...args];
}

/**
 * Waits for the process's first record matching `pred` and returns it; kills
 * the process when that fails (timeout or early exit), so no caller leaks it.
 */
export async function waitReady(
  proc: RoleProcess,
  pred: (rec: Record<string, unknown>) => boolean = (r) => r.msg === 'listening',
): Promise<Record<string, unknown>> {
  try {
    return await proc.waitFor(pred);
  } catch (err) {
    await proc.kill();
    throw err;
  }
}

/** Spawns `node ...argv` (any script) with the same record collection and cleanup as startRole. */
export function startNode(argv: string[], env: NodeJS.ProcessEnv = {}): RoleProcess {
  const child = spawn(process.execPath, argv, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const records: Record<string, unknown>[] = [];
  const waiters: {
    pred: (r: Record<string, unknown>) => boolean;
    resolve: (r: Record<string, unknown>) => void;
  }[] = [];
  const onLine = (line: string) => {
    lines.push(line);
    if (lines.length > 5000) lines.shift();
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    records.push(rec);
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i]!;
      if (w.pred(rec)) {
        waiters.splice(i, 1);
        w.resolve(rec);
      }
    }
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  const exited = new Promise<number | string | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  let exitedFlag = false;
  void exited.then(() => (exitedFlag = true));

  const tail = () => lines.slice(-30).join('\n');
  return {
    child,
    lines,
    records,
    waitFor(pred, timeoutMs = 20_000) {
      const found = records.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`timed out waiting for a log record; last output:\n${tail()}`));
        }, timeoutMs);
        const onExit = () =>
          reject(new Error(`process exited before the awaited record; output:\n${tail()}`));
        void exited.then(onExit);
        waiters.push({
          pred,
          resolve: (r) => {
            clearTimeout(timer);
            resolve(r);
          },
        });
      });
    },
    async stop(graceMs = 5000) {
      if (exitedFlag || child.exitCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (exitedFlag || child.exitCode !== null) return exited;
      child.kill('SIGKILL');
      return exited;
    },
  };
}
