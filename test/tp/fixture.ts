// Shared by the TP tests and benchmark: a devnet process, a `strata tp`
// process with fresh authority keys, a TDP client that records what arrives,
// and a CPU miner that turns a template into a SubmitSolution.
import type { TestContext } from 'node:test';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  NETWORKS,
  addressToScript,
  assembleCoinbase,
  blockHash,
  buildCoinbase,
  coinbaseTxid,
  foldMerklePath,
  hashMeetsTarget,
  parseOutputs,
  u256FromLE,
  type BlockHeader,
} from '../../src/bitcoin/index.js';
import { BitcoinRpc } from '../../src/rpc/index.js';
import { writeAuthorityKeyPair } from '../../src/roles/keygen.js';
import {
  TdpClient,
  type NewTemplateMsg,
  type SetNewPrevHashTdpMsg,
  type SubmitSolutionMsg,
  type TdpClientOptions,
} from '../../src/roles/common/tdp-client.js';
import { loadAuthorityPublicKey } from '../../src/roles/keygen.js';
import { CLI, ROOT } from '../helpers/paths.js';
import { startRole, type RoleProcess } from '../helpers/process.js';

/** A regtest address (P2WPKH of a made-up key hash). */
export const PAYOUT_ADDRESS = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';

export function tempDir(t: TestContext | undefined, prefix = 'strata-tp-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t?.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A port that was free a moment ago (bind 0, read it, release). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface DevnetProcess {
  proc: RoleProcess;
  port: number;
  rpc: BitcoinRpc;
  url: string;
  cookie: string;
}

export async function startDevnet(dir: string, port = 0, extra: string[] = []): Promise<DevnetProcess> {
  const proc = startRole(['devnet', '--rpc-port', String(port), '--data-dir', dir, ...extra]);
  try {
    const rec = await proc.waitFor((r) => r.msg === 'listening');
    const actual = Number(rec.port);
    const url = `http://127.0.0.1:${actual}`;
    const cookie = join(dir, '.cookie');
    const rpc = new BitcoinRpc({ url, auth: { cookieFile: cookie }, retry: { attempts: 1 } });
    return { proc, port: actual, rpc, url, cookie };
  } catch (err) {
    await proc.kill();
    throw err;
  }
}

export interface Keys {
  publicKey: string;
  publicPath: string;
  secretPath: string;
}

export function makeKeys(dir: string): Keys {
  return writeAuthorityKeyPair({ outDir: dir, name: 'tp-authority', force: false });
}

let tpInCli: boolean | undefined;

/** Whether `strata tp` is wired into the CLI yet; otherwise the stand-alone entry runs. */
function cliHasTp(): boolean {
  tpInCli ??= /^\s+tp\b/m.test(execFileSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' }));
  return tpInCli;
}

/** Runs `strata tp ...args` (JSON logs) and waits for its "listening" record. */
export async function startTp(
  devnet: { url: string; cookie: string },
  keys: Keys,
  extra: string[] = [],
): Promise<{ proc: RoleProcess; port: number }> {
  const args = [
    '--listen',
    '127.0.0.1:0',
    '--rpc-url',
    devnet.url,
    '--rpc-cookie',
    devnet.cookie,
    '--authority-secret-key',
    keys.secretPath,
    '--authority-public-key',
    keys.publicPath,
    '--network',
    'devnet',
    ...extra,
  ];
  const proc = spawnTp(args);
  try {
    const rec = await proc.waitFor((r) => r.msg === 'listening');
    return { proc, port: Number(rec.port) };
  } catch (err) {
    await proc.kill();
    throw err;
  }
}

export function spawnTp(args: string[]): RoleProcess {
  if (cliHasTp()) return startRole(['tp', ...args]);
  return startScript(join(ROOT, 'dist', 'src', 'roles', 'tp', 'main.js'), args);
}

/** startRole for a script other than the CLI (same record collection and cleanup). */
function startScript(script: string, args: string[]): RoleProcess {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const records: Record<string, unknown>[] = [];
  const waiters: {
    pred: (r: Record<string, unknown>) => boolean;
    resolve: (r: Record<string, unknown>) => void;
  }[] = [];
  const onLine = (line: string) => {
    lines.push(line);
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    records.push(rec);
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i]!;
      if (w.pred(rec)) {
        waiters.splice(i, 1);
        w.resolve(rec);
      }
    }
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  const exited = new Promise<number | string | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  const tail = () => lines.slice(-30).join('\n');
  return {
    child,
    lines,
    records,
    waitFor(pred, timeoutMs = 20_000) {
      const found = records.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for a log record:\n${tail()}`)),
          timeoutMs,
        );
        void exited.then(() => reject(new Error(`process exited before the awaited record:\n${tail()}`)));
        waiters.push({
          pred,
          resolve: (r) => {
            clearTimeout(timer);
            resolve(r);
          },
        });
      });
    },
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGKILL');
      return exited;
    },
  };
}

type Event =
  | { kind: 'template'; msg: NewTemplateMsg }
  | { kind: 'prevhash'; msg: SetNewPrevHashTdpMsg }
  | { kind: 'connected' }
  | { kind: 'disconnected'; reason: string };

/** A TdpClient whose events are recorded and can be awaited in order. */
export class RecordingClient {
  readonly client: TdpClient;
  readonly events: Event[] = [];
  readonly templates = new Map<bigint, NewTemplateMsg>();
  #read = 0;
  #notify: (() => void) | undefined;

  constructor(opts: TdpClientOptions) {
    this.client = new TdpClient(opts);
    const push = (e: Event) => {
      this.events.push(e);
      this.#notify?.();
    };
    this.client.on('template', (msg) => {
      this.templates.set(msg.template_id, msg);
      push({ kind: 'template', msg });
    });
    this.client.on('prevhash', (msg) => push({ kind: 'prevhash', msg }));
    this.client.on('connected', () => push({ kind: 'connected' }));
    this.client.on('disconnected', ({ reason }) => push({ kind: 'disconnected', reason }));
  }

  /** The next event after the last one returned that matches `pred` (earlier non-matching ones are skipped). */
  async next<E extends Event>(pred: (e: Event) => e is E, timeoutMs = 20_000): Promise<E> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.#read < this.events.length) {
        const e = this.events[this.#read++]!;
        if (pred(e)) return e;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; events so far: ${this.events.map((e) => e.kind).join(',')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#notify = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#notify = undefined;
    }
  }

  nextTemplate(
    pred: (m: NewTemplateMsg) => boolean = () => true,
    timeoutMs?: number,
  ): Promise<NewTemplateMsg> {
    return this.next(
      (e): e is { kind: 'template'; msg: NewTemplateMsg } => e.kind === 'template' && pred(e.msg),
      timeoutMs,
    ).then((e) => e.msg);
  }

  nextPrevHash(timeoutMs?: number): Promise<SetNewPrevHashTdpMsg> {
    return this.next(
      (e): e is { kind: 'prevhash'; msg: SetNewPrevHashTdpMsg } => e.kind === 'prevhash',
      timeoutMs,
    ).then((e) => e.msg);
  }

  count(kind: Event['kind']): number {
    return this.events.filter((e) => e.kind === kind).length;
  }
}

export const DEFAULT_CONSTRAINTS = {
  coinbase_output_max_additional_size: 100,
  coinbase_output_max_additional_sigops: 4,
};

/** A connected recording client pinned to the TP's key; closed when the test ends. */
export async function connectClient(
  t: TestContext | undefined,
  port: number,
  keys: Keys,
  extra: Partial<TdpClientOptions> = {},
): Promise<RecordingClient> {
  const rc = new RecordingClient({
    host: '127.0.0.1',
    port,
    security: { kind: 'noise', authorityPublicKey: loadAuthorityPublicKey(keys.publicPath) },
    constraints: DEFAULT_CONSTRAINTS,
    reconnect: { initialDelayMs: 100, maxDelayMs: 1000 },
    ...extra,
  });
  t?.after(() => rc.client.close());
  rc.client.start();
  await rc.client.waitConnected();
  return rc;
}

let extranonceCounter = 0;

/**
 * Builds a coinbase paying the whole value to PAYOUT_ADDRESS with the
 * template's outputs last, and searches the nonce against the SetNewPrevHash
 * target: the SubmitSolution a pool would send.
 */
export function solve(tpl: NewTemplateMsg, prev: SetNewPrevHashTdpMsg): SubmitSolutionMsg {
  extranonceCounter++;
  const extranonce = Uint8Array.of(extranonceCounter & 0xff, (extranonceCounter >> 8) & 0xff, 0x17, 0x71);
  const parts = buildCoinbase({
    coinbase_tx_version: tpl.coinbase_tx_version,
    coinbase_prefix: tpl.coinbase_prefix,
    extranonce_size: extranonce.length,
    coinbase_tx_input_sequence: tpl.coinbase_tx_input_sequence,
    payout_outputs: [
      { value: tpl.coinbase_tx_value_remaining, script: addressToScript(PAYOUT_ADDRESS, NETWORKS.regtest) },
    ],
    template_outputs: parseOutputs(tpl.coinbase_tx_outputs, tpl.coinbase_tx_outputs_count),
    coinbase_tx_locktime: tpl.coinbase_tx_locktime,
  });
  const coinbase = assembleCoinbase(parts.witness_prefix, extranonce, parts.witness_suffix);
  const header: BlockHeader = {
    version: tpl.version,
    prev_hash: prev.prev_hash,
    merkle_root: foldMerklePath(
      coinbaseTxid(parts.coinbase_tx_prefix, extranonce, parts.coinbase_tx_suffix),
      tpl.merkle_path,
    ),
    time: prev.header_timestamp,
    bits: prev.nBits,
    nonce: 0,
  };
  const target = u256FromLE(prev.target);
  for (let i = 0; i < 100_000 && !hashMeetsTarget(blockHash(header), target); i++) header.nonce++;
  return {
    type: 'SubmitSolution',
    template_id: tpl.template_id,
    version: header.version,
    header_timestamp: header.time,
    header_nonce: header.nonce,
    coinbase_tx: coinbase,
  };
}
