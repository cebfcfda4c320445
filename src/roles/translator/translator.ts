// The translator: SV1 miners on one side, an SV2 pool (with failover and
// failback) on the other. Miners share one upstream channel (aggregated) or
// each mine on a channel of their own name (solo addresses, or
// aggregate_channels = false); every miner's extranonce1 is the
// translator's own, so moving between channels and pools never needs the
// miner to reconnect. It owns the listeners, the channels, and a one-second
// clock for deadlines, vardiff, keepalive notifies, UpdateChannel and the
// no-work cut-off.
import { createServer, type Server, type Socket } from 'node:net';
import { U256_MAX, difficultyToTarget, targetToDifficulty } from '../../bitcoin/index.js';
import type { Logger } from '../../log.js';
import { EXTENSION_TYPE } from '../../messages/index.js';
import {
  ASIC_PORT,
  type AuthorizeAnswer,
  CPU_PORT,
  ERR_STALE,
  ResumeRegistry,
  Sv1Session,
  powerOfTwoFloor,
  type MinerExtranonce,
  type PortDifficulty,
  type SessionEvent,
  type UpstreamJob,
} from '../../sv1/index.js';
import { AccountCheck, tlvIdentity } from './accounts.js';
import { SharedChannels, bandMaxTarget, bandOf } from './bands.js';
import type { MinerSpace, UpstreamChannel } from './channel.js';
import { UpstreamFailover } from './failover.js';
import { ConnectionGuard, ipMatcher } from '../../net/guard.js';
import { TranslatorMetrics } from './metrics.js';
import { MinerConnection, type MinerHost } from './miner.js';
import { EXTRANONCE1_BYTES, SlotAllocator, minerExtranonce, slotOf } from './slots.js';
import { addressScripts, payoutShare } from './solo.js';
import type { PortKind } from './config.js';
import {
  ChannelRefused,
  type OpenRequest,
  type UpstreamConnection,
  type UpstreamTarget,
} from './upstream.js';

/** BIP320 bits an SV2 job lets miners roll (the SV2 spec's mask). */
const SV2_ROLLING_MASK = 0x1fffffe0;
/** Outbound bytes queued for a miner before it counts as not reading. */
const MAX_QUEUED_BYTES = 1 << 20;
/** How often a miner's vardiff is re-evaluated without shares (ticks of 1 s). */
const VARDIFF_TICK_EVERY = 5;
/** Failback: how long the preferred pool's new shared channels may take to give a job. */
const FAILBACK_WORK_MS = 10_000;
/** UpdateChannel at most this often (ticks), and only for a change above 10 %. */
const UPDATE_EVERY = 10;
/** A difficulty band nobody mined in for this long has its shared channel closed. */
const BAND_IDLE_MS = 120_000;

export interface ListenSpec {
  address: string;
  port: number;
  kind: PortKind;
}

export interface TranslatorOptions {
  listen: readonly ListenSpec[];
  upstreams: readonly (UpstreamTarget & { user_identity: string })[];
  extranonce2Size: number;
  aggregate: boolean;
  minHashrate: number;
  sharesPerMinute: number;
  vardiff: boolean;
  keepaliveMs: number;
  handshakeMs: number;
  idleMs: number;
  noWorkMs: number;
  pingMs: number;
  summaryMs: number;
  maxConnections: number;
  maxPerIp: number;
  allowedIps: readonly string[];
  submitsPerSecond: number;
  invalidFreshWork: number;
  invalidReconnect: number;
  logger: Logger;
  /** Ask the pool whether it knows a miner's account at mining.authorize; unset = accept every name. */
  verifyAccounts?: boolean;
  /** Extensions requested after SetupConnection; unset = [0x0002]. */
  supportedExtensions?: readonly number[];
  /** Extensions a pool must support to be used; unset = none. */
  requiredExtensions?: readonly number[];
  /** How long mining.authorize waits for an upstream before accepting provisionally (default 5 s). */
  accountWaitMs?: number;
  /** Upstream reconnect delays (tests shorten them). */
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  /** Return to a pool ahead in the list once it has been up this long; 0 = stay (default 0). */
  failbackMs?: number;
  /** Longest wait for the pool's acknowledgement of a forwarded share (default 5 s). */
  shareAckTimeoutMs?: number;
  /** How often the pools ahead are tried (default 10 s). */
  failbackRetryMs?: number;
  /** How long a replaced pool connection stays open for shares on their way (default 5 s). */
  drainMs?: number;
  /**
   * The listeners are shared with other worker processes (node:cluster), and
   * the process that counts connections for all of them admits each one
   * before a byte is read: resolves true, or false when it was refused (the
   * asker logged and counted that).
   */
  admit?: (ip: string, remotePort: number) => Promise<boolean>;
  /** A connection admitted through `admit` ended: called once for each, with the `ip` it was admitted as. */
  onAdmittedClose?: (ip: string) => void;
}

export interface BoundPort {
  host: string;
  port: number;
  kind: PortKind;
}

/** Difficulty that makes a miner of `hashrate` H/s find `spm` shares a minute (2^32 hashes per difficulty 1). */
export function difficultyForHashrate(hashrate: number, spm: number): number {
  return (hashrate * 60) / (spm * 2 ** 32);
}

export function hashrateForDifficulty(difficulty: number, spm: number): number {
  return (difficulty * 2 ** 32 * spm) / 60;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The account part of a user name (before the first dot). */
function accountOf(user: string): string {
  const dot = user.indexOf('.');
  return dot < 0 ? user : user.slice(0, dot);
}

export class Translator implements MinerHost {
  readonly metrics = new TranslatorMetrics();
  readonly miners = new Set<MinerConnection>();
  private readonly o: TranslatorOptions;
  private readonly log: Logger;
  private readonly failover: UpstreamFailover;
  private readonly accounts: AccountCheck | undefined;
  private readonly guard: ConnectionGuard;
  private readonly slots = new SlotAllocator();
  readonly resume = new ResumeRegistry();
  /** The sessions' vardiff settings, one object for every miner. */
  readonly sessionVardiff: { sharesPerMinute: number } | false;
  readonly submitsPerSecond: number;
  private readonly servers: Server[] = [];
  private readonly ports = new Map<Server, PortDifficulty>();
  /** Own channels → their miner. */
  private readonly owners = new Map<UpstreamChannel, MinerConnection>();
  private readonly lastPush = new Map<UpstreamChannel, number>();
  private readonly lastUpdate = new Map<UpstreamChannel, number>();
  private conn: UpstreamConnection | undefined;
  private upstreamIndex = 0;
  /** Aggregated mode: the current pool's shared channels, one per difficulty band. */
  private shared: SharedChannels | undefined;
  /** The band opened first on every pool: that of the first port's start difficulty. */
  private defaultBand = 0;
  /** When each band last had a miner, to close bands nobody uses. */
  private readonly bandSeen = new Map<number, number>();
  /** The pool refused the shared channel with this error code: own channels only. */
  private sharedRefused: string | undefined;
  private noWorkSince: number | undefined;
  private cutOff = false;
  private lastPing = 0;
  private lastSummary = 0;
  private ticks = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private workWaiters: (() => void)[] = [];
  private nextId = 1;
  private stopping = false;

  constructor(options: TranslatorOptions) {
    this.o = options;
    this.sessionVardiff = options.vardiff ? { sharesPerMinute: options.sharesPerMinute } : false;
    this.submitsPerSecond = options.submitsPerSecond;
    this.log = options.logger;
    this.guard = new ConnectionGuard({
      maxConnections: options.maxConnections,
      maxPerIp: options.maxPerIp,
      allowed: ipMatcher(options.allowedIps),
    });
    this.failover = new UpstreamFailover({
      targets: options.upstreams,
      metrics: this.metrics,
      logger: this.log,
      initialDelayMs: options.reconnectInitialMs,
      maxDelayMs: options.reconnectMaxMs,
      failbackMs: options.failbackMs,
      failbackRetryMs: options.failbackRetryMs,
      drainMs: options.drainMs,
      shareAckTimeoutMs: options.shareAckTimeoutMs,
      extensions: {
        supported: options.supportedExtensions ?? [EXTENSION_TYPE.WORKER_SPECIFIC_HASHRATE_TRACKING],
        required: options.requiredExtensions ?? [],
      },
    });
    if (options.verifyAccounts === true) {
      this.accounts = new AccountCheck({
        upstream: async (ms) => ((await this.waitForWork(ms)) ? this.connection : undefined),
        logger: this.log,
        waitMs: options.accountWaitMs,
      });
    }
    this.failover.on('up', (conn, index) => this.onUpstream(conn, index));
    this.failover.on('down', () => this.onUpstreamLost());
    this.failover.on('candidate', (conn, index) => void this.onCandidate(conn, index));
  }

  get connection(): UpstreamConnection | undefined {
    return this.conn !== undefined && !this.conn.isClosed ? this.conn : undefined;
  }

  /** Valid work can be handed out right now (in own mode: channels can be opened). */
  get hasWork(): boolean {
    if (this.connection === undefined) return false;
    if (!this.o.aggregate || this.sharedRefused !== undefined) return true;
    return this.shared?.hasWork ?? false;
  }

  async start(): Promise<BoundPort[]> {
    const now = Date.now();
    this.noWorkSince = now;
    const bound: BoundPort[] = [];
    for (const spec of this.o.listen) bound.push(await this.listen(spec));
    const first = this.ports.values().next().value as PortDifficulty | undefined;
    if (first !== undefined) this.defaultBand = bandOf(first.start);
    this.failover.start();
    this.timer = setInterval(() => this.tick(Date.now()), 1000);
    this.timer.unref();
    return bound;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    const closing = this.servers.map((s) => new Promise<void>((done) => s.close(() => done())));
    for (const m of this.miners) m.socket.destroy();
    await this.failover.stop();
    await Promise.all(closing);
    for (const w of this.workWaiters) w();
    this.workWaiters = [];
  }

  // ---- listeners -------------------------------------------------------------

  private portDifficulty(spec: ListenSpec): PortDifficulty {
    // Devices the user agent does not tell about start at min_individual_miner_hashrate's difficulty.
    const start = powerOfTwoFloor(
      Math.max(1, difficultyForHashrate(this.o.minHashrate, this.o.sharesPerMinute)),
    );
    return spec.kind === 'cpu' ? CPU_PORT : { ...ASIC_PORT, start };
  }

  /**
   * Shared listeners: asks the process that counts connections to admit
   * this one (it stays paused meanwhile), then serves it or closes it. Once
   * admitted, its end is reported through onAdmittedClose whatever happens.
   */
  private admitThenAccept(socket: Socket, port: PortDifficulty): void {
    socket.on('error', () => {});
    const refused = () => void socket.destroy();
    const ip = socket.remoteAddress ?? '';
    this.o.admit!(ip, socket.remotePort ?? 0).then((admitted) => {
      if (!admitted) return refused();
      const m = socket.destroyed ? undefined : this.accept(socket, port);
      if (m === undefined) {
        // Gone while waiting, or refused here: its end is still owed.
        if (socket.destroyed) return this.o.onAdmittedClose?.(ip);
        socket.once('close', () => this.o.onAdmittedClose?.(ip));
        return refused();
      }
      m.admittedElsewhere = true;
      socket.resume();
    }, refused);
  }

  /** What the periodic summary line shows. */
  summary(): Record<string, unknown> {
    return { miners: this.miners.size, ...this.metrics.snapshot() };
  }

  private listen(spec: ListenSpec): Promise<BoundPort> {
    const difficulty = this.portDifficulty(spec);
    const shared = this.o.admit !== undefined;
    const server = createServer(
      { noDelay: true, keepAlive: true, keepAliveInitialDelay: 45_000, pauseOnConnect: shared },
      (s) => (shared ? this.admitThenAccept(s, difficulty) : void this.accept(s, difficulty)),
    );
    server.on('error', (err) => this.log.error({ err: err.message }, 'SV1 listener error'));
    this.servers.push(server);
    this.ports.set(server, difficulty);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: spec.port, host: spec.address, backlog: 4096 }, () => {
        server.off('error', reject);
        const addr = server.address();
        const port = typeof addr === 'object' && addr !== null ? addr.port : spec.port;
        this.log.info({ host: spec.address, port, kind: spec.kind }, 'listening');
        resolve({ host: spec.address, port, kind: spec.kind });
      });
    });
  }

  private refuse(socket: Socket, ip: string, reason: string): void {
    this.metrics.count(this.metrics.refused, reason);
    this.log.warn({ peer: `${ip}:${socket.remotePort ?? 0}`, reason }, 'connection refused');
    socket.on('error', () => {});
    socket.destroy();
  }

  private accept(socket: Socket, port: PortDifficulty): MinerConnection | undefined {
    const ip = socket.remoteAddress ?? '';
    if (this.stopping) return void socket.destroy();
    if (this.cutOff) return void this.refuse(socket, ip, 'no upstream work');
    const admission = this.guard.admit(ip);
    if (!admission.ok) return void this.refuse(socket, ip, admission.reason);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 45_000);
    const now = Date.now();
    const id = this.nextId++;
    const m = new MinerConnection(id, socket, ip, now, this, port);
    m.session = new Sv1Session(m, now);
    this.miners.add(m);
    this.metrics.connectionsAccepted++;
    this.metrics.connectionsOpen++;
    m.listen();
    return m;
  }

  /** Writes a session's line, or lines joined by '\n', in one socket write. */
  write(m: MinerConnection, text: string): void {
    const s = m.socket;
    if (s.destroyed || !s.writable) return;
    s.write(text + '\n');
    if (s.writableLength > MAX_QUEUED_BYTES) this.drop(m, 'miner not reading');
  }

  /** Closes a miner's connection (the session asked, or a guard rule did). */
  drop(m: MinerConnection, reason: string): void {
    if (m.gone) return;
    m.gone = true;
    this.metrics.count(this.metrics.closed, reason);
    if (reason !== 'peer closed') this.log.info({ peer: m.remote, reason }, 'miner disconnected');
    const s = m.socket;
    s.end();
    setTimeout(() => s.destroy(), 2000).unref();
  }

  /** The miner's socket closed. */
  closed(m: MinerConnection): void {
    if (!this.miners.delete(m)) return;
    if (m.admittedElsewhere) this.o.onAdmittedClose?.(m.ip);
    m.gone = true;
    m.session.end(Date.now());
    this.guard.release(m.ip);
    this.metrics.connectionsOpen--;
    if (m.slot !== undefined) this.slots.release(m.slot);
    const channel = m.channel;
    if (channel !== undefined && this.owners.get(channel) === m) {
      this.owners.delete(channel);
      this.lastPush.delete(channel);
      this.lastUpdate.delete(channel);
      channel.release('miner disconnected');
    }
  }

  onSessionEvent(m: MinerConnection, e: SessionEvent): void {
    if (e.type === 'warning') {
      this.log.warn({ peer: m.remote, warning: e.message }, 'miner session warning');
      return;
    }
    if (e.type === 'difficulty') {
      if (m.mode === 'shared' && m.band !== undefined && this.bandFor(m) !== m.band) this.changeBand(m);
      return;
    }
    if (e.accepted) {
      this.metrics.sharesAccepted++;
      m.invalidRun = 0;
      return;
    }
    this.metrics.count(this.metrics.rejected, e.reject.message);
    if (e.reject.code === ERR_STALE) return;
    m.invalidRun++;
    const now = Date.now();
    if (m.invalidRun >= this.o.invalidReconnect) {
      this.log.warn({ peer: m.remote, invalid: m.invalidRun }, 'continuous invalid shares: reconnect');
      m.session.reconnect(now);
    } else if (m.invalidRun === this.o.invalidFreshWork) {
      this.log.warn({ peer: m.remote, invalid: m.invalidRun }, 'continuous invalid shares: fresh work');
      const job = m.channel?.current;
      if (job) m.session.pushJob({ ...job, clean_jobs: true }, now);
    }
  }

  // ---- miner host -----------------------------------------------------------

  /** Resolves once there is work, or after `ms` (then false). */
  private waitForWork(ms: number): Promise<boolean> {
    if (this.hasWork) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const i = this.workWaiters.indexOf(wake);
        if (i >= 0) this.workWaiters.splice(i, 1);
        resolve(false);
      }, ms);
      const wake = () => {
        clearTimeout(timer);
        resolve(this.hasWork);
      };
      this.workWaiters.push(wake);
    });
  }

  private workArrived(): void {
    this.noWorkSince = undefined;
    this.cutOff = false;
    const waiters = this.workWaiters;
    this.workWaiters = [];
    for (const w of waiters) w();
  }

  async attach(m: MinerConnection, resume: MinerExtranonce | undefined): Promise<MinerExtranonce> {
    const left = m.connectedAt + this.o.handshakeMs - Date.now();
    if (!(await this.waitForWork(Math.max(1, left)))) throw new Error('no upstream work');
    if (m.gone) throw new Error('miner gone');
    const wanted = resume ? slotOf(resume.extranonce1) : undefined;
    const slot = wanted !== undefined && this.slots.claim(wanted) ? wanted : this.slots.take();
    if (slot === undefined) throw new Error('no free extranonce slot');
    m.slot = slot;
    // Miners roll what the shared channels have room for (the configured size when they have enough).
    const size = this.shared?.usable?.extranonce2Size ?? this.o.extranonce2Size;
    return minerExtranonce(slot, size);
  }

  async rollingMask(m: MinerConnection): Promise<number> {
    let job = m.channel?.current ?? this.anyJob();
    if (job === undefined) {
      await this.waitForWork(Math.min(5000, Math.max(1, m.connectedAt + this.o.handshakeMs - Date.now())));
      job = m.channel?.current ?? this.anyJob();
    }
    return job?.version_rolling_allowed ? SV2_ROLLING_MASK : 0;
  }

  async authorizeWorker(m: MinerConnection, user: string): Promise<AuthorizeAnswer> {
    m.mode ??= this.wantsOwnChannel(user) ? 'own' : 'shared';
    if (m.mode === 'own') return this.authorizeOwn(m, user);
    const answer = this.accounts === undefined ? { ok: true as const } : await this.accounts.check(user);
    if (!answer.ok) return answer;
    if (tlvIdentity(user) === undefined) {
      this.log.warn(
        { peer: m.remote, user },
        'user name over 32 bytes: its work is credited to the channel identity',
      );
    }
    if (m.mode === 'shared' && !m.gone) await this.joinBand(m);
    return answer;
  }

  /**
   * A miner's difficulty left its band. When the new band's channel is open
   * its job goes out with the set_difficulty the session is about to send
   * (one notify, not two); otherwise the channel is opened and its first job
   * follows.
   */
  private changeBand(m: MinerConnection): void {
    const band = this.bandFor(m);
    const channel = this.shared?.get(band);
    const job = channel?.current;
    if (channel === undefined || job === undefined || !this.fits(m, channel)) return void this.joinBand(m);
    m.band = band;
    m.channel = channel;
    this.bandSeen.set(band, Date.now());
    m.session.adoptJob(job);
  }

  /**
   * Puts a shared-mode miner on the channel of its difficulty's band, opening
   * it when missing; until it is open the miner keeps what it has.
   */
  private async joinBand(m: MinerConnection): Promise<void> {
    const shared = this.shared;
    if (shared === undefined) return;
    const band = this.bandFor(m);
    m.band = band;
    this.bandSeen.set(band, Date.now());
    let channel = shared.get(band);
    if (channel === undefined) {
      try {
        channel = await shared.open(band);
      } catch (err) {
        if (shared === this.shared) {
          this.log.warn({ band, err: errorText(err) }, 'cannot open the shared channel of a difficulty band');
        }
        return;
      }
      this.log.info(
        { channel_id: channel.channel_id, band, max_difficulty: 4 ** (band + 1) },
        'shared channel open for a difficulty band',
      );
    }
    if (m.gone || m.band !== band || shared !== this.shared || m.mode !== 'shared') return;
    if (m.channel !== channel) this.place(m, channel, Date.now());
  }

  /**
   * A miner mines on a channel of its own, opened under its user name, when
   * channels are not aggregated, when its name is a Bitcoin address (solo:
   * the pool pays the address in that channel's coinbase), or when the pool
   * refused the shared channel.
   */
  private wantsOwnChannel(user: string): boolean {
    return !this.o.aggregate || this.sharedRefused !== undefined || addressScripts(user).length > 0;
  }

  /** Own mode: the pool's answer to the channel opened under the miner's name is the authorization. */
  private async authorizeOwn(m: MinerConnection, user: string): Promise<AuthorizeAnswer> {
    if (m.ownUser !== undefined) {
      // One channel per connection: more workers of the same account share it, another account cannot.
      return accountOf(user) === accountOf(m.ownUser)
        ? { ok: true }
        : { ok: false, reason: 'Unauthorized worker: one account per connection' };
    }
    m.ownUser = user;
    m.payoutScripts = addressScripts(user);
    const conn = (await this.waitForWork(this.o.accountWaitMs ?? 5000)) ? this.connection : undefined;
    if (conn === undefined) {
      // No pool in time: accepted now, the channel opens once a pool is up.
      this.log.warn({ peer: m.remote, user }, 'no upstream: miner accepted provisionally');
      return { ok: true };
    }
    try {
      const channel = await conn.openChannel(this.ownRequest(m, user));
      if (m.gone) {
        channel.release('miner disconnected');
        throw new Error('miner gone');
      }
      this.adopt(m, channel, Date.now());
      return { ok: true };
    } catch (err) {
      if (err instanceof ChannelRefused) {
        m.ownUser = undefined;
        return { ok: false, reason: `Unauthorized worker: ${err.error_code}` };
      }
      if (m.gone) throw err;
      // A timeout or a lost pool is not a verdict: the channel opens with the next pool.
      this.log.warn(
        { peer: m.remote, user, err: errorText(err) },
        'channel not open yet: accepted provisionally',
      );
      return { ok: true };
    }
  }

  /**
   * The name a miner's own channel opens under: the miner's, so the pool
   * pays or credits it — unless accounts are not checked (the pool does not
   * know these names) and it is no address: then the translator's identity.
   */
  private ownIdentity(m: MinerConnection, user: string): string {
    if (this.accounts !== undefined || m.payoutScripts.length > 0) return user;
    return `${this.identity()}.miner${m.id}`;
  }

  private ownRequest(m: MinerConnection, user: string): OpenRequest {
    const d = m.session.difficulty;
    return {
      user_identity: this.ownIdentity(m, user),
      nominal_hash_rate: hashrateForDifficulty(d, this.o.sharesPerMinute),
      max_target: this.o.vardiff ? difficultyToTarget(d) : U256_MAX,
      space: this.space,
    };
  }

  private get space(): MinerSpace {
    return { extranonce1: EXTRANONCE1_BYTES, extranonce2: this.o.extranonce2Size };
  }

  /** Makes `channel` the miner's own: the miner moves onto it and gets its job. */
  private adopt(m: MinerConnection, channel: UpstreamChannel, now: number): void {
    const old = m.channel;
    if (old !== undefined && old !== channel && this.owners.get(old) === m) {
      this.owners.delete(old);
      this.lastPush.delete(old);
      this.lastUpdate.delete(old);
      // A channel on the pool in use is closed at once; one on a replaced pool closes with it.
      if (old.sink === this.connection) old.release('miner moved');
    }
    this.owners.set(channel, m);
    this.place(m, channel, now);
  }

  /** Puts a miner on a channel: the channel's current job (and, with vardiff off, its difficulty). */
  private place(m: MinerConnection, channel: UpstreamChannel, now: number): void {
    if (!this.o.vardiff) m.session.setUpstreamDifficulty(targetToDifficulty(channel.target), now);
    const job = channel.current;
    if (job !== undefined) this.deliver(m, channel, job, now);
    else if (m.extranonce === undefined || this.fits(m, channel)) m.channel = channel;
    else this.rehome(m, channel, now);
  }

  /** Whether the miner's extranonce rolls exactly what the channel has room for. */
  private fits(m: MinerConnection, channel: UpstreamChannel): boolean {
    return m.extranonce !== undefined && m.extranonce.extranonce2_size === channel.extranonce2Size;
  }

  private anyJob(): UpstreamJob | undefined {
    for (const c of this.shared?.all() ?? []) if (c.current) return c.current;
    for (const c of this.owners.keys()) if (c.current) return c.current;
    return undefined;
  }

  private identity(index = this.upstreamIndex): string {
    return this.o.upstreams[index]?.user_identity ?? 'strata-translator';
  }

  // ---- upstream --------------------------------------------------------------

  private listenTo(conn: UpstreamConnection): void {
    conn.on('job', (c) => this.onChannelJob(c));
    conn.on('prefix', (c) => this.onChannelJob(c));
    conn.on('target', (c) => this.onTarget(c));
    conn.on('channel-closed', (c, reason) => this.onChannelClosed(c, reason));
    conn.on('closed', () => this.onRetiredClosed(conn));
  }

  /**
   * A connection that is no longer the current one ended (a failback's old
   * pool after its drain): miners still on its channels, such as one whose
   * authorize was answered there during the switch, move to the current one.
   */
  private onRetiredClosed(conn: UpstreamConnection): void {
    const current = this.connection;
    if (conn === this.conn || current === undefined) return;
    for (const m of this.miners) {
      if (m.gone || m.channel?.sink !== conn) continue;
      if (this.owners.get(m.channel) === m) {
        this.owners.delete(m.channel);
        void this.openOwnOn(current, m).then((c) => {
          if (c !== undefined && current === this.conn) this.adopt(m, c, Date.now());
        });
      } else if (m.mode === 'shared') {
        void this.joinBand(m);
      }
    }
  }

  private sharedRequest(index: number, band: number): OpenRequest {
    return {
      user_identity: this.identity(index),
      nominal_hash_rate: this.bandDemand(band),
      max_target: this.o.vardiff ? bandMaxTarget(band) : U256_MAX,
      space: this.space,
    };
  }

  /** Shared channels on `conn`, one per band, all under this pool's identity. */
  private sharedOn(conn: UpstreamConnection, index: number): SharedChannels {
    return new SharedChannels(conn, (band) => this.sharedRequest(index, band));
  }

  private onUpstream(conn: UpstreamConnection, index: number): void {
    this.conn = conn;
    this.upstreamIndex = index;
    this.shared = undefined;
    this.sharedRefused = undefined;
    this.listenTo(conn);
    if (!this.o.aggregate) {
      this.workArrived();
      this.reopenOwn(conn);
      return;
    }
    const shared = this.sharedOn(conn, index);
    this.shared = shared;
    shared
      .open(this.defaultBand)
      .then((channel) => {
        if (conn !== this.conn || conn.isClosed) return;
        this.useShared(channel);
        for (const m of this.miners) if (m.mode === 'shared' && !m.gone) void this.joinBand(m);
        this.reopenOwn(conn);
      })
      .catch((err: unknown) => {
        if (conn !== this.conn || conn.isClosed) return;
        if (err instanceof ChannelRefused) return this.sharedUnavailable(conn, err.error_code);
        this.log.error({ err: errorText(err) }, 'cannot open upstream channel');
        conn.close('channel refused');
      });
  }

  private useShared(channel: UpstreamChannel): void {
    this.log.info(
      {
        channel_id: channel.channel_id,
        extranonce_prefix: Buffer.from(channel.extranonce_prefix).toString('hex'),
        extranonce_size: channel.extranonce_size,
      },
      'upstream channel open',
    );
    if (!channel.usable) {
      this.log.error(
        { extranonce_size: channel.extranonce_size, needed: EXTRANONCE1_BYTES + 2 },
        'the pool granted too little extranonce space for V1 miners',
      );
    }
    if (channel.current) this.onChannelJob(channel);
  }

  /** The pool refused the shared channel (a solo pool refuses a name that is not an address): own channels only. */
  private sharedUnavailable(conn: UpstreamConnection, error_code: string): void {
    this.sharedRefused = error_code;
    this.shared = undefined;
    this.log.warn(
      { upstream: conn.target.name, error_code, user_identity: this.identity() },
      'pool refused the shared channel: every miner mines on a channel of its own name',
    );
    this.workArrived();
    for (const m of this.miners) if (m.mode === 'shared') m.mode = 'own';
    this.reopenOwn(conn);
  }

  /** Every miner in own mode gets its channel on `conn` (after a failover or a provisional authorize). */
  private reopenOwn(conn: UpstreamConnection): void {
    for (const m of this.miners) {
      if (m.gone || m.mode !== 'own' || m.session.firstWorker === undefined) continue;
      void this.openOwnOn(conn, m).then((channel) => {
        if (channel !== undefined && conn === this.conn) this.adopt(m, channel, Date.now());
      });
    }
  }

  /** Opens a miner's own channel on `conn`; a refusal or failure reconnects the miner. */
  private async openOwnOn(
    conn: UpstreamConnection,
    m: MinerConnection,
  ): Promise<UpstreamChannel | undefined> {
    const user = (m.ownUser ??= m.session.firstWorker!);
    if (m.payoutScripts.length === 0) m.payoutScripts = addressScripts(user);
    try {
      const channel = await conn.openChannel(this.ownRequest(m, user));
      if (m.gone) {
        channel.release('miner disconnected');
        return undefined;
      }
      return channel;
    } catch (err) {
      if (m.gone || conn.isClosed) return undefined;
      this.log.warn({ peer: m.remote, user, err: errorText(err) }, "cannot open the miner's channel");
      m.session.reconnect(Date.now());
      return undefined;
    }
  }

  /**
   * Failback: a pool ahead in the list is back and has stayed up. Its
   * channels are opened first; once they have work every miner moves over
   * (a clean job, same extranonce1) and the old pool is closed after a
   * drain. If the new pool cannot give work, it is dropped and the miners
   * stay where they are.
   */
  private async onCandidate(conn: UpstreamConnection, index: number): Promise<void> {
    const name = conn.target.name;
    try {
      let shared: SharedChannels | undefined;
      let refused: string | undefined;
      if (this.o.aggregate) {
        shared = this.sharedOn(conn, index);
        // The bands the miners are in (and the default one), each with a job before anyone moves.
        const bands = new Set([this.defaultBand]);
        for (const m of this.miners) if (m.mode === 'shared' && m.band !== undefined) bands.add(m.band);
        try {
          await Promise.all(
            [...bands].map(async (band) => this.firstJob(conn, await shared!.open(band), FAILBACK_WORK_MS)),
          );
        } catch (err) {
          if (!(err instanceof ChannelRefused)) throw err;
          refused = err.error_code;
          shared = undefined;
        }
      }
      const own = new Map<MinerConnection, UpstreamChannel>();
      const opening: Promise<void>[] = [];
      for (const m of this.miners) {
        const goesOwn = m.mode === 'own' || (m.mode === 'shared' && refused !== undefined);
        if (m.gone || !goesOwn || m.session.firstWorker === undefined) continue;
        const user = m.ownUser ?? m.session.firstWorker!;
        opening.push(
          conn.openChannel(this.ownRequest(m, user)).then(
            (c) => void own.set(m, c),
            (err: unknown) => {
              this.log.warn({ peer: m.remote, user, err: errorText(err) }, 'failback: channel refused');
            },
          ),
        );
      }
      await Promise.all(opening);
      if (conn.isClosed || this.stopping) return;
      const now = Date.now();
      this.listenTo(conn);
      this.conn = conn;
      this.upstreamIndex = index;
      this.shared = shared;
      this.sharedRefused = refused;
      for (const m of this.miners) {
        if (m.gone) continue;
        const channel = own.get(m);
        if (channel !== undefined) {
          m.mode = 'own';
          this.adopt(m, channel, now);
        } else if (m.mode === 'shared' && shared !== undefined) {
          const channel = shared.get(m.band ?? this.defaultBand);
          if (channel !== undefined) this.place(m, channel, now);
          else void this.joinBand(m);
        } else if (m.mode !== undefined && m.session.firstWorker !== undefined) {
          m.session.reconnect(now);
        }
      }
      for (const c of own.values()) if (this.owners.get(c) === undefined) c.release('miner gone');
      this.metrics.failbacks++;
      this.log.info({ upstream: name, index, miners: this.miners.size }, 'returned to the preferred pool');
      this.failover.promote(conn);
    } catch (err) {
      this.log.warn({ upstream: name, err: errorText(err) }, 'preferred pool gave no work: staying');
      conn.close('no work from the preferred pool');
    }
  }

  /** Resolves once `channel` has a current job; rejects after `ms` or when the connection ends. */
  private firstJob(conn: UpstreamConnection, channel: UpstreamChannel, ms: number): Promise<void> {
    if (channel.current !== undefined) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`no job within ${ms} ms`)), ms);
      const onJob = (c: UpstreamChannel) => {
        if (c === channel && c.current !== undefined) done();
      };
      const onClosed = (reason: string) => done(new Error(`connection closed: ${reason}`));
      const done = (err?: Error) => {
        clearTimeout(timer);
        conn.off('job', onJob);
        conn.off('closed', onClosed);
        if (err) reject(err);
        else resolve();
      };
      conn.on('job', onJob);
      conn.on('closed', onClosed);
    });
  }

  private onUpstreamLost(): void {
    this.conn = undefined;
    this.shared = undefined;
    this.sharedRefused = undefined;
    this.noWorkSince ??= Date.now();
  }

  private onChannelJob(channel: UpstreamChannel): void {
    const job = channel.current;
    const now = Date.now();
    const band = this.shared?.bandOf(channel);
    if (band !== undefined) {
      if (job === undefined) {
        if (!this.hasWork) this.noWorkSince ??= now;
        return;
      }
      this.workArrived();
      this.lastPush.set(channel, now);
      for (const m of this.miners) {
        if (m.mode === 'shared' && (m.band ?? this.defaultBand) === band) this.deliver(m, channel, job, now);
      }
      return;
    }
    const m = this.owners.get(channel);
    if (m === undefined || job === undefined) return;
    this.lastPush.set(channel, now);
    this.deliver(m, channel, job, now);
    if (m.payoutScripts.length > 0 && !m.payoutChecked) this.checkPayout(m, channel, job);
  }

  /** Solo: says so once per miner when the pool's coinbase does not pay the miner's address. */
  private checkPayout(m: MinerConnection, channel: UpstreamChannel, job: UpstreamJob): void {
    m.payoutChecked = true;
    const share = payoutShare(job, EXTRANONCE1_BYTES + channel.extranonce2Size, m.payoutScripts);
    if (share === undefined) return;
    const fields = { peer: m.remote, user: m.ownUser, paid_percent: Math.round(share * 1000) / 10 };
    if (share === 0) this.log.warn(fields, "the pool's coinbase does not pay the miner's address");
    else this.log.info(fields, "solo miner: the pool's coinbase pays the miner's address");
  }

  /** Sends a job to a miner, first moving it onto the job's channel. */
  private deliver(m: MinerConnection, channel: UpstreamChannel, job: UpstreamJob, now: number): void {
    if (m.gone || m.extranonce === undefined) return;
    if (m.channel !== channel || !this.fits(m, channel)) {
      if (!this.rehome(m, channel, now)) return;
    }
    m.session.pushJob(job, now);
    this.metrics.notifiesPushed++;
  }

  private rehome(m: MinerConnection, channel: UpstreamChannel, now: number): boolean {
    if (!channel.usable || m.slot === undefined) {
      m.session.reconnect(now);
      return false;
    }
    return m.move(channel, minerExtranonce(m.slot, channel.extranonce2Size), now);
  }

  /** SetTarget: with vardiff off, the miners on the channel follow it. */
  private onTarget(channel: UpstreamChannel): void {
    if (this.o.vardiff) return;
    const d = targetToDifficulty(channel.target);
    const now = Date.now();
    if (this.shared?.bandOf(channel) !== undefined) {
      for (const m of this.miners) if (m.channel === channel) m.session.setUpstreamDifficulty(d, now);
      return;
    }
    this.owners.get(channel)?.session.setUpstreamDifficulty(d, now);
  }

  private onChannelClosed(channel: UpstreamChannel, reason: string): void {
    if (this.shared?.bandOf(channel) !== undefined) {
      this.log.warn({ channel_id: channel.channel_id, reason }, 'pool closed a shared channel');
      // The pool wants no aggregated work from us: move on to the next pool.
      this.conn?.close(`channel closed by pool: ${reason}`);
      return;
    }
    const m = this.owners.get(channel);
    if (m === undefined) return;
    this.log.warn(
      { channel_id: channel.channel_id, peer: m.remote, reason },
      "pool closed a miner's channel",
    );
    this.owners.delete(channel);
    m.session.reconnect(Date.now());
  }

  // ---- clock ------------------------------------------------------------------

  private tick(now: number): void {
    this.ticks++;
    // Set.forEach: see bandDifficulties.
    this.miners.forEach((m) => {
      if (m.gone) return;
      if (!m.ready && now - m.connectedAt > this.o.handshakeMs) return this.drop(m, 'handshake timeout');
      if (now - m.lastSeen > this.o.idleMs) return this.drop(m, 'idle timeout');
      if (this.o.vardiff && (this.ticks + m.id) % VARDIFF_TICK_EVERY === 0) m.session.tick(now);
    });
    if (!this.hasWork) {
      this.noWorkSince ??= now;
      if (!this.cutOff && now - this.noWorkSince >= this.o.noWorkMs) {
        this.cutOff = true;
        this.log.error(
          { seconds: Math.round((now - this.noWorkSince) / 1000) },
          'no upstream work: disconnecting miners',
        );
        for (const m of this.miners) this.drop(m, 'no upstream work');
      } else if (!this.cutOff && now - this.lastPing >= this.o.pingMs) {
        this.lastPing = now;
        for (const m of this.miners) if (m.ready && !m.gone) m.session.ping(now);
      }
    } else {
      this.keepalive(now);
      if (this.ticks % UPDATE_EVERY === 0) {
        this.rebandMiners(now);
        this.updateChannels();
      }
    }
    if (this.o.summaryMs > 0 && now - this.lastSummary >= this.o.summaryMs) {
      this.lastSummary = now;
      this.log.info(this.summary(), 'summary');
    }
  }

  /** Re-sends the current job, ntime moved on, to miners that got nothing new for a while. */
  private keepalive(now: number): void {
    if (this.o.keepaliveMs <= 0) return;
    const channels = [...(this.shared?.all() ?? []), ...this.owners.keys()];
    for (const channel of channels) {
      const last = this.lastPush.get(channel) ?? 0;
      if (now - last < this.o.keepaliveMs) continue;
      const job = channel.refreshed(now);
      if (job === undefined) continue;
      this.lastPush.set(channel, now);
      const owner = this.owners.get(channel);
      if (owner !== undefined) this.deliver(owner, channel, job, now);
      else for (const m of this.miners) if (m.channel === channel) this.deliver(m, channel, job, now);
    }
  }

  /** The band a shared-mode miner belongs in; with vardiff off the pool sets one difficulty for all: one band. */
  private bandFor(m: MinerConnection): number {
    return this.o.vardiff ? bandOf(m.session.difficulty) : this.defaultBand;
  }

  /** A band channel's nominal hashrate: the sum over its miners (one miner of the band's top before any). */
  private bandDemand(band: number, difficulties = this.bandDifficulties()): number {
    const d = difficulties.get(band) ?? 0;
    return hashrateForDifficulty(d > 0 ? d : 4 ** (band + 1), this.o.sharesPerMinute);
  }

  /**
   * The difficulties of each band's ready shared-mode miners, added up (a
   * band's hashrate is that sum's), in one pass over the miners for every
   * band. Set.forEach rather than for...of: these periodic loops run too
   * rarely to be optimized, and unoptimized, for...of made an iterator
   * result per miner that outlived young-generation collections.
   */
  private bandDifficulties(): Map<number, number> {
    const sums = new Map<number, number>();
    this.miners.forEach((m) => {
      if (!m.ready || m.mode !== 'shared' || m.band === undefined) return;
      sums.set(m.band, (sums.get(m.band) ?? 0) + m.session.difficulty);
    });
    return sums;
  }

  /** Vardiff moved some miners out of their band: onto their new band's channel; idle bands are closed. */
  private rebandMiners(now: number): void {
    const shared = this.shared;
    if (shared === undefined) return;
    this.miners.forEach((m) => {
      if (m.gone || m.mode !== 'shared' || !m.ready) return;
      const band = this.bandFor(m);
      this.bandSeen.set(band, now);
      if (band !== m.band || m.channel === undefined || shared.bandOf(m.channel) === undefined) {
        void this.joinBand(m);
      }
    });
    for (const c of shared.all()) {
      const band = shared.bandOf(c)!;
      if (band === this.defaultBand || now - (this.bandSeen.get(band) ?? 0) < BAND_IDLE_MS) continue;
      this.lastPush.delete(c);
      this.lastUpdate.delete(c);
      shared.release(band, 'no miner in this difficulty band');
    }
  }

  private updateChannels(): void {
    const conn = this.connection;
    if (conn === undefined) return;
    const send = (channel: UpstreamChannel, nominal: number, maxTarget: bigint): void => {
      const last = this.lastUpdate.get(channel);
      if (last !== undefined && Math.abs(nominal - last) <= last * 0.1) return;
      this.lastUpdate.set(channel, nominal);
      conn.updateChannel(channel, nominal, maxTarget);
    };
    const difficulties = this.bandDifficulties();
    for (const channel of this.shared?.all() ?? []) {
      const band = this.shared!.bandOf(channel)!;
      send(channel, this.bandDemand(band, difficulties), this.o.vardiff ? bandMaxTarget(band) : U256_MAX);
    }
    for (const [channel, m] of this.owners) {
      if (!channel.alive || !m.ready || channel.sink !== conn) continue;
      const d = m.session.difficulty;
      send(
        channel,
        hashrateForDifficulty(d, this.o.sharesPerMinute),
        this.o.vardiff ? difficultyToTarget(d) : U256_MAX,
      );
    }
  }
}
