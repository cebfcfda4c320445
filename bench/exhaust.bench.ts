// Slow and exhausting clients against the default limits, and what a
// well-behaved miner sees meanwhile:
// - translator (default config but its address and upstream): 18,000 idle
//   TCP sockets (no byte sent; 60 per loopback source address, under the
//   default 64 per address) and the resident memory per socket; a flood of
//   1,000 connections from one address (how many the per-address limit lets
//   stay); 500 senders of one byte per second; 200 lines without a newline
//   past the 8 KiB cap (how many the translator closes); a V1 miner's time
//   from connect to its first mining.notify with all of that held;
// - pool (devnet + tp + pool processes): 5,000 half-open Noise handshakes
//   (10 bytes of act 1, then silence) and the memory per one, an SV2
//   client's handshake time meanwhile, a flood of 1,500 connections from one
//   address (the per-address limit is 1,024), and how many half-open ones the
//   handshake timeout (10 s) has closed 2 s after it ran out.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScriptedPool } from '../test/translator/scripted-pool.js';
import { MiningClient, startPool, startStack, type Cleanup } from '../test/pool/fixture.js';
import { emit, processRssKiB } from './harness.js';
import { softFileLimit, startBenchTranslator, withFileLimit } from './translator-process.js';

const HERE = fileURLToPath(import.meta.url);
const IDLE = 18_000;
const PER_ADDRESS = 60;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The n-th loopback source address of a block (127.0.<block + i/254>.<1 + i%254>). */
function source(block: number, i: number): string {
  return `127.0.${block + Math.floor(i / 254)}.${1 + (i % 254)}`;
}

interface Held {
  socket: Socket;
  closed: boolean;
}

/** Opens `n` sockets (batches of 500), `perAddress` per source address from block `block`. */
async function openMany(port: number, n: number, block: number, perAddress: number): Promise<Held[]> {
  const held: Held[] = [];
  for (let start = 0; start < n; start += 500) {
    const batch = await Promise.all(
      Array.from(
        { length: Math.min(500, n - start) },
        (_, k) =>
          new Promise<Held | null>((resolve) => {
            const socket = connect({
              host: '127.0.0.1',
              port,
              localAddress: source(block, Math.floor((start + k) / perAddress)),
            });
            const h: Held = { socket, closed: false };
            socket.on('close', () => (h.closed = true));
            socket.on('data', () => {});
            socket.once('error', () => resolve(null));
            socket.once('connect', () => resolve(h));
          }),
      ),
    );
    for (const h of batch) if (h) held.push(h);
  }
  return held;
}

/** A V1 miner from 127.0.0.1: ms from connect to its first mining.notify. */
function v1TimeToWork(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const s = connect({ host: '127.0.0.1', port });
    let text = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('no mining.notify within 30 s'));
    }, 30_000);
    s.setEncoding('utf8');
    s.on('error', () => {});
    s.once('connect', () =>
      s.write(
        '{"id":1,"method":"mining.subscribe","params":["cpuminer/2.5.1"]}\n' +
          '{"id":2,"method":"mining.authorize","params":["bench.good","x"]}\n',
      ),
    );
    s.on('data', (d: string) => {
      text += d;
      if (text.includes('"mining.notify"')) {
        clearTimeout(timer);
        resolve(performance.now() - t0);
        s.destroy();
      }
    });
  });
}

async function translatorPhase(dir: string): Promise<void> {
  const pool = await ScriptedPool.start({ nbits: 0x1d00ffff });
  const translator = await startBenchTranslator(dir, pool, [
    'downstream_address = "127.0.0.1"',
    'downstream_port = 0',
    'summary_interval_secs = 0',
    'verify_accounts = false',
    'log_level = "warn"',
  ]);
  const all: Held[] = [];
  try {
    await pool.until(() => pool.channels.length >= 1);
    emit({
      bench: 'exhaust.translator.time_to_work.quiet',
      value: round(await v1TimeToWork(translator.port)),
      unit: 'ms',
    });
    await sleep(500);
    const rss0 = processRssKiB(translator.pid);
    const n = Math.min(IDLE, softFileLimit() - 2000);
    const idle = await openMany(translator.port, n, 1, PER_ADDRESS);
    all.push(...idle);
    await sleep(1000);
    const rss1 = processRssKiB(translator.pid);
    const open = idle.filter((h) => !h.closed).length;
    emit({
      bench: 'exhaust.translator.rss_per_idle_socket',
      value: Math.round(((rss1 - rss0) * 1024) / Math.max(1, open)),
      unit: 'bytes',
      sockets: open,
      rss_mib: Math.round(rss1 / 1024),
    });
    emit({
      bench: 'exhaust.translator.time_to_work.idle_sockets',
      value: round(await v1TimeToWork(translator.port)),
      unit: 'ms',
      idle_sockets: open,
    });

    // 1,000 connections from one address: the per-address limit (64) holds.
    const flood = await openMany(translator.port, 1000, 200, 1000);
    all.push(...flood);
    await sleep(1000);
    emit({
      bench: 'exhaust.translator.flood_one_address_kept',
      value: flood.filter((h) => !h.closed).length,
      unit: 'connections',
      attempted: 1000,
      limit: 64,
    });
    for (const h of flood) h.socket.destroy();

    // 500 senders of a byte a second for 10 s, a miner arriving every second.
    const slow = await openMany(translator.port, 500, 210, PER_ADDRESS);
    all.push(...slow);
    const subscribe = '{"id":1,"method":"mining.subscribe","params":["slow"]';
    const rssSlow0 = processRssKiB(translator.pid);
    let worst = 0;
    for (let second = 0; second < 10; second++) {
      for (const h of slow) if (!h.closed) h.socket.write(subscribe[second % subscribe.length]!);
      worst = Math.max(worst, await v1TimeToWork(translator.port));
      await sleep(1000);
    }
    const rssSlow1 = processRssKiB(translator.pid);
    emit({
      bench: 'exhaust.translator.slow_senders',
      value: Math.round(((rssSlow1 - rssSlow0) * 1024) / slow.length),
      unit: 'bytes/sender',
      senders: slow.length,
      still_open: slow.filter((h) => !h.closed).length,
      seconds: 10,
      note: 'resident memory growth while they send, over the senders',
    });
    emit({
      bench: 'exhaust.translator.time_to_work.under_attack',
      value: round(worst),
      unit: 'ms',
      note: 'worst of 10 miners, one a second, while the idle sockets and slow senders are held',
    });

    // 200 lines past the 8 KiB cap: each connection is closed.
    const long = await openMany(translator.port, 200, 220, PER_ADDRESS);
    all.push(...long);
    const filler = 'x'.repeat(9 * 1024);
    for (const h of long) h.socket.write(filler);
    await sleep(2000);
    emit({
      bench: 'exhaust.translator.unterminated_lines_closed',
      value: long.filter((h) => h.closed).length,
      unit: 'connections',
      sent: 200,
      line_bytes: filler.length,
    });
  } finally {
    for (const h of all) h.socket.destroy();
    translator.stop();
    await pool.close();
  }
}

async function poolPhase(): Promise<void> {
  const cleanups: (() => unknown)[] = [];
  const scope: Cleanup = { after: (fn) => cleanups.push(fn) };
  const halfOpen: Held[] = [];
  try {
    const s = await startStack(scope);
    const pool = await startPool(scope, s, []);
    const pid = pool.proc.child.pid!;
    const timeHandshake = async (): Promise<number> => {
      const t0 = performance.now();
      const c = await MiningClient.connect(undefined, pool.port, s.poolKeys);
      const ms = performance.now() - t0;
      c.close();
      return ms;
    };
    emit({ bench: 'exhaust.pool.handshake.quiet', value: round(await timeHandshake()), unit: 'ms' });
    await sleep(500);
    const rss0 = processRssKiB(pid);
    const opened = await openMany(pool.port, 5000, 230, PER_ADDRESS);
    halfOpen.push(...opened);
    const startedAt = performance.now();
    for (const h of opened) h.socket.write(randomBytes(10));
    await sleep(1000);
    const rss1 = processRssKiB(pid);
    emit({
      bench: 'exhaust.pool.rss_per_half_open_handshake',
      value: Math.round(((rss1 - rss0) * 1024) / opened.length),
      unit: 'bytes',
      sockets: opened.length,
    });
    emit({
      bench: 'exhaust.pool.handshake.half_open_held',
      value: round(await timeHandshake()),
      unit: 'ms',
      half_open: opened.filter((h) => !h.closed).length,
    });
    // 1,500 connections from one address: the per-address limit (1,024) holds.
    const flood = await openMany(pool.port, 1500, 240, 1500);
    halfOpen.push(...flood);
    await sleep(1000);
    emit({
      bench: 'exhaust.pool.flood_one_address_kept',
      value: flood.filter((h) => !h.closed).length,
      unit: 'connections',
      attempted: 1500,
      limit: 1024,
    });
    const waitUntil = startedAt + 12_000;
    while (performance.now() < waitUntil) await sleep(200);
    emit({
      bench: 'exhaust.pool.half_open_closed_by_timeout',
      value: opened.filter((h) => h.closed).length,
      unit: 'connections',
      of: opened.length,
      after_ms: 12_000,
    });
  } finally {
    for (const h of halfOpen) h.socket.destroy();
    for (const fn of cleanups.reverse()) await fn();
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-exhaust-bench-'));
  try {
    await translatorPhase(dir);
    await poolPhase();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function (): Promise<void> {
  await withFileLimit(HERE, run);
}

if (process.argv[1] === HERE) await run();
