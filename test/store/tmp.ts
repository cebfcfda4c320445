// Temporary SQLite files for the store tests, removed when the test ends.
import type { TestContext } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDbPath(t: TestContext, name = 'pool.db'): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, name);
}
