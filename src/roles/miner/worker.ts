// Hashing thread: mines its nonce range of the current work in small chunks,
// yielding between chunks so new work and targets from the main thread take
// effect within milliseconds. Reports shares at once and hash counts a few
// times a second.
import { parentPort } from 'node:worker_threads';
import { RangeSearch } from './search.js';
import type { ToWorker, FromWorker } from './worker-protocol.js';

const CHUNK = 4096;
const REPORT_MS = 250;
const IDLE_MS = 200;

const port = parentPort;
if (port === null) throw new Error('worker.js must run in a worker thread');

let search: RangeSearch | null = null;
let workId = -1;
let running = false;
let hashes = 0;
let lastReport = Date.now();

function post(m: FromWorker): void {
  port!.postMessage(m);
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function loop(): Promise<void> {
  running = true;
  while (search !== null) {
    const now = Date.now();
    const r = search.step(CHUNK, now);
    hashes += r.hashes;
    if (r.shares.length > 0) post({ type: 'shares', shares: r.shares });
    if (now - lastReport >= REPORT_MS) {
      post({ type: 'hashes', count: hashes });
      hashes = 0;
      lastReport = now;
    }
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
  }
});
