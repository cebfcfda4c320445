// One downstream Mining Protocol connection, server side, in the spec's order:
// SetupConnection → (RequestExtensions) → channels: Open*MiningChannel,
// UpdateChannel, CloseChannel, SubmitShares*, SetCustomMiningJob. The
// channel state machine is the channels layer's; this file asks its host who
// a channel mines for, hands each accepted share to the host's share sink
// and acknowledges it only once the sink has it (for the pool: once its
// batch committed). Used by the pool and by the job declarator client for
// its own downstreams.
//
// Custom jobs are the host's: with a setCustomJob hook the session accepts
// REQUIRES_WORK_SELECTION and passes every SetCustomMiningJob to it; without
// one it refuses that flag ('unsupported-feature-flags') and answers
// SetCustomMiningJob with 'jd-not-supported'.
import {
  MINING_SETUP_FLAGS,
  MINING_SETUP_SUCCESS_FLAGS,
  PROTOCOL,
  PROTOCOL_VERSION,
  decodePayload,
  encodeFrame,
  type Message,
  type MessageByName,
} from '../../messages/index.js';
import { EXTENSION_TYPE } from '../../messages/extensions.js';
import {
  ServerConnectionChannels,
  type ChannelAuth,
  type ChannelsOutMessage,
  type CustomJobVerdict,
  type MiningChain,
  type ShareRecord,
  type ShareVerdict,
} from '../../channels/index.js';
import type { Logger } from '../../log.js';
import type { FramedConnection } from '../../net/connection.js';

type Msg<N extends Message['type']> = MessageByName<N>;

/** The host's answer to a channel's user_identity. */
export type Authorization =
  | { ok: true; payout_key: string; account: string; worker: string }
  | { ok: false; error_code: string; reason: string };

/** An accepted share as the session hands it over (the pool's store takes exactly this). */
export interface SessionShare {
  account: string;
  worker: string;
  /** Credited difficulty (ShareRecord.difficulty). */
  difficulty: number;
  share_difficulty: number;
  below_target?: boolean;
  channel_id: number;
  job_id: number;
  is_block?: boolean;
}

/** A refused share, counted by its SubmitShares.Error code. */
export interface SessionReject {
  account: string;
  worker: string;
  reason: string;
}

/** Where accepted and refused shares go. A share is acknowledged once `enqueue` resolves; a rejection answers internal-error. */
export interface ShareSink {
  enqueue(share: SessionShare): Promise<unknown>;
  reject(r: SessionReject): Promise<unknown>;
}

/** What a session needs from its host (the pool, or a job declarator client). */
export interface SessionHost {
  readonly chain: MiningChain;
  readonly shares: ShareSink;
  /** Share results counted for metrics, by result ('accepted' or the error code). */
  readonly counters?: { share(result: string): void };
  authorize(user_identity: string, device: string): Authorization;
  /**
   * Who a share names through the 0x0002 user_identity TLV of a proxy's
   * channel (`account.worker` of the miner behind the proxy), given who the
   * channel itself mines for.
   */
  resolveProxied(tlv_identity: string, channel: Who): Who;
  /** A share met the network target (called before the share is stored). */
  onBlock(session: MiningSession, verdict: Extract<ShareVerdict, { accepted: true }>, who: Who): void;
  onClose(session: MiningSession): void;
  /** Every accepted share with its full record (a job declarator client forwards them upstream). */
  onShare?(session: MiningSession, verdict: Extract<ShareVerdict, { accepted: true }>, who: Who): void;
  /**
   * SetCustomMiningJob on a connection of this host: checks the token and
   * calls channels.setCustomJob. Without this hook the host takes no custom
   * jobs (see above).
   */
  setCustomJob?(
    session: MiningSession,
    channels: ServerConnectionChannels,
    m: Msg<'SetCustomMiningJob'>,
    now: number,
  ): CustomJobVerdict;
}

export interface Who {
  account: string;
  worker: string;
}

/** Extensions a session speaks: 0x0002 (per-share worker identity). */
export const SUPPORTED_EXTENSIONS: readonly number[] = [EXTENSION_TYPE.WORKER_SPECIFIC_HASHRATE_TRACKING];

const INTERNAL_ERROR = 'internal-error';
const SUPPORTED_FLAGS =
  MINING_SETUP_FLAGS.REQUIRES_STANDARD_JOBS | MINING_SETUP_FLAGS.REQUIRES_VERSION_ROLLING;

export class MiningSession {
  readonly peer: string;
  #channels: ServerConnectionChannels | undefined;
  #device = '';
  #extensions: number[] = [];
  readonly #who = new Map<number, Who>();
  /** Best share difficulty per channel since it opened (for the web page). */
  readonly #best = new Map<number, number>();
  readonly #conn: FramedConnection;
  readonly #host: SessionHost;
  readonly #log: Logger;
  #closed = false;

  constructor(conn: FramedConnection, host: SessionHost, logger: Logger) {
    this.#conn = conn;
    this.#host = host;
    this.peer = `${conn.remoteAddress}:${conn.remotePort}`;
    this.#log = logger.child({ peer: this.peer });
    void this.#run();
  }

  /** vendor/hardware_version/firmware from SetupConnection. */
  get device(): string {
    return this.#device;
  }

  /** Who a channel mines for, once it opened. */
  who(channel_id: number): Who | undefined {
    return this.#who.get(channel_id);
  }

  /** Best share difficulty on a channel since it opened (0 before its first share). */
  bestShare(channel_id: number): number {
    return this.#best.get(channel_id) ?? 0;
  }

  /** The connection's channels once SetupConnection succeeded. */
  get channels(): ServerConnectionChannels | undefined {
    return this.#closed ? undefined : this.#channels;
  }

  send(messages: readonly (ChannelsOutMessage | Message)[]): void {
    if (this.#conn.isClosed) return;
    for (const m of messages) {
      let frame: Uint8Array;
      try {
        frame = encodeFrame(m as Message);
      } catch (err) {
        this.#log.error({ message: m.type, err: (err as Error).message }, 'cannot encode message');
        continue;
      }
      this.#conn.send(frame).catch(() => {
        // The close is logged by the connection.
      });
    }
  }

  close(reason: string): void {
    this.#conn.close(reason);
  }

  async #run(): Promise<void> {
    try {
      for await (const frame of this.#conn) {
        const r = decodePayload(frame.header, frame.payload, { extensions: this.#extensions });
        if (!r.ok) {
          if (r.disposition === 'reject') {
            this.#log.warn({ err: r.error.message }, 'malformed message; closing');
            this.#conn.abort(`malformed message: ${r.error.message}`);
            break;
          }
          continue;
        }
        this.#handle(r.message);
        if (this.#conn.isClosed) break;
      }
    } catch (err) {
      this.#log.error({ err: err instanceof Error ? err.message : String(err) }, 'session failed');
      this.#conn.abort('internal error');
    } finally {
      this.#closed = true;
      // Frees every channel's extranonce slot.
      this.#channels?.close();
      this.#host.onClose(this);
    }
  }

  #handle(m: Message): void {
    const channels = this.#channels;
    if (channels === undefined) {
      if (m.type !== 'SetupConnection') {
        this.#log.warn({ message: m.type }, 'expected SetupConnection first; closing');
        this.#conn.close(`sent ${m.type} before SetupConnection`);
        return;
      }
      this.#setup(m);
      return;
    }
    const now = Date.now();
    switch (m.type) {
      case 'RequestExtensions':
        return this.#requestExtensions(m);
      case 'OpenStandardMiningChannel':
      case 'OpenExtendedMiningChannel':
        return this.#open(channels, m, now);
      case 'UpdateChannel':
        return this.send(channels.updateChannel(m, now));
      case 'CloseChannel':
        channels.closeChannel(m.channel_id);
        this.#who.delete(m.channel_id);
        this.#best.delete(m.channel_id);
        this.#log.info({ channel_id: m.channel_id, reason: m.reason_code }, 'channel closed by the client');
        return;
      case 'SubmitSharesStandard':
        return this.#share(channels.submitStandard(m, now), m.channel_id, null);
      case 'SubmitSharesExtended':
        return this.#share(channels.submitExtended(m, now), m.channel_id, m.user_identity ?? null);
      case 'SetCustomMiningJob':
        return this.#customJob(channels, m, now);
      default:
        this.#log.warn({ message: m.type }, 'unexpected message ignored');
    }
  }

  #setup(m: Msg<'SetupConnection'>): void {
    let error_code: string | undefined;
    let flags = 0;
    const workSelection = (m.flags & MINING_SETUP_FLAGS.REQUIRES_WORK_SELECTION) !== 0;
    if (m.protocol !== PROTOCOL.MINING) error_code = 'unsupported-protocol';
    else if (m.min_version > PROTOCOL_VERSION || m.max_version < PROTOCOL_VERSION)
      error_code = 'protocol-version-mismatch';
    else if (workSelection && this.#host.setCustomJob === undefined) {
      // Custom jobs need job declaration, which this host does not take. The
      // Error carries every flag it does not support (spec 3.6.3).
      error_code = 'unsupported-feature-flags';
      flags = MINING_SETUP_FLAGS.REQUIRES_WORK_SELECTION;
    }
    if (error_code !== undefined) {
      this.#log.warn(
        { error_code, protocol: m.protocol, flags: m.flags, min_version: m.min_version },
        'SetupConnection refused',
      );
      this.send([{ type: 'SetupConnectionError', flags, error_code }]);
      this.#conn.close(`SetupConnection refused: ${error_code}`);
      return;
    }
    // Standard jobs and version rolling are both supported: no Success flag
    // restricts an ordinary client. Custom work takes extended channels only
    // (REQUIRES_EXTENDED_CHANNELS); REQUIRES_FIXED_VERSION is never set.
    const supported = SUPPORTED_FLAGS | (workSelection ? MINING_SETUP_FLAGS.REQUIRES_WORK_SELECTION : 0);
    this.#channels = new ServerConnectionChannels(this.#host.chain, { flags: m.flags & supported });
    this.#device = [m.vendor, m.hardware_version, m.firmware].filter((s) => s !== '').join('/');
    const successFlags = workSelection ? MINING_SETUP_SUCCESS_FLAGS.REQUIRES_EXTENDED_CHANNELS : 0;
    this.send([{ type: 'SetupConnectionSuccess', used_version: PROTOCOL_VERSION, flags: successFlags }]);
    this.#log.info({ vendor: m.vendor, device_id: m.device_id, flags: m.flags }, 'connection set up');
  }

  #requestExtensions(m: Msg<'RequestExtensions'>): void {
    const supported = m.requested_extensions.filter((e) => SUPPORTED_EXTENSIONS.includes(e));
    if (supported.length === 0) {
      const unsupported_extensions = m.requested_extensions.filter((e) => !SUPPORTED_EXTENSIONS.includes(e));
      this.send([
        {
          type: 'RequestExtensionsError',
          request_id: m.request_id,
          unsupported_extensions,
          required_extensions: [],
        },
      ]);
      return;
    }
    this.#extensions = supported;
    this.send([
      { type: 'RequestExtensionsSuccess', request_id: m.request_id, supported_extensions: supported },
    ]);
  }

  #open(
    channels: ServerConnectionChannels,
    m: Msg<'OpenStandardMiningChannel'> | Msg<'OpenExtendedMiningChannel'>,
    now: number,
  ): void {
    const a = this.#host.authorize(m.user_identity, this.#device);
    const auth: ChannelAuth = a.ok
      ? { ok: true, payout_key: a.payout_key }
      : { ok: false, error_code: a.error_code };
    const out =
      m.type === 'OpenStandardMiningChannel'
        ? channels.openStandard(m, auth, now)
        : channels.openExtended(m, auth, now);
    const first = out[0];
    if (
      first &&
      (first.type === 'OpenStandardMiningChannelSuccess' || first.type === 'OpenExtendedMiningChannelSuccess')
    ) {
      if (a.ok) this.#who.set(first.channel_id, { account: a.account, worker: a.worker });
      this.#log.info(
        {
          channel_id: first.channel_id,
          kind: m.type === 'OpenStandardMiningChannel' ? 'standard' : 'extended',
          user: m.user_identity,
        },
        'channel opened',
      );
    } else if (first && first.type === 'OpenMiningChannelError') {
      this.#log.info(
        { user: m.user_identity, error_code: first.error_code, reason: a.ok ? undefined : a.reason },
        'channel refused',
      );
    }
    this.send(out);
  }

  /** `tlv`: the 0x0002 user_identity of the submit, the miner behind a proxy's extended channel. */
  #share(v: ShareVerdict, channel_id: number, tlv: string | null): void {
    const who = this.#who.get(channel_id);
    this.#host.counters?.share(v.accepted ? 'accepted' : v.error_code);
    if (!v.accepted) {
      this.send([v.error]);
      if (who) {
        // Counted for the miner the TLV names, as its accepted shares are.
        const booked = tlv !== null && tlv !== '' ? this.#host.resolveProxied(tlv, who) : who;
        this.#host.shares
          .reject({ account: booked.account, worker: booked.worker, reason: v.error_code })
          .catch((err: unknown) => {
            this.#log.error({ err: (err as Error).message }, 'counting a rejected share failed');
          });
      }
      return;
    }
    const share = v.share;
    if (share.share_difficulty > (this.#best.get(channel_id) ?? 0))
      this.#best.set(channel_id, share.share_difficulty);
    // The 0x0002 TLV names the miner behind a proxy's extended channel.
    const channelWho: Who = who ?? { account: share.user_identity, worker: 'default' };
    const { account, worker } =
      share.worker !== null && share.worker !== ''
        ? this.#host.resolveProxied(share.worker, channelWho)
        : channelWho;
    if (v.block) this.#host.onBlock(this, v, { account, worker });
    this.#host.onShare?.(this, v, { account, worker });
    this.#host.shares
      .enqueue({
        account,
        worker,
        difficulty: share.difficulty,
        share_difficulty: share.share_difficulty,
        below_target: share.below_target,
        channel_id: share.channel_id,
        job_id: share.job_id,
        is_block: share.block,
      })
      .then(
        () => this.#confirm(share),
        (err: unknown) => this.#storeFailed(share, err),
      );
  }

  #customJob(channels: ServerConnectionChannels, m: Msg<'SetCustomMiningJob'>, now: number): void {
    const setCustomJob = this.#host.setCustomJob;
    if (setCustomJob === undefined) {
      this.#log.info({ channel_id: m.channel_id, error_code: 'jd-not-supported' }, 'custom job refused');
      this.send([
        {
          type: 'SetCustomMiningJobError',
          channel_id: m.channel_id,
          request_id: m.request_id,
          error_code: 'jd-not-supported',
        },
      ]);
      return;
    }
    const v = setCustomJob.call(this.#host, this, channels, m, now);
    if (v.accepted) {
      this.#log.info(
        {
          channel_id: m.channel_id,
          request_id: m.request_id,
          job_id: v.job.job_id,
          height: v.job.height,
          value: String(v.job.value),
        },
        'custom job accepted',
      );
    } else {
      this.#log.warn(
        { channel_id: m.channel_id, request_id: m.request_id, error_code: v.error_code, reason: v.reason },
        'custom job refused',
      );
    }
    this.send([v.message]);
  }

  #confirm(share: ShareRecord): void {
    const channels = this.channels;
    if (channels) this.send(channels.confirm(share));
  }

  #storeFailed(share: ShareRecord, err: unknown): void {
    this.#log.error(
      { channel_id: share.channel_id, sequence_number: share.sequence_number, err: (err as Error).message },
      'storing a share failed; answered internal-error',
    );
    this.send([
      {
        type: 'SubmitSharesError',
        channel_id: share.channel_id,
        sequence_number: share.sequence_number,
        error_code: INTERNAL_ERROR,
      },
    ]);
  }
}
