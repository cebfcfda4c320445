// Temporary directories and loopback ports for tests and benchmarks.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where cleanups go: a test's context (t.after), or a benchmark's own list. */
export interface Cleanup {
  after(fn: () => unknown): void;
}

/** A fresh directory, removed when `t` ends (kept when no `t` is given). */
export function tempDir(t: Cleanup | undefined, prefix = 'strata-tp-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t?.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `n` distinct ports that were free on 127.0.0.1 a moment ago (all bound at once, then released). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** A port that was free a moment ago (bind 0, read it, release). */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}
