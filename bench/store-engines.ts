// Committed shares per second through the store's batch writer, on SQLite and
// on PostgreSQL, at a chosen batch size: shares from 100 workers are queued at
// once and committed in batches of `batch`, one transaction each, as the pool
// does under load. Used by the scale module.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../src/store/index.js';

const WORKERS = 100;

export interface CommitRate {
  /** Committed shares per second (wall clock). */
  perSecond: number;
  shares: number;
  batch: number;
}

/** Commits `shares` shares in batches of `batch` into a fresh store at `location` (a file path or a postgres:// URL). */
export async function committedShares(location: string, batch: number, shares: number): Promise<CommitRate> {
  const store = await Store.open(location, { max_batch: batch, flush_interval_ms: 1, auto_prune: false });
  try {
    for (let w = 0; w < WORKERS; w++) await store.ensureWorker(`bench${w % 10}`, `w${w}`);
    const t0 = performance.now();
    const acks: Promise<number>[] = [];
    for (let i = 0; i < shares; i++) {
      const w = i % WORKERS;
      acks.push(
        store.enqueue({
          account: `bench${w % 10}`,
          worker: `w${w}`,
          difficulty: 1024,
          share_difficulty: 1024 + i,
          channel_id: w,
          job_id: i,
        }),
      );
    }
    await store.flush();
    await Promise.all(acks);
    const seconds = (performance.now() - t0) / 1000;
    return { perSecond: Math.round(shares / seconds), shares, batch };
  } finally {
    await store.close();
  }
}

/** A fresh SQLite file path (its directory removed by the returned cleanup). */
export function tempSqlite(): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'strata-store-engines-'));
  return { path: join(dir, 'pool.db'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
