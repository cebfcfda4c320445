// The mining channels of one downstream connection, server side: opening and
// closing channels, jobs from the shared MiningChain's templates, share
// validation, vardiff and batched acknowledgements. Every method returns the
// messages to send (src/messages objects) and does no I/O.
//
// Job streams: an extended channel gets its own NewExtendedMiningJob; a
// standard channel gets its own NewMiningJob when the connection set
// REQUIRES_STANDARD_JOBS; otherwise standard channels with the same payout
// join one group channel, which receives each job once as NewExtendedMiningJob
// on the group channel id (members derive their merkle roots from their own
// extranonce_prefix). Job ids count up per stream.
//
// A connection with REQUIRES_WORK_SELECTION (a job declarator client) gets
// no jobs from the templates and no SetNewPrevHash: it opens extended
// channels only and declares its own jobs with SetCustomMiningJob
// (custom-job.ts); each new chain tip makes them stale.
import {
  MAX_COINBASE_SCRIPT_SIG,
  buildCoinbase,
  encodeBip34Height,
  equalBytes,
  hashDifficulty,
  hashrateToTarget,
  targetToDifficulty,
  parseOutputs,
  serializeOutputs,
  u256FromLE,
  u256ToLE,
  type CoinbaseParts,
  type TxOutput,
} from '../bitcoin/index.js';
import { MINING_SETUP_FLAGS, type MessageByName, type MessageName } from '../messages/index.js';
import { AckBatch } from './acks.js';
import type { MiningChain, StoredTemplate } from './chain.js';
import {
  CUSTOM_JOB_ERROR,
  CUSTOM_JOB_NTIME_SLACK,
  LOCKTIME_THRESHOLD,
  VERSION_TOP_BITS,
  VERSION_TOP_BITS_MASK,
  type CustomJobCheck,
  type CustomJobInfo,
  type CustomJobRefusal,
  type CustomJobVerdict,
} from './custom-job.js';
import { DuplicateFilter } from './duplicates.js';
import { OPEN_ERROR, SUBMIT_ERROR, UPDATE_ERROR } from './errors.js';
import { coinbaseMerkleRoot, judgeShare } from './judge.js';
import { Vardiff } from './vardiff.js';

type Msg<N extends MessageName> = MessageByName<N>;

/** Messages this layer produces. */
export type ChannelsOutMessage =
  | Msg<'OpenStandardMiningChannelSuccess'>
  | Msg<'OpenExtendedMiningChannelSuccess'>
  | Msg<'OpenMiningChannelError'>
  | Msg<'NewMiningJob'>
  | Msg<'NewExtendedMiningJob'>
  | Msg<'SetNewPrevHash'>
  | Msg<'SetTarget'>
  | Msg<'UpdateChannelError'>
  | Msg<'SubmitSharesSuccess'>
  | Msg<'SubmitSharesError'>
  | Msg<'SetCustomMiningJobSuccess'>
  | Msg<'SetCustomMiningJobError'>;

/** The pool's verdict on the user_identity of an Open*Channel (after its own account checks). */
export type ChannelAuth = { ok: true; payout_key: string } | { ok: false; error_code?: string };

/** An accepted share, everything the store and the stats need. */
export interface ShareRecord {
  channel_id: number;
  sequence_number: number;
  job_id: number;
  /** The job's template; null for a custom job (SetCustomMiningJob). */
  template_id: bigint | null;
  user_identity: string;
  /** Worker name from the 0x0002 TLV of SubmitSharesExtended, if any. */
  worker: string | null;
  payout_key: string;
  /**
   * Target the share was credited at, and its difficulty (what
   * SubmitShares.Success sums, what the store and PPLNS count): the hardest
   * channel target the hash meets, or the network target for a block that
   * meets no channel target (below_target). Never above share_difficulty.
   */
  target: bigint;
  difficulty: number;
  /** Difficulty the hash itself reaches. */
  share_difficulty: number;
  /**
   * A block whose hash meets none of the channel's targets (the network
   * target is easier, as on regtest): credited at the network difficulty,
   * the work such a block is expected to take, and not counted by vardiff.
   */
  below_target: boolean;
  hash: Uint8Array;
  header: Uint8Array;
  version: number;
  ntime: number;
  nonce: number;
  /** Full extranonce (extranonce_prefix ‖ miner part). */
  extranonce: Uint8Array;
  block: boolean;
}

/** A share that meets the network target: submit it at once (a template's), or leave it to its declarer (a custom job's). */
export interface BlockCandidate {
  /** null for a custom job. */
  template_id: bigint | null;
  header: Uint8Array;
  hash: Uint8Array;
  /** Full serialization of the coinbase (segwit form when it commits to witnesses). */
  coinbase_tx: Uint8Array;
  /** For the template provider; null for a custom job, whose template only its declarer has. */
  submit_solution: Msg<'SubmitSolution'> | null;
  /** The custom job the block was found on, if any. */
  custom: CustomJobInfo | null;
}

export type ShareVerdict =
  | { accepted: true; share: ShareRecord; block: BlockCandidate | null }
  | { accepted: false; error: Msg<'SubmitSharesError'>; error_code: string };

export interface ChannelInfo {
  channel_id: number;
  kind: 'standard' | 'extended';
  user_identity: string;
  payout_key: string;
  group_channel_id: number;
  extranonce_prefix: Uint8Array;
  extranonce_size: number;
  target: bigint;
  /** Estimated hashrate (H/s) from accepted shares, or the assumed one before there are any. */
  hashrate: number;
  accepted: number;
  rejected: Record<string, number>;
  blocks: number;
}

interface Job {
  job_id: number;
  parts: CoinbaseParts;
  merkle_path: Uint8Array[];
  /** The template the job was made from; null for a custom job. */
  template: StoredTemplate | null;
  custom: CustomJobInfo | null;
  version: number;
  version_rolling_allowed: boolean;
  /** Sent with min_ntime unset: later SetTargets apply to it too (spec 5.3.21). */
  sent_as_future: boolean;
  /** Tip epoch once active; null for a future job still waiting. */
  epoch: number | null;
  min_ntime: number;
}

interface Stream {
  kind: 'extended' | 'standard' | 'group';
  /** Channel id the jobs are sent on. */
  id: number;
  payout_key: string;
  /** Full extranonce size of the coinbase (prefix ‖ miner part). */
  extranonce_size: number;
  next_job_id: number;
  /** Live jobs, oldest first. */
  jobs: Map<number, Job>;
  /** Ids of jobs made stale, oldest first (bounded). */
  stale: Set<number>;
  members: Set<Channel>;
}

interface TargetStep {
  /** First job id of the stream this target applies to. */
  from_job_id: number;
  target: bigint;
  bytes: Uint8Array;
  difficulty: number;
}

interface Channel {
  channel_id: number;
  kind: 'standard' | 'extended';
  stream: Stream;
  user_identity: string;
  payout_key: string;
  slot: number;
  /** extranonce_prefix as sent (a standard channel's is its whole, zero-padded extranonce). */
  extranonce_prefix: Uint8Array;
  /** Bytes the miner rolls (extended), 0 for standard channels. */
  extranonce_size: number;
  max_target: bigint;
  targets: TargetStep[];
  vardiff: Vardiff;
  duplicates: DuplicateFilter;
  /** Standard channels: merkle root per job id. */
  roots: Map<number, Uint8Array>;
  acks: AckBatch;
  accepted: number;
  rejected: Record<string, number>;
  blocks: number;
}

const STALE_MEMORY = 1024;

export interface ConnectionOptions {
  /** SetupConnection.flags of the Mining Protocol connection. */
  flags: number;
}

export class ServerConnectionChannels {
  private readonly channels = new Map<number, Channel>();
  private readonly streams = new Map<number, Stream>();
  private readonly groups = new Map<string, Stream>();
  private nextChannelId = 1;
  private readonly requiresStandardJobs: boolean;
  /** REQUIRES_WORK_SELECTION: custom jobs only, on extended channels. */
  readonly workSelection: boolean;

  constructor(
    readonly chain: MiningChain,
    options: ConnectionOptions,
  ) {
    this.requiresStandardJobs = (options.flags & MINING_SETUP_FLAGS.REQUIRES_STANDARD_JOBS) !== 0;
    this.workSelection = (options.flags & MINING_SETUP_FLAGS.REQUIRES_WORK_SELECTION) !== 0;
  }

  get channelCount(): number {
    return this.channels.size;
  }

  // ---- opening, updating, closing ------------------------------------------------------------

  openStandard(msg: Msg<'OpenStandardMiningChannel'>, auth: ChannelAuth, now: number): ChannelsOutMessage[] {
    if (this.workSelection) {
      return [openError(msg.request_id, OPEN_ERROR.STANDARD_CHANNELS_NOT_SUPPORTED_FOR_CUSTOM_WORK)];
    }
    const refused = this.checkOpen(msg, auth);
    if (refused) return [refused];
    const config = this.chain.config;
    const slot = this.chain.allocator.allocate();
    if (!slot) return [openError(msg.request_id, OPEN_ERROR.CAPACITY_EXHAUSTED)];
    const payout_key = (auth as { payout_key: string }).payout_key;
    const channel_id = this.nextChannelId++;
    const full = new Uint8Array(config.standard_extranonce_size);
    full.set(slot.prefix);
    let stream: Stream;
    let fresh = true;
    if (this.requiresStandardJobs) {
      stream = this.newStream('standard', channel_id, payout_key, full.length);
    } else {
      const key = `${full.length}:${payout_key}`;
      const group = this.groups.get(key);
      fresh = !group;
      stream = group ?? this.newStream('group', this.nextChannelId++, payout_key, full.length);
      this.groups.set(key, stream);
    }
    const channel = this.newChannel(
      channel_id,
      'standard',
      stream,
      msg,
      payout_key,
      slot.index,
      full,
      0,
      now,
    );
    const out: ChannelsOutMessage[] = [
      {
        type: 'OpenStandardMiningChannelSuccess',
        request_id: msg.request_id,
        channel_id,
        target: u256ToLE(channel.targets[0]!.target),
        extranonce_prefix: full,
        group_channel_id: stream.kind === 'group' ? stream.id : 0,
      },
    ];
    // A member joining a live group already has the group's jobs downstream.
    if (fresh) out.push(...this.initialJobs(stream));
    return out;
  }

  openExtended(msg: Msg<'OpenExtendedMiningChannel'>, auth: ChannelAuth, now: number): ChannelsOutMessage[] {
    const refused = this.checkOpen(msg, auth);
    if (refused) return [refused];
    const config = this.chain.config;
    const rollable = Math.max(msg.min_extranonce_size, config.default_rollable_extranonce_size);
    if (config.extranonce_prefix_size + rollable > config.max_extranonce_size) {
      return [openError(msg.request_id, OPEN_ERROR.MIN_EXTRANONCE_SIZE_TOO_LARGE)];
    }
    const slot = this.chain.allocator.allocate();
    if (!slot) return [openError(msg.request_id, OPEN_ERROR.CAPACITY_EXHAUSTED)];
    const payout_key = (auth as { payout_key: string }).payout_key;
    const channel_id = this.nextChannelId++;
    const stream = this.newStream('extended', channel_id, payout_key, slot.prefix.length + rollable);
    const channel = this.newChannel(
      channel_id,
      'extended',
      stream,
      msg,
      payout_key,
      slot.index,
      slot.prefix,
      rollable,
      now,
    );
    return [
      {
        type: 'OpenExtendedMiningChannelSuccess',
        request_id: msg.request_id,
        channel_id,
        target: u256ToLE(channel.targets[0]!.target),
        extranonce_size: rollable,
        extranonce_prefix: slot.prefix,
        group_channel_id: 0,
      },
      // A work-selection channel mines the jobs it declares.
      ...(this.workSelection ? [] : this.initialJobs(stream)),
    ];
  }

  /** UpdateChannel: a new nominal hashrate and maximum target; answered with SetTarget. */
  updateChannel(msg: Msg<'UpdateChannel'>, now: number): ChannelsOutMessage[] {
    const channel = this.channels.get(msg.channel_id);
    if (!channel) return [updateError(msg.channel_id, UPDATE_ERROR.INVALID_CHANNEL_ID)];
    if (!validHashrate(msg.nominal_hash_rate)) {
      return [updateError(msg.channel_id, UPDATE_ERROR.INVALID_NOMINAL_HASHRATE)];
    }
    const max = u256FromLE(msg.maximum_target);
    channel.max_target = max < this.chain.config.min_target ? this.chain.config.min_target : max;
    const hashrate = this.nominal(msg.nominal_hash_rate);
    const target = this.targetFor(channel, hashrate);
    channel.vardiff.reset(hashrate, target, now);
    return [this.setTarget(channel, target, now)];
  }

  /** CloseChannel from the client (a group channel id closes all its members). */
  closeChannel(channel_id: number): void {
    const group = this.streams.get(channel_id);
    if (group && group.kind === 'group') {
      for (const member of [...group.members]) this.drop(member);
      return;
    }
    const channel = this.channels.get(channel_id);
    if (channel) this.drop(channel);
  }

  /** The connection went away: frees every extranonce slot. */
  close(): void {
    for (const channel of [...this.channels.values()]) this.drop(channel);
  }

  // ---- templates and tips --------------------------------------------------------------------

  /** Call after chain.newTemplate(): the jobs every stream gets from that template. */
  onNewTemplate(template_id: bigint): ChannelsOutMessage[] {
    const stored = this.chain.template(template_id);
    const tip = this.chain.tip;
    if (!stored || this.workSelection) return [];
    if (stored.epoch !== null && stored.epoch !== tip?.epoch) return [];
    const out: ChannelsOutMessage[] = [];
    for (const stream of this.streams.values()) out.push(this.addJob(stream, stored));
    return out;
  }

  /** Call after chain.setNewPrevHash(): activates the future job of each stream and sends SetNewPrevHash. */
  onSetNewPrevHash(): ChannelsOutMessage[] {
    const out: ChannelsOutMessage[] = [];
    if (this.workSelection) {
      // Custom jobs build on the old tip: all stale now; nothing to send.
      for (const stream of this.streams.values()) {
        for (const job of [...stream.jobs.values()]) this.retire(stream, job.job_id);
        for (const member of stream.members) member.duplicates.clear();
      }
      return out;
    }
    for (const stream of this.streams.values()) out.push(...this.activate(stream));
    return out;
  }

  // ---- custom jobs ---------------------------------------------------------------------------

  /**
   * SetCustomMiningJob on an extended channel of a work-selection
   * connection: checked against the chain tip and by `check` (the caller's
   * token verdict and job checks), then a job of the channel's stream with a
   * new job id, valid until the next chain tip. Returns the Success or Error
   * to send.
   */
  setCustomJob(msg: Msg<'SetCustomMiningJob'>, check: CustomJobCheck, now: number): CustomJobVerdict {
    const refuse = (r: CustomJobRefusal): CustomJobVerdict => ({
      accepted: false,
      error_code: r.error_code,
      reason: r.reason,
      message: {
        type: 'SetCustomMiningJobError',
        channel_id: msg.channel_id,
        request_id: msg.request_id,
        error_code: r.error_code,
      },
    });
    const E = CUSTOM_JOB_ERROR;
    if (!this.workSelection) {
      return refuse({
        error_code: E.WORK_SELECTION_NOT_NEGOTIATED,
        reason: 'SetupConnection did not set REQUIRES_WORK_SELECTION',
      });
    }
    const channel = this.channels.get(msg.channel_id);
    if (!channel || channel.kind !== 'extended') {
      return refuse({ error_code: E.INVALID_CHANNEL_ID, reason: `no extended channel ${msg.channel_id}` });
    }
    if (check.token) return refuse(check.token);
    const tip = this.chain.tip;
    if (!tip || !equalBytes(msg.prev_hash, tip.prev_hash)) {
      return refuse({ error_code: E.STALE_CHAIN_TIP, reason: 'prev_hash is not the current chain tip' });
    }
    if (msg.nbits !== tip.nbits) {
      return refuse({
        error_code: E.INVALID_NBITS,
        reason: `nbits 0x${msg.nbits.toString(16)} is not the tip's 0x${tip.nbits.toString(16)}`,
      });
    }
    const latest = Math.floor(now / 1000) + CUSTOM_JOB_NTIME_SLACK;
    if (msg.min_ntime < tip.header_timestamp - CUSTOM_JOB_NTIME_SLACK || msg.min_ntime > latest) {
      return refuse({
        error_code: E.INVALID_MIN_NTIME,
        reason: `min_ntime ${msg.min_ntime} is more than 2 hours from the tip's time or the clock`,
      });
    }
    if ((msg.version & VERSION_TOP_BITS_MASK) >>> 0 !== VERSION_TOP_BITS) {
      return refuse({
        error_code: E.INVALID_VERSION,
        reason: `version 0x${(msg.version >>> 0).toString(16)} lacks the BIP9 top bits 001`,
      });
    }
    const height = tip.height;
    const full = channel.extranonce_prefix.length + channel.extranonce_size;
    const prefixRefusal = customPrefixRefusal(msg.coinbase_prefix, height, full);
    if (prefixRefusal) return refuse(prefixRefusal);
    let outputs: TxOutput[];
    try {
      outputs = parseOutputs(msg.coinbase_tx_outputs);
      if (outputs.length === 0) throw new Error('no outputs');
      // Re-serializing must give the bytes sent: values in range, nothing non-canonical.
      if (!equalBytes(serializeOutputs(outputs, true), msg.coinbase_tx_outputs))
        throw new Error('not in canonical form');
    } catch (err) {
      return refuse({
        error_code: E.INVALID_COINBASE_TX_OUTPUTS,
        reason: `coinbase_tx_outputs do not parse: ${(err as Error).message}`,
      });
    }
    const final = msg.coinbase_tx_input_nSequence === 0xffffffff;
    if (!final && msg.coinbase_tx_locktime !== 0) {
      if (msg.coinbase_tx_locktime >= LOCKTIME_THRESHOLD || msg.coinbase_tx_locktime >= height!) {
        return refuse({
          error_code: E.INVALID_COINBASE_TX_LOCKTIME,
          reason: `locktime ${msg.coinbase_tx_locktime} is not final at height ${height}`,
        });
      }
    }
    let value = 0n;
    for (const o of outputs) value += o.value;
    const draft = {
      message: msg,
      channel_id: channel.channel_id,
      user_identity: channel.user_identity,
      height: height!,
      outputs,
      value,
    };
    const refused = check.job?.(draft) ?? null;
    if (refused) return refuse(refused);
    let parts: CoinbaseParts;
    try {
      parts = buildCoinbase({
        coinbase_tx_version: msg.coinbase_tx_version,
        coinbase_prefix: msg.coinbase_prefix,
        extranonce_size: full,
        coinbase_tx_input_sequence: msg.coinbase_tx_input_nSequence,
        payout_outputs: outputs,
        template_outputs: [],
        coinbase_tx_locktime: msg.coinbase_tx_locktime,
      });
    } catch (err) {
      return refuse({ error_code: E.INVALID_COINBASE_PREFIX, reason: (err as Error).message });
    }
    const stream = channel.stream;
    const info: CustomJobInfo = {
      job_id: stream.next_job_id++,
      request_id: msg.request_id,
      height: height!,
      outputs,
      value,
    };
    const job: Job = {
      job_id: info.job_id,
      parts,
      merkle_path: msg.merkle_path.map((h) => Uint8Array.from(h)),
      template: null,
      custom: info,
      version: msg.version,
      version_rolling_allowed: this.chain.config.version_rolling,
      sent_as_future: false,
      epoch: tip.epoch,
      min_ntime: msg.min_ntime,
    };
    stream.jobs.set(job.job_id, job);
    this.trim(stream);
    return {
      accepted: true,
      job: info,
      message: {
        type: 'SetCustomMiningJobSuccess',
        channel_id: msg.channel_id,
        request_id: msg.request_id,
        job_id: job.job_id,
      },
    };
  }

  // ---- shares --------------------------------------------------------------------------------

  submitStandard(msg: Msg<'SubmitSharesStandard'>, now: number): ShareVerdict {
    const channel = this.channels.get(msg.channel_id);
    if (!channel || channel.kind !== 'standard') return reject(null, msg, SUBMIT_ERROR.INVALID_CHANNEL_ID);
    const job = this.findJob(channel, msg);
    if (typeof job === 'string') return reject(channel, msg, job);
    let root = channel.roots.get(job.job_id);
    if (!root) {
      root = this.rootFor(channel, job, channel.extranonce_prefix);
      channel.roots.set(job.job_id, root);
    }
    return this.judge(channel, job, msg, root, channel.extranonce_prefix, null, now);
  }

  submitExtended(msg: Msg<'SubmitSharesExtended'>, now: number): ShareVerdict {
    const channel = this.channels.get(msg.channel_id);
    if (!channel || channel.kind !== 'extended') return reject(null, msg, SUBMIT_ERROR.INVALID_CHANNEL_ID);
    const job = this.findJob(channel, msg);
    if (typeof job === 'string') return reject(channel, msg, job);
    if (msg.extranonce.length !== channel.extranonce_size) {
      return reject(channel, msg, SUBMIT_ERROR.BAD_EXTRANONCE_SIZE);
    }
    const p = job.parts;
    const root = coinbaseMerkleRoot(
      p.coinbase_tx_prefix,
      [channel.extranonce_prefix, msg.extranonce],
      p.coinbase_tx_suffix,
      job.merkle_path,
    );
    const full = new Uint8Array(channel.extranonce_prefix.length + msg.extranonce.length);
    full.set(channel.extranonce_prefix);
    full.set(msg.extranonce, channel.extranonce_prefix.length);
    return this.judge(channel, job, msg, root, full, msg.user_identity ?? null, now);
  }

  /**
   * Acknowledges a stored share: returns SubmitShares.Success when its
   * channel's batch is full or the share is a block, else nothing yet.
   */
  confirm(share: ShareRecord): ChannelsOutMessage[] {
    const channel = this.channels.get(share.channel_id);
    if (!channel) return [];
    const success = channel.acks.add(share.sequence_number, share.difficulty, share.block);
    return success ? [success] : [];
  }

  /** SubmitShares.Success for every channel with confirmed shares not yet acknowledged. */
  flush(): ChannelsOutMessage[] {
    const out: ChannelsOutMessage[] = [];
    for (const channel of this.channels.values()) {
      const success = channel.acks.take();
      if (success) out.push(success);
    }
    return out;
  }

  // ---- vardiff and stats ---------------------------------------------------------------------

  /** Runs vardiff on every channel; returns the SetTargets to send. Call every few seconds. */
  evaluateVardiff(now: number): ChannelsOutMessage[] {
    if (!this.chain.config.vardiff) return [];
    const out: ChannelsOutMessage[] = [];
    for (const channel of this.channels.values()) {
      const hashrate = channel.vardiff.evaluate(now);
      if (hashrate === null) continue;
      const target = this.targetFor(channel, hashrate);
      if (target !== this.currentTarget(channel).target) out.push(this.setTarget(channel, target, now));
    }
    return out;
  }

  channelInfo(channel_id: number, now: number): ChannelInfo | null {
    const c = this.channels.get(channel_id);
    if (!c) return null;
    return {
      channel_id,
      kind: c.kind,
      user_identity: c.user_identity,
      payout_key: c.payout_key,
      group_channel_id: c.stream.kind === 'group' ? c.stream.id : 0,
      extranonce_prefix: c.extranonce_prefix,
      extranonce_size: c.extranonce_size,
      target: this.currentTarget(c).target,
      hashrate: c.vardiff.estimate(now),
      accepted: c.accepted,
      rejected: { ...c.rejected },
      blocks: c.blocks,
    };
  }

  channelIds(): number[] {
    return [...this.channels.keys()];
  }

  // ---- internals -----------------------------------------------------------------------------

  private checkOpen(
    msg: Msg<'OpenStandardMiningChannel'> | Msg<'OpenExtendedMiningChannel'>,
    auth: ChannelAuth,
  ): ChannelsOutMessage | null {
    if (!auth.ok) return openError(msg.request_id, auth.error_code ?? OPEN_ERROR.UNKNOWN_USER);
    if (!validHashrate(msg.nominal_hash_rate))
      return openError(msg.request_id, OPEN_ERROR.INVALID_NOMINAL_HASHRATE);
    if (u256FromLE(msg.max_target) < this.chain.config.min_target) {
      return openError(msg.request_id, OPEN_ERROR.MAX_TARGET_OUT_OF_RANGE);
    }
    return null;
  }

  private newStream(kind: Stream['kind'], id: number, payout_key: string, extranonce_size: number): Stream {
    const stream: Stream = {
      kind,
      id,
      payout_key,
      extranonce_size,
      next_job_id: 1,
      jobs: new Map(),
      stale: new Set(),
      members: new Set(),
    };
    this.streams.set(id, stream);
    return stream;
  }

  private newChannel(
    channel_id: number,
    kind: Channel['kind'],
    stream: Stream,
    msg: Msg<'OpenStandardMiningChannel'> | Msg<'OpenExtendedMiningChannel'>,
    payout_key: string,
    slot: number,
    extranonce_prefix: Uint8Array,
    extranonce_size: number,
    now: number,
  ): Channel {
    const config = this.chain.config;
    const hashrate = this.nominal(msg.nominal_hash_rate);
    const max_target = u256FromLE(msg.max_target);
    const channel: Channel = {
      channel_id,
      kind,
      stream,
      user_identity: msg.user_identity,
      payout_key,
      slot,
      extranonce_prefix,
      extranonce_size,
      max_target,
      targets: [],
      vardiff: undefined as unknown as Vardiff,
      duplicates: new DuplicateFilter(config.duplicate_memory),
      roots: new Map(),
      acks: new AckBatch(channel_id, config.share_batch_size),
      accepted: 0,
      rejected: {},
      blocks: 0,
    };
    const target = this.targetFor(channel, hashrate);
    channel.targets.push(targetStep(0, target));
    channel.vardiff = new Vardiff(
      { shares_per_minute: config.shares_per_minute, min_hashrate: config.min_hashrate },
      hashrate,
      target,
      now,
    );
    stream.members.add(channel);
    this.channels.set(channel_id, channel);
    return channel;
  }

  private drop(channel: Channel): void {
    this.channels.delete(channel.channel_id);
    this.chain.allocator.release(channel.slot);
    const stream = channel.stream;
    stream.members.delete(channel);
    if (stream.members.size === 0) {
      this.streams.delete(stream.id);
      if (stream.kind === 'group') this.groups.delete(`${stream.extranonce_size}:${stream.payout_key}`);
    }
  }

  private nominal(hashrate: number): number {
    return hashrate > 0 ? hashrate : this.chain.config.min_hashrate;
  }

  private targetFor(channel: Channel, hashrate: number): bigint {
    const target = hashrateToTarget(hashrate, this.chain.config.shares_per_minute);
    return target > channel.max_target ? channel.max_target : target;
  }

  private currentTarget(channel: Channel): TargetStep {
    return channel.targets[channel.targets.length - 1]!;
  }

  /** SetTarget now; it governs jobs sent from here on (and future jobs already sent). */
  private setTarget(channel: Channel, target: bigint, now: number): Msg<'SetTarget'> {
    channel.targets.push(targetStep(channel.stream.next_job_id, target));
    // Steps older than every live job are never looked up again.
    const oldest = channel.stream.jobs.keys().next();
    const first = oldest.done ? channel.stream.next_job_id : oldest.value;
    while (channel.targets.length > 1 && channel.targets[1]!.from_job_id <= first) channel.targets.shift();
    channel.vardiff.setTarget(target, now);
    return { type: 'SetTarget', channel_id: channel.channel_id, maximum_target: u256ToLE(target) };
  }

  private targetsForJob(channel: Channel, job: Job): TargetStep[] {
    let sent = channel.targets[0]!;
    for (const step of channel.targets) if (step.from_job_id <= job.job_id) sent = step;
    const current = this.currentTarget(channel);
    if (!job.sent_as_future || current === sent) return [sent];
    return current.target < sent.target ? [current, sent] : [sent, current];
  }

  /** What a stream needs first: the current template as a future job, its SetNewPrevHash, pending futures. */
  private initialJobs(stream: Stream): ChannelsOutMessage[] {
    const out: ChannelsOutMessage[] = [];
    const current = this.chain.currentTemplate();
    if (current) {
      out.push(this.addJob(stream, current, true));
      out.push(...this.activate(stream, [...stream.jobs.values()].pop()));
    }
    for (const future of this.chain.futureTemplates()) out.push(this.addJob(stream, future));
    return out;
  }

  private addJob(
    stream: Stream,
    stored: StoredTemplate,
    asFuture = stored.epoch === null,
  ): Msg<'NewMiningJob'> | Msg<'NewExtendedMiningJob'> {
    const config = this.chain.config;
    const tip = this.chain.tip;
    const coinbase = this.chain.coinbase(
      stored.message.template_id,
      stream.payout_key,
      stream.extranonce_size,
    );
    const job: Job = {
      job_id: stream.next_job_id++,
      parts: coinbase.parts,
      merkle_path: coinbase.merkle_path,
      template: stored,
      custom: null,
      version: stored.message.version,
      version_rolling_allowed: config.version_rolling,
      sent_as_future: asFuture,
      epoch: asFuture ? null : tip!.epoch,
      min_ntime: asFuture ? 0 : tip!.header_timestamp,
    };
    stream.jobs.set(job.job_id, job);
    this.trim(stream);
    const min_ntime = asFuture ? null : job.min_ntime;
    if (stream.kind === 'standard') {
      const channel = stream.members.values().next().value as Channel;
      const root = this.rootFor(channel, job, channel.extranonce_prefix);
      channel.roots.set(job.job_id, root);
      return {
        type: 'NewMiningJob',
        channel_id: stream.id,
        job_id: job.job_id,
        min_ntime,
        version: job.version,
        merkle_root: root,
      };
    }
    return {
      type: 'NewExtendedMiningJob',
      channel_id: stream.id,
      job_id: job.job_id,
      min_ntime,
      version: job.version,
      version_rolling_allowed: job.version_rolling_allowed,
      merkle_path: coinbase.merkle_path,
      coinbase_tx_prefix: coinbase.parts.coinbase_tx_prefix,
      coinbase_tx_suffix: coinbase.parts.coinbase_tx_suffix,
    };
  }

  /** Keeps max_past_jobs active jobs and max_future_templates waiting ones per stream. */
  private trim(stream: Stream): void {
    const config = this.chain.config;
    let active = 0;
    let future = 0;
    for (const job of stream.jobs.values()) {
      if (job.epoch === null) future++;
      else active++;
    }
    for (const job of [...stream.jobs.values()]) {
      if (job.epoch === null && future > config.max_future_templates) {
        future--;
        this.retire(stream, job.job_id);
      } else if (job.epoch !== null && active > config.max_past_jobs) {
        active--;
        this.retire(stream, job.job_id);
      }
    }
  }

  private retire(stream: Stream, job_id: number): void {
    stream.jobs.delete(job_id);
    for (const member of stream.members) member.roots.delete(job_id);
    stream.stale.add(job_id);
    if (stream.stale.size > STALE_MEMORY) stream.stale.delete(stream.stale.values().next().value!);
  }

  /** The tip moved (or a stream starts): keep only the future job of its template (or `preferred`), active now, and say so. */
  private activate(stream: Stream, preferred?: Job): ChannelsOutMessage[] {
    const tip = this.chain.tip;
    if (!tip) return [];
    const out: ChannelsOutMessage[] = [];
    let chosen = preferred;
    if (!chosen) {
      for (const job of stream.jobs.values()) {
        if (job.epoch === null && job.template?.message.template_id === tip.template_id) chosen = job;
      }
    }
    if (!chosen) {
      // The stream never got that future job (opened in between): send it now.
      const stored = this.chain.template(tip.template_id);
      if (!stored) return [];
      out.push(this.addJob(stream, stored, true));
      chosen = [...stream.jobs.values()].pop()!;
    }
    for (const job of [...stream.jobs.values()]) if (job !== chosen) this.retire(stream, job.job_id);
    chosen.epoch = tip.epoch;
    chosen.min_ntime = tip.header_timestamp;
    for (const member of stream.members) member.duplicates.clear();
    out.push({
      type: 'SetNewPrevHash',
      channel_id: stream.id,
      job_id: chosen.job_id,
      prev_hash: tip.prev_hash,
      min_ntime: tip.header_timestamp,
      nbits: tip.nbits,
    });
    return out;
  }

  private findJob(channel: Channel, msg: { job_id: number }): Job | string {
    const stream = channel.stream;
    const job = stream.jobs.get(msg.job_id);
    if (!job) return stream.stale.has(msg.job_id) ? SUBMIT_ERROR.STALE_SHARE : SUBMIT_ERROR.INVALID_JOB_ID;
    // A future job cannot be mined before its SetNewPrevHash.
    if (job.epoch === null) return SUBMIT_ERROR.INVALID_JOB_ID;
    if (job.epoch !== this.chain.tip?.epoch) return SUBMIT_ERROR.STALE_SHARE;
    return job;
  }

  private rootFor(channel: Channel, job: Job, extranonce: Uint8Array): Uint8Array {
    const p = job.parts;
    return coinbaseMerkleRoot(p.coinbase_tx_prefix, [extranonce], p.coinbase_tx_suffix, job.merkle_path);
  }

  private judge(
    channel: Channel,
    job: Job,
    msg: Msg<'SubmitSharesStandard'> | Msg<'SubmitSharesExtended'>,
    merkle_root: Uint8Array,
    extranonce: Uint8Array,
    worker: string | null,
    now: number,
  ): ShareVerdict {
    const tip = this.chain.tip!;
    const steps = this.targetsForJob(channel, job);
    const elapsed = Math.max(0, Math.floor((now - tip.received_at) / 1000));
    const judged = judgeShare(
      {
        prev_hash: tip.prev_hash,
        nbits: tip.nbits,
        network_target: tip.network_target,
        version: job.version,
        version_rolling_allowed: job.version_rolling_allowed,
        min_ntime: job.min_ntime,
        max_ntime: job.min_ntime + elapsed + this.chain.config.ntime_tolerance,
        targets: steps.map((s) => s.bytes),
      },
      { merkle_root, version: msg.version, ntime: msg.ntime, nonce: msg.nonce },
    );
    if (!judged.ok) return reject(channel, msg, judged.error_code);
    if (!channel.duplicates.add(judged.hash)) return reject(channel, msg, SUBMIT_ERROR.DUPLICATE_SHARE);
    // A block below every channel target proves only the network target: the
    // expected work behind it is the network difficulty (its own hash
    // difficulty would overstate it), and it says nothing about the rate of
    // shares at the channel target.
    const below_target = judged.target_index === null;
    const step = below_target ? null : steps[judged.target_index!]!;
    const template_id = job.template?.message.template_id ?? null;
    const share: ShareRecord = {
      channel_id: channel.channel_id,
      sequence_number: msg.sequence_number,
      job_id: job.job_id,
      template_id,
      user_identity: channel.user_identity,
      worker,
      payout_key: channel.payout_key,
      target: step ? step.target : u256FromLE(tip.network_target),
      difficulty: step ? step.difficulty : tip.network_difficulty,
      share_difficulty: hashDifficulty(judged.hash),
      below_target,
      hash: judged.hash,
      header: judged.header,
      version: msg.version,
      ntime: msg.ntime,
      nonce: msg.nonce,
      extranonce,
      block: judged.block,
    };
    channel.accepted++;
    if (!below_target) channel.vardiff.recordShare(now);
    let block: BlockCandidate | null = null;
    if (judged.block) {
      channel.blocks++;
      const p = job.parts;
      const coinbase_tx = new Uint8Array(
        p.witness_prefix.length + extranonce.length + p.witness_suffix.length,
      );
      coinbase_tx.set(p.witness_prefix);
      coinbase_tx.set(extranonce, p.witness_prefix.length);
      coinbase_tx.set(p.witness_suffix, p.witness_prefix.length + extranonce.length);
      block = {
        template_id,
        header: judged.header,
        hash: judged.hash,
        coinbase_tx,
        submit_solution:
          template_id === null
            ? null
            : {
                type: 'SubmitSolution',
                template_id,
                version: msg.version,
                header_timestamp: msg.ntime,
                header_nonce: msg.nonce,
                coinbase_tx,
              },
        custom: job.custom,
      };
    }
    return { accepted: true, share, block };
  }
}

/** coinbase_prefix of a custom job: starts with the BIP34 height and leaves room for the extranonce. */
function customPrefixRefusal(
  prefix: Uint8Array,
  height: number | null,
  full: number,
): CustomJobRefusal | null {
  const code = CUSTOM_JOB_ERROR.INVALID_COINBASE_PREFIX;
  if (height === null) return { error_code: code, reason: 'the pool knows no height for the current tip' };
  const bip34 = encodeBip34Height(height);
  if (prefix.length < bip34.length || !equalBytes(prefix.subarray(0, bip34.length), bip34)) {
    return { error_code: code, reason: `coinbase_prefix does not start with the BIP34 height ${height}` };
  }
  if (prefix.length + full > MAX_COINBASE_SCRIPT_SIG) {
    return {
      error_code: code,
      reason: `coinbase_prefix of ${prefix.length} bytes and the ${full}-byte extranonce exceed the 100-byte scriptSig`,
    };
  }
  return null;
}

function targetStep(from_job_id: number, target: bigint): TargetStep {
  return { from_job_id, target, bytes: u256ToLE(target), difficulty: targetToDifficulty(target) };
}

function validHashrate(h: number): boolean {
  return Number.isFinite(h) && h >= 0;
}

function openError(request_id: number, error_code: string): Msg<'OpenMiningChannelError'> {
  return { type: 'OpenMiningChannelError', request_id, error_code };
}

function updateError(channel_id: number, error_code: string): Msg<'UpdateChannelError'> {
  return { type: 'UpdateChannelError', channel_id, error_code };
}

function reject(
  channel: Channel | null,
  msg: { channel_id: number; sequence_number: number },
  error_code: string,
): ShareVerdict {
  if (channel) channel.rejected[error_code] = (channel.rejected[error_code] ?? 0) + 1;
  return {
    accepted: false,
    error_code,
    error: {
      type: 'SubmitSharesError',
      channel_id: msg.channel_id,
      sequence_number: msg.sequence_number,
      error_code,
    },
  };
}
