// One SV2 extended channel as the translator's miners see it: the
// extranonce the pool assigned, the target, the future jobs waiting for a
// prev hash and the job in force, flattened to what an SV1 session needs.
//
// The pool's extranonce_prefix travels inside coinb1, not in the miner's
// extranonce1: coinb1 = coinbase_tx_prefix ‖ extranonce_prefix ‖ zero
// padding, and the miner's extranonce1 ‖ extranonce2 fill the rest of the
// channel's extranonce space. A miner's extranonce1 is the translator's own
// (chosen at subscribe), so moving a miner to another channel — its own
// channel after authorize, another pool after a failover — is just a new
// job: no mining.set_extranonce and no reconnect while the sizes fit.
//
// Every job handed to miners gets a local id that names this channel's
// current key (the `serial`): shares for a job of an older key — a lost
// connection, a replaced extranonce prefix — are recognised as stale and
// never forwarded under the wrong job or prefix; shares of a live key find
// their channel through it, whichever channel the miner is on by then.
import type { ShareVerdict } from './acks.js';
import { bytesToHex, concatBytes, sha256, u256FromLE } from '../../bitcoin/index.js';
import type { MessageByName } from '../../messages/index.js';
import type { UpstreamJob, UpstreamShare } from '../../sv1/index.js';

type ExtendedJob = MessageByName<'NewExtendedMiningJob'>;
type PrevHash = MessageByName<'SetNewPrevHash'>;

/** Local job ids are serial · 2^16 + a per-key sequence number. */
const SEQ_SPAN = 0x10000;
/** SV2 job ids remembered per key, so late shares can still be mapped back. */
const MAX_JOBS = 64;

let nextSerial = 1;
/** Live keys → their channel. */
const bySerial = new Map<number, UpstreamChannel>();

export interface ChannelOpened {
  channel_id: number;
  target: Uint8Array;
  extranonce_size: number;
  extranonce_prefix: Uint8Array;
  group_channel_id: number;
}

/** What the translator's miners roll inside a channel's extranonce space. */
export interface MinerSpace {
  /** Bytes of the translator's per-miner extranonce1. */
  extranonce1: number;
  /** extranonce2 bytes wanted (fewer when the pool grants less room). */
  extranonce2: number;
}

/** The connection a channel lives on: where its shares and its CloseChannel go. */
export interface ShareSink {
  /** Sends the share; resolves with the pool's verdict on it. */
  submit(
    channel: UpstreamChannel,
    job_id: number,
    share: UpstreamShare,
    worker?: string,
  ): Promise<ShareVerdict>;
  closeChannel(channel: UpstreamChannel, reason: string): void;
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
  /** extranonce2 bytes miners roll here; below 2 the channel cannot serve V1 miners. */
  readonly extranonce2Size: number;
  /** Zero bytes between the pool's prefix and the miner's extranonce1. */
  private readonly padding: Uint8Array;
  /** The connection the channel lives on (none in unit tests). */
  readonly sink: ShareSink | undefined;
  private tracked: number | undefined;

  private readonly future = new Map<number, ExtendedJob>();
  private prev: PrevHash | undefined;
  private active: UpstreamJob | undefined;
  private activeAt = 0;
  /** What the current job was made from, to remake it under a new prefix. */
  private source: { job: ExtendedJob; prev: PrevHash; ntime: number } | undefined;
  private seq = 0;
  /** Local sequence → SV2 job id, for the current serial. */
  private readonly sv2Ids = new Map<number, number>();

  constructor(opened: ChannelOpened, fixedVersion: boolean, space: MinerSpace, sink?: ShareSink) {
    this.channel_id = opened.channel_id;
    this.group_channel_id = opened.group_channel_id;
    this.extranonce_size = opened.extranonce_size;
    this.extranonce_prefix = opened.extranonce_prefix;
    this.target = u256FromLE(opened.target);
    this.fixedVersion = fixedVersion;
    const room = opened.extranonce_size - space.extranonce1;
    this.extranonce2Size = Math.max(0, Math.min(space.extranonce2, room));
    this.padding = new Uint8Array(Math.max(0, room - this.extranonce2Size));
    this.sink = sink;
    this.track();
  }

  /** Closes the channel on its connection (CloseChannel), if it is still open. */
  release(reason: string): void {
    if (this.alive) this.sink?.closeChannel(this, reason);
    else this.close();
  }

  /** The channel whose live key issued a local job id, if any. */
  static ofJob(localId: number): UpstreamChannel | undefined {
    return bySerial.get(Math.floor(localId / SEQ_SPAN));
  }

  /** Miners can work here: the pool granted room for an extranonce2 of at least 2 bytes. */
  get usable(): boolean {
    return this.extranonce2Size >= 2;
  }

  /**
   * Sends a share of one of this channel's jobs to the pool (the miner's
   * extranonce1 ‖ extranonce2 behind the padding) and resolves with the
   * pool's verdict; undefined when the job is not one of the live key's or
   * the channel is gone.
   */
  forward(share: UpstreamShare, worker?: string): Promise<ShareVerdict> | undefined {
    const job_id = this.sv2JobId(share.job_id);
    if (job_id === undefined || this.sink === undefined) return undefined;
    const extranonce =
      this.padding.length === 0 ? share.extranonce : concatBytes(this.padding, share.extranonce);
    return this.sink.submit(this, job_id, { ...share, extranonce }, worker);
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
    this.track();
    this.seq = 0;
    this.sv2Ids.clear();
    const src = this.source;
    if (this.active === undefined || src === undefined) return undefined;
    return this.activate(src.job, src.prev, src.ntime, true, now);
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
    bySerial.delete(this.serial);
  }

  /** Registers the current key (only its jobs can still be forwarded: an older key had another prefix). */
  private track(): void {
    bySerial.set(this.serial, this);
    if (this.tracked !== undefined && this.tracked !== this.serial) bySerial.delete(this.tracked);
    this.tracked = this.serial;
  }

  /** coinb1 as miners see it: the job's coinbase prefix, the pool's extranonce_prefix, the padding. */
  private coinb1(job: ExtendedJob): Uint8Array {
    return concatBytes(job.coinbase_tx_prefix, this.extranonce_prefix, this.padding);
  }

  private activate(
    job: ExtendedJob,
    prev: PrevHash,
    ntime: number,
    clean: boolean,
    now: number,
  ): UpstreamJob {
    const local = this.register(job.job_id);
    this.source = { job, prev, ntime };
    this.active = {
      job_id: local,
      version: job.version,
      version_rolling_allowed: job.version_rolling_allowed && !this.fixedVersion,
      coinbase_tx_prefix: this.coinb1(job),
      coinbase_tx_suffix: job.coinbase_tx_suffix,
      merkle_path: job.merkle_path,
      prev_hash: prev.prev_hash,
      nbits: prev.nbits,
      ntime,
      clean_jobs: clean,
      upstream_target: this.target,
      work: workOf(job, prev),
    };
    this.activeAt = now;
    return this.active;
  }

  private register(sv2JobId: number): number {
    this.seq = (this.seq + 1) % SEQ_SPAN;
    this.sv2Ids.set(this.seq, sv2JobId);
    while (this.sv2Ids.size > MAX_JOBS) this.sv2Ids.delete(this.sv2Ids.keys().next().value as number);
    return this.serial * SEQ_SPAN + this.seq;
  }
}

/**
 * The template a job was built from, as far as miners can tell: its prev
 * hash, version, coinbase parts around the extranonce and merkle path,
 * hashed. Channels of one pool carry a template with the same parts.
 */
function workOf(job: ExtendedJob, prev: PrevHash): string {
  const parts = [prev.prev_hash, job.coinbase_tx_prefix, job.coinbase_tx_suffix, ...job.merkle_path];
  const head = new Uint8Array(4 + 4 * parts.length);
  const view = new DataView(head.buffer);
  view.setUint32(0, job.version, true);
  // Each part's length, so that no two splits of the same bytes name one template.
  parts.forEach((p, i) => view.setUint32(4 + 4 * i, p.length, true));
  return bytesToHex(sha256(concatBytes(head, ...parts)));
}
