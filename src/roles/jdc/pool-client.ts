// The JDC's connection to a pool (spec 5 with work selection):
// SetupConnection with REQUIRES_WORK_SELECTION, extension 0x0002 so shares
// name the downstream miner, one extended channel whose extranonce space the
// JDC's downstreams share, SetCustomMiningJob and the shares on the jobs the
// pool acknowledged. The pool's own jobs on the channel are not mined.
import { EventEmitter } from 'node:events';
import { u256FromLE, u256ToLE } from '../../bitcoin/index.js';
import type { ClientSecurity } from '../../net/client.js';
import { type Logger, silentLogger } from '../../net/logger.js';
import {
  EXTENSION_TYPE,
  MINING_SETUP_FLAGS,
  PROTOCOL,
  type Message,
  type MessageByName,
} from '../../messages/index.js';
import { connectSv2, type Sv2Client } from '../common/sv2-client.js';

type Msg<N extends Message['type']> = MessageByName<N>;

export interface PoolChannel {
  channel_id: number;
  extranonce_prefix: Uint8Array;
  /** Bytes the JDC rolls after the prefix (its downstreams' whole extranonce, plus any padding). */
  extranonce_size: number;
  target: bigint;
}

export type CustomJobFields = Omit<Msg<'SetCustomMiningJob'>, 'type' | 'channel_id' | 'request_id'>;

export type CustomJobResult = { ok: true; job_id: number } | { ok: false; error_code: string };

export interface PoolShare {
  job_id: number;
  nonce: number;
  ntime: number;
  version: number;
  /** The bytes after the pool's extranonce_prefix. */
  extranonce: Uint8Array;
  /** The downstream miner's name (0x0002 TLV, at most 32 bytes), when the pool agreed to it. */
  worker?: string;
}

export interface PoolClientOptions {
  host: string;
  port: number;
  security: ClientSecurity;
  user_identity: string;
  nominal_hash_rate: number;
  min_extranonce_size: number;
  timeoutMs?: number;
  logger?: Logger;
}

export interface PoolClientEvents {
  closed: [reason: string];
  /** SetTarget on the channel. */
  target: [target: bigint];
  /** The pool refused a share (SubmitShares.Error). */
  'share-error': [error_code: string, job_id: number | undefined];
  'channel-closed': [reason: string];
}

export class PoolClient extends EventEmitter<PoolClientEvents> {
  readonly #c: Sv2Client;
  readonly #log: Logger;
  readonly #timeoutMs: number;
  #requestId = 0;
  #sequence = 0;
  #extensions: readonly number[] = [];
  channel!: PoolChannel;
  readonly #customs = new Map<
    number,
    { resolve: (r: CustomJobResult) => void; timer: ReturnType<typeof setTimeout> }
  >();
  /** Sequence number → job id, to tell which job a refused share was for (bounded). */
  readonly #sent = new Map<number, number>();
  #closeReason: string | undefined;
  readonly closed: Promise<string>;
  #opened: ((m: Message) => void) | undefined;

  private constructor(c: Sv2Client, o: PoolClientOptions) {
    super();
    this.#c = c;
    this.#log = o.logger ?? silentLogger;
    this.#timeoutMs = o.timeoutMs ?? 10_000;
    this.closed = c
      .run((m) => this.#dispatch(m))
      .then((reason) => {
        this.#closeReason = reason;
        for (const { resolve, timer } of this.#customs.values()) {
          clearTimeout(timer);
          resolve({ ok: false, error_code: `connection closed: ${reason}` });
        }
        this.#customs.clear();
        this.emit('closed', reason);
        return reason;
      });
  }

  /** Connects, sets up with work selection and opens the one extended channel; throws on any failure. */
  static async connect(o: PoolClientOptions): Promise<PoolClient> {
    const c = await connectSv2({
      host: o.host,
      port: o.port,
      security: o.security,
      protocol: PROTOCOL.MINING,
      flags: MINING_SETUP_FLAGS.REQUIRES_WORK_SELECTION,
      firmware: 'strata-jdc',
      logger: o.logger,
    });
    const client = new PoolClient(c, o);
    try {
      await client.#open(o);
    } catch (err) {
      client.close(err instanceof Error ? err.message : String(err));
      throw err;
    }
    return client;
  }

  get isClosed(): boolean {
    return this.#closeReason !== undefined;
  }

  close(reason: string): void {
    this.#c.conn.close(reason);
  }

  /** SetCustomMiningJob on the channel; resolves with the pool's job id or its error code. */
  setCustomJob(fields: CustomJobFields): Promise<CustomJobResult> {
    if (this.isClosed)
      return Promise.resolve({ ok: false, error_code: `connection closed: ${this.#closeReason}` });
    const request_id = ++this.#requestId;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#customs.delete(request_id);
        resolve({ ok: false, error_code: `no answer within ${this.#timeoutMs} ms` });
      }, this.#timeoutMs);
      this.#customs.set(request_id, { resolve, timer });
      this.#c.send({
        type: 'SetCustomMiningJob',
        channel_id: this.channel.channel_id,
        request_id,
        ...fields,
      });
    });
  }

  submit(s: PoolShare): void {
    this.#sequence = (this.#sequence + 1) >>> 0;
    this.#sent.set(this.#sequence, s.job_id);
    if (this.#sent.size > 4096) this.#sent.delete(this.#sent.keys().next().value!);
    const tlv =
      s.worker !== undefined && this.#extensions.includes(EXTENSION_TYPE.WORKER_SPECIFIC_HASHRATE_TRACKING)
        ? { user_identity: s.worker }
        : {};
    this.#c.send({
      type: 'SubmitSharesExtended',
      channel_id: this.channel.channel_id,
      sequence_number: this.#sequence,
      job_id: s.job_id,
      nonce: s.nonce,
      ntime: s.ntime,
      version: s.version,
      extranonce: s.extranonce,
      ...tlv,
    });
  }

  updateChannel(nominal_hash_rate: number, maximum_target: bigint): void {
    this.#c.send({
      type: 'UpdateChannel',
      channel_id: this.channel.channel_id,
      nominal_hash_rate,
      maximum_target: u256ToLE(maximum_target),
    });
  }

  async #open(o: PoolClientOptions): Promise<void> {
    const answer = new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('no answer to OpenExtendedMiningChannel')),
        this.#timeoutMs,
      );
      this.#opened = (m) => {
        clearTimeout(timer);
        resolve(m);
      };
      void this.closed.then((reason) => {
        clearTimeout(timer);
        reject(new Error(`connection closed: ${reason}`));
      });
    });
    this.#c.send({
      type: 'RequestExtensions',
      request_id: 0,
      requested_extensions: [EXTENSION_TYPE.WORKER_SPECIFIC_HASHRATE_TRACKING],
    });
    this.#c.send({
      type: 'OpenExtendedMiningChannel',
      request_id: ++this.#requestId,
      user_identity: o.user_identity,
      nominal_hash_rate: o.nominal_hash_rate,
      max_target: new Uint8Array(32).fill(0xff),
      min_extranonce_size: o.min_extranonce_size,
    });
    const m = await answer;
    if (m.type === 'OpenMiningChannelError') throw new Error(`pool refused the channel: ${m.error_code}`);
    if (m.type !== 'OpenExtendedMiningChannelSuccess') throw new Error(`unexpected ${m.type}`);
    if (m.extranonce_size < o.min_extranonce_size) {
      throw new Error(`pool granted ${m.extranonce_size} extranonce bytes, ${o.min_extranonce_size} needed`);
    }
    this.channel = {
      channel_id: m.channel_id,
      extranonce_prefix: m.extranonce_prefix,
      extranonce_size: m.extranonce_size,
      target: u256FromLE(m.target),
    };
  }

  #dispatch(m: Message): void {
    switch (m.type) {
      case 'RequestExtensionsSuccess':
        this.#extensions = m.supported_extensions;
        return;
      case 'RequestExtensionsError':
        return;
      case 'OpenExtendedMiningChannelSuccess':
      case 'OpenMiningChannelError':
        this.#opened?.(m);
        this.#opened = undefined;
        return;
      case 'SetCustomMiningJobSuccess':
      case 'SetCustomMiningJobError': {
        const w = this.#customs.get(m.request_id);
        if (w === undefined) return;
        this.#customs.delete(m.request_id);
        clearTimeout(w.timer);
        w.resolve(
          m.type === 'SetCustomMiningJobSuccess'
            ? { ok: true, job_id: m.job_id }
            : { ok: false, error_code: m.error_code },
        );
        return;
      }
      case 'SetTarget':
        if (this.channel === undefined || m.channel_id !== this.channel.channel_id) return;
        this.channel.target = u256FromLE(m.maximum_target);
        this.emit('target', this.channel.target);
        return;
      case 'SubmitSharesError':
        this.emit('share-error', m.error_code, this.#sent.get(m.sequence_number));
        return;
      case 'CloseChannel':
        if (this.channel !== undefined && m.channel_id === this.channel.channel_id) {
          this.emit('channel-closed', m.reason_code);
          this.close(`channel closed by the pool: ${m.reason_code}`);
        }
        return;
      case 'Reconnect':
        this.close(`pool asked to reconnect (${m.new_host}:${m.new_port})`);
        return;
      case 'SetExtranoncePrefix':
        // Every custom job and held share was built around the old prefix: start over with a new connection.
        if (this.channel !== undefined && m.channel_id === this.channel.channel_id) {
          this.close('the pool changed the extranonce prefix');
        }
        return;
      // The pool's own jobs for the channel are not mined: this connection mines custom jobs only.
      case 'NewExtendedMiningJob':
      case 'SetNewPrevHash':
      case 'SubmitSharesSuccess':
        return;
      default:
        this.#log.info({ message: m.type }, 'unexpected message from the pool ignored');
    }
  }
}
