// An in-process translator for the tests, wired to scripted pools, with its
// log records kept for assertions.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Translator, type TranslatorOptions } from '../../src/roles/translator/translator.js';
import type { TestContext } from 'node:test';
import { ScriptedPool, type ScriptedPoolOptions } from './scripted-pool.js';
import { roleArgv, startNode, waitReady, type RoleProcess } from '../helpers/process.js';

export interface Started {
  translator: Translator;
  /** Port of the first listener (a CPU port unless `listen` says otherwise). */
  port: number;
  ports: number[];
  logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

export async function startTranslator(
  pools: ScriptedPool[],
  overrides: Partial<TranslatorOptions> = {},
): Promise<Started> {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim() === '') continue;
        try {
          logs.push(JSON.parse(line) as Record<string, unknown>);
          if (logs.length > 20_000) logs.shift();
        } catch {
          // not JSON: ignore
        }
      }
      done();
    },
  });
  const logger = pino({ level: 'info', base: { role: 'translator' } }, sink);
  const translator = new Translator({
    listen: [{ address: '127.0.0.1', port: 0, kind: 'cpu' }],
    upstreams: pools.map((p) => ({
      host: '127.0.0.1',
      port: p.port,
      name: `127.0.0.1:${p.port}`,
      security: { kind: 'noise', authorityPublicKey: p.keyPair.publicKey },
      user_identity: 'test-user',
    })),
    extranonce2Size: 8,
    aggregate: true,
    minHashrate: 1e6,
    sharesPerMinute: 6,
    vardiff: true,
    keepaliveMs: 30_000,
    handshakeMs: 20_000,
    idleMs: 600_000,
    noWorkMs: 90_000,
    pingMs: 5_000,
    summaryMs: 0,
    maxConnections: 20_000,
    maxPerIp: 20_000,
    allowedIps: [],
    submitsPerSecond: 1000,
    invalidFreshWork: 20,
    invalidReconnect: 50,
    reconnectInitialMs: 100,
    reconnectMaxMs: 1000,
    logger,
    ...overrides,
  });
  const bound = await translator.start();
  return {
    translator,
    port: bound[0]!.port,
    ports: bound.map((b) => b.port),
    logs,
    stop: () => translator.stop(),
  };
}

/** A scripted pool and a translator on it alone, both closed when `t` ends. */
export async function startPoolAndTranslator(
  t: TestContext,
  poolOptions: ScriptedPoolOptions = {},
  overrides: Partial<TranslatorOptions> = {},
): Promise<{ pool: ScriptedPool; tr: Started }> {
  const pool = await ScriptedPool.start(poolOptions);
  t.after(() => pool.close());
  const tr = await startTranslator([pool], overrides);
  t.after(() => tr.stop());
  return { pool, tr };
}

/** Polls `pred` every 20 ms until it holds (bounded by the test's own timeout). */
export async function eventually(pred: () => boolean, what: string, limitMs = 30_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A `strata translator` process on loopback whose one upstream is the SV2
 * server at `upstreamPort` (pinned to `authorityKey`, a key or its file);
 * stopped when `t` ends. Resolves once it listens: its SV1 port and the
 * 'listening' log record.
 */
export async function startTranslatorProcess(
  t: { after(fn: () => unknown): void },
  upstreamPort: number,
  authorityKey: string,
  extra: string[] = [],
): Promise<{ proc: RoleProcess; port: number; listening: Record<string, unknown> }> {
  const proc = startNode(
    roleArgv('translator', [
      '--upstream',
      `127.0.0.1:${upstreamPort}`,
      '--upstream-authority-pubkey',
      authorityKey,
      '--downstream-address',
      '127.0.0.1',
      '--downstream-port',
      '0',
      ...extra,
    ]),
  );
  t.after(() => proc.stop());
  const listening = await waitReady(proc, (r) => r.msg === 'listening');
  return { proc, port: Number(listening.port), listening };
}
