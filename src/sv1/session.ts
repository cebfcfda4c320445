// One SV1 miner connection as a state machine, without the socket: bytes go
// in through receive(), lines come out through `send`, and `close` says when
// to hang up. Requests are handled one at a time in arrival order, and
// replies keep that order: a share waiting for the upstream's verdict does
// not hold up the next requests, only their replies (queued behind it). Nothing
// unsolicited goes out before the handshake replies (cgminer and NerdMiner
// take the first line they read as the answer to their first request). Work
// starts once the miner is subscribed and authorized, in either order:
// mining.set_difficulty, then mining.notify with clean_jobs true.
import { bytesToHex, equalBytes, targetToDifficulty } from '../bitcoin/index.js';
import { answerConfigure, BIP320_MASK } from './configure.js';
import { ASIC_PORT, passwordDifficulty, type PortDifficulty } from './difficulty.js';
import {
  ERR_DUPLICATE,
  ERR_NOT_SUBSCRIBED,
  ERR_OTHER,
  ERR_STALE,
  ERR_UNAUTHORIZED,
  type Sv1Reject,
} from './errors.js';
import {
  errorLine,
  notificationLine,
  parseInbound,
  rejectLine,
  resultLine,
  serverRequestLine,
  type RawId,
} from './envelope.js';
import { u32Hex } from './hex.js';
import { JobBook, type SentJob } from './jobs.js';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter } from './lines.js';
import { DEFAULT_MAX_NOTIFY_BYTES, MAX_MERKLE_BRANCHES } from './notify.js';
import type { ResumeRegistry } from './resume.js';
import { checkShare, parseSubmitParams } from './share.js';
import type { MinerExtranonce, SubmitAnswer, Upstream, UpstreamJob } from './upstream.js';
import { MinerDifficulty } from './miner-difficulty.js';
import type { VardiffOptions } from './vardiff.js';

export interface SessionOptions {
  upstream: Upstream;
  /**
   * Writes to the miner in one write: one line, or several joined by '\n'
   * (without the last newline, which the writer adds).
   */
  send: (text: string) => void;
  /** The connection must be closed; called once. */
  close: (reason: string) => void;
  /** Difficulty limits of the port (default: an ASIC port, whole numbers). */
  port?: PortDifficulty;
  /** Version bits this port lets miners roll, before the upstream's own limit (default 0x1fffe000). */
  versionMask?: number;
  /** Vardiff settings, or false to follow the difficulty the upstream sets (setUpstreamDifficulty). */
  vardiff?: Partial<VardiffOptions> | false;
  /** Session-id registry shared by a listener's sessions, for resume. */
  resume?: ResumeRegistry;
  /** Connection epoch, part of every job id. */
  epoch?: number;
  maxLineBytes?: number;
  maxNotifyBytes?: number;
  /** Requests waiting to be handled before the peer is cut off. */
  maxQueued?: number;
  /** Malformed requests tolerated before the peer is cut off. */
  maxErrors?: number;
  onEvent?: (event: SessionEvent) => void;
}

export type SessionEvent =
  | {
      type: 'share';
      worker: string;
      accepted: true;
      difficulty: number;
      shareDifficulty: number;
      block: boolean;
    }
  | { type: 'share'; worker: string; accepted: false; reject: Sv1Reject }
  /** The difficulty for the next job changed (vardiff, a request, the upstream). */
  | { type: 'difficulty'; difficulty: number }
  | { type: 'warning'; message: string };

type Task =
  | { kind: 'line'; line: string; now: number }
  | { kind: 'job'; job: UpstreamJob; now: number }
  | { kind: 'tick'; now: number }
  | { kind: 'upstream'; difficulty: number; now: number }
  | { kind: 'ping'; now: number }
  | { kind: 'extranonce'; extranonce: MinerExtranonce; now: number }
  | { kind: 'reconnect'; now: number }
  | { kind: 'close'; reason: string; now: number };

const MAX_USER = 256;
const DEFAULT_MAX_QUEUED = 1024;
const DEFAULT_MAX_ERRORS = 64;
/** Vardiff with its defaults, shared by the sessions given no settings. */
const NO_VARDIFF_OPTIONS: Partial<VardiffOptions> = Object.freeze({});

/** A reply's place in the miner's reply order; the line is filled in once known. */
interface HeldReply {
  line: string | undefined;
}

// Empty queues shared by every session until it has something to queue
// (never pushed to: a session swaps in an array of its own first).
const NO_TASKS: Task[] = [];
const NO_HELD: HeldReply[] = [];

function validExtranonce(e: MinerExtranonce | undefined): e is MinerExtranonce {
  return (
    e !== undefined &&
    e.extranonce1 instanceof Uint8Array &&
    e.extranonce1.length <= 32 &&
    Number.isInteger(e.extranonce2_size) &&
    e.extranonce2_size >= 1 &&
    e.extranonce2_size <= 16 &&
    Number.isInteger(e.upstream_prefix_length) &&
    e.upstream_prefix_length >= 0 &&
    e.upstream_prefix_length <= e.extranonce1.length
  );
}

function errorText(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.length > 120 ? text.slice(0, 120) : text;
}

export class Sv1Session {
  /** As given: defaults are read where used, so a connection keeps no copy of them. */
  private readonly o: SessionOptions;
  /** Holds a line that is not complete yet; undefined between whole lines (most reads end in a newline). */
  private splitter: LineSplitter | undefined;
  private readonly book: JobBook;
  private readonly diff: MinerDifficulty;
  /** Inputs waiting in order (NO_TASKS while none: most miners, most of the time). */
  private tasks: Task[] = NO_TASKS;
  private running = false;
  private waiters: (() => void)[] | undefined;
  private errors = 0;
  private serverId = 0;

  private closedReason: string | undefined;
  private closing = false;
  private replied = false;
  /** Replies waiting behind a share whose upstream verdict is not in yet (front first). */
  private held: HeldReply[] = NO_HELD;
  /**
   * Lines of the turn being handled, sent together when it ends (see
   * openBatch); undefined outside a turn.
   */
  private batch: string | undefined;
  private working = false;

  private extranonce: MinerExtranonce | undefined;
  private subscriptionId: string | undefined;
  private agent: string | undefined;
  /** Names authorized here: the first alone (the usual case), a set once there are more. */
  private workers: string | Set<string> | undefined;
  /** Granted BIP310 mask; undefined until the miner configures version rolling. */
  private grantedMask: number | undefined;
  private maskSent: number | undefined;
  private extranonceSubscribed = false;

  private announced: number | undefined;
  private latestJob: UpstreamJob | undefined;

  constructor(options: SessionOptions, now: number) {
    this.o = options;
    this.book = new JobBook(options.epoch ?? 0);
    this.diff = new MinerDifficulty(options.port ?? ASIC_PORT, options.vardiff ?? NO_VARDIFF_OPTIONS, now);
  }

  // ---- inputs -------------------------------------------------------------

  /** Bytes read from the miner's socket. */
  receive(chunk: Uint8Array | string, now: number): void {
    if (this.closing) return;
    const splitter = this.splitter ?? new LineSplitter(this.o.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
    const { lines, overflow } = splitter.push(chunk);
    this.splitter = splitter.buffered > 0 ? splitter : undefined;
    for (const line of lines) {
      if (this.closing) return;
      this.enqueue({ kind: 'line', line, now });
    }
    if (overflow) this.closeAfterQueue('line too long', now);
  }

  /** A new upstream job became active (clean_jobs true for a new prev hash). */
  pushJob(job: UpstreamJob, now: number): void {
    const task: Task = { kind: 'job', job, now };
    if (!this.handledAtOnce(task)) this.enqueue(task);
  }

  /** Periodic call: lets vardiff lower the difficulty of a miner that stopped finding shares. */
  tick(now: number): void {
    const task: Task = { kind: 'tick', now };
    if (!this.handledAtOnce(task)) this.enqueue(task);
  }

  /**
   * With nothing queued or running, the usual case, a new job or a tick is
   * handled at once: the steps drain() takes for one task, without its
   * promises. The host makes these calls for thousands of miners in one
   * loop (a new block, the vardiff tick every few seconds): a promise chain
   * per miner was the fan-out's own cost, and the chains outlived the
   * young-generation collections in between, filling the old generation of
   * an idle process. False when the task must wait its turn in the queue.
   */
  private handledAtOnce(task: Extract<Task, { kind: 'job' | 'tick' }>): boolean {
    if (this.running || this.tasks.length > 0 || this.closing) return false;
    const batching = this.openBatch();
    try {
      if (task.kind === 'job') this.onJob(task.job);
      else this.retarget(task.now);
    } catch (e) {
      this.warn(`internal error: ${errorText(e)}`);
    }
    if (!this.closed) this.startWork(task.now);
    if (batching) this.flushBatch();
    return true;
  }

  /**
   * The difficulty of the upstream target this miner's shares must meet
   * (with vardiff off the miner follows it; with vardiff on it is ignored).
   */
  setUpstreamDifficulty(difficulty: number, now: number): void {
    this.enqueue({ kind: 'upstream', difficulty, now });
  }

  /**
   * Called from a `difficulty` event: the job to use from now on (the
   * upstream moved the miner to another channel); it goes out with the
   * set_difficulty that is about to be sent instead of the old job.
   */
  adoptJob(job: UpstreamJob): void {
    this.latestJob = job;
  }

  /** Sends mining.ping (numeric id); the answer, in either known shape, is ignored. */
  ping(now: number): void {
    this.enqueue({ kind: 'ping', now });
  }

  /**
   * Moves the miner to a new extranonce (upstream channel reopened). False if
   * the miner never subscribed to extranonce changes: reconnect it instead.
   */
  setExtranonce(extranonce: MinerExtranonce, now: number): boolean {
    if (!this.extranonceSubscribed || !validExtranonce(extranonce)) return false;
    this.enqueue({ kind: 'extranonce', extranonce, now });
    return true;
  }

  /** Asks the miner to reconnect (parameterless client.reconnect), then closes. */
  reconnect(now: number): void {
    this.enqueue({ kind: 'reconnect', now });
  }

  /** The socket ended; keeps the session id resumable from now on. */
  end(now: number): void {
    this.tasks = NO_TASKS;
    this.closing = true;
    this.finish('peer closed', now, false);
  }

  /** Resolves once every queued input has been handled. */
  idle(): Promise<void> {
    if (!this.running && this.tasks.length === 0) return Promise.resolve();
    return new Promise((resolve) => (this.waiters ??= []).push(resolve));
  }

  // ---- state for the translator -------------------------------------------

  get closed(): boolean {
    return this.closedReason !== undefined;
  }
  get closeReason(): string | undefined {
    return this.closedReason;
  }
  get difficulty(): number {
    return this.diff.current;
  }
  /** Device family from the user agent ("unknown" before subscribe). */
  get deviceFamily(): string {
    return this.diff.family;
  }
  get userAgent(): string | undefined {
    return this.agent;
  }
  get sessionId(): string | undefined {
    return this.subscriptionId;
  }
  get minerExtranonce(): MinerExtranonce | undefined {
    return this.extranonce;
  }
  /** The first name authorized on this connection (undefined before any). */
  get firstWorker(): string | undefined {
    const w = this.workers;
    return typeof w === 'object' ? (w.values().next().value as string) : w;
  }
  /** Whether `name` was authorized on this connection. */
  isAuthorized(name: string): boolean {
    const w = this.workers;
    return w === name || (typeof w === 'object' && w.has(name));
  }
  get versionMask(): number {
    return this.grantedMask ?? 0;
  }

  // ---- the queue ----------------------------------------------------------

  private enqueue(task: Task): void {
    if (this.closing) return;
    if (this.tasks.length >= (this.o.maxQueued ?? DEFAULT_MAX_QUEUED)) {
      this.closeAfterQueue('too many queued requests', task.now, true);
      return;
    }
    this.push(task);
    void this.drain();
  }

  private closeAfterQueue(reason: string, now: number, drop = false): void {
    if (drop) this.tasks = NO_TASKS;
    this.push({ kind: 'close', reason, now });
    this.closing = true;
    void this.drain();
  }

  private push(task: Task): void {
    if (this.tasks === NO_TASKS) this.tasks = [task];
    else this.tasks.push(task);
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    // Not opened here when a turn handled at once started this drain: that turn sends its batch.
    const batching = this.openBatch();
    try {
      while (this.tasks.length > 0 && !this.closed) {
        const task = this.tasks.shift()!;
        if (batching) this.batch ??= '';
        try {
          await this.run(task);
        } catch (e) {
          // A bug or a misbehaving upstream must not take the process down.
          this.warn(`internal error: ${errorText(e)}`);
        }
        if (this.tasks.length === 0 && !this.closed) this.startWork(task.now);
        // The miner's next line may wait on the upstream: what was said goes
        // now. Anything else queued (the job the host pushed during an
        // authorize, a tick) never waits, and joins this write.
        const next = this.tasks[0];
        if (batching && (next === undefined || next.kind === 'line')) this.flushBatch();
      }
    } finally {
      this.running = false;
      if (batching) this.flushBatch();
      // An emptied queue keeps the room it grew to: an idle miner (most of
      // them, most of the time) holds none.
      if (this.tasks.length === 0) this.tasks = NO_TASKS;
      const waiters = this.waiters;
      this.waiters = undefined;
      if (waiters !== undefined) for (const w of waiters) w();
    }
  }

  private async run(task: Task): Promise<void> {
    switch (task.kind) {
      case 'line':
        return this.handleLine(task.line, task.now);
      case 'job':
        return this.onJob(task.job);
      case 'tick':
        return this.retarget(task.now);
      case 'upstream':
        return this.setDifficulty(this.diff.upstream(task.difficulty, task.now));
      case 'ping':
        if (this.replied) this.send(serverRequestLine(++this.serverId, 'mining.ping', []));
        return;
      case 'extranonce':
        return this.moveExtranonce(task.extranonce, task.now);
      case 'reconnect':
        this.send(notificationLine('client.reconnect', []));
        return this.finish('reconnect requested', task.now);
      case 'close':
        return this.finish(task.reason, task.now);
    }
  }

  private finish(reason: string, now: number, notify = true): void {
    if (this.closed) return;
    this.closedReason = reason;
    this.closing = true;
    this.tasks = NO_TASKS;
    if (this.subscriptionId && this.extranonce && this.o.resume) {
      this.o.resume.touch(this.subscriptionId, this.extranonce, now);
    }
    // What the turn said before closing (an error reply, client.reconnect) goes first.
    this.flushBatch();
    if (notify) this.o.close(reason);
  }

  /**
   * Sends a reply, or queues it behind replies still held for the upstream's
   * verdict on a share: a miner gets its replies in the order it asked.
   */
  private reply(line: string): void {
    this.replied = true;
    if (this.held.length > 0) this.held.push({ line });
    else this.send(line);
  }

  /** A place in the reply order for an answer that comes later. */
  private holdReply(): HeldReply {
    const slot: HeldReply = { line: undefined };
    if (this.held === NO_HELD) this.held = [slot];
    else this.held.push(slot);
    return slot;
  }

  /** Fills a held place and sends every reply that no longer waits behind an empty one. */
  private releaseReply(slot: HeldReply, line: string): void {
    slot.line = line;
    // A verdict arrives between turns, or while one waits on the upstream:
    // the replies it releases go out now, in one write, after whatever that
    // turn has said so far.
    const open = this.batch !== undefined;
    this.batch ??= '';
    while (this.held.length > 0 && this.held[0]!.line !== undefined) this.send(this.held.shift()!.line!);
    if (this.held.length === 0) this.held = NO_HELD;
    this.flushBatch();
    if (open) this.batch = '';
  }

  /**
   * Starts collecting what a turn sends, so that it leaves in one write: the
   * authorize reply with the first set_difficulty and notify, a vardiff
   * step's set_difficulty with its notify. One write instead of two or three
   * is a system call less each, and a read less for the miner. A turn is a
   * job or tick handled at once, or a queued input with the inputs after it
   * that are not the miner's lines (drain). True if this call opened the
   * batch (and must flush it); a batch already open belongs to the turn that
   * opened it.
   */
  private openBatch(): boolean {
    if (this.batch !== undefined) return false;
    this.batch = '';
    return true;
  }

  private send(line: string): void {
    if (this.batch === undefined) this.o.send(line);
    else this.batch = this.batch === '' ? line : `${this.batch}\n${line}`;
  }

  private flushBatch(): void {
    const text = this.batch;
    this.batch = undefined;
    if (text) this.o.send(text);
  }

  private warn(message: string): void {
    this.o.onEvent?.({ type: 'warning', message });
  }

  // ---- requests -----------------------------------------------------------

  private async handleLine(line: string, now: number): Promise<void> {
    const msg = parseInbound(line);
    if (msg.kind === 'response') return;
    if (msg.kind === 'invalid') {
      this.reply(errorLine(msg.id, msg.reject));
      if (msg.close) return this.finish(msg.reject.message, now);
      return this.countError(now);
    }
    const { id, method, params } = msg;
    try {
      switch (method) {
        case 'mining.configure':
          return await this.configure(id, params, now);
        case 'mining.subscribe':
          return await this.subscribe(id, params, now);
        case 'mining.authorize':
          return await this.authorize(id, params, now);
        case 'mining.suggest_difficulty':
          return this.suggest(id, params[0], now);
        case 'mining.suggest_target':
          return this.suggestTarget(id, params[0], now);
        case 'mining.extranonce.subscribe':
          this.extranonceSubscribed = true;
          return this.reply(resultLine(id, true));
        case 'mining.submit':
          return await this.submit(id, params, now);
        default:
          this.reply(errorLine(id, { code: ERR_OTHER, message: 'Unsupported method' }));
          return;
      }
    } catch (e) {
      this.warn(`${method}: ${errorText(e)}`);
      this.reply(errorLine(id, { code: ERR_OTHER, message: 'Internal error' }));
    }
  }

  private countError(now: number): void {
    if (++this.errors > (this.o.maxErrors ?? DEFAULT_MAX_ERRORS))
      this.finish('too many malformed requests', now);
  }

  private refuse(id: RawId, reject: Sv1Reject, now: number): void {
    this.reply(errorLine(id, reject));
    this.countError(now);
  }

  private async configure(id: RawId, params: unknown[], now: number): Promise<void> {
    const upstreamMask = await this.o.upstream.versionRollingMask();
    const allowed = (upstreamMask & (this.o.versionMask ?? BIP320_MASK)) >>> 0;
    const out = answerConfigure(params, allowed);
    if (!('result' in out)) return this.refuse(id, out, now);
    if (out.versionMask !== undefined) this.grantedMask = out.versionMask;
    if (out.subscribeExtranonce) this.extranonceSubscribed = true;
    this.reply(resultLine(id, out.result));
    if (out.minimumDifficulty !== undefined && out.minimumDifficulty > 0) {
      this.setDifficulty(this.diff.minimum(out.minimumDifficulty, now));
    }
  }

  private async subscribe(id: RawId, params: unknown[], now: number): Promise<void> {
    if (!this.extranonce) {
      const [agent, session] = params;
      if (typeof agent === 'string') this.agent = agent.slice(0, MAX_USER);
      this.setDifficulty(this.diff.identify(this.agent, now));
      const previous =
        typeof session === 'string' && session.length <= 64 ? this.o.resume?.lookup(session, now) : undefined;
      const extranonce = await this.o.upstream.subscribe({
        ...(this.agent !== undefined ? { userAgent: this.agent } : {}),
        ...(previous ? { resume: previous } : {}),
      });
      if (!validExtranonce(extranonce)) {
        this.warn('upstream returned an unusable extranonce');
        return this.reply(errorLine(id, { code: ERR_OTHER, message: 'Internal error' }));
      }
      this.extranonce = extranonce;
      const resumed =
        previous !== undefined &&
        typeof session === 'string' &&
        equalBytes(previous.extranonce1, extranonce.extranonce1) &&
        previous.extranonce2_size === extranonce.extranonce2_size;
      if (resumed) {
        this.subscriptionId = session;
        this.o.resume?.touch(session, extranonce, now);
      } else {
        this.subscriptionId = this.o.resume
          ? this.o.resume.issue(extranonce, now)
          : u32Hex(this.o.epoch ?? 0);
      }
    }
    // A second subscribe gets the same answer (ckpool ignores it; some firmware resends).
    const sid = this.subscriptionId!;
    const en = this.extranonce;
    this.reply(
      resultLine(id, [
        [
          ['mining.set_difficulty', sid],
          ['mining.notify', sid],
        ],
        bytesToHex(en.extranonce1),
        en.extranonce2_size,
      ]),
    );
  }

  private async authorize(id: RawId, params: unknown[], now: number): Promise<void> {
    const [user, password] = params;
    if (typeof user !== 'string' || user.length === 0 || user.length > MAX_USER) {
      return this.reply(rejectLine(id, { code: ERR_UNAUTHORIZED, message: 'Unauthorized worker' }));
    }
    const pass = typeof password === 'string' ? password.slice(0, MAX_USER) : '';
    // d=N: the miner's own pick, used from now on and never undercut by vardiff. Taken before the
    // upstream is asked, so the upstream sees the difficulty the miner will mine at.
    const d = passwordDifficulty(pass);
    if (d !== undefined) this.setDifficulty(this.diff.password(d, now));
    const answer = await this.o.upstream.authorize(user, pass);
    if (!answer.ok) {
      return this.reply(
        rejectLine(id, { code: ERR_UNAUTHORIZED, message: answer.reason || 'Unauthorized worker' }),
      );
    }
    const w = this.workers;
    if (w === undefined) this.workers = user;
    else if (typeof w === 'object') w.add(user);
    else if (w !== user) this.workers = new Set([w, user]);
    this.reply(resultLine(id, true));
  }

  private suggest(id: RawId, value: unknown, now: number): void {
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) {
      return this.refuse(id, { code: ERR_OTHER, message: 'Invalid difficulty' }, now);
    }
    this.reply(resultLine(id, true));
    // NerdMiner repeats its suggestion every 30 s: a repeat changes nothing.
    this.setDifficulty(this.diff.suggest(n, now));
  }

  private suggestTarget(id: RawId, value: unknown, now: number): void {
    if (typeof value !== 'string' || !/^[0-9a-fA-F]{1,64}$/.test(value) || /^0+$/.test(value)) {
      return this.refuse(id, { code: ERR_OTHER, message: 'Invalid target' }, now);
    }
    this.suggest(id, targetToDifficulty(BigInt('0x' + value)), now);
  }

  private async submit(id: RawId, params: unknown[], now: number): Promise<void> {
    const fields = parseSubmitParams(params);
    if (!('worker' in fields)) return this.refuse(id, fields, now);
    const refuse = (reject: Sv1Reject): void => {
      this.reply(rejectLine(id, reject));
      this.o.onEvent?.({ type: 'share', worker: fields.worker, accepted: false, reject });
    };
    if (!this.extranonce) return refuse({ code: ERR_NOT_SUBSCRIBED, message: 'Not subscribed' });
    if (!this.isAuthorized(fields.worker))
      return refuse({ code: ERR_UNAUTHORIZED, message: 'Unauthorized worker' });
    const job = this.book.get(fields.job_id.toLowerCase());
    if (!job) return refuse({ code: ERR_STALE, message: 'Job not found' });
    const check = checkShare(job, fields);
    if (!check.ok) return refuse(check.reject);
    const seen = this.book.remember(job, check.hashHex);
    if (seen === 'duplicate') return refuse({ code: ERR_DUPLICATE, message: 'Duplicate share' });
    if (seen === 'full') return refuse({ code: ERR_OTHER, message: 'Too many shares for job' });
    if (check.meetsUpstream) {
      const answer = this.o.upstream.submit({
        job_id: job.upstream.job_id,
        extranonce: check.extranonce,
        ntime: check.ntime,
        nonce: check.nonce,
        version: check.version,
        hash: check.hash,
        worker: fields.worker,
        block: check.block,
        header: check.header,
        coinbase: check.coinbase,
      });
      if (answer instanceof Promise) {
        // The reply waits for the upstream's verdict (a pool acknowledges a
        // share once stored); the miner's next lines are handled meanwhile,
        // and their replies queue behind this one.
        const slot = this.holdReply();
        const settle = (a: SubmitAnswer): void => {
          if (a && !a.accepted) {
            const reject = { code: a.code, message: a.message };
            this.releaseReply(slot, rejectLine(id, reject));
            this.o.onEvent?.({ type: 'share', worker: fields.worker, accepted: false, reject });
          } else {
            this.releaseReply(slot, resultLine(id, true));
            this.acceptedEvent(fields.worker, job.difficulty, check.shareDifficulty, check.block);
          }
        };
        answer.then(settle, (e: unknown) => {
          this.warn(`mining.submit: ${errorText(e)}`);
          settle({ accepted: false, code: ERR_OTHER, message: 'Internal error' });
        });
        this.diff.share(now);
        this.retarget(now);
        return;
      }
      if (answer && !answer.accepted) return refuse({ code: answer.code, message: answer.message });
    }
    this.reply(resultLine(id, true));
    this.acceptedEvent(fields.worker, job.difficulty, check.shareDifficulty, check.block);
    this.diff.share(now);
    this.retarget(now);
  }

  private acceptedEvent(worker: string, difficulty: number, shareDifficulty: number, block: boolean): void {
    this.o.onEvent?.({ type: 'share', worker, accepted: true, difficulty, shareDifficulty, block });
  }

  // ---- difficulty ---------------------------------------------------------

  private retarget(now: number): void {
    if (this.working) this.setDifficulty(this.diff.retarget(now));
  }

  /**
   * After the difficulty changed (d defined): once work has started, the
   * change goes out at once as set_difficulty followed by a fresh job
   * (firmware applies a new difficulty with the next notify; earlier jobs
   * keep their own).
   */
  private setDifficulty(d: number | undefined): void {
    if (d === undefined) return;
    this.o.onEvent?.({ type: 'difficulty', difficulty: d });
    const job = this.currentJob();
    if (this.working && job && this.announced !== undefined) this.sendJob(job, true, false);
  }

  // ---- work ---------------------------------------------------------------

  private currentJob(): UpstreamJob | undefined {
    return this.latestJob ?? this.o.upstream.currentJob();
  }

  private startWork(now: number): void {
    if (this.working || !this.extranonce || this.workers === undefined) return;
    this.working = true;
    this.diff.restart(now);
    const job = this.currentJob();
    if (job) this.sendJob(job, true, false);
  }

  private onJob(job: UpstreamJob): void {
    this.latestJob = job;
    if (this.working) this.sendJob(job, job.clean_jobs || this.announced === undefined, job.clean_jobs);
  }

  private moveExtranonce(extranonce: MinerExtranonce, now: number): void {
    this.extranonce = extranonce;
    if (this.subscriptionId && this.o.resume) this.o.resume.touch(this.subscriptionId, extranonce, now);
    this.send(
      notificationLine('mining.set_extranonce', [
        bytesToHex(extranonce.extranonce1),
        extranonce.extranonce2_size,
      ]),
    );
    const job = this.currentJob();
    if (this.working && job) this.sendJob(job, true, false);
  }

  /** set_difficulty (if changed), set_version_mask (if changed), then the notify. */
  private sendJob(upstream: UpstreamJob, clean: boolean, retire: boolean): void {
    const extranonce = this.extranonce!;
    if (upstream.merkle_path.length > MAX_MERKLE_BRANCHES) {
      this.warn(
        `job ${upstream.job_id} has ${upstream.merkle_path.length} merkle branches; some firmware rejects it`,
      );
    }
    let built: { job: SentJob; line: string };
    try {
      built = this.book.add(upstream, {
        difficulty: this.diff.current,
        versionMask: this.grantedMask ?? 0,
        extranonce,
        clean_jobs: clean,
        retire,
      });
    } catch (e) {
      this.warn(`unusable upstream job ${upstream.job_id}: ${errorText(e)}`);
      return;
    }
    const notify = built.line;
    const maxNotifyBytes = this.o.maxNotifyBytes ?? DEFAULT_MAX_NOTIFY_BYTES;
    if (notify.length > maxNotifyBytes) {
      this.book.drop(built.job.id);
      this.warn(
        `mining.notify of ${notify.length} bytes exceeds ${maxNotifyBytes}; job ${upstream.job_id} not sent`,
      );
      return;
    }
    if (this.announced !== this.diff.current) {
      this.send(notificationLine('mining.set_difficulty', [this.diff.current]));
      this.announced = this.diff.current;
    }
    if (this.grantedMask !== undefined && this.grantedMask !== 0) {
      const mask = built.job.versionMask;
      if (mask !== (this.maskSent ?? this.grantedMask)) {
        this.send(notificationLine('mining.set_version_mask', [u32Hex(mask)]));
      }
      this.maskSent = mask;
    }
    this.send(notify);
  }
}
