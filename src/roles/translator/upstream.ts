// One connection to an SV2 pool: Noise with the pool's authority key pinned,
// SetupConnection for the Mining Protocol, RequestExtensions, then extended
// channels (and short-lived probe channels that ask whether the pool knows a
// miner's user name). Frames
// from the pool are routed to their channel (or to every channel of a
// group); shares go out as SubmitSharesExtended with one sequence counter
// per connection, and each share's miner is answered once the pool has
// acknowledged or refused it (acks.ts).
import { EventEmitter } from 'node:events';
import { u256ToLE } from '../../bitcoin/index.js';
import { connectFramed, type ClientSecurity } from '../../net/client.js';
import type { FramedConnection } from '../../net/connection.js';
import { type Logger, silentLogger } from '../../net/logger.js';
import {
  EXTENSION_TYPE,
  MINING_SETUP_SUCCESS_FLAGS,
  PROTOCOL,
  PROTOCOL_VERSION,
  decodePayload,
  encodeFrame,
  type Message,
} from '../../messages/index.js';
import type { UpstreamShare } from '../../sv1/index.js';
import { ShareAcks, type ShareVerdict } from './acks.js';
import { UpstreamChannel, type MinerSpace, type ShareSink } from './channel.js';
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
  /** What the miners on the channel roll; min_extranonce_size is its sum. */
  space: MinerSpace;
}

/** Extensions asked for after SetupConnection; a pool without a required one is left. */
export interface ExtensionWishes {
  supported: readonly number[];
  required: readonly number[];
}

/** OpenMiningChannel.Error: the pool refused a channel (as opposed to a timeout or a lost connection). */
export class ChannelRefused extends Error {
  constructor(readonly error_code: string) {
    super(`pool refused the channel: ${error_code}`);
    this.name = 'ChannelRefused';
  }
}

/** A probe channel's verdict on a user_identity. */
export type ProbeResult =
  { kind: 'accepted' } | { kind: 'refused'; error_code: string } | { kind: 'unavailable'; reason: string };

export interface UpstreamEvents {
  /** A channel's current job changed (new job, prev hash or prefix). */
  job: [channel: UpstreamChannel];
  /** A new extranonce prefix: the channel's current job was remade under it. */
  prefix: [channel: UpstreamChannel];
  /** SetTarget changed a channel's target. */
  target: [channel: UpstreamChannel];
  /** The pool closed one channel. */
  'channel-closed': [channel: UpstreamChannel, reason: string];
  closed: [reason: string];
}

const SETUP_TIMEOUT_MS = 10_000;
/** How long a share waits for the pool's acknowledgement before it is answered as accepted but unconfirmed. */
export const DEFAULT_SHARE_ACK_TIMEOUT_MS = 5_000;
const OPEN_TIMEOUT_MS = 10_000;
/** Nominal hashrate of a probe channel: it never mines, the pool only has to accept the number. */
const PROBE_HASHRATE = 1_000_000;
const U256_MAX_LE = new Uint8Array(32).fill(0xff);

export class UpstreamConnection extends EventEmitter<UpstreamEvents> implements ShareSink {
  readonly channels = new Map<number, UpstreamChannel>();
  private readonly pending = new Map<
    number,
    { space: MinerSpace; resolve: (c: UpstreamChannel) => void; reject: (e: Error) => void }
  >();
  /** Open requests of probe channels: answered, then closed at once; never registered as channels. */
  private readonly probes = new Map<number, (r: ProbeResult) => void>();
  private requestId = 0;
  private sequence = 0;
  private fixedVersion = false;
  /**
   * Extensions the pool agreed to; undefined while RequestExtensions is
   * unanswered. The pool answers in order, so its answer (if it sends one)
   * arrives before the answer to any channel opened after it.
   */
  private extensions: readonly number[] | undefined = [];
  private wishes: ExtensionWishes = { supported: [], required: [] };
  closeReason: string | undefined;
  /** Resolves with the reason once the connection has ended. */
  readonly closed: Promise<string>;
  private resolveClosed!: (reason: string) => void;
  private readonly acks: ShareAcks;

  private constructor(
    readonly target: UpstreamTarget,
    private readonly conn: FramedConnection,
    private readonly metrics: TranslatorMetrics,
    private readonly log: Logger,
    shareAckTimeoutMs: number,
  ) {
    super();
    this.acks = new ShareAcks(shareAckTimeoutMs);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /** Connects, runs the handshake and SetupConnection; throws on any failure. */
  static async connect(
    target: UpstreamTarget,
    metrics: TranslatorMetrics,
    log: Logger = silentLogger,
    wishes: ExtensionWishes = { supported: [], required: [] },
    shareAckTimeoutMs: number = DEFAULT_SHARE_ACK_TIMEOUT_MS,
  ): Promise<UpstreamConnection> {
    const conn = await connectFramed({
      host: target.host,
      port: target.port,
      security: target.security,
      logger: log,
    });
    const up = new UpstreamConnection(target, conn, metrics, log, shareAckTimeoutMs);
    try {
      await up.setup();
      await up.requestExtensions(wishes);
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

  /** Shares carry the miner's name in the 0x0002 user_identity TLV. */
  get workerIdentities(): boolean {
    return this.extensions?.includes(EXTENSION_TYPE.WORKER_SPECIFIC_HASHRATE_TRACKING) ?? false;
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

  /**
   * RequestExtensions, not waited for: a pool that does not know the message
   * ignores it, and one that does answers before any later channel answer.
   */
  private async requestExtensions(wishes: ExtensionWishes): Promise<void> {
    const requested = [...new Set([...wishes.supported, ...wishes.required])];
    if (requested.length === 0) return;
    this.extensions = undefined;
    this.wishes = wishes;
    await this.conn.send(
      encodeFrame({ type: 'RequestExtensions', request_id: 0, requested_extensions: requested }),
    );
  }

  /** The pool's answer to RequestExtensions (none = `[]`, the pool ignored the request). */
  private settleExtensions(agreed: readonly number[], how: string): void {
    if (this.extensions !== undefined) return;
    this.extensions = agreed;
    const missing = this.wishes.required.filter((e) => !agreed.includes(e));
    this.log.info({ upstream: this.target.name, extensions: agreed, how }, 'extensions negotiated');
    if (missing.length > 0) {
      this.log.error({ upstream: this.target.name, missing }, 'pool lacks a required extension');
      this.conn.close(`pool lacks required extensions ${missing.join(',')}`);
    }
  }

  /**
   * Asks whether the pool accepts `user_identity`: opens an extended channel
   * under that name and closes it as soon as the answer arrives. The
   * channel is never registered, so its jobs are dropped and it carries no
   * shares.
   */
  probe(user_identity: string, timeoutMs: number): Promise<ProbeResult> {
    if (this.isClosed)
      return Promise.resolve({ kind: 'unavailable', reason: `upstream closed: ${this.closeReason}` });
    const request_id = ++this.requestId;
    return new Promise<ProbeResult>((resolve) => {
      const timer = setTimeout(() => {
        this.probes.delete(request_id);
        resolve({ kind: 'unavailable', reason: `no answer to the probe within ${timeoutMs} ms` });
      }, timeoutMs);
      timer.unref();
      this.probes.set(request_id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.send({
        type: 'OpenExtendedMiningChannel',
        request_id,
        user_identity,
        nominal_hash_rate: PROBE_HASHRATE,
        max_target: U256_MAX_LE,
        min_extranonce_size: 0,
      });
    });
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
        space: req.space,
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
        min_extranonce_size: req.space.extranonce1 + req.space.extranonce2,
      });
    });
  }

  /**
   * SubmitSharesExtended; `worker` (≤ 32 bytes) goes in the 0x0002 TLV when
   * the pool agreed to it. Resolves with the pool's verdict on the share.
   */
  submit(
    channel: UpstreamChannel,
    job_id: number,
    share: UpstreamShare,
    worker?: string,
  ): Promise<ShareVerdict> {
    this.sequence = (this.sequence + 1) >>> 0;
    this.metrics.sharesForwarded++;
    if (share.block) this.metrics.blocksFound++;
    const verdict = this.acks.add(channel.channel_id, this.sequence);
    this.send({
      type: 'SubmitSharesExtended',
      channel_id: channel.channel_id,
      sequence_number: this.sequence,
      job_id,
      nonce: share.nonce,
      ntime: share.ntime,
      version: share.version,
      extranonce: share.extranonce,
      ...(worker !== undefined && this.workerIdentities ? { user_identity: worker } : {}),
    });
    return verdict.then((v) => {
      if (v.accepted && !v.confirmed) this.metrics.sharesUnconfirmed++;
      return v;
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
    const unconfirmed = this.acks.end(reason);
    if (unconfirmed > 0) {
      this.metrics.sharesLost += unconfirmed;
      this.log.warn(
        { shares: unconfirmed, reason },
        'upstream lost with shares not yet confirmed; their miners are told',
      );
    }
    for (const c of this.channels.values()) c.close();
    for (const p of this.pending.values()) p.reject(new Error(`upstream closed: ${reason}`));
    this.pending.clear();
    for (const p of this.probes.values()) p({ kind: 'unavailable', reason: `upstream closed: ${reason}` });
    this.probes.clear();
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
      case 'RequestExtensionsSuccess':
        return this.settleExtensions(m.supported_extensions, 'RequestExtensions.Success');
      case 'RequestExtensionsError':
        this.log.warn(
          { unsupported: m.unsupported_extensions, required_by_pool: m.required_extensions },
          'RequestExtensions refused',
        );
        return this.settleExtensions([], 'RequestExtensions.Error');
      case 'OpenExtendedMiningChannelSuccess': {
        this.settleExtensions([], 'no answer');
        const probe = this.probes.get(m.request_id);
        if (probe !== undefined) {
          this.probes.delete(m.request_id);
          this.send({ type: 'CloseChannel', channel_id: m.channel_id, reason_code: 'probe done' });
          probe({ kind: 'accepted' });
          return;
        }
        const p = this.pending.get(m.request_id);
        if (p === undefined) {
          // Its requester gave up waiting: the pool should not keep it.
          this.send({ type: 'CloseChannel', channel_id: m.channel_id, reason_code: 'open timed out' });
          return;
        }
        this.pending.delete(m.request_id);
        const channel = new UpstreamChannel(m, this.fixedVersion, p.space, this);
        this.channels.set(m.channel_id, channel);
        p.resolve(channel);
        return;
      }
      case 'OpenMiningChannelError': {
        this.settleExtensions([], 'no answer');
        const probe = this.probes.get(m.request_id);
        if (probe !== undefined) {
          this.probes.delete(m.request_id);
          probe({ kind: 'refused', error_code: m.error_code });
          return;
        }
        const p = this.pending.get(m.request_id);
        this.pending.delete(m.request_id);
        p?.reject(new ChannelRefused(m.error_code));
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
        for (const c of this.targets(m.channel_id)) {
          c.onTarget(m.maximum_target);
          this.emit('target', c);
        }
        return;
      case 'SetExtranoncePrefix':
        for (const c of this.targets(m.channel_id)) {
          c.onPrefix(m.extranonce_prefix, now);
          this.emit('prefix', c);
        }
        return;
      case 'SubmitSharesSuccess':
        this.metrics.upstreamAccepted += m.new_submits_accepted_count;
        this.acks.success(m.channel_id, m.last_sequence_number);
        return;
      case 'SubmitSharesError':
        this.metrics.count(this.metrics.upstreamRejected, m.error_code);
        this.acks.error(m.sequence_number, m.error_code);
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
