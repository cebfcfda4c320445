// One connection to an SV2 pool: Noise with the pool's authority key pinned,
// SetupConnection for the Mining Protocol, then extended channels. Frames
// from the pool are routed to their channel (or to every channel of a
// group); shares go out as SubmitSharesExtended with one sequence counter
// per connection. Acknowledgements only feed the counters: miners were
// answered when their share passed the local checks.
import { EventEmitter } from 'node:events';
import { u256ToLE } from '../../bitcoin/index.js';
import { connectFramed, type ClientSecurity } from '../../net/client.js';
import type { FramedConnection } from '../../net/connection.js';
import { type Logger, silentLogger } from '../../net/logger.js';
import {
  MINING_SETUP_SUCCESS_FLAGS,
  PROTOCOL,
  PROTOCOL_VERSION,
  decodePayload,
  encodeFrame,
  type Message,
} from '../../messages/index.js';
import type { UpstreamShare } from '../../sv1/index.js';
import { UpstreamChannel } from './channel.js';
import type { TranslatorMetrics } from './metrics.js';

export interface UpstreamTarget {
  host: string;
  port: number;
  security: ClientSecurity;
  /** For logs: "host:port". */
  name: string;
}

export interface OpenRequest {
  user_identity: string;
  nominal_hash_rate: number;
  max_target: bigint;
  min_extranonce_size: number;
}

export interface UpstreamEvents {
  /** A channel's current job changed (new job, prev hash or prefix). */
  job: [channel: UpstreamChannel];
  /** A new extranonce prefix: miners of this channel need a new extranonce1. */
  prefix: [channel: UpstreamChannel];
  /** The pool closed one channel. */
  'channel-closed': [channel: UpstreamChannel, reason: string];
  closed: [reason: string];
}

const SETUP_TIMEOUT_MS = 10_000;
const OPEN_TIMEOUT_MS = 10_000;

export class UpstreamConnection extends EventEmitter<UpstreamEvents> {
  readonly channels = new Map<number, UpstreamChannel>();
  private readonly pending = new Map<
    number,
    { resolve: (c: UpstreamChannel) => void; reject: (e: Error) => void }
  >();
  private requestId = 0;
  private sequence = 0;
  private fixedVersion = false;
  closeReason: string | undefined;
  /** Resolves with the reason once the connection has ended. */
  readonly closed: Promise<string>;
  private resolveClosed!: (reason: string) => void;

  private constructor(
    readonly target: UpstreamTarget,
    private readonly conn: FramedConnection,
    private readonly metrics: TranslatorMetrics,
    private readonly log: Logger,
  ) {
    super();
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /** Connects, runs the handshake and SetupConnection; throws on any failure. */
  static async connect(
    target: UpstreamTarget,
    metrics: TranslatorMetrics,
    log: Logger = silentLogger,
  ): Promise<UpstreamConnection> {
    const conn = await connectFramed({
      host: target.host,
      port: target.port,
      security: target.security,
      logger: log,
    });
    const up = new UpstreamConnection(target, conn, metrics, log);
    try {
      await up.setup();
    } catch (err) {
      conn.abort(err instanceof Error ? err.message : String(err));
      throw err;
    }
    void up.run();
    return up;
  }

  get isClosed(): boolean {
    return this.closeReason !== undefined;
  }

  private async setup(): Promise<void> {
    await this.conn.send(
      encodeFrame({
        type: 'SetupConnection',
        protocol: PROTOCOL.MINING,
        min_version: PROTOCOL_VERSION,
        max_version: PROTOCOL_VERSION,
        flags: 0,
        endpoint_host: this.target.host,
        endpoint_port: this.target.port,
        vendor: 'Strata',
        hardware_version: '',
        firmware: 'strata-translator',
        device_id: '',
      }),
    );
    const timer = setTimeout(
      () => this.conn.abort(`no answer to SetupConnection within ${SETUP_TIMEOUT_MS} ms`),
      SETUP_TIMEOUT_MS,
    );
    let frame;
    try {
      frame = await this.conn.receive();
    } finally {
      clearTimeout(timer);
    }
    if (frame === undefined) {
      throw new Error(`connection closed during setup: ${this.conn.closeInfo?.reason ?? 'unknown'}`);
    }
    const r = decodePayload(frame.header, frame.payload);
    if (!r.ok) throw new Error(`bad answer to SetupConnection: ${r.error.message}`);
    const m = r.message;
    if (m.type === 'SetupConnectionError') throw new Error(`pool refused SetupConnection: ${m.error_code}`);
    if (m.type !== 'SetupConnectionSuccess')
      throw new Error(`expected SetupConnection.Success, got ${m.type}`);
    this.fixedVersion = (m.flags & MINING_SETUP_SUCCESS_FLAGS.REQUIRES_FIXED_VERSION) !== 0;
  }

  /** OpenExtendedMiningChannel; resolves with the channel once the pool answers. */
  openChannel(req: OpenRequest): Promise<UpstreamChannel> {
    if (this.isClosed) return Promise.reject(new Error(`upstream closed: ${this.closeReason}`));
    const request_id = ++this.requestId;
    return new Promise<UpstreamChannel>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(request_id);
        reject(new Error(`no answer to OpenExtendedMiningChannel within ${OPEN_TIMEOUT_MS} ms`));
      }, OPEN_TIMEOUT_MS);
      timer.unref();
      this.pending.set(request_id, {
        resolve: (c) => {
          clearTimeout(timer);
          resolve(c);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.send({
        type: 'OpenExtendedMiningChannel',
        request_id,
        user_identity: req.user_identity.slice(0, 255),
        nominal_hash_rate: req.nominal_hash_rate,
        max_target: u256ToLE(req.max_target),
        min_extranonce_size: req.min_extranonce_size,
      });
    });
  }

  submit(channel: UpstreamChannel, job_id: number, share: UpstreamShare): void {
    this.sequence = (this.sequence + 1) >>> 0;
    this.metrics.sharesForwarded++;
    if (share.block) this.metrics.blocksFound++;
    this.send({
      type: 'SubmitSharesExtended',
      channel_id: channel.channel_id,
      sequence_number: this.sequence,
      job_id,
      nonce: share.nonce,
      ntime: share.ntime,
      version: share.version,
      extranonce: share.extranonce,
    });
  }

  updateChannel(channel: UpstreamChannel, nominal_hash_rate: number, maximum_target: bigint): void {
    this.send({
      type: 'UpdateChannel',
      channel_id: channel.channel_id,
      nominal_hash_rate,
      maximum_target: u256ToLE(maximum_target),
    });
  }

  closeChannel(channel: UpstreamChannel, reason: string): void {
    channel.close();
    this.channels.delete(channel.channel_id);
    this.send({ type: 'CloseChannel', channel_id: channel.channel_id, reason_code: reason.slice(0, 255) });
  }

  close(reason: string): void {
    this.conn.close(reason);
  }

  private send(m: Message): void {
    if (this.isClosed) return;
    let frame: Uint8Array;
    try {
      frame = encodeFrame(m);
    } catch (err) {
      this.log.error({ message: m.type, err: String(err) }, 'cannot encode message');
      return;
    }
    // Backpressure is the socket's; a lost connection is reported by run().
    this.conn.send(frame).catch(() => {});
  }

  private async run(): Promise<void> {
    try {
      for await (const frame of this.conn) {
        const r = decodePayload(frame.header, frame.payload);
        if (!r.ok) {
          if (r.disposition === 'reject') {
            this.conn.abort(`bad message from pool: ${r.error.message}`);
            break;
          }
          continue;
        }
        this.dispatch(r.message);
      }
    } catch (err) {
      this.log.error({ err: String(err) }, 'upstream loop failed');
    }
    const reason = this.conn.closeInfo?.reason ?? 'connection closed';
    this.closeReason = reason;
    for (const c of this.channels.values()) c.close();
    for (const p of this.pending.values()) p.reject(new Error(`upstream closed: ${reason}`));
    this.pending.clear();
    this.resolveClosed(reason);
    this.emit('closed', reason);
  }

  /** Channels a channel message is for: the channel itself, or every member of a group. */
  private targets(channel_id: number): UpstreamChannel[] {
    const one = this.channels.get(channel_id);
    if (one !== undefined) return [one];
    return [...this.channels.values()].filter((c) => c.group_channel_id === channel_id);
  }

  private dispatch(m: Message): void {
    const now = Date.now();
    switch (m.type) {
      case 'OpenExtendedMiningChannelSuccess': {
        const p = this.pending.get(m.request_id);
        if (p === undefined) return;
        this.pending.delete(m.request_id);
        const channel = new UpstreamChannel(m, this.fixedVersion);
        this.channels.set(m.channel_id, channel);
        p.resolve(channel);
        return;
      }
      case 'OpenMiningChannelError': {
        const p = this.pending.get(m.request_id);
        this.pending.delete(m.request_id);
        p?.reject(new Error(`pool refused the channel: ${m.error_code}`));
        return;
      }
      case 'NewExtendedMiningJob':
        for (const c of this.targets(m.channel_id)) if (c.onJob(m, now)) this.emit('job', c);
        return;
      case 'SetNewPrevHash':
        for (const c of this.targets(m.channel_id)) {
          c.onPrevHash(m, now);
          this.emit('job', c);
        }
        return;
      case 'SetTarget':
        for (const c of this.targets(m.channel_id)) c.onTarget(m.maximum_target);
        return;
      case 'SetExtranoncePrefix':
        for (const c of this.targets(m.channel_id)) {
          c.onPrefix(m.extranonce_prefix, now);
          this.emit('prefix', c);
        }
        return;
      case 'SubmitSharesSuccess':
        this.metrics.upstreamAccepted += m.new_submits_accepted_count;
        return;
      case 'SubmitSharesError':
        this.metrics.count(this.metrics.upstreamRejected, m.error_code);
        this.log.warn(
          { error_code: m.error_code, sequence_number: m.sequence_number },
          'share rejected upstream',
        );
        return;
      case 'CloseChannel':
        for (const c of this.targets(m.channel_id)) {
          c.close();
          this.channels.delete(c.channel_id);
          this.emit('channel-closed', c, m.reason_code);
        }
        return;
      case 'Reconnect':
        // Treated as a loss: the supervisor moves on to the next configured pool.
        this.conn.close(`pool asked to reconnect (${m.new_host}:${m.new_port})`);
        return;
      case 'UpdateChannelError':
        this.log.warn({ channel_id: m.channel_id, error_code: m.error_code }, 'UpdateChannel refused');
        return;
      default:
        this.log.info({ message: m.type }, 'unexpected message from pool ignored');
    }
  }
}
