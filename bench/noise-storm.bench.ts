// Reconnect storm: one `strata pool` process (fed by devnet + tp processes)
// and one client process that opens 10,000 SV2 connections to it, each a
// Noise NX handshake followed by SetupConnection → SetupConnection.Success,
// and keeps them all open. The figure is the wall time from the first connect
// to the last success. Clients spread over source addresses 127.0.0.2… so
// ephemeral ports do not run out, and keep a bounded number of handshakes in
// flight (a storm of reconnecting miners, each retrying on its own). The whole
// run happens in a child started through `sh -c 'ulimit -n …'`, so both the
// client and the pool it starts may hold more descriptors than the default.
//
// The pool runs with the soak's probe preloaded, sampling once a second:
// its worst event-loop delay during the storm says how long a miner already
// connected may wait meanwhile.
//
// STRATA_STORM_CONNECTIONS (default 10000) and STRATA_STORM_INFLIGHT (default
// 256) change the size; the run stops after STRATA_STORM_LIMIT_SEC (default 120).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectFramed } from '../src/net/client.js';
import type { FramedConnection } from '../src/net/connection.js';
import { PROTOCOL, PROTOCOL_VERSION, decodePayload, encodeFrame } from '../src/messages/index.js';
import { loadAuthorityPublicKey } from '../src/roles/keygen.js';
import { emit, percentiles, processCpuMs } from './harness.js';
import { startPool, startStack, type Cleanup } from '../test/pool/fixture.js';

const CONNECTIONS = Number(process.env.STRATA_STORM_CONNECTIONS ?? 10_000);
const IN_FLIGHT = Number(process.env.STRATA_STORM_INFLIGHT ?? 256);
const LIMIT_SEC = Number(process.env.STRATA_STORM_LIMIT_SEC ?? 120);
/** Source addresses 127.0.0.2 … 127.0.0.(1 + SOURCES). */
const SOURCES = 16;
const FD_LIMIT = 20_000 + CONNECTIONS;
const PROBE = fileURLToPath(new URL('../test/soak/probe.js', import.meta.url));

/** The pool's event-loop samples (probe lines) taken between `from` and `to` (ms since the epoch). */
function eventLoop(file: string, from: number, to: number): { p99_ms: number; max_ms: number } | null {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const samples = text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { t: number; el_p99_ms: number; el_max_ms: number })
    // A sample covers the second before it.
    .filter((s) => s.t > from && s.t - 1000 < to);
  if (samples.length === 0) return null;
  return {
    p99_ms: Math.max(...samples.map((s) => s.el_p99_ms)),
    max_ms: Math.max(...samples.map((s) => s.el_max_ms)),
  };
}

const setupConnection = encodeFrame({
  type: 'SetupConnection',
  protocol: PROTOCOL.MINING,
  min_version: PROTOCOL_VERSION,
  max_version: PROTOCOL_VERSION,
  flags: 0,
  endpoint_host: '127.0.0.1',
  endpoint_port: 0,
  vendor: 'strata-bench',
  hardware_version: '',
  firmware: '',
  device_id: '',
});

async function storm(): Promise<void> {
  const cleanups: (() => unknown)[] = [];
  const scope: Cleanup = { after: (fn) => cleanups.push(fn) };
  const open: FramedConnection[] = [];
  try {
    const s = await startStack(scope);
    const probeDir = mkdtempSync(join(tmpdir(), 'strata-storm-'));
    cleanups.push(() => rmSync(probeDir, { recursive: true, force: true }));
    const probeFile = join(probeDir, 'pool.jsonl');
    const saved = { o: process.env.NODE_OPTIONS, f: process.env.STRATA_SOAK_PROBE_FILE };
    Object.assign(process.env, {
      NODE_OPTIONS: `${saved.o ?? ''} --import ${PROBE}`.trim(),
      STRATA_SOAK_PROBE_FILE: probeFile,
      STRATA_SOAK_PROBE_SECS: '1',
    });
    let pool: Awaited<ReturnType<typeof startPool>>;
    try {
      pool = await startPool(scope, s);
    } finally {
      for (const [k, v] of [
        ['NODE_OPTIONS', saved.o],
        ['STRATA_SOAK_PROBE_FILE', saved.f],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      delete process.env.STRATA_SOAK_PROBE_SECS;
    }
    const authorityPublicKey = loadAuthorityPublicKey(s.poolKeys.publicPath);
    const latencies: number[] = [];
    const errors = new Map<string, number>();
    let next = 0;
    let established = 0;
    const deadline = performance.now() + LIMIT_SEC * 1000;
    const poolPid = pool.proc.child.pid!;
    const poolCpu0 = processCpuMs(poolPid);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const wall0 = Date.now();
    const one = async (i: number) => {
      const started = performance.now();
      try {
        const conn = await connectFramed({
          host: '127.0.0.1',
          port: pool.port,
          localAddress: `127.0.0.${2 + (i % SOURCES)}`,
          security: { kind: 'noise', authorityPublicKey },
          handshakeTimeoutMs: 30_000,
        });
        open.push(conn);
        await conn.send(setupConnection);
        const frame = await conn.receive();
        const reply = frame === undefined ? undefined : decodePayload(frame.header, frame.payload);
        const type = reply?.ok === true ? reply.message.type : 'no reply';
        if (type !== 'SetupConnectionSuccess') throw new Error(type);
        established++;
        latencies.push(performance.now() - started);
      } catch (err) {
        const reason = (err instanceof Error ? err.message : String(err)).replace(/:\d+/g, ':*');
        errors.set(reason, (errors.get(reason) ?? 0) + 1);
      }
    };
    const worker = async () => {
      while (next < CONNECTIONS && performance.now() < deadline) await one(next++);
    };
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, CONNECTIONS) }, worker));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const poolCpuS = (processCpuMs(poolPid) - poolCpu0) / 1000;
    const still = open.filter((c) => !c.isClosed).length;
    // The probe's next line covers the storm's last second.
    await new Promise((r) => setTimeout(r, 1100));
    const loop = eventLoop(probeFile, wall0, Date.now() - 1100);
    const { median, p99 } = percentiles(latencies);
    emit({
      bench: 'noise-storm',
      value: Math.round(seconds * 100) / 100,
      unit: 's',
      connections: CONNECTIONS,
      established,
      open_at_end: still,
      failed: [...errors.values()].reduce((a, b) => a + b, 0),
      errors: Object.fromEntries(errors),
      rate: Math.round(established / seconds),
      in_flight: IN_FLIGHT,
      latency_ms: { median: Math.round(median), p99: Math.round(p99) },
      client_cpu_s: Math.round((cpu.user + cpu.system) / 1e4) / 100,
      // The pool's own cost: what one core of it would take for the whole storm.
      pool_cpu_s: Math.round(poolCpuS * 100) / 100,
      pool_handshakes_per_cpu_s: Math.round(established / poolCpuS),
      // How long a miner already connected could wait for the pool during the storm.
      pool_event_loop_ms: loop,
      note: 'Noise NX + SetupConnection.Success per connection, all kept open, one pool process',
    });
  } finally {
    for (const c of open) c.abort('bench done');
    for (const fn of cleanups.reverse()) await fn();
  }
}

export default async function (): Promise<void> {
  // The storm runs in a child with a raised descriptor limit; its JSON lines pass through.
  const self = fileURLToPath(import.meta.url);
  const child = spawn(
    'sh',
    [
      '-c',
      `ulimit -n ${FD_LIMIT} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$1" child`,
      process.execPath,
      self,
    ],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`noise-storm child exited with ${code}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'child') {
  await storm();
  // Anything still pending (a stray timer) must not keep the child alive.
  process.exit(0);
}
