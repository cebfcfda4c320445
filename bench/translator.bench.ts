// Translator figures, over loopback against a scripted SV2 pool, with the
// translator as its own process (`node dist/src/roles/translator/main.js`):
// - V1 shares per second end to end (V1 clients -> translator -> pool),
// - time from a new prev hash at the pool to mining.notify at each of N =
//   1,000 and 10,000 V1 clients (median, p99, and the last client),
// - resident memory of the translator per idle V1 connection at 10,000.
// 10,000 connections need more open files than the usual soft limit: the
// module re-runs itself under `ulimit -n 20000` when the limit is lower.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScriptedPool } from '../test/translator/scripted-pool.js';
import { emit, percentiles, processCpuMs, processRssKiB } from './harness.js';
import { softFileLimit, startBenchTranslator, withFileLimit } from './translator-process.js';

const HERE = fileURLToPath(import.meta.url);
const PER_SOURCE = 500;
const SHARE_CLIENTS = 20;
const SHARES_PER_CLIENT = 500;
const ROUNDS = 5;

const sha256d = (b: Uint8Array): Buffer =>
  createHash('sha256').update(createHash('sha256').update(b).digest()).digest();

/** A bare V1 client: handshake, remembers the latest notify, times the first line containing a marker. */
class Client {
  buf = '';
  notify: unknown[] | undefined;
  extranonce1 = '';
  en2Size = 0;
  replies = 0;
  marker = '';
  seenAt = 0;
  private readyResolve!: () => void;
  readonly ready = new Promise<void>((r) => (this.readyResolve = r));
  private repliesWanted = 0;
  private repliesResolve: (() => void) | undefined;

  constructor(readonly s: Socket) {
    s.setEncoding('utf8');
    s.on('error', () => {});
    s.on('data', (d: string) => this.onData(d));
  }

  static open(port: number, source: string, password = 'x'): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, localAddress: source });
      s.once('error', reject);
      s.once('connect', () => {
        const c = new Client(s);
        s.write(
          '{"id":1,"method":"mining.subscribe","params":["bench"]}\n' +
            `{"id":2,"method":"mining.authorize","params":["bench.w",${JSON.stringify(password)}]}\n`,
        );
        resolve(c);
      });
    });
  }

  awaitReplies(n: number): Promise<void> {
    this.repliesWanted = n;
    return this.replies >= n ? Promise.resolve() : new Promise((r) => (this.repliesResolve = r));
  }

  private onData(d: string): void {
    if (this.marker !== '' && this.seenAt === 0 && d.includes(this.marker)) this.seenAt = performance.now();
    if (this.notify !== undefined && this.repliesWanted === 0 && this.marker !== '') return;
    this.buf += d;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      const m = JSON.parse(line) as { id: unknown; method?: string; params?: unknown[]; result?: unknown };
      if (m.id === 1) {
        const r = m.result as [unknown, string, number];
        this.extranonce1 = r[1];
        this.en2Size = r[2];
      } else if (m.method === 'mining.notify') {
        this.notify = m.params;
        this.readyResolve();
      } else if (typeof m.id === 'number' && m.id >= 1000) {
        this.replies++;
        if (this.repliesResolve && this.replies >= this.repliesWanted) this.repliesResolve();
      }
    }
  }

  /** `count` valid shares for the current job at difficulty 1e-8 (distinct extranonce2). */
  shares(count: number, firstEn2: number): string[] {
    const [jobId, prev, coinb1, coinb2, branches, version, nbits, ntime] = this.notify as [
      string,
      string,
      string,
      string,
      string[],
      string,
      string,
      string,
    ];
    const target = (0xffffn << 208n) * 100_000_000n;
    const out: string[] = [];
    for (let k = 0; out.length < count; k++) {
      const en2 = (firstEn2 + k).toString(16).padStart(this.en2Size * 2, '0');
      let root = sha256d(Buffer.from(coinb1 + this.extranonce1 + en2 + coinb2, 'hex'));
      for (const b of branches) root = sha256d(Buffer.concat([root, Buffer.from(b, 'hex')]));
      const h = Buffer.alloc(80);
      h.writeUInt32LE(parseInt(version, 16), 0);
      Buffer.from(prev, 'hex').swap32().copy(h, 4);
      root.copy(h, 36);
      h.writeUInt32LE(parseInt(ntime, 16), 68);
      h.writeUInt32LE(parseInt(nbits, 16), 72);
      for (let nonce = 0; nonce < 100_000; nonce++) {
        h.writeUInt32LE(nonce, 76);
        if (BigInt('0x' + sha256d(h).reverse().toString('hex')) <= target) {
          const params = ['bench.w', jobId, en2, ntime, nonce.toString(16).padStart(8, '0')];
          out.push(JSON.stringify({ id: 1000 + out.length, method: 'mining.submit', params }));
          break;
        }
      }
    }
    return out;
  }
}

async function openClients(port: number, n: number, password?: string): Promise<Client[]> {
  const clients: Client[] = [];
  for (let start = 0; start < n; start += 500) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(500, n - start) }, (_, i) =>
        Client.open(port, `127.0.0.${2 + Math.floor((start + i) / PER_SOURCE)}`, password),
      ),
    );
    await Promise.all(batch.map((c) => c.ready));
    clients.push(...batch);
  }
  return clients;
}

async function notifyLatency(pool: ScriptedPool, clients: Client[], pid: number): Promise<void> {
  const samples: number[] = [];
  const lasts: number[] = [];
  const cpu0 = processCpuMs(pid);
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of clients) c.seenAt = 0;
    const nextPrev = pool.peekNextPrevHash();
    for (const c of clients) c.marker = Buffer.from(nextPrev).swap32().toString('hex');
    const t0 = performance.now();
    pool.newBlock(nextPrev);
    for (let spins = 0; clients.some((c) => c.seenAt === 0) && spins < 6000; spins++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    let last = 0;
    for (const c of clients) {
      samples.push(c.seenAt - t0);
      last = Math.max(last, c.seenAt - t0);
    }
    lasts.push(last);
    await new Promise((r) => setTimeout(r, 200));
  }
  // The translator's own work per notify (the rounds' idle gaps cost next to nothing):
  // the per-core figure behind the fan-out, steadier than its wall-clock spread.
  const cpuUsPerNotify = ((processCpuMs(pid) - cpu0) * 1000) / (ROUNDS * clients.length);
  const { median, p99 } = percentiles(samples);
  emit({
    bench: 'translator new prev hash to mining.notify',
    value: Number(median.toFixed(2)),
    unit: 'ms',
    clients: clients.length,
    p99: Number(p99.toFixed(2)),
    last_client_median: Number(percentiles(lasts).median.toFixed(2)),
    rounds: ROUNDS,
    translator_cpu_us_per_notify: Number(cpuUsPerNotify.toFixed(2)),
  });
}

async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-translator-bench-'));
  const pool = await ScriptedPool.start({ nbits: 0x1d00ffff });
  const all: Socket[] = [];
  const translator = await startBenchTranslator(dir, pool, [
    'downstream_address = "127.0.0.1"',
    'downstream_port = 0',
    'downstream_port_kind = "cpu"',
    'summary_interval_secs = 0',
    'handshake_timeout_secs = 120',
    'log_level = "warn"',
    // One process: its memory and CPU are read from that one pid.
    'workers = 1',
    '[downstream_difficulty_config]',
    'enable_vardiff = false',
    'job_keepalive_interval_secs = 0',
    '[limits]',
    'max_connections = 20000',
    'max_connections_per_ip = 20000',
    'max_submits_per_second = 1000000',
  ]);
  const port = translator.port;
  try {
    await pool.until(() => pool.channels.length === 1);

    // Shares end to end.
    const miners = await openClients(port, SHARE_CLIENTS, 'x,d=1e-8');
    all.push(...miners.map((c) => c.s));
    const batches = miners.map((c, i) => c.shares(SHARES_PER_CLIENT, i * 1_000_000));
    const before = pool.shares.length;
    const cpu0 = processCpuMs(translator.pid);
    const t0 = performance.now();
    miners.forEach((c, i) => c.s.write(batches[i]!.join('\n') + '\n'));
    await Promise.all(miners.map((c) => c.awaitReplies(SHARES_PER_CLIENT)));
    await pool.until(() => pool.shares.length >= before + SHARE_CLIENTS * SHARES_PER_CLIENT);
    const elapsed = performance.now() - t0;
    const cpu = processCpuMs(translator.pid) - cpu0;
    emit({
      bench: 'translator V1 shares end to end',
      value: Math.round((SHARE_CLIENTS * SHARES_PER_CLIENT * 1000) / elapsed),
      unit: 'shares/s',
      clients: SHARE_CLIENTS,
      shares: SHARE_CLIENTS * SHARES_PER_CLIENT,
      forwarded_ok: pool.shares.slice(before).every((s) => s.ok),
      // The translator's own CPU per share; clients and pool share the machine with it.
      translator_cpu_us_per_share: Math.round((cpu * 1000) / (SHARE_CLIENTS * SHARES_PER_CLIENT)),
    });
    for (const c of miners) c.s.destroy();

    // Notify latency at 1,000 then 10,000 clients; memory per idle connection at 10,000.
    const rss0 = processRssKiB(translator.pid);
    const first = await openClients(port, 1000);
    all.push(...first.map((c) => c.s));
    await notifyLatency(pool, first, translator.pid);
    // Scaled down (and said so) where even the raised limit is too low.
    const big = Math.max(1000, Math.min(10_000, softFileLimit() - 300));
    if (big < 10_000)
      process.stderr.write(`translator bench: open-file limit allows ${big} connections, not 10000\n`);
    const rest = await openClients(port, big - 1000);
    all.push(...rest.map((c) => c.s));
    const everyone = [...first, ...rest];
    await new Promise((r) => setTimeout(r, 1000));
    const rss1 = processRssKiB(translator.pid);
    emit({
      bench: 'translator resident memory per idle V1 connection',
      value: Math.round(((rss1 - rss0) * 1024) / everyone.length),
      unit: 'bytes',
      connections: everyone.length,
      rss_mib: Math.round(rss1 / 1024),
    });
    await notifyLatency(pool, everyone, translator.pid);
  } finally {
    for (const s of all) s.destroy();
    translator.stop();
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function (): Promise<void> {
  await withFileLimit(HERE, run);
}

if (process.argv[1] === HERE) await run();
