// Shared by the pool tests and benchmark: a devnet, a `strata tp` and a
// `strata pool` process with fresh keys and database, and a small SV2 mining
// client (Noise, extended channel) that mines shares on the CPU from
// NewExtendedMiningJob: coinbase = prefix ‖ extranonce_prefix ‖ extranonce ‖
// suffix, merkle fold, header, nonce search.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
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
import { roleArgv, startNode, type RoleProcess } from '../helpers/process.js';
import { Inbox } from '../helpers/inbox.js';
import { tempDir, type Cleanup } from '../helpers/resources.js';
import { makeKeys, startDevnet, startTp, type DevnetProcess, type Keys } from '../tp/fixture.js';

export { tempDir, type Cleanup, type DevnetProcess };

type Msg<N extends Message['type']> = MessageByName<N>;

/** A regtest P2WPKH address of a made-up key hash `n`. */
export function regtestAddress(n: number): string {
  const script = new Uint8Array(22);
  script[1] = 20;
  script.fill(n & 0xff, 2);
  return scriptToAddress(script, NETWORKS.regtest)!;
}

/** The pool's own payout address in the tests. */
export const POOL_ADDRESS = regtestAddress(0xee);

/** `strata pool ...args` through the CLI, or the stand-alone entry until the CLI lists it. */
export function poolCommand(args: string[]): string[] {
  return roleArgv('pool', args);
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
  const dir = tempDir(t, 'strata-pool-');
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
    // The web page on a free loopback port, never the operator default 8080.
    '--web-listen',
    '127.0.0.1:0',
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
export const spawnNode = startNode;

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
  readonly jobs = new Map<number, Msg<'NewExtendedMiningJob'>>();
  prev: Msg<'SetNewPrevHash'> | undefined;
  /** Sum of new_submits_accepted_count over every SubmitShares.Success. */
  acknowledged = 0;
  /** SubmitShares.Error messages received. */
  refused = 0;
  /** maximum_target of the newest SetTarget, if any. */
  target: Uint8Array | undefined;
  readonly #inbox = new Inbox<Message>();
  #seq = 0;
  #nonce = 0;

  private constructor(readonly conn: FramedConnection) {
    void this.#pump();
  }

  static async connect(
    t: Cleanup | undefined,
    port: number,
    keys: Pick<Keys, 'publicPath'>,
    localAddress?: string,
  ): Promise<MiningClient> {
    const conn = await connectFramed({
      host: '127.0.0.1',
      port,
      ...(localAddress === undefined ? {} : { localAddress }),
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
      if (m.type === 'SubmitSharesError') this.refused++;
      if (m.type === 'SetTarget') this.target = m.maximum_target.slice();
      this.#inbox.push(m);
    }
    this.#inbox.wake();
  }

  /** Every message received so far, in arrival order. */
  get received(): readonly Message[] {
    return this.#inbox.items;
  }

  /**
   * Forgets what a long-running client no longer needs: the messages already
   * read and the jobs older than the active one.
   */
  forget(): void {
    this.#inbox.compact();
    const active = this.prev?.job_id;
    if (active === undefined) return;
    for (const id of this.jobs.keys()) if (id < active) this.jobs.delete(id);
  }

  send(m: Message): Promise<void> {
    return this.conn.send(encodeFrame(m));
  }

  close(): void {
    this.conn.close('test done');
  }

  /** The next message after the last one returned that matches `pred`. */
  next<T extends Message = Message>(pred: (m: Message) => boolean, timeoutMs = 20_000): Promise<T> {
    return this.#inbox.next<T>(
      pred,
      timeoutMs,
      () => `no matching message; got ${this.received.map((m) => m.type).join(',')}`,
      () => this.conn.isClosed,
    );
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
   * network target) or deliberately not one; or, with 'block-below-target',
   * a block whose hash does not meet `target` (possible where the network
   * target is the easier one, as on devnet). Returns the message to send.
   */
  mine(
    channel: Msg<'OpenExtendedMiningChannelSuccess'>,
    work: Work,
    target: bigint,
    kind: 'share' | 'block' | 'block-below-target',
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
      const block = hashMeetsTarget(hash, network);
      const wanted =
        kind === 'block-below-target'
          ? block && !hashMeetsTarget(hash, target)
          : hashMeetsTarget(hash, target) && block === (kind === 'block');
      if (wanted) {
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
