// A scripted SV2 pool for the translator tests: Noise on a random loopback
// port, SetupConnection, extended channels (4-byte extranonce_prefix,
// extranonce_size = max(min_extranonce_size, 8)), a future job plus its
// SetNewPrevHash on open and on every newBlock(), and SubmitSharesExtended
// checked by rebuilding the header independently of the translator's code.
import { createHash, randomBytes } from 'node:crypto';
import { decodePayload, encodeFrame, type Message, type MessageByName } from '../../src/messages/index.js';
import { listenFramed, type FramedConnection, type FramedServer } from '../../src/net/index.js';
import {
  encodeAuthorityPublicKey,
  generateAuthorityKeyPair,
  type AuthorityKeyPair,
} from '../../src/noise/keys.js';

export const REGTEST_NBITS = 0x207fffff;
export const JOB_VERSION = 0x20000000;

const sha256d = (b: Uint8Array): Buffer =>
  createHash('sha256').update(createHash('sha256').update(b).digest()).digest();

/** Little-endian 32-byte integer. */
function leToBig(b: Uint8Array): bigint {
  return BigInt('0x' + (Buffer.from(b).reverse().toString('hex') || '0'));
}
function bigToLe(v: bigint): Uint8Array {
  return Uint8Array.from(Buffer.from(v.toString(16).padStart(64, '0'), 'hex').reverse());
}

export interface PoolChannel {
  conn: number;
  channel_id: number;
  prefix: Uint8Array;
  extranonce_size: number;
  user_identity: string;
}

interface PoolJobState {
  job_id: number;
  prefix: Uint8Array;
  suffix: Uint8Array;
  merkle_path: Uint8Array[];
  prev_hash: Uint8Array;
  min_ntime: number;
  version_rolling_allowed: boolean;
}

export interface CheckedShare {
  conn: number;
  msg: MessageByName<'SubmitSharesExtended'>;
  ok: boolean;
  error?: string;
}

export interface ScriptedPoolOptions {
  /** Channel target (default: every hash passes). */
  target?: bigint;
  versionRollingAllowed?: boolean;
  keyPair?: AuthorityKeyPair;
  /** Merkle branches per job (default 2). */
  branches?: number;
  /** nBits of every job (default regtest's: every share is a block candidate). */
  nbits?: number;
  /** Listen on this port (default: any free one); a restarted pool takes its old port. */
  port?: number;
}

export class ScriptedPool {
  readonly authorityPublicKey: string;
  readonly channels: PoolChannel[] = [];
  readonly shares: CheckedShare[] = [];
  readonly updates: MessageByName<'UpdateChannel'>[] = [];
  readonly closes: MessageByName<'CloseChannel'>[] = [];
  readonly opens: MessageByName<'OpenExtendedMiningChannel'>[] = [];
  readonly conns: FramedConnection[] = [];
  /** While true, share answers are kept back until releaseAcks(). */
  holdAcks = false;
  private readonly heldAcks: (() => void)[] = [];
  /** Current job per channel id. */
  private readonly jobs = new Map<number, PoolJobState>();
  private readonly sends = new Map<number, (m: Message) => void>();
  private server!: FramedServer;
  private waiters: { pred: () => boolean; resolve: () => void }[] = [];
  private nextChannel = 1;
  private nextJob = 1;
  prevHash: Uint8Array = new Uint8Array(randomBytes(32));
  /** The template of the current prev hash, the same on every channel. */
  private template: { prevHash: Uint8Array; suffix: Uint8Array; merkle_path: Uint8Array[] } | undefined;
  target: bigint;

  private constructor(
    readonly opts: ScriptedPoolOptions,
    readonly keyPair: AuthorityKeyPair,
  ) {
    this.authorityPublicKey = encodeAuthorityPublicKey(keyPair.publicKey);
    this.target = opts.target ?? (1n << 256n) - 1n;
  }

  static async start(opts: ScriptedPoolOptions = {}): Promise<ScriptedPool> {
    const pool = new ScriptedPool(opts, opts.keyPair ?? generateAuthorityKeyPair());
    pool.server = await listenFramed({
      host: '127.0.0.1',
      port: opts.port ?? 0,
      security: { kind: 'noise', authoritySecretKey: pool.keyPair.secretKey },
      onConnection: (conn) => void pool.serve(conn),
    });
    return pool;
  }

  get port(): number {
    return this.server.port;
  }

  get acceptedShares(): CheckedShare[] {
    return this.shares.filter((s) => s.ok);
  }

  until(pred: () => boolean): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  /** Sends the share answers kept back while holdAcks was set. */
  releaseAcks(): void {
    for (const answer of this.heldAcks.splice(0)) answer();
  }

  /** Drops every connection at once, as a pool process that dies would. */
  dropConnections(): void {
    for (const c of this.conns) c.abort('dropped by the test');
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private upcoming: Uint8Array | undefined;

  /** SetExtranoncePrefix with a fresh 4-byte prefix on every open channel; returns the new prefixes. */
  rotatePrefixes(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const [channel_id, send] of this.sends) {
      const ch = this.channels.find((c) => c.channel_id === channel_id)!;
      ch.prefix = new Uint8Array(randomBytes(4));
      out.push(ch.prefix);
      send({ type: 'SetExtranoncePrefix', channel_id, extranonce_prefix: ch.prefix });
    }
    return out;
  }

  /** SetTarget on every open channel (shares are then checked against it). */
  setTarget(target: bigint): void {
    this.target = target;
    for (const [channel_id, send] of this.sends) {
      send({ type: 'SetTarget', channel_id, maximum_target: bigToLe(target) });
    }
  }

  /** The prev hash the next newBlock() will announce (to watch for it before it is sent). */
  peekNextPrevHash(): Uint8Array {
    this.upcoming ??= new Uint8Array(randomBytes(32));
    return this.upcoming;
  }

  /** A new prev hash and a fresh job on every open channel. */
  newBlock(prevHash?: Uint8Array): void {
    this.prevHash = prevHash ?? this.upcoming ?? new Uint8Array(randomBytes(32));
    this.upcoming = undefined;
    for (const [channel_id, send] of this.sends) this.sendWork(channel_id, send);
  }

  private wake(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (w.pred()) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  private async serve(conn: FramedConnection): Promise<void> {
    this.conns.push(conn);
    const index = this.conns.length;
    const send = (m: Message) => void conn.send(encodeFrame(m)).catch(() => {});
    const mine: number[] = [];
    for await (const frame of conn) {
      const r = decodePayload(frame.header, frame.payload);
      if (!r.ok) continue;
      const m = r.message;
      if (m.type === 'SetupConnection') {
        send({ type: 'SetupConnectionSuccess', used_version: 2, flags: 0 });
      } else if (m.type === 'OpenExtendedMiningChannel') {
        this.opens.push(m);
        const channel_id = this.nextChannel++;
        const prefix = new Uint8Array(randomBytes(4));
        const extranonce_size = Math.max(m.min_extranonce_size, 8);
        this.channels.push({
          conn: index,
          channel_id,
          prefix,
          extranonce_size,
          user_identity: m.user_identity,
        });
        mine.push(channel_id);
        send({
          type: 'OpenExtendedMiningChannelSuccess',
          request_id: m.request_id,
          channel_id,
          target: bigToLe(this.target),
          extranonce_size,
          extranonce_prefix: prefix,
          group_channel_id: 0,
        });
        this.sends.set(channel_id, send);
        this.sendWork(channel_id, send);
      } else if (m.type === 'SubmitSharesExtended') {
        const checked = this.check(index, m);
        this.shares.push(checked);
        const answer = (): void =>
          send(
            checked.ok
              ? {
                  type: 'SubmitSharesSuccess',
                  channel_id: m.channel_id,
                  last_sequence_number: m.sequence_number,
                  new_submits_accepted_count: 1,
                  new_shares_sum: 1n,
                }
              : {
                  type: 'SubmitSharesError',
                  channel_id: m.channel_id,
                  sequence_number: m.sequence_number,
                  error_code: checked.error!,
                },
          );
        if (this.holdAcks) this.heldAcks.push(answer);
        else answer();
      } else if (m.type === 'UpdateChannel') {
        this.updates.push(m);
      } else if (m.type === 'CloseChannel') {
        this.closes.push(m);
        this.sends.delete(m.channel_id);
      }
      this.wake();
    }
    for (const id of mine) this.sends.delete(id);
    this.wake();
  }

  private sendWork(channel_id: number, send: (m: Message) => void): void {
    const ch = this.channels.find((c) => c.channel_id === channel_id)!;
    const scriptLen = 4 + ch.prefix.length + ch.extranonce_size;
    const prefix = Buffer.concat([
      Buffer.from(
        '02000000010000000000000000000000000000000000000000000000000000000000000000ffffffff',
        'hex',
      ),
      Buffer.from([scriptLen]),
      Buffer.from('03a08601', 'hex'),
    ]);
    // One template per prev hash, as a pool gives every channel of one
    // identity: the same payout output and merkle path on each.
    if (this.template?.prevHash !== this.prevHash) {
      const suffix = Buffer.from(
        'ffffffff0100f2052a01000000160014' + randomBytes(20).toString('hex') + '00000000',
        'hex',
      );
      this.template = {
        prevHash: this.prevHash,
        suffix: new Uint8Array(suffix),
        merkle_path: Array.from({ length: this.opts.branches ?? 2 }, () => new Uint8Array(randomBytes(32))),
      };
    }
    const job: PoolJobState = {
      job_id: this.nextJob++,
      prefix: new Uint8Array(prefix),
      suffix: this.template.suffix,
      merkle_path: this.template.merkle_path,
      prev_hash: this.prevHash,
      min_ntime: Math.floor(Date.now() / 1000),
      version_rolling_allowed: this.opts.versionRollingAllowed ?? true,
    };
    this.jobs.set(channel_id, job);
    send({
      type: 'NewExtendedMiningJob',
      channel_id,
      job_id: job.job_id,
      min_ntime: null,
      version: JOB_VERSION,
      version_rolling_allowed: job.version_rolling_allowed,
      merkle_path: job.merkle_path,
      coinbase_tx_prefix: job.prefix,
      coinbase_tx_suffix: job.suffix,
    });
    send({
      type: 'SetNewPrevHash',
      channel_id,
      job_id: job.job_id,
      prev_hash: job.prev_hash,
      min_ntime: job.min_ntime,
      nbits: this.opts.nbits ?? REGTEST_NBITS,
    });
  }

  private check(conn: number, m: MessageByName<'SubmitSharesExtended'>): CheckedShare {
    const fail = (error: string): CheckedShare => ({ conn, msg: m, ok: false, error });
    const ch = this.channels.find((c) => c.channel_id === m.channel_id && c.conn === conn);
    if (!ch) return fail('invalid-channel-id');
    const job = this.jobs.get(m.channel_id);
    if (!job || job.job_id !== m.job_id) return fail('invalid-job-id');
    if (m.extranonce.length !== ch.extranonce_size) return fail('bad-extranonce-size');
    if (!job.version_rolling_allowed && m.version !== JOB_VERSION) return fail('version-rolling-not-allowed');
    if (m.ntime < job.min_ntime) return fail('invalid-share');
    const coinbase = Buffer.concat([job.prefix, ch.prefix, m.extranonce, job.suffix]);
    let root = sha256d(coinbase);
    for (const b of job.merkle_path) root = sha256d(Buffer.concat([root, b]));
    const header = Buffer.alloc(80);
    header.writeUInt32LE(m.version, 0);
    Buffer.from(job.prev_hash).copy(header, 4);
    root.copy(header, 36);
    header.writeUInt32LE(m.ntime, 68);
    header.writeUInt32LE(this.opts.nbits ?? REGTEST_NBITS, 72);
    header.writeUInt32LE(m.nonce, 76);
    if (leToBig(sha256d(header)) > this.target) return fail('difficulty-too-low');
    return { conn, msg: m, ok: true };
  }
}
