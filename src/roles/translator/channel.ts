// One SV2 extended channel as the translator's miners see it: the
// extranonce the pool assigned, the target, the future jobs waiting for a
// prev hash and the job in force, flattened to what an SV1 session needs.
// Every job handed to miners gets a local id that names this channel's
// current key (the `serial`): shares for a job of an older key — a lost
// connection, a replaced extranonce prefix — are recognised as stale and
// never forwarded under the wrong job or prefix.
import { u256FromLE } from '../../bitcoin/index.js';
import type { MessageByName } from '../../messages/index.js';
import type { UpstreamJob } from '../../sv1/index.js';

type ExtendedJob = MessageByName<'NewExtendedMiningJob'>;
type PrevHash = MessageByName<'SetNewPrevHash'>;

/** Local job ids are serial · 2^16 + a per-key sequence number. */
const SEQ_SPAN = 0x10000;
/** SV2 job ids remembered per key, so late shares can still be mapped back. */
const MAX_JOBS = 64;

let nextSerial = 1;

export interface ChannelOpened {
  channel_id: number;
  target: Uint8Array;
  extranonce_size: number;
  extranonce_prefix: Uint8Array;
  group_channel_id: number;
}

export class UpstreamChannel {
  readonly channel_id: number;
  readonly group_channel_id: number;
  readonly extranonce_size: number;
  extranonce_prefix: Uint8Array;
  /** The target shares must meet to be forwarded. */
  target: bigint;
  /** The key of the current jobs; changes with the extranonce prefix. */
  serial = nextSerial++;
  /** False once the connection or the channel is gone. */
  alive = true;
  /** Version rolling forbidden by SetupConnection.Success (REQUIRES_FIXED_VERSION). */
  readonly fixedVersion: boolean;

  private readonly future = new Map<number, ExtendedJob>();
  private prev: PrevHash | undefined;
  private active: UpstreamJob | undefined;
  private activeAt = 0;
  private activeSv2Id: number | undefined;
  private seq = 0;
  /** Local sequence → SV2 job id, for the current serial. */
  private readonly sv2Ids = new Map<number, number>();

  constructor(opened: ChannelOpened, fixedVersion: boolean) {
    this.channel_id = opened.channel_id;
    this.group_channel_id = opened.group_channel_id;
    this.extranonce_size = opened.extranonce_size;
    this.extranonce_prefix = opened.extranonce_prefix;
    this.target = u256FromLE(opened.target);
    this.fixedVersion = fixedVersion;
  }

  /** The job miners should be working on, if there is one. */
  get current(): UpstreamJob | undefined {
    return this.alive ? this.active : undefined;
  }

  /** When the current job became active (ms). */
  get currentSince(): number {
    return this.activeAt;
  }

  /** The SV2 job id behind a local job id, or undefined if it belongs to an older key or channel. */
  sv2JobId(localId: number): number | undefined {
    if (!this.alive || Math.floor(localId / SEQ_SPAN) !== this.serial) return undefined;
    return this.sv2Ids.get(localId % SEQ_SPAN);
  }

  /** NewExtendedMiningJob: a future job is kept; an immediate one becomes current. Returns the new current job. */
  onJob(job: ExtendedJob, now: number): UpstreamJob | undefined {
    if (job.min_ntime === null) {
      this.future.set(job.job_id, job);
      while (this.future.size > MAX_JOBS) this.future.delete(this.future.keys().next().value as number);
      return undefined;
    }
    if (this.prev === undefined) return undefined;
    return this.activate(job, this.prev, job.min_ntime, false, now);
  }

  /** SetNewPrevHash: the named future job becomes current and every earlier job stale. */
  onPrevHash(msg: PrevHash, now: number): UpstreamJob | undefined {
    this.prev = msg;
    const job = this.future.get(msg.job_id);
    this.future.clear();
    if (job === undefined) {
      // Its job is unknown: nothing valid to mine until the next immediate job.
      this.active = undefined;
      return undefined;
    }
    return this.activate(job, msg, msg.min_ntime, true, now);
  }

  /** SetTarget: applies to shares from now on. */
  onTarget(maximum_target: Uint8Array): void {
    this.target = u256FromLE(maximum_target);
  }

  /**
   * SetExtranoncePrefix: a new key, so shares of jobs sent with the old
   * prefix become stale. Returns the current job under the new key (clean).
   */
  onPrefix(prefix: Uint8Array, now: number): UpstreamJob | undefined {
    this.extranonce_prefix = prefix;
    this.serial = nextSerial++;
    this.seq = 0;
    this.sv2Ids.clear();
    const job = this.active;
    if (job === undefined || this.activeSv2Id === undefined) return undefined;
    return this.rekey(job, this.activeSv2Id, now);
  }

  /**
   * The current job again with ntime moved on by the time since it became
   * active (a keepalive notify); same local id, so shares map back to it.
   */
  refreshed(now: number): UpstreamJob | undefined {
    const job = this.current;
    if (job === undefined) return undefined;
    const bump = Math.min(3600, Math.max(0, Math.floor((now - this.activeAt) / 1000)));
    return { ...job, ntime: (job.ntime + bump) >>> 0, clean_jobs: false };
  }

  close(): void {
    this.alive = false;
    this.active = undefined;
    this.future.clear();
  }

  private activate(
    job: ExtendedJob,
    prev: PrevHash,
    ntime: number,
    clean: boolean,
    now: number,
  ): UpstreamJob {
    const local = this.register(job.job_id);
    this.active = {
      job_id: local,
      version: job.version,
      version_rolling_allowed: job.version_rolling_allowed && !this.fixedVersion,
      coinbase_tx_prefix: job.coinbase_tx_prefix,
      coinbase_tx_suffix: job.coinbase_tx_suffix,
      merkle_path: job.merkle_path,
      prev_hash: prev.prev_hash,
      nbits: prev.nbits,
      ntime,
      clean_jobs: clean,
      upstream_target: this.target,
    };
    this.activeAt = now;
    return this.active;
  }

  private rekey(job: UpstreamJob, sv2JobId: number, now: number): UpstreamJob {
    const local = this.register(sv2JobId);
    this.active = { ...job, job_id: local, clean_jobs: true };
    this.activeAt = now;
    return this.active;
  }

  private register(sv2JobId: number): number {
    this.seq = (this.seq + 1) % SEQ_SPAN;
    this.sv2Ids.set(this.seq, sv2JobId);
    while (this.sv2Ids.size > MAX_JOBS) this.sv2Ids.delete(this.sv2Ids.keys().next().value as number);
    this.activeSv2Id = sv2JobId;
    return this.serial * SEQ_SPAN + this.seq;
  }
}
