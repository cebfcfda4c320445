// Aggregation of one share batch into the stats buckets and worker rows, so
// the transaction does one upsert per touched bucket instead of one per share.

export const MINUTE_MS = 60_000;
export const TEN_MINUTES_MS = 600_000;
/** 1-minute buckets are kept this long (they serve the 10 min and 1 h windows, and refine 24 h). */
export const MINUTE_BUCKETS_KEEP_MS = 3 * 3600_000;

export function bucketStart(time: number, size: number): number {
  return time - (((time % size) + size) % size);
}

export interface BucketSum {
  id: number;
  bucket: number;
  accepted_difficulty: number;
  accepted: number;
  rejected: number;
}

export interface WorkerSum {
  worker_id: number;
  accepted: number;
  rejected: number;
  /** Newest share time in the batch, or null when the batch only rejected. */
  last_share_at: number | null;
  best_share_difficulty: number;
  current_difficulty: number | null;
}

export interface RejectSum {
  worker_id: number;
  account_id: number;
  bucket: number;
  reason: string;
  count: number;
}

export type Scope = 'pool' | 'account' | 'worker';
export type Resolution = '1m' | '10m';

export const SCOPES: readonly Scope[] = ['pool', 'account', 'worker'];
export const RESOLUTIONS: readonly Resolution[] = ['1m', '10m'];
export const RESOLUTION_MS: Record<Resolution, number> = { '1m': MINUTE_MS, '10m': TEN_MINUTES_MS };

/** One stats table's sums in a batch: by bucket start, then by id (all numbers, no string keys per share). */
interface TableSums {
  table: string;
  scope: Scope;
  size: number;
  sums: Map<number, Map<number, BucketSum>>;
}

export class BatchAggregate {
  private readonly tables: TableSums[] = [];
  readonly workers = new Map<number, WorkerSum>();
  readonly rejects = new Map<string, RejectSum>();
  readonly rejectTotals = new Map<string, { account_id: number; reason: string; count: number }>();

  constructor() {
    for (const r of RESOLUTIONS) {
      for (const s of SCOPES)
        this.tables.push({ table: `${s}_${r}`, scope: s, size: RESOLUTION_MS[r], sums: new Map() });
    }
  }

  accepted(
    account_id: number,
    worker_id: number,
    time: number,
    difficulty: number,
    shareDifficulty: number,
    belowTarget = false,
  ): void {
    this.bump(account_id, worker_id, time, difficulty, 1, 0);
    const w = this.worker(worker_id);
    w.accepted++;
    if (w.last_share_at === null || time >= w.last_share_at) {
      w.last_share_at = time;
      // A block below the channel target is credited at the network difficulty, not the channel's.
      if (!belowTarget) w.current_difficulty = difficulty;
    }
    if (shareDifficulty > w.best_share_difficulty) w.best_share_difficulty = shareDifficulty;
  }

  rejected(account_id: number, worker_id: number, time: number, reason: string): void {
    this.bump(account_id, worker_id, time, 0, 0, 1);
    this.worker(worker_id).rejected++;
    const bucket = bucketStart(time, TEN_MINUTES_MS);
    const key = `${worker_id}\0${bucket}\0${reason}`;
    const r = this.rejects.get(key);
    if (r) r.count++;
    else this.rejects.set(key, { worker_id, account_id, bucket, reason, count: 1 });
    const tkey = `${account_id}\0${reason}`;
    const t = this.rejectTotals.get(tkey);
    if (t) t.count++;
    else this.rejectTotals.set(tkey, { account_id, reason, count: 1 });
  }

  private worker(worker_id: number): WorkerSum {
    let w = this.workers.get(worker_id);
    if (!w) {
      w = {
        worker_id,
        accepted: 0,
        rejected: 0,
        last_share_at: null,
        best_share_difficulty: 0,
        current_difficulty: null,
      };
      this.workers.set(worker_id, w);
    }
    return w;
  }

  private bump(
    account_id: number,
    worker_id: number,
    time: number,
    diff: number,
    acc: number,
    rej: number,
  ): void {
    for (const t of this.tables) {
      const bucket = bucketStart(time, t.size);
      const id = t.scope === 'pool' ? 0 : t.scope === 'account' ? account_id : worker_id;
      let byId = t.sums.get(bucket);
      if (!byId) t.sums.set(bucket, (byId = new Map()));
      const b = byId.get(id);
      if (b) {
        b.accepted_difficulty += diff;
        b.accepted += acc;
        b.rejected += rej;
      } else {
        byId.set(id, { id, bucket, accepted_difficulty: diff, accepted: acc, rejected: rej });
      }
    }
  }

  /** Every touched bucket of the batch with its table (`<scope>_<resolution>`), for one upsert each. */
  *bucketSums(): Generator<{ table: string; scope: Scope; sum: BucketSum }> {
    for (const t of this.tables) {
      for (const byId of t.sums.values())
        for (const sum of byId.values()) yield { table: t.table, scope: t.scope, sum };
    }
  }
}
