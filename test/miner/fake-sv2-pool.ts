// A scripted SV2 pool for the miner tests: Noise on a random loopback port,
// answers SetupConnection and OpenStandardMiningChannel, hands out one future
// job plus its SetNewPrevHash, and records every submitted share.
import { randomBytes } from 'node:crypto';
import { decodePayload, encodeFrame, type Message, type MessageByName } from '../../src/messages/index.js';
import { listenFramed, type FramedConnection, type FramedServer } from '../../src/net/index.js';
import {
  encodeAuthorityPublicKey,
  generateAuthorityKeyPair,
  type AuthorityKeyPair,
} from '../../src/noise/keys.js';
import { u256ToLE } from '../../src/bitcoin/index.js';

export const CHANNEL_ID = 7;
export const JOB_ID = 1;
export const JOB_VERSION = 0x20000000;
export const REGTEST_NBITS = 0x207fffff;

export interface ReceivedShare {
  conn: number;
  msg: MessageByName<'SubmitSharesStandard'>;
  /** Wall-clock ms when it arrived. */
  at: number;
}

export interface PoolJob {
  prev_hash: Uint8Array;
  merkle_root: Uint8Array;
  min_ntime: number;
  /** ms when SetNewPrevHash was sent. */
  sentAt: number;
}

export interface FakePoolOptions {
  /** Share target as a number (channel target). */
  target: bigint;
  /** Replies to the n-th share (0-based, over all connections); default: success. */
  reply?: (n: number, share: MessageByName<'SubmitSharesStandard'>) => Message | null;
  /** Called once the channel is open on connection `conn` (1-based); return false to skip sending work. */
  onOpen?: (conn: FramedConnection, index: number) => boolean | void;
  /** Signing key (pools that must share one authority); default: a new one. */
  keyPair?: AuthorityKeyPair;
}

export class FakeSv2Pool {
  readonly authorityPublicKey: string;
  readonly setups: MessageByName<'SetupConnection'>[] = [];
  readonly opens: MessageByName<'OpenStandardMiningChannel'>[] = [];
  readonly shares: ReceivedShare[] = [];
  readonly conns: FramedConnection[] = [];
  readonly jobs = new Map<number, PoolJob>();
  #server!: FramedServer;
  #waiters: { pred: () => boolean; resolve: () => void }[] = [];

  private constructor(
    readonly opts: FakePoolOptions,
    readonly keyPair: AuthorityKeyPair,
  ) {
    this.authorityPublicKey = encodeAuthorityPublicKey(keyPair.publicKey);
  }

  static async start(opts: FakePoolOptions): Promise<FakeSv2Pool> {
    const pool = new FakeSv2Pool(opts, opts.keyPair ?? generateAuthorityKeyPair());
    pool.#server = await listenFramed({
      host: '127.0.0.1',
      port: 0,
      security: { kind: 'noise', authoritySecretKey: pool.keyPair.secretKey },
      onConnection: (conn) => void pool.#serve(conn),
    });
    return pool;
  }

  get port(): number {
    return this.#server.port;
  }

  /** Resolves once `pred` holds (checked after every received message). */
  until(pred: () => boolean): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ pred, resolve }));
  }

  close(): Promise<void> {
    return this.#server.close();
  }

  #notify(): void {
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const w = this.#waiters[i]!;
      if (w.pred()) {
        this.#waiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  async #serve(conn: FramedConnection): Promise<void> {
    this.conns.push(conn);
    const index = this.conns.length;
    const send = (m: Message) => conn.send(encodeFrame(m)).catch(() => {});
    for await (const frame of conn) {
      const r = decodePayload(frame.header, frame.payload);
      if (!r.ok) continue;
      const m = r.message;
      if (m.type === 'SetupConnection') {
        this.setups.push(m);
        void send({ type: 'SetupConnectionSuccess', used_version: 2, flags: 0 });
      } else if (m.type === 'OpenStandardMiningChannel') {
        this.opens.push(m);
        void send({
          type: 'OpenStandardMiningChannelSuccess',
          request_id: m.request_id,
          channel_id: CHANNEL_ID,
          target: u256ToLE(this.opts.target),
          extranonce_prefix: new Uint8Array(randomBytes(8)),
          group_channel_id: 0,
        });
        if (this.opts.onOpen?.(conn, index) !== false) this.#sendWork(send, index);
      } else if (m.type === 'SubmitSharesStandard') {
        const n = this.shares.length;
        this.shares.push({ conn: index, msg: m, at: Date.now() });
        const reply =
          this.opts.reply !== undefined
            ? this.opts.reply(n, m)
            : {
                type: 'SubmitSharesSuccess' as const,
                channel_id: CHANNEL_ID,
                last_sequence_number: m.sequence_number,
                new_submits_accepted_count: 1,
                new_shares_sum: 1n,
              };
        if (reply !== null) void send(reply);
      }
      this.#notify();
    }
  }

  /** A future job, then the SetNewPrevHash that activates it (what a pool sends on open). */
  #sendWork(send: (m: Message) => Promise<void>, index: number): void {
    const job: PoolJob = {
      prev_hash: new Uint8Array(randomBytes(32)),
      merkle_root: new Uint8Array(randomBytes(32)),
      min_ntime: Math.floor(Date.now() / 1000),
      sentAt: Date.now(),
    };
    this.jobs.set(index, job);
    void send({
      type: 'NewMiningJob',
      channel_id: CHANNEL_ID,
      job_id: JOB_ID,
      min_ntime: null,
      version: JOB_VERSION,
      merkle_root: job.merkle_root,
    });
    void send({
      type: 'SetNewPrevHash',
      channel_id: CHANNEL_ID,
      job_id: JOB_ID,
      prev_hash: job.prev_hash,
      min_ntime: job.min_ntime,
      nbits: REGTEST_NBITS,
    });
  }
}
