// One SV2 connection of the mining device: SetupConnection, one standard
// channel, then header-only mining of the channel's jobs (spec 5.3), with
// shares sent as SubmitSharesStandard.
import {
  bitsToTarget,
  concatBytes,
  foldMerklePath,
  serializeHeader,
  sha256d,
  targetToDifficulty,
  toDisplayHex,
  u256FromLE,
  u256ToLE,
} from '../../bitcoin/index.js';
import {
  decodePayload,
  encodeFrame,
  MINING_SETUP_FLAGS,
  MINING_SETUP_SUCCESS_FLAGS,
  PROTOCOL,
  PROTOCOL_VERSION,
  type Message,
  type MessageByName,
} from '../../messages/index.js';
import { connectFramed, type FramedConnection } from '../../net/index.js';
import type { MinerContext, MinerSession } from './context.js';
import type { FoundShare } from './search.js';
import { checkShare } from './share-check.js';
import type { Endpoint, SessionEnd } from './supervisor.js';
import { BIP323_MASK } from './version-roll.js';

export interface Sv2Options {
  endpoint: Endpoint;
  /** Pinned authority key; null with `plain` false accepts any certificate signer (not recommended). */
  authorityPublicKey: Uint8Array | null;
  plain: boolean;
  user: string;
  nominalHashrate: number;
  /** Roll version bits when jobs allow it. */
  versionRolling: boolean;
  /** Set REQUIRES_VERSION_ROLLING in SetupConnection. */
  requireVersionRolling: boolean;
  deviceId: string;
  firmware: string;
}

const SETUP_TIMEOUT_MS = 10_000;
const MAX_FUTURE_JOBS = 16;
const MAX_WORKS = 16;

/** A job ready to mine: what NewMiningJob gives, or an extended job turned into one. */
interface StandardJob {
  job_id: number;
  min_ntime: number | null;
  version: number;
  merkle_root: Uint8Array;
  rolling: boolean;
}

interface PrevHash {
  prev_hash: Uint8Array;
  min_ntime: number;
  nbits: number;
}

/** What a share of one piece of work needs to become a submission. */
interface WorkContext {
  job_id: number;
  header: Uint8Array;
  target: bigint;
  networkTarget: bigint;
  epoch: number;
}

class SessionClosed extends Error {}

export class Sv2Session implements MinerSession {
  readonly #o: Sv2Options;
  readonly #ctx: MinerContext;
  #conn: FramedConnection | undefined;
  #closing: string | undefined;
  #redirect: Endpoint | undefined;
  #established = false;
  /** ctx.now() when the channel opened. */
  #establishedAt = 0;
  #firstAccepted = false;
  /** Until the first acknowledgement: difficulty of each submitted share by sequence number. */
  readonly #submittedDifficulty = new Map<number, number>();

  #channelId = 0;
  #groupChannelId = 0;
  #extranoncePrefix: Uint8Array = new Uint8Array(0);
  #channelTarget = 0n;
  #rolling = false;
  #sequence = 0;
  #epoch = 0;
  #prevHash: PrevHash | undefined;
  readonly #futureJobs = new Map<number, StandardJob>();
  readonly #works = new Map<number, WorkContext>();
  #current: { workId: number; jobTarget: bigint } | undefined;

  constructor(opts: Sv2Options, ctx: MinerContext) {
    this.#o = opts;
    this.#ctx = ctx;
  }

  close(reason: string): void {
    this.#closing ??= reason;
    this.#conn?.close(reason);
  }

  async run(): Promise<SessionEnd> {
    const { host, port } = this.#o.endpoint;
    const log = this.#ctx.log;
    try {
      this.#conn = await connectFramed({
        host,
        port,
        security: this.#o.plain
          ? { kind: 'plain' }
          : { kind: 'noise', authorityPublicKey: this.#o.authorityPublicKey },
        logger: log,
      });
    } catch (err) {
      return { reason: (err as Error).message, established: false };
    }
    const conn = this.#conn;
    if (this.#closing !== undefined) conn.close(this.#closing);
    try {
      await this.#setup(conn);
      for (;;) {
        const frame = await conn.receive();
        if (frame === undefined) break;
        const r = decodePayload(frame.header, frame.payload);
        if (!r.ok) {
          if (r.disposition === 'reject') throw new Error(`bad message from pool: ${r.error.message}`);
          log.debug({ err: r.error.message }, 'ignored message');
          continue;
        }
        this.#handle(r.message);
        if (this.#redirect !== undefined) break;
      }
    } catch (err) {
      if (!(err instanceof SessionClosed)) conn.abort((err as Error).message, err as Error);
    } finally {
      this.#ctx.engine.setWork(null);
      this.#works.clear();
    }
    if (this.#redirect !== undefined) conn.close('reconnect requested by the pool');
    const reason = this.#closing ?? conn.closeInfo?.reason ?? 'connection closed';
    return { reason, established: this.#established, redirect: this.#redirect };
  }

  async #setup(conn: FramedConnection): Promise<void> {
    const { host, port } = this.#o.endpoint;
    let flags = MINING_SETUP_FLAGS.REQUIRES_STANDARD_JOBS;
    if (this.#o.requireVersionRolling) flags |= MINING_SETUP_FLAGS.REQUIRES_VERSION_ROLLING;
    await this.#send({
      type: 'SetupConnection',
      protocol: PROTOCOL.MINING,
      min_version: PROTOCOL_VERSION,
      max_version: PROTOCOL_VERSION,
      flags,
      endpoint_host: host.slice(0, 255),
      endpoint_port: port,
      vendor: 'Strata',
      hardware_version: 'cpu',
      firmware: this.#o.firmware,
      device_id: this.#o.deviceId,
    });
    const setup = await this.#expect(conn, ['SetupConnectionSuccess', 'SetupConnectionError']);
    if (setup.type === 'SetupConnectionError')
      throw new Error(`SetupConnection.Error: ${setup.error_code} (flags 0x${setup.flags.toString(16)})`);
    if (setup.type !== 'SetupConnectionSuccess') throw new Error('unreachable');
    const fixed = (setup.flags & MINING_SETUP_SUCCESS_FLAGS.REQUIRES_FIXED_VERSION) !== 0;
    this.#rolling = this.#o.versionRolling && !fixed;

    await this.#send({
      type: 'OpenStandardMiningChannel',
      request_id: 1,
      user_identity: this.#o.user,
      nominal_hash_rate: this.#o.nominalHashrate,
      max_target: new Uint8Array(32).fill(0xff),
    });
    const open = await this.#expect(conn, ['OpenStandardMiningChannelSuccess', 'OpenMiningChannelError']);
    if (open.type === 'OpenMiningChannelError')
      throw new Error(`OpenMiningChannel.Error: ${open.error_code}`);
    if (open.type !== 'OpenStandardMiningChannelSuccess') throw new Error('unreachable');
    this.#channelId = open.channel_id;
    this.#groupChannelId = open.group_channel_id;
    this.#extranoncePrefix = open.extranonce_prefix.slice();
    this.#channelTarget = u256FromLE(open.target);
    this.#established = true;
    this.#establishedAt = this.#ctx.now();
    const stats = this.#ctx.stats;
    stats.connections++;
    stats.difficulty = targetToDifficulty(this.#channelTarget);
    this.#ctx.log.info(
      {
        pool: `${host}:${port}`,
        transport: conn.kind,
        channel_id: this.#channelId,
        group_channel_id: this.#groupChannelId,
        difficulty: stats.difficulty,
        version_rolling: this.#rolling,
        connections: stats.connections,
      },
      'connected',
    );
  }

  async #expect<N extends Message['type']>(conn: FramedConnection, names: N[]): Promise<Message> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no ${names.join(' or ')} within ${SETUP_TIMEOUT_MS} ms`)),
        SETUP_TIMEOUT_MS,
      );
    });
    try {
      for (;;) {
        const frame = await Promise.race([conn.receive(), timeout]);
        if (frame === undefined) throw new SessionClosed();
        const r = decodePayload(frame.header, frame.payload);
        if (!r.ok) {
          if (r.disposition === 'reject') throw new Error(`bad message from pool: ${r.error.message}`);
          continue;
        }
        if ((names as string[]).includes(r.message.type)) return r.message;
        if (r.message.type === 'Reconnect') {
          this.#handle(r.message);
          throw new SessionClosed();
        }
        throw new Error(`expected ${names.join(' or ')}, got ${r.message.type}`);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  #send(msg: Message): Promise<void> {
    const conn = this.#conn;
    if (conn === undefined) return Promise.reject(new Error('not connected'));
    return conn.send(encodeFrame(msg));
  }

  #ours(channel_id: number): boolean {
    return (
      channel_id === this.#channelId || (this.#groupChannelId !== 0 && channel_id === this.#groupChannelId)
    );
  }

  #handle(m: Message): void {
    const log = this.#ctx.log;
    switch (m.type) {
      case 'NewMiningJob':
        if (!this.#ours(m.channel_id)) return;
        this.#onJob({ ...m, merkle_root: m.merkle_root.slice(), rolling: this.#rolling });
        return;
      case 'NewExtendedMiningJob':
        if (!this.#ours(m.channel_id)) return;
        this.#onJob(this.#fromExtended(m));
        return;
      case 'SetNewPrevHash':
        if (this.#ours(m.channel_id)) this.#onPrevHash(m);
        return;
      case 'SetTarget':
        if (m.channel_id === this.#channelId) this.#onTarget(u256FromLE(m.maximum_target));
        return;
      case 'SetExtranoncePrefix':
        if (m.channel_id === this.#channelId) this.#extranoncePrefix = m.extranonce_prefix.slice();
        return;
      case 'SetGroupChannel':
        if (m.channel_ids.includes(this.#channelId)) this.#groupChannelId = m.group_channel_id;
        return;
      case 'SubmitSharesSuccess':
        if (m.channel_id !== this.#channelId) return;
        this.#ctx.stats.accepted += m.new_submits_accepted_count;
        log.debug(
          {
            last_sequence_number: m.last_sequence_number,
            count: m.new_submits_accepted_count,
            new_shares_sum: m.new_shares_sum.toString(),
          },
          'share accepted',
        );
        if (!this.#firstAccepted && m.new_submits_accepted_count > 0) {
          this.#firstAccepted = true;
          const difficulty =
            this.#submittedDifficulty.get(m.last_sequence_number) ?? this.#ctx.stats.difficulty;
          this.#submittedDifficulty.clear();
          log.info(
            {
              seconds: Number(((this.#ctx.now() - this.#establishedAt) / 1000).toFixed(3)),
              difficulty: Number(difficulty.toPrecision(6)),
              connections: this.#ctx.stats.connections,
            },
            'first share accepted',
          );
        }
        return;
      case 'SubmitSharesError':
        if (m.channel_id !== this.#channelId) return;
        this.#ctx.stats.reject(m.error_code);
        log.debug({ sequence_number: m.sequence_number, reason: m.error_code }, 'share rejected');
        return;
      case 'Reconnect': {
        const { host, port } = this.#o.endpoint;
        this.#redirect = {
          host: m.new_host === '' ? host : m.new_host,
          port: m.new_port === 0 ? port : m.new_port,
        };
        log.info({ new_host: this.#redirect.host, new_port: this.#redirect.port }, 'pool asked to reconnect');
        return;
      }
      case 'CloseChannel':
        if (this.#ours(m.channel_id)) throw new Error(`pool closed the channel: ${m.reason_code}`);
        return;
      case 'UpdateChannelError':
        log.warn({ reason: m.error_code }, 'UpdateChannel.Error');
        return;
      default:
        log.debug({ type: m.type }, 'ignored message');
    }
  }

  /** Standard-channel view of an extended job sent to our group: coinbase with our full extranonce. */
  #fromExtended(m: MessageByName<'NewExtendedMiningJob'>): StandardJob {
    const coinbase = concatBytes(m.coinbase_tx_prefix, this.#extranoncePrefix, m.coinbase_tx_suffix);
    return {
      job_id: m.job_id,
      min_ntime: m.min_ntime,
      version: m.version,
      merkle_root: foldMerklePath(sha256d(coinbase), m.merkle_path),
      rolling: this.#rolling && m.version_rolling_allowed,
    };
  }

  #onJob(job: StandardJob): void {
    this.#ctx.stats.jobs++;
    if (job.min_ntime === null) {
      this.#futureJobs.set(job.job_id, job);
      // Only the newest future jobs can still be activated.
      for (const id of this.#futureJobs.keys()) {
        if (this.#futureJobs.size <= MAX_FUTURE_JOBS) break;
        this.#futureJobs.delete(id);
      }
      return;
    }
    if (this.#prevHash === undefined) {
      this.#ctx.log.warn({ job_id: job.job_id }, 'job before any SetNewPrevHash; ignored');
      return;
    }
    this.#mine(job, job.min_ntime);
  }

  #onPrevHash(m: MessageByName<'SetNewPrevHash'>): void {
    this.#epoch++;
    this.#prevHash = { prev_hash: m.prev_hash.slice(), min_ntime: m.min_ntime, nbits: m.nbits };
    const job = this.#futureJobs.get(m.job_id);
    this.#futureJobs.delete(m.job_id);
    if (job === undefined) {
      this.#ctx.log.warn(
        { job_id: m.job_id },
        'SetNewPrevHash for an unknown future job; idle until the next job',
      );
      this.#ctx.engine.setWork(null);
      this.#current = undefined;
      return;
    }
    this.#mine(job, m.min_ntime);
  }

  #onTarget(target: bigint): void {
    this.#channelTarget = target;
    const cur = this.#current;
    if (cur === undefined) {
      this.#ctx.stats.difficulty = targetToDifficulty(target);
      return;
    }
    // Jobs keep the target they came with; a harder new one applies at once, so
    // no share is sent that either reading of the spec would call too weak.
    const effective = target < cur.jobTarget ? target : cur.jobTarget;
    const ctx = this.#works.get(cur.workId);
    if (ctx !== undefined && ctx.target !== effective) {
      ctx.target = effective;
      this.#ctx.engine.setTarget(u256ToLE(effective));
    }
    this.#ctx.stats.difficulty = targetToDifficulty(effective);
  }

  #mine(job: StandardJob, ntime: number): void {
    const prev = this.#prevHash!;
    const header = serializeHeader({
      version: job.version,
      prev_hash: prev.prev_hash,
      merkle_root: job.merkle_root,
      time: ntime,
      bits: prev.nbits,
      nonce: 0,
    });
    let networkTarget: bigint;
    try {
      networkTarget = bitsToTarget(prev.nbits);
    } catch {
      networkTarget = 0n;
    }
    const id = this.#ctx.nextWorkId();
    const target = this.#channelTarget;
    this.#works.set(id, { job_id: job.job_id, header, target, networkTarget, epoch: this.#epoch });
    for (const old of this.#works.keys()) {
      if (this.#works.size <= MAX_WORKS) break;
      this.#works.delete(old);
    }
    this.#current = { workId: id, jobTarget: target };
    this.#ctx.stats.difficulty = targetToDifficulty(target);
    this.#ctx.engine.setWork({
      id,
      header,
      target: u256ToLE(target),
      versionMask: job.rolling ? BIP323_MASK : 0,
      ntimeBase: ntime,
      ntimeAnchorMs: this.#ctx.now(),
    });
    this.#ctx.log.debug({ job_id: job.job_id, ntime, version_rolling: job.rolling }, 'mining job');
  }

  onShare(share: FoundShare): void {
    const w = this.#works.get(share.workId);
    // Work from before the latest SetNewPrevHash is stale: not worth the pool's time.
    if (w === undefined || w.epoch !== this.#epoch) return;
    const hash = checkShare(this.#ctx, w, share, w.job_id);
    if (hash === undefined) return;
    const stats = this.#ctx.stats;
    const log = this.#ctx.log;
    const sequence_number = this.#sequence;
    this.#sequence = (this.#sequence + 1) >>> 0;
    stats.submitted++;
    if (!this.#firstAccepted) {
      this.#submittedDifficulty.set(sequence_number, targetToDifficulty(w.target));
      if (this.#submittedDifficulty.size > 1024)
        this.#submittedDifficulty.delete(this.#submittedDifficulty.keys().next().value!);
    }
    log.debug({ sequence_number, job_id: w.job_id, hash: toDisplayHex(hash) }, 'share submitted');
    this.#send({
      type: 'SubmitSharesStandard',
      channel_id: this.#channelId,
      sequence_number,
      job_id: w.job_id,
      nonce: share.nonce,
      ntime: share.ntime,
      version: share.version,
    }).catch((err: unknown) => log.debug({ err: (err as Error).message }, 'share not sent'));
  }
}
