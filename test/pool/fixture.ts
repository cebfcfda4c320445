// Shared by the pool tests and benchmark: a devnet, a `strata tp` and a
// `strata pool` process with fresh keys and database, and a small SV2 mining
// client (Noise, extended channel) that mines shares on the CPU from
// NewExtendedMiningJob: coinbase = prefix ‖ extranonce_prefix ‖ extranonce ‖
// suffix, merkle fold, header, nonce search.
import { rmSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import {
  NETWORKS,
  bitsToTarget,
  blockHash,
  coinbaseTxid,
  concatBytes,
  foldMerklePath,
  hashMeetsTarget,
  parseTransaction,
  scriptToAddress,
  u256FromLE,
  type BlockHeader,
  type TxOutput,
} from '../../src/bitcoin/index.js';
import { connectFramed } from '../../src/net/client.js';
import type { FramedConnection } from '../../src/net/connection.js';
import {
  MINING_SETUP_FLAGS,
  PROTOCOL,
  PROTOCOL_VERSION,
  decodePayload,
  encodeFrame,
  type Message,
  type MessageByName,
} from '../../src/messages/index.js';
import { loadAuthorityPublicKey, writeAuthorityKeyPair } from '../../src/roles/keygen.js';
import { CLI, ROOT } from '../helpers/paths.js';
import { startRole, type RoleProcess } from '../helpers/process.js';
import { makeKeys, startDevnet, startTp, tempDir, type DevnetProcess, type Keys } from '../tp/fixture.js';

export { tempDir, type DevnetProcess };

type Msg<N extends Message['type']> = MessageByName<N>;

/** Where cleanups go: a test's context (t.after), or a benchmark's own list. */
export interface Cleanup {
  after(fn: () => unknown): void;
}

/** A regtest P2WPKH address of a made-up key hash `n`. */
export function regtestAddress(n: number): string {
  const script = new Uint8Array(22);
  script[1] = 20;
  script.fill(n & 0xff, 2);
  return scriptToAddress(script, NETWORKS.regtest)!;
}

/** The pool's own payout address in the tests. */
export const POOL_ADDRESS = regtestAddress(0xee);

let poolInCli: boolean | undefined;

function cliHasPool(): boolean {
  poolInCli ??= /^\s+pool\b/m.test(execFileSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' }));
  return poolInCli;
}

/** `strata pool ...args` through the CLI, or the stand-alone entry until the CLI lists it. */
export function poolCommand(args: string[]): string[] {
  return cliHasPool()
    ? [CLI, 'pool', ...args]
    : [join(ROOT, 'dist', 'src', 'roles', 'pool', 'main.js'), ...args];
}

/** Runs `strata pool account ...` to completion; returns stdout. */
export function poolAccountCli(args: string[]): string {
  return execFileSync(process.execPath, poolCommand(['account', ...args]), { encoding: 'utf8' });
}

export interface Stack {
  dir: string;
  db: string;
  devnet: DevnetProcess;
  tp: { proc: RoleProcess; port: number };
  tpKeys: Keys;
  poolKeys: Keys;
}

/** devnet + tp processes (stopped when the test ends) and keys for a pool. */
export async function startStack(t: Cleanup): Promise<Stack> {
  const dir = tempDir(undefined, 'strata-pool-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const devnet = await startDevnet(join(dir, 'devnet'));
  t.after(() => devnet.proc.stop());
  const tpKeys = makeKeys(dir);
  const tp = await startTp(devnet, tpKeys);
  t.after(() => tp.proc.stop());
  const poolKeys = writeAuthorityKeyPair({ outDir: dir, name: 'pool-authority', force: false });
  return { dir, db: join(dir, 'pool.db'), devnet, tp, tpKeys, poolKeys };
}

export interface PoolProcess {
  proc: RoleProcess;
  port: number;
}

/** The flags every test pool gets: loopback, the stack's TP and keys, its database. */
export function poolArgs(s: Stack, extra: string[] = []): string[] {
  return [
    '--listen',
    '127.0.0.1:0',
    '--tp-address',
    `127.0.0.1:${s.tp.port}`,
    '--tp-public-key',
    s.tpKeys.publicPath,
    '--authority-secret-key',
    s.poolKeys.secretPath,
    '--authority-public-key',
    s.poolKeys.publicPath,
    '--database',
    s.db,
    '--coinbase-reward-script',
    POOL_ADDRESS,
    '--network',
    'devnet',
    ...extra,
  ];
}

/** Starts a pool process and waits until it is ready and has its first tip. */
export async function startPool(t: Cleanup, s: Stack, extra: string[] = []): Promise<PoolProcess> {
  const proc = spawnNode(poolCommand(poolArgs(s, extra)));
  t.after(() => proc.stop());
  const ready = await proc.waitFor((r) => r.msg === 'pool ready');
  await proc.waitFor((r) => r.msg === 'new tip');
  return { proc, port: Number(ready.port) };
}

/** startRole for any node script (same record collection and cleanup). */
export function spawnNode(argv: string[]): RoleProcess {
  if (argv[0] === CLI) return startRole(argv.slice(1));
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const records: Record<string, unknown>[] = [];
  const waiters: {
    pred: (r: Record<string, unknown>) => boolean;
    resolve: (r: Record<string, unknown>) => void;
  }[] = [];
  const onLine = (line: string) => {
    lines.push(line);
    if (lines.length > 5000) lines.shift();
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    records.push(rec);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i]!.pred(rec)) waiters.splice(i, 1)[0]!.resolve(rec);
    }
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  const exited = new Promise<number | string | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  const done = () => child.exitCode !== null || child.signalCode !== null;
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
      if (done()) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (done()) return exited;
      child.kill('SIGKILL');
      return exited;
    },
  };
}

/** A read-only look at the pool's database. */
export function queryDb<T>(path: string, sql: string, ...args: unknown[]): T[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).all(...args) as T[];
  } finally {
    db.close();
  }
}

// ---- a mining client ---------------------------------------------------------------------------

export interface Work {
  job: Msg<'NewExtendedMiningJob'>;
  prev: Msg<'SetNewPrevHash'>;
}

/** A Mining Protocol client over Noise that records every message and can await them in order. */
export class MiningClient {
  readonly received: Message[] = [];
  readonly jobs = new Map<number, Msg<'NewExtendedMiningJob'>>();
  prev: Msg<'SetNewPrevHash'> | undefined;
  /** Sum of new_submits_accepted_count over every SubmitShares.Success. */
  acknowledged = 0;
  #read = 0;
  #notify: (() => void) | undefined;
  #seq = 0;
  #nonce = 0;

  private constructor(readonly conn: FramedConnection) {
    void this.#pump();
  }

  static async connect(t: Cleanup | undefined, port: number, keys: Keys): Promise<MiningClient> {
    const conn = await connectFramed({
      host: '127.0.0.1',
      port,
      security: { kind: 'noise', authorityPublicKey: loadAuthorityPublicKey(keys.publicPath) },
    });
    const c = new MiningClient(conn);
    t?.after(() => c.close());
    return c;
  }

  async #pump(): Promise<void> {
    for await (const frame of this.conn) {
      const r = decodePayload(frame.header, frame.payload);
      if (!r.ok) continue;
      const m = r.message;
      if (m.type === 'NewExtendedMiningJob') this.jobs.set(m.job_id, copyJob(m));
      if (m.type === 'SetNewPrevHash') this.prev = { ...m, prev_hash: m.prev_hash.slice() };
      if (m.type === 'SubmitSharesSuccess') this.acknowledged += m.new_submits_accepted_count;
      this.received.push(m);
      this.#notify?.();
    }
    this.#notify?.();
  }

  send(m: Message): Promise<void> {
    return this.conn.send(encodeFrame(m));
  }

  close(): void {
    this.conn.close('test done');
  }

  /** The next message after the last one returned that matches `pred`. */
  async next<T extends Message = Message>(pred: (m: Message) => boolean, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.#read < this.received.length) {
        const m = this.received[this.#read++]!;
        if (pred(m)) return m as T;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.conn.isClosed)
        throw new Error(`no matching message; got ${this.received.map((m) => m.type).join(',')}`);
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

  nextOf<N extends Message['type']>(type: N, timeoutMs?: number): Promise<Msg<N>> {
    return this.next<Msg<N>>((m) => m.type === type, timeoutMs);
  }

  async setup(flags = 0): Promise<Msg<'SetupConnectionSuccess'> | Msg<'SetupConnectionError'>> {
    await this.send({
      type: 'SetupConnection',
      protocol: PROTOCOL.MINING,
      min_version: PROTOCOL_VERSION,
      max_version: PROTOCOL_VERSION,
      flags,
      endpoint_host: '127.0.0.1',
      endpoint_port: 0,
      vendor: 'strata-test',
      hardware_version: '',
      firmware: '',
      device_id: '',
    });
    return this.next((m) => m.type === 'SetupConnectionSuccess' || m.type === 'SetupConnectionError');
  }

  /** Opens an extended channel; resolves with its Success or the error. */
  async openExtended(
    user_identity: string,
    nominal_hash_rate = 1,
    request_id = 1,
  ): Promise<Msg<'OpenExtendedMiningChannelSuccess'> | Msg<'OpenMiningChannelError'>> {
    await this.send({
      type: 'OpenExtendedMiningChannel',
      request_id,
      user_identity,
      nominal_hash_rate,
      max_target: new Uint8Array(32).fill(0xff),
      min_extranonce_size: 4,
    });
    return this.next(
      (m) =>
        (m.type === 'OpenExtendedMiningChannelSuccess' || m.type === 'OpenMiningChannelError') &&
        m.request_id === request_id,
    );
  }

  /** Resolves once the newest SetNewPrevHash satisfies `pred` (already seen or still to come). */
  async tipWhere(
    pred: (m: Msg<'SetNewPrevHash'>) => boolean,
    timeoutMs = 20_000,
  ): Promise<Msg<'SetNewPrevHash'>> {
    if (this.prev && pred(this.prev)) return this.prev;
    return this.next<Msg<'SetNewPrevHash'>>((m) => m.type === 'SetNewPrevHash' && pred(m), timeoutMs);
  }

  /** Waits for a job that is active (its SetNewPrevHash seen) and returns it with that prev hash. */
  async activeWork(timeoutMs = 20_000): Promise<Work> {
    const prev = this.prev ?? (await this.nextOf('SetNewPrevHash', timeoutMs));
    const job = this.jobs.get(prev.job_id)!;
    return { job, prev: this.prev ?? prev };
  }

  /**
   * Mines one share of `work` meeting `target`: a block (hash within the
   * network target) or deliberately not one. Returns the message to send.
   */
  mine(
    channel: Msg<'OpenExtendedMiningChannelSuccess'>,
    work: Work,
    target: bigint,
    kind: 'share' | 'block',
  ): Msg<'SubmitSharesExtended'> {
    const { job, prev } = work;
    const network = bitsToTarget(prev.nbits);
    const extranonce = new Uint8Array(channel.extranonce_size);
    new DataView(extranonce.buffer).setUint32(0, ++this.#seq, true);
    const txid = coinbaseTxid(
      job.coinbase_tx_prefix,
      concatBytes(channel.extranonce_prefix, extranonce),
      job.coinbase_tx_suffix,
    );
    const header: BlockHeader = {
      version: job.version,
      prev_hash: prev.prev_hash,
      merkle_root: foldMerklePath(txid, job.merkle_path),
      time: prev.min_ntime,
      bits: prev.nbits,
      nonce: 0,
    };
    for (let i = 0; i < 1_000_000; i++) {
      header.nonce = this.#nonce++ >>> 0;
      const hash = blockHash(header);
      if (!hashMeetsTarget(hash, target)) continue;
      if (hashMeetsTarget(hash, network) === (kind === 'block')) {
        return {
          type: 'SubmitSharesExtended',
          channel_id: channel.channel_id,
          sequence_number: this.#seq,
          job_id: job.job_id,
          nonce: header.nonce,
          ntime: header.time,
          version: header.version,
          extranonce,
        };
      }
    }
    throw new Error('no share found within the search bound');
  }
}

function copyJob(m: Msg<'NewExtendedMiningJob'>): Msg<'NewExtendedMiningJob'> {
  return {
    ...m,
    merkle_path: m.merkle_path.map((p) => p.slice()),
    coinbase_tx_prefix: m.coinbase_tx_prefix.slice(),
    coinbase_tx_suffix: m.coinbase_tx_suffix.slice(),
  };
}

/** The outputs of a job's coinbase (any extranonce: outputs do not depend on it). */
export function jobOutputs(job: Msg<'NewExtendedMiningJob'>, extranonceLength: number): TxOutput[] {
  const tx = parseTransaction(
    concatBytes(job.coinbase_tx_prefix, new Uint8Array(extranonceLength), job.coinbase_tx_suffix),
  );
  return tx.outputs;
}

export function targetOf(bytes: Uint8Array): bigint {
  return u256FromLE(bytes);
}

export { MINING_SETUP_FLAGS };
