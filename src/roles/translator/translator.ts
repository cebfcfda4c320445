// The translator: SV1 miners on one side, an SV2 pool (with failover) on the
// other. It owns the listeners, the upstream channel(s), the per-miner
// extranonces, and a one-second clock for deadlines, keepalive notifies,
// UpdateChannel and the no-work cut-off.
import { createServer, type Server, type Socket } from 'node:net';
import { U256_MAX, difficultyToTarget } from '../../bitcoin/index.js';
import type { Logger } from '../../log.js';
import { EXTENSION_TYPE } from '../../messages/index.js';
import {
  ASIC_PORT,
  type AuthorizeAnswer,
  CPU_PORT,
  ERR_STALE,
  ResumeRegistry,
  Sv1Session,
  type MinerExtranonce,
  type PortDifficulty,
  type SessionEvent,
  type UpstreamJob,
} from '../../sv1/index.js';
import { AccountCheck, tlvIdentity } from './accounts.js';
import type { UpstreamChannel } from './channel.js';
import { UpstreamFailover } from './failover.js';
import { ConnectionGuard, TokenBucket, ipMatcher } from './guard.js';
import { TranslatorMetrics } from './metrics.js';
import { MinerConnection, type MinerHost } from './miner.js';
import { SLOT_BYTES, SlotAllocator, minerExtranonce, slotOf } from './slots.js';
import type { PortKind } from './config.js';
import type { UpstreamConnection, UpstreamTarget } from './upstream.js';

/** BIP320 bits an SV2 job lets miners roll (the SV2 spec's mask). */
const SV2_ROLLING_MASK = 0x1fffffe0;
/** Outbound bytes queued for a miner before it counts as not reading. */
const MAX_QUEUED_BYTES = 1 << 20;
/** How often a miner's vardiff is re-evaluated without shares (ticks of 1 s). */
const VARDIFF_TICK_EVERY = 15;
/** UpdateChannel at most this often (ticks), and only for a change above 10 %. */
const UPDATE_EVERY = 10;

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

function hasPrefix(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
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
  private readonly resume = new ResumeRegistry();
  private readonly servers: Server[] = [];
  private readonly ports = new Map<Server, PortDifficulty>();
  private readonly owners = new Map<UpstreamChannel, MinerConnection>();
  private readonly lastPush = new Map<UpstreamChannel, number>();
  private readonly lastUpdate = new Map<UpstreamChannel, number>();
  private conn: UpstreamConnection | undefined;
  private upstreamIndex = 0;
  /** Aggregated mode: the channel every miner shares. */
  private shared: UpstreamChannel | undefined;
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
  }

  get connection(): UpstreamConnection | undefined {
    return this.conn !== undefined && !this.conn.isClosed ? this.conn : undefined;
  }

  /** Valid work can be handed out right now. */
  get hasWork(): boolean {
    if (this.connection === undefined) return false;
    return this.o.aggregate ? this.shared?.current !== undefined : true;
  }

  async start(): Promise<BoundPort[]> {
    const now = Date.now();
    this.noWorkSince = now;
    const bound: BoundPort[] = [];
    for (const spec of this.o.listen) bound.push(await this.listen(spec));
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

  private listen(spec: ListenSpec): Promise<BoundPort> {
    const start = difficultyForHashrate(this.o.minHashrate, this.o.sharesPerMinute);
    const difficulty: PortDifficulty =
      spec.kind === 'cpu' ? CPU_PORT : { ...ASIC_PORT, start: Math.max(ASIC_PORT.min, Math.floor(start)) };
    const server = createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 45_000 }, (s) =>
      this.accept(s, difficulty),
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

  private accept(socket: Socket, port: PortDifficulty): void {
    const ip = socket.remoteAddress ?? '';
    if (this.stopping) return void socket.destroy();
    if (this.cutOff) return this.refuse(socket, ip, 'no upstream work');
    const admission = this.guard.admit(ip);
    if (!admission.ok) return this.refuse(socket, ip, admission.reason);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 45_000);
    const now = Date.now();
    const bucket = new TokenBucket(this.o.submitsPerSecond, this.o.submitsPerSecond * 2, now);
    const id = this.nextId++;
    const m = new MinerConnection(id, socket, ip, now, bucket, this);
    m.session = new Sv1Session(
      {
        upstream: m,
        send: (line) => this.write(m, line),
        close: (reason) => this.drop(m, reason),
        port,
        vardiff: this.o.vardiff ? { sharesPerMinute: this.o.sharesPerMinute } : false,
        resume: this.resume,
        epoch: id & 0xffff,
        onEvent: (e) => this.onSessionEvent(m, e),
      },
      now,
    );
    this.miners.add(m);
    this.metrics.connectionsAccepted++;
    this.metrics.connectionsOpen++;
    socket.on('data', (chunk: Buffer) => {
      const t = Date.now();
      m.lastSeen = t;
      for (let at = chunk.indexOf('mining.submit'); at >= 0; at = chunk.indexOf('mining.submit', at + 13)) {
        if (!m.bucket.take(t)) return this.drop(m, 'submit rate exceeded');
      }
      m.session.receive(chunk, t);
    });
    socket.on('error', () => {});
    socket.once('close', () => this.release(m));
  }

  private write(m: MinerConnection, line: string): void {
    const s = m.socket;
    if (s.destroyed || !s.writable) return;
    s.write(line + '\n');
    if (s.writableLength > MAX_QUEUED_BYTES) this.drop(m, 'miner not reading');
  }

  /** Closes a miner's connection (the session asked, or a guard rule did). */
  private drop(m: MinerConnection, reason: string): void {
    if (m.gone) return;
    m.gone = true;
    this.metrics.count(this.metrics.closed, reason);
    if (reason !== 'peer closed') this.log.info({ peer: m.remote, reason }, 'miner disconnected');
    const s = m.socket;
    s.end();
    setTimeout(() => s.destroy(), 2000).unref();
  }

  private release(m: MinerConnection): void {
    if (!this.miners.delete(m)) return;
    m.gone = true;
    m.session.end(Date.now());
    this.guard.release(m.ip);
    this.metrics.connectionsOpen--;
    if (m.slot !== undefined) this.slots.release(m.slot);
    if (m.ownChannel && m.channel !== undefined) {
      this.owners.delete(m.channel);
      this.lastPush.delete(m.channel);
      this.lastUpdate.delete(m.channel);
      if (m.channel.alive) this.connection?.closeChannel(m.channel, 'miner disconnected');
    }
  }

  private onSessionEvent(m: MinerConnection, e: SessionEvent): void {
    if (e.type === 'warning') {
      this.log.warn({ peer: m.remote, warning: e.message }, 'miner session warning');
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
    if (this.o.aggregate) {
      const channel = this.shared!;
      let slot: number | undefined;
      const wanted = resume ? slotOf(resume.extranonce1) : undefined;
      const candidate =
        wanted !== undefined ? minerExtranonce(channel, this.o.extranonce2Size, wanted) : undefined;
      if (
        candidate !== undefined &&
        resume !== undefined &&
        Buffer.compare(candidate.extranonce1, resume.extranonce1) === 0 &&
        this.slots.claim(wanted!)
      ) {
        slot = wanted;
      } else {
        slot = this.slots.take();
      }
      if (slot === undefined) throw new Error('no free extranonce slot');
      const en = minerExtranonce(channel, this.o.extranonce2Size, slot);
      if (en === undefined) {
        this.slots.release(slot);
        throw new Error('upstream extranonce too small');
      }
      m.slot = slot;
      m.channel = channel;
      return en;
    }
    const conn = this.connection!;
    const channel = await conn.openChannel({
      user_identity: `${this.identity()}.miner${m.id}`,
      nominal_hash_rate: hashrateForDifficulty(m.session.difficulty, this.o.sharesPerMinute),
      max_target: difficultyToTarget(m.session.difficulty),
      min_extranonce_size: this.o.extranonce2Size,
    });
    if (m.gone) {
      conn.closeChannel(channel, 'miner disconnected');
      throw new Error('miner gone');
    }
    const en = minerExtranonce(channel, this.o.extranonce2Size);
    if (en === undefined) {
      conn.closeChannel(channel, 'extranonce too small');
      throw new Error('upstream extranonce too small');
    }
    m.channel = channel;
    m.ownChannel = true;
    this.owners.set(channel, m);
    return en;
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
    const answer = this.accounts === undefined ? { ok: true as const } : await this.accounts.check(user);
    if (answer.ok && tlvIdentity(user) === undefined) {
      this.log.warn(
        { peer: m.remote, user },
        'user name over 32 bytes: its work is credited to the channel identity',
      );
    }
    return answer;
  }

  private anyJob(): UpstreamJob | undefined {
    if (this.shared?.current) return this.shared.current;
    for (const c of this.owners.keys()) if (c.current) return c.current;
    return undefined;
  }

  private identity(): string {
    return this.o.upstreams[this.upstreamIndex]?.user_identity ?? 'strata-translator';
  }

  // ---- upstream --------------------------------------------------------------

  private onUpstream(conn: UpstreamConnection, index: number): void {
    this.conn = conn;
    this.upstreamIndex = index;
    conn.on('job', (c) => this.onChannelJob(c));
    conn.on('prefix', (c) => this.onPrefix(c));
    conn.on('channel-closed', (c, reason) => this.onChannelClosed(c, reason));
    if (this.o.aggregate) {
      const { nominal, maxTarget } = this.aggregateDemand();
      conn
        .openChannel({
          user_identity: this.identity(),
          nominal_hash_rate: nominal,
          max_target: maxTarget,
          min_extranonce_size: SLOT_BYTES + this.o.extranonce2Size,
        })
        .then((channel) => {
          if (conn !== this.conn || conn.isClosed) return;
          this.shared = channel;
          this.log.info(
            {
              channel_id: channel.channel_id,
              extranonce_prefix: Buffer.from(channel.extranonce_prefix).toString('hex'),
              extranonce_size: channel.extranonce_size,
            },
            'upstream channel open',
          );
          if (channel.current) this.onChannelJob(channel);
        })
        .catch((err: unknown) => {
          this.log.error(
            { err: err instanceof Error ? err.message : String(err) },
            'cannot open upstream channel',
          );
          conn.close('channel refused');
        });
      return;
    }
    this.workArrived();
    // Per-miner channels: every connected miner gets a new channel on this pool.
    for (const m of this.miners) if (m.extranonce !== undefined && !m.gone) void this.reopen(conn, m);
  }

  private async reopen(conn: UpstreamConnection, m: MinerConnection): Promise<void> {
    try {
      const channel = await conn.openChannel({
        user_identity: `${this.identity()}.miner${m.id}`,
        nominal_hash_rate: hashrateForDifficulty(m.session.difficulty, this.o.sharesPerMinute),
        max_target: difficultyToTarget(m.session.difficulty),
        min_extranonce_size: this.o.extranonce2Size,
      });
      if (m.gone) return conn.closeChannel(channel, 'miner disconnected');
      if (m.channel) this.owners.delete(m.channel);
      this.owners.set(channel, m);
      m.channel = channel;
      if (channel.current) this.onChannelJob(channel);
    } catch (err) {
      this.log.warn(
        { peer: m.remote, err: err instanceof Error ? err.message : String(err) },
        'cannot reopen channel',
      );
      m.session.reconnect(Date.now());
    }
  }

  private onUpstreamLost(): void {
    this.conn = undefined;
    this.shared = undefined;
    this.noWorkSince ??= Date.now();
  }

  private onChannelJob(channel: UpstreamChannel): void {
    const job = channel.current;
    const now = Date.now();
    if (this.o.aggregate) {
      if (channel !== this.shared) return;
      if (job === undefined) {
        this.noWorkSince ??= now;
        return;
      }
      this.workArrived();
      this.lastPush.set(channel, now);
      for (const m of this.miners) this.deliver(m, channel, job, now);
      return;
    }
    const m = this.owners.get(channel);
    if (m === undefined || job === undefined) return;
    this.lastPush.set(channel, now);
    this.deliver(m, channel, job, now);
  }

  /** Sends a job to a miner, first moving it onto the job's channel if it holds another's extranonce. */
  private deliver(m: MinerConnection, channel: UpstreamChannel, job: UpstreamJob, now: number): void {
    if (m.gone || m.extranonce === undefined) return;
    if (m.channel !== channel || !hasPrefix(m.extranonce.extranonce1, channel.extranonce_prefix)) {
      if (!this.rehome(m, channel, now)) return;
    }
    m.session.pushJob(job, now);
    this.metrics.notifiesPushed++;
  }

  private rehome(m: MinerConnection, channel: UpstreamChannel, now: number): boolean {
    const en = minerExtranonce(channel, this.o.extranonce2Size, this.o.aggregate ? m.slot : undefined);
    if (en === undefined) {
      m.session.reconnect(now);
      return false;
    }
    return m.move(channel, en, now);
  }

  private onPrefix(channel: UpstreamChannel): void {
    // The channel's current job was re-keyed; delivering it moves miners to the new prefix.
    this.onChannelJob(channel);
  }

  private onChannelClosed(channel: UpstreamChannel, reason: string): void {
    this.log.warn({ channel_id: channel.channel_id, reason }, 'pool closed a channel');
    if (this.o.aggregate) {
      // Without its one channel the connection is of no use: move on.
      if (channel === this.shared) this.conn?.close(`channel closed by pool: ${reason}`);
      return;
    }
    this.owners.get(channel)?.session.reconnect(Date.now());
  }

  // ---- clock ------------------------------------------------------------------

  private tick(now: number): void {
    this.ticks++;
    for (const m of this.miners) {
      if (m.gone) continue;
      if (!m.ready && now - m.connectedAt > this.o.handshakeMs) {
        this.drop(m, 'handshake timeout');
        continue;
      }
      if (now - m.lastSeen > this.o.idleMs) {
        this.drop(m, 'idle timeout');
        continue;
      }
      if (this.o.vardiff && (this.ticks + m.id) % VARDIFF_TICK_EVERY === 0) m.session.tick(now);
    }
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
      if (this.ticks % UPDATE_EVERY === 0) this.updateChannels();
    }
    if (this.o.summaryMs > 0 && now - this.lastSummary >= this.o.summaryMs) {
      this.lastSummary = now;
      this.log.info({ miners: this.miners.size, ...this.metrics.snapshot() }, 'summary');
    }
  }

  /** Re-sends the current job, ntime moved on, to miners that got nothing new for a while. */
  private keepalive(now: number): void {
    if (this.o.keepaliveMs <= 0) return;
    const channels = this.o.aggregate ? (this.shared ? [this.shared] : []) : [...this.owners.keys()];
    for (const channel of channels) {
      const last = this.lastPush.get(channel) ?? 0;
      if (now - last < this.o.keepaliveMs) continue;
      const job = channel.refreshed(now);
      if (job === undefined) continue;
      this.lastPush.set(channel, now);
      if (this.o.aggregate) {
        for (const m of this.miners) if (m.channel === channel) this.deliver(m, channel, job, now);
      } else {
        const m = this.owners.get(channel);
        if (m) this.deliver(m, channel, job, now);
      }
    }
  }

  /** What the shared channel should be sized for: the sum of the miners' hashrates, the hardest miner target. */
  private aggregateDemand(): { nominal: number; maxTarget: bigint } {
    let nominal = 0;
    let maxDifficulty = 0;
    for (const m of this.miners) {
      if (!m.ready) continue;
      const d = m.session.difficulty;
      nominal += hashrateForDifficulty(d, this.o.sharesPerMinute);
      maxDifficulty = Math.max(maxDifficulty, d);
    }
    if (nominal === 0) return { nominal: this.o.minHashrate, maxTarget: U256_MAX };
    return { nominal, maxTarget: difficultyToTarget(maxDifficulty) };
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
    if (this.o.aggregate) {
      if (this.shared === undefined) return;
      const { nominal, maxTarget } = this.aggregateDemand();
      send(this.shared, nominal, maxTarget);
      return;
    }
    for (const [channel, m] of this.owners) {
      if (!channel.alive || !m.ready) continue;
      const d = m.session.difficulty;
      send(channel, hashrateForDifficulty(d, this.o.sharesPerMinute), difficultyToTarget(d));
    }
  }
}
