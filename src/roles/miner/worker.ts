// Hashing thread: mines its nonce range of the current work in small chunks,
// yielding between chunks so new work and targets from the main thread take
// effect within milliseconds. Reports shares at once and hash counts a few
// times a second. With a rate limit it paces itself: each chunk books its
// hashes on a schedule and the thread sleeps while it is ahead of it.
import { parentPort } from 'node:worker_threads';
import { RangeSearch } from './search.js';
import type { ToWorker, FromWorker } from './worker-protocol.js';

const CHUNK = 4096;
const REPORT_MS = 250;
const IDLE_MS = 200;
/** Under a limit, a chunk is about this long at the allowed rate. */
const PACED_CHUNK_MS = 10;
/** Longest single sleep while ahead of schedule, so new work is picked up soon. */
const MAX_PACE_SLEEP_MS = 50;
/** How far behind schedule the thread may fall and still catch up (timer lateness). */
const CATCH_UP_MS = 50;

const port = parentPort;
if (port === null) throw new Error('worker.js must run in a worker thread');

let search: RangeSearch | null = null;
let workId = -1;
let running = false;
let hashes = 0;
let lastReport = Date.now();
/** Hashes per second allowed on this thread; null: no limit. */
let limit: number | null = null;
/** Under a limit: the time (ms) at which the hashes done so far are due. */
let due = 0;

function post(m: FromWorker): void {
  port!.postMessage(m);
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function chunkSize(): number {
  if (limit === null) return CHUNK;
  return Math.max(1, Math.min(CHUNK, Math.floor((limit * PACED_CHUNK_MS) / 1000)));
}

function reportHashes(now: number): void {
  if (now - lastReport < REPORT_MS) return;
  post({ type: 'hashes', count: hashes });
  hashes = 0;
  lastReport = now;
}

async function loop(): Promise<void> {
  running = true;
  while (search !== null) {
    const now = Date.now();
    if (limit !== null && due > now) {
      reportHashes(now);
      await sleep(Math.min(MAX_PACE_SLEEP_MS, due - now));
      continue;
    }
    const r = search.step(chunkSize(), now);
    hashes += r.hashes;
    if (limit !== null) due = Math.max(due, now - CATCH_UP_MS) + (r.hashes * 1000) / limit;
    if (r.shares.length > 0) post({ type: 'shares', shares: r.shares });
    reportHashes(now);
    // A used-up range waits for the clock; otherwise let queued messages in.
    await (r.exhausted ? sleep(IDLE_MS) : nextTurn());
  }
  running = false;
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'work') {
    search = m.work === null ? null : new RangeSearch(m.work, m.nonceStart, m.nonceEnd);
    workId = m.work === null ? -1 : m.work.id;
    if (search !== null && !running) void loop();
  } else if (m.type === 'target') {
    if (search !== null && m.workId === workId) search.setTarget(m.target);
  } else if (m.type === 'limit') {
    limit = m.hashesPerSecond;
    due = 0;
  }
});
