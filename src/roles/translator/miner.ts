// One SV1 miner connection: the socket, its Sv1Session, and the session's
// view of the upstream (the sv1 `Upstream` interface). The host (the
// translator) owns the channels; this class asks it for an extranonce, a
// job, and forwards shares that meet the target of the channel whose job
// they were mined on (which may be one the miner has left since).
import type { Socket } from 'node:net';
import { equalBytes, hashMeetsTarget } from '../../bitcoin/index.js';
import {
  ERR_STALE,
  type AuthorizeAnswer,
  type MinerExtranonce,
  type PortDifficulty,
  type ResumeRegistry,
  type SessionEvent,
  type SessionOptions,
  type SubmitAnswer,
  type SubscribeRequest,
  type Sv1Session,
  type Upstream,
  type UpstreamJob,
  type UpstreamShare,
  type VardiffOptions,
} from '../../sv1/index.js';
import { tlvIdentity } from './accounts.js';
import { UpstreamChannel } from './channel.js';
import { takeToken, type TokenBucket } from '../../net/guard.js';

/** What a miner needs from the translator. */
export interface MinerHost {
  /** Extranonce for a subscribing miner; throws when no upstream can be had in time. */
  attach(miner: MinerConnection, resume: MinerExtranonce | undefined): Promise<MinerExtranonce>;
  /** Waits (bounded) for upstream work; the version mask miners may roll (0 = none). */
  rollingMask(miner: MinerConnection): Promise<number>;
  /** Whether `user` may mine here, and on which channel (the pool's verdict, unless accounts are not checked). */
  authorizeWorker(miner: MinerConnection, user: string): Promise<AuthorizeAnswer>;
  /** A line for the miner, or several joined by '\n', in one write (without the last newline). */
  write(miner: MinerConnection, text: string): void;
  /** The miner's session, or a rule of the host's, asked to close the connection. */
  drop(miner: MinerConnection, reason: string): void;
  /** The miner's socket closed. */
  closed(miner: MinerConnection): void;
  onSessionEvent(miner: MinerConnection, event: SessionEvent): void;
  /** mining.submit lines a miner may send per second (twice that saved up); over it, the connection closes. */
  readonly submitsPerSecond: number;
  /** Settings every session shares. */
  readonly sessionVardiff: Partial<VardiffOptions> | false;
  readonly resume: ResumeRegistry;
}

/** Each miner's socket to its connection: the socket's listeners are shared, not closures per miner. */
const minerOf = new WeakMap<Socket, MinerConnection>();
/** Socket errors are followed by 'close', which does the clean-up. */
const ignoreError = (): void => {};

function onMinerData(this: Socket, chunk: Buffer): void {
  minerOf.get(this)?.receive(chunk);
}

// 'close' comes once; `on` spares the wrapper `once` keeps per socket.
function onMinerClose(this: Socket): void {
  const m = minerOf.get(this);
  if (m !== undefined) m.host.closed(m);
}

const STALE: SubmitAnswer = { accepted: false, code: ERR_STALE, message: 'Stale' };
const NO_SCRIPTS: readonly Uint8Array[] = [];

/** Where a miner mines: the channel every miner shares, or one opened for it under its own name. */
export type ChannelMode = 'shared' | 'own';

/**
 * The miner's connection is also its session's options (SessionOptions):
 * the session calls back through its methods, so a connection holds no
 * options object and no closures of its own.
 */
export class MinerConnection implements Upstream, SessionOptions, TokenBucket {
  session!: Sv1Session;
  /** The channel whose jobs the miner works on. */
  channel: UpstreamChannel | undefined;
  /** The miner's extranonce1 index. */
  slot: number | undefined;
  /** Decided at the first authorize. */
  mode: ChannelMode | undefined;
  /** Shared mode: the difficulty band whose channel the miner belongs on. */
  band: number | undefined;
  /** Own mode: the user name the channel is opened under, and the scripts it names if it is an address. */
  ownUser: string | undefined;
  payoutScripts: readonly Uint8Array[] = NO_SCRIPTS;
  /** Solo: the first job's coinbase was checked for a payout to the address. */
  payoutChecked = false;
  extranonce: MinerExtranonce | undefined;
  lastSeen: number;
  /** The miner's submit budget (a TokenBucket of its own, without an object for it). */
  tokens: number;
  tokensAt: number;
  /** Consecutive invalid (not stale) shares. */
  invalidRun = 0;
  gone = false;
  /** The process that counts connections (the primary) admitted it: its end is reported there. */
  admittedElsewhere = false;
  /**
   * The name shares came under last and the 0x0002 user_identity they carry
   * (undefined: over 32 bytes); most miners use one name, so one pair
   * instead of a map per connection.
   */
  private identityUser: string | undefined;
  private identity: string | undefined;

  constructor(
    readonly id: number,
    readonly socket: Socket,
    readonly ip: string,
    readonly connectedAt: number,
    readonly host: MinerHost,
    /** Difficulty limits of the port the miner came in on. */
    readonly port: PortDifficulty,
  ) {
    this.lastSeen = connectedAt;
    this.tokens = host.submitsPerSecond * 2;
    this.tokensAt = connectedAt;
  }

  /** ip:port, for logs. */
  get remote(): string {
    return `${this.ip}:${this.socket.remotePort ?? 0}`;
  }

  /** Starts reading the socket: its bytes go to the session, its close to the host. */
  listen(): void {
    minerOf.set(this.socket, this);
    this.socket.on('data', onMinerData);
    this.socket.on('error', ignoreError);
    this.socket.on('close', onMinerClose);
  }

  /** Bytes from the miner: submits beyond its rate close the connection, the rest go to the session. */
  receive(chunk: Buffer): void {
    const t = Date.now();
    this.lastSeen = t;
    const rate = this.host.submitsPerSecond;
    for (let at = chunk.indexOf('mining.submit'); at >= 0; at = chunk.indexOf('mining.submit', at + 13)) {
      if (!takeToken(this, rate, rate * 2, t)) return this.host.drop(this, 'submit rate exceeded');
    }
    this.session.receive(chunk, t);
  }

  // ---- sv1 SessionOptions -----------------------------------------------------

  get upstream(): Upstream {
    return this;
  }
  get epoch(): number {
    return this.id & 0xffff;
  }
  get vardiff(): Partial<VardiffOptions> | false {
    return this.host.sessionVardiff;
  }
  get resume(): ResumeRegistry {
    return this.host.resume;
  }
  send(text: string): void {
    this.host.write(this, text);
  }
  close(reason: string): void {
    this.host.drop(this, reason);
  }
  onEvent(event: SessionEvent): void {
    this.host.onSessionEvent(this, event);
  }

  get ready(): boolean {
    return this.session.sessionId !== undefined && this.session.firstWorker !== undefined;
  }

  // ---- sv1 Upstream ---------------------------------------------------------

  async subscribe(request: SubscribeRequest): Promise<MinerExtranonce> {
    const en = await this.host.attach(this, request.resume);
    this.extranonce = en;
    return en;
  }

  async authorize(user: string): Promise<AuthorizeAnswer> {
    if (user.trim() === '') return { ok: false, reason: 'Empty user name' };
    return this.host.authorizeWorker(this, user);
  }

  versionRollingMask(): Promise<number> {
    return this.host.rollingMask(this);
  }

  currentJob(): UpstreamJob | undefined {
    return this.channel?.current;
  }

  /**
   * A share below the channel's target is answered here; one that meets it
   * is answered with the pool's verdict (acks.ts).
   */
  submit(share: UpstreamShare): SubmitAnswer | Promise<SubmitAnswer> {
    // The channel that issued the job: the miner may have moved on since (failback, own channel).
    const channel = UpstreamChannel.ofJob(share.job_id);
    // A job of a lost connection or an old prefix: never forwarded anywhere.
    if (channel === undefined || channel.sv2JobId(share.job_id) === undefined) return STALE;
    if (!share.block && !hashMeetsTarget(share.hash, channel.target)) return undefined;
    // The session only forwards shares of names this connection authorized.
    if (share.worker !== this.identityUser) {
      this.identityUser = share.worker;
      this.identity = tlvIdentity(share.worker);
    }
    return channel.forward(share, this.identity) ?? STALE;
  }

  // ---- moves ---------------------------------------------------------------

  /**
   * Puts the miner on `channel` with extranonce `en`: nothing to tell if it
   * is the same extranonce (the usual case: the pool's prefix travels in
   * coinb1), mining.set_extranonce if the channel has room for a different
   * extranonce2 and the miner subscribed to it, else client.reconnect.
   * False if the miner is being disconnected.
   */
  move(channel: UpstreamChannel, en: MinerExtranonce, now: number): boolean {
    const old = this.extranonce;
    this.channel = channel;
    if (old === undefined) return true;
    if (equalBytes(old.extranonce1, en.extranonce1) && old.extranonce2_size === en.extranonce2_size) {
      return true;
    }
    if (this.session.setExtranonce(en, now)) {
      this.extranonce = en;
      return true;
    }
    this.session.reconnect(now);
    return false;
  }
}
