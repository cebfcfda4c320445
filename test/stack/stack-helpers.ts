// Shared by the stack tests: runs start-pool.sh as a real process with a
// bounded run time, writes stack.toml variants, picks free loopback ports.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths.js';

export { freePorts } from '../helpers/resources.js';

export interface ScriptResult {
  code: number | string | null;
  stdout: string;
  stderr: string;
}

/** Runs `<dir>/start-pool.sh args...`; SIGKILLs its process group after `timeoutMs`. */
export function runStartPool(
  dir: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 120_000,
): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(dir, 'start-pool.sh'), ...args], {
      cwd: dir,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, stdout, stderr });
    });
  });
}

/** Environment that reuses the installed dependencies and, when asked, the existing build. */
export function quickEnv(skipBuild: boolean): NodeJS.ProcessEnv {
  return { STRATA_SKIP_INSTALL: '1', ...(skipBuild ? { STRATA_SKIP_BUILD: '1' } : {}) };
}

/**
 * config/stack.toml with `edits` applied: "table.key" (or "key" for the top
 * level) → TOML value text. Every edited key must already be in the file,
 * so a renamed key fails the test instead of being silently added.
 */
export function stackToml(
  edits: Record<string, string>,
  text = readFileSync(join(ROOT, 'config', 'stack.toml'), 'utf8'),
): string {
  const lines = text.split('\n');
  const pending = new Map(Object.entries(edits));
  let table = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const header = /^\[([A-Za-z0-9_]+)\]\s*$/.exec(line);
    if (header) {
      table = header[1]!;
      continue;
    }
    const kv = /^([A-Za-z0-9_]+)\s*=/.exec(line);
    if (!kv) continue;
    const full = table === '' ? kv[1]! : `${table}.${kv[1]}`;
    const value = pending.get(full);
    if (value === undefined) continue;
    lines[i] = `${kv[1]} = ${value}`;
    pending.delete(full);
  }
  if (pending.size > 0) throw new Error(`stack.toml has no key ${[...pending.keys()].join(', ')}`);
  return lines.join('\n');
}

/** TOML string literal. */
export const tomlString = (s: string): string => JSON.stringify(s);

/** Whether something accepts connections on 127.0.0.1:port. */
export function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Whether a PID is a live process (zombies count as gone). */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/** JSON records of a log file (other lines skipped). */
export function logRecords(file: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a line being written
    }
  }
  return out;
}

/** The last lines of a file, for failure messages. */
export function tail(file: string, n = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Polls `check` every 500 ms, at most `tries` times; resolves with its first truthy result. */
export async function poll<T>(
  check: () => Promise<T | undefined> | T | undefined,
  tries: number,
): Promise<T | undefined> {
  for (let i = 0; i < tries; i++) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    await new Promise((r) => setTimeout(r, 500));
  }
  return undefined;
}
