// The V1 figures Strata is compared on, from the shared load generator
// (`../shared/tools/v1load.mjs`, or the file named by V1LOAD), run with the
// same commands against each V1 server in one run:
//   - the translator, as its own process, behind a quiet scripted SV2 pool
//     (its chain target is mainnet's difficulty 1, so no random share is a
//     block, and the translator answers random shares as below its
//     difficulty, as a V1 pool does);
//   - v1load's own `mock` server, the floor of what this machine can measure;
//   - any other V1 server given with `--port P` (and `--pid P` for its CPU and
//     memory), e.g. a ckpool on the same machine.
// Per server: `submit` at rising offered rates from 100 connections (answers/s,
// p99 latency, server CPU), the best rate answered with p99 < 100 ms and the
// plateau; `connect` with N idle connections (the burst's connections per
// second, handshake p99 and the server's CPU per connection; resident memory
// per connection, of every process of the server added up, and the MiB each
// process added, the primary first); `fanout` at N connections (new block →
// first clean mining.notify; spread after the first notify; the load
// generator's own CPU per round, the floor of that spread on a shared
// machine). A small JSON-RPC endpoint in this process stands in for bitcoind:
// `generatetodescriptor` makes the scripted pool announce a new prev hash,
// `getbestblockhash` is what mock polls.
// Options: --port P --pid P --rates 10,50,… (per connection) --seconds S
// --connections N (idle and fanout; default 10000) --idle-seconds S (memory is
// read again after the connections were idle S more seconds; default 60, 0 =
// not) --workers N (translator processes, default 1; 0 = one per core, as its
// config's default) --translator-node-flags "F …" (Node flags of the
// translator's own process, e.g. --max-semi-space-size=2) --skip-mock --user
// NAME (v1load's default is a regtest address, which the translator serves as
// a solo miner on a channel of its own; an account name such as `bench` mines
// on the shared channel).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScriptedPool } from '../test/translator/scripted-pool.js';
import { emit, processCpuMs, processRssKiB } from './harness.js';
import { loadTestLines, softFileLimit, startBenchTranslator, withFileLimit } from './translator-process.js';
import { SOURCES, submitLadder, v1load, v1loadPath } from './v1load-run.js';

const HERE = fileURLToPath(import.meta.url);

interface Options {
  port?: number;
  pid?: number;
  rates: number[];
  seconds: number;
  connections: number;
  workers: number;
  /** How long the idle connections are held before memory is read again (0 = not). */
  idleSeconds: number;
  mock: boolean;
  user?: string;
  translatorNodeFlags: string[];
}

function options(argv: string[]): Options {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  };
  const int = (name: string, fallback: number): number => {
    const v = get(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`v1load bench: --${name} must be a positive integer`);
    return n;
  };
  const rates = (get('rates') ?? '10,50,100,150,200,250,300,400,500').split(',').map(Number);
  if (rates.some((r) => !(r > 0))) throw new Error('v1load bench: --rates must be positive numbers');
  return {
    port: get('port') === undefined ? undefined : int('port', 0),
    pid: get('pid') === undefined ? undefined : int('pid', 0),
    rates,
    seconds: int('seconds', 8),
    connections: int('connections', 10_000),
    workers: get('workers') === '0' ? 0 : int('workers', 1),
    idleSeconds: get('idle-seconds') === '0' ? 0 : int('idle-seconds', 60),
    mock: !argv.includes('--skip-mock'),
    user: get('user'),
    translatorNodeFlags: (get('translator-node-flags') ?? '').split(/\s+/).filter((f) => f !== ''),
  };
}

interface V1Server {
  name: string;
  port: number;
  /** The process whose CPU v1load reports. */
  pid?: number;
  /** Every process whose memory is the server's (a translator's primary and its workers). */
  pids?: number[];
}

/**
 * `connect` with n idle connections, and the resident memory of every one of
 * `pids` added up, read before the connections, once all are ready (after
 * v1load's settle), and after they have been idle `idleSeconds` more, while
 * v1load holds them.
 */
async function idleMemory(
  script: string,
  common: string[],
  n: number,
  pids: number[],
  idleSeconds: number,
): Promise<{
  established: number;
  before: number[];
  ready: number[];
  idle: number[] | undefined;
  /** Connections established per second during the burst, and the handshake p99 (ms), as v1load reports them. */
  perSecond: number;
  handshakeP99: number;
  /** CPU all `pids` used from before the burst until every connection was ready (ms). */
  cpuMs: number;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-v1load-idle-'));
  const readyFile = join(dir, 'ready');
  const releaseFile = join(dir, 'release');
  try {
    const each = () => pids.map((pid) => processRssKiB(pid));
    const cpu = () => pids.reduce((sum, pid) => sum + processCpuMs(pid), 0);
    const before = each();
    const cpuBefore = cpu();
    let done = false;
    const run = v1load(script, [
      'connect',
      ...common,
      '--n',
      String(n),
      '--hold-seconds',
      String(120 + idleSeconds),
      '--settle',
      '2',
      '--ready-file',
      readyFile,
      '--release-file',
      releaseFile,
    ]).finally(() => (done = true));
    while (!done && !existsSync(readyFile)) await new Promise((r) => setTimeout(r, 100));
    const ready = each();
    const cpuMs = cpu() - cpuBefore;
    let idle: number[] | undefined;
    if (idleSeconds > 0 && !done) {
      for (let waited = 0; waited < idleSeconds * 10 && !done; waited++)
        await new Promise((r) => setTimeout(r, 100));
      if (!done) idle = each();
    }
    writeFileSync(releaseFile, '');
    const c = await run;
    const handshake = c.handshake_ms as { p99?: number } | undefined;
    return {
      established: Number(c.established ?? n),
      before,
      ready,
      idle,
      perSecond: Number(c.conn_per_s ?? 0),
      handshakeP99: Number(handshake?.p99 ?? NaN),
      cpuMs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The bitcoind stand-in: a new block on the scripted pool, and the best hash for mock's poll. */
async function rpcServer(pool: ScriptedPool): Promise<{ server: Server; url: string }> {
  let best = Buffer.alloc(32).toString('hex');
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      let reply: unknown = null;
      let id: unknown = null;
      try {
        const call = JSON.parse(body) as { id?: unknown; method?: string };
        id = call.id ?? null;
        if (call.method === 'generatetodescriptor' || call.method === 'generatetoaddress') {
          const prev = pool.peekNextPrevHash();
          pool.newBlock(prev);
          best = Buffer.from(prev).reverse().toString('hex');
          reply = [best];
        } else if (call.method === 'getbestblockhash') {
          reply = best;
        }
      } catch {
        // answered with a null result
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ result: reply, error: null, id }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { server, url: `http://127.0.0.1:${port}` };
}

function startMock(script: string, rpcUrl: string, port: number): { pid: number; stop: () => void } {
  const child = spawn(
    process.execPath,
    [script, 'mock', '--listen-port', String(port), '--rpc-url', rpcUrl, '--run-seconds', '3600'],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  return { pid: child.pid!, stop: () => child.kill('SIGTERM') };
}

function freePort(): Promise<number> {
  const s = createServer();
  return new Promise((resolve) =>
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    }),
  );
}

async function measure(script: string, server: V1Server, o: Options, rpcUrl: string): Promise<void> {
  const common = [
    '--port',
    String(server.port),
    '--src-ips',
    SOURCES,
    ...(server.pid ? ['--pid', String(server.pid)] : []),
    ...(o.user ? ['--user', o.user] : []),
  ];
  const { bestUnder100, plateau } = await submitLadder(
    script,
    common,
    o.rates,
    o.seconds,
    `v1load.submit.${server.name}`,
    { user: o.user ?? 'v1load default (an address)' },
  );
  emit({
    bench: `v1load.submit.${server.name}.p99_under_100ms`,
    value: bestUnder100?.answered ?? 0,
    unit: 'answers/s',
    offered_per_s: bestUnder100?.offered ?? null,
    p99_ms: bestUnder100?.p99 ?? null,
  });
  emit({ bench: `v1load.submit.${server.name}.plateau`, value: plateau, unit: 'answers/s' });

  const n = Math.max(1000, Math.min(o.connections, softFileLimit() - 500));
  const pids = server.pids ?? (server.pid ? [server.pid] : []);
  if (pids.length > 0) {
    const m = await idleMemory(script, common, n, pids, o.idleSeconds);
    // The burst itself: a reconnect storm after a restart looks like this.
    emit({
      bench: `v1load.connect.${server.name}.established_per_s`,
      value: m.perSecond,
      unit: 'connections/s',
      connections: m.established,
      handshake_p99_ms: m.handshakeP99,
      server_cpu_us_per_connection: Math.round((m.cpuMs * 1000) / m.established),
    });
    const sum = (kib: number[]) => kib.reduce((a, b) => a + b, 0);
    const perConnection = (kib: number[]) => Math.round(((sum(kib) - sum(m.before)) * 1024) / m.established);
    // What each process (the primary first) added, so a reader sees where it went.
    const added = (kib: number[]) => kib.map((k, i) => Math.round((k - m.before[i]!) / 102.4) / 10);
    emit({
      bench: `v1load.connect.${server.name}.rss_per_idle_connection`,
      value: perConnection(m.ready),
      unit: 'bytes',
      connections: m.established,
      processes: pids.length,
      rss_mib: Math.round(sum(m.ready) / 1024),
      added_mib_by_process: added(m.ready),
    });
    // The connection burst's garbage is not a connection's: V8 returns it
    // to the system once the process has been idle a while.
    if (m.idle !== undefined) {
      emit({
        bench: `v1load.connect.${server.name}.rss_per_idle_connection_after_${o.idleSeconds}s`,
        value: perConnection(m.idle),
        unit: 'bytes',
        connections: m.established,
        processes: pids.length,
        rss_mib: Math.round(sum(m.idle) / 1024),
        added_mib_by_process: added(m.idle),
      });
    }
  }
  const f = await v1load(script, [
    'fanout',
    ...common,
    '--n',
    String(n),
    '--rpc-url',
    rpcUrl,
    '--repeats',
    '3',
    '--gap',
    '2',
  ]);
  const m = f.median_of_rounds as {
    latency_p99_ms: number;
    latency_median_ms: number;
    spread_p99_ms: number;
    loadgen_cpu_sec: number;
    missing: number;
  };
  emit({
    bench: `v1load.fanout.${server.name}.spread_p99`,
    value: m.spread_p99_ms,
    unit: 'ms',
    connections: n,
    latency_median_ms: m.latency_median_ms,
    latency_p99_ms: m.latency_p99_ms,
    // The load generator's own CPU for one round: on a machine it shares,
    // the spread cannot be shorter than the time it needs to read every notify.
    loadgen_cpu_ms: Math.round(m.loadgen_cpu_sec * 1000),
    missing: m.missing,
  });
}

async function run(o: Options): Promise<void> {
  const script = v1loadPath();
  if (!script) {
    emit({ bench: 'v1load', value: 0, unit: 'skipped', note: 'v1load.mjs not found (set V1LOAD)' });
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'strata-v1load-bench-'));
  const pool = await ScriptedPool.start({ nbits: 0x1d00ffff });
  const rpc = await rpcServer(pool);
  const stops: (() => void)[] = [];
  try {
    // One process unless --workers says otherwise, as these figures have
    // always been taken; the scale bench compares worker counts too.
    const translator = await startBenchTranslator(dir, pool, loadTestLines(o.workers), o.translatorNodeFlags);
    stops.push(translator.stop);
    await pool.until(() => pool.channels.length >= 1);
    // With worker processes the primary's pid would show none of the miners'
    // CPU: that figure is then left out; memory is every process's added up.
    const servers: V1Server[] = [
      o.workers === 1
        ? { name: 'translator', port: translator.port, pid: translator.pid }
        : { name: `translator.workers${o.workers}`, port: translator.port, pids: translator.pids },
    ];
    if (o.mock) {
      const port = await freePort();
      const mock = startMock(script, rpc.url, port);
      stops.push(mock.stop);
      await new Promise((r) => setTimeout(r, 500));
      servers.push({ name: 'mock', port, pid: mock.pid });
    }
    if (o.port) servers.push({ name: `port${o.port}`, port: o.port, pid: o.pid });
    for (const server of servers) await measure(script, server, o, rpc.url);
  } finally {
    for (const stop of stops) stop();
    rpc.server.close();
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function (): Promise<void> {
  await withFileLimit(HERE, () => run(options(process.argv.slice(2))));
}

if (process.argv[1] === HERE) await run(options(process.argv.slice(2)));
