// Messages between the hashing engine and its worker threads.
import type { FoundShare, Work } from './search.js';

export type ToWorker =
  /** Mine [nonceStart, nonceEnd) of this work from now on; null idles the thread. */
  | { type: 'work'; work: Work | null; nonceStart: number; nonceEnd: number }
  /** New share target for the work in progress (the search is not restarted). */
  | { type: 'target'; workId: number; target: Uint8Array }
  /** At most this many hashes per second on this thread; null: as fast as it can. */
  | { type: 'limit'; hashesPerSecond: number | null };

export type FromWorker =
  | { type: 'shares'; shares: FoundShare[] }
  /** Hashes done since the previous report. */
  | { type: 'hashes'; count: number };
