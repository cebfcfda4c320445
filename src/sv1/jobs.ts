// The jobs sent on one connection. Each remembers everything a later share
// is judged by — the difficulty, version mask and extranonce in force when it
// was sent — so a vardiff step or a new extranonce never turns in-flight
// shares into rejects. Job ids are lowercase hex: a connection epoch and a
// counter that only grows, so an id is never reused on a connection.
import { difficultyToTarget } from '../bitcoin/index.js';
import type { MinerExtranonce, UpstreamJob } from './upstream.js';
import { notifyLine, notifyTemplate } from './notify.js';

/**
 * Jobs older than this many sends are forgotten ("Job not found"), and so are
 * the jobs of every tip before the previous one: a share on the previous
 * tip's jobs is answered "Stale", one on an older tip's "Job not found" (the
 * same code 21), so a miner's book stays the size of two tips' jobs however
 * long it mines. A job sent again for the same upstream work (a new
 * difficulty, extranonce or version mask, or a keepalive with ntime moved
 * on; the same template on another upstream channel counts as the same
 * work) keeps only the send before it, for the shares already on their way:
 * an idle miner whose difficulty falls step by step until its first share,
 * or that gets a keepalive every half minute, holds two jobs, not one per
 * send.
 */
export const DEFAULT_MAX_JOBS = 32;
/** Distinct shares remembered per job for duplicate detection. */
export const DEFAULT_MAX_SHARES_PER_JOB = 65536;

/** A job as a share is judged against it (built on lookup: the book keeps less, see Entry). */
export interface SentJob {
  id: string;
  upstream: UpstreamJob;
  /** Version as sent: upstream version with the mask bits cleared. */
  version: number;
  /** Version bits the miner may roll on this job. */
  versionMask: number;
  difficulty: number;
  target: bigint;
  networkTarget: bigint;
  coinb1: Uint8Array;
  coinb2: Uint8Array;
  extranonce: MinerExtranonce;
  /** A later job brought a new prev hash. */
  stale: boolean;
}

/**
 * What the book keeps of a sent job: only what cannot be worked out again
 * from its upstream job. The id is the counter (the prefix is the book's),
 * the coinbase parts and network target are the upstream job's shared
 * notify template, the share target comes from the shared table, and
 * staleness is the entry's place in the book. A miner holds up to maxJobs
 * of these for as long as it is connected, so each field is per miner.
 */
class Entry {
  /** Header hashes (hex) of shares already accepted for this job (made at the first share). */
  seen: Set<string> | undefined = undefined;
  /** The job sent before this one, while the book holds it. */
  older: Entry | undefined = undefined;

  constructor(
    public counter: number,
    public upstream: UpstreamJob,
    public difficulty: number,
    public versionMask: number,
    public extranonce: MinerExtranonce,
  ) {}

  /** This entry, just dropped from its book, now records a new send (see JobBook.add). */
  record(
    counter: number,
    upstream: UpstreamJob,
    difficulty: number,
    versionMask: number,
    extranonce: MinerExtranonce,
  ): this {
    this.counter = counter;
    this.upstream = upstream;
    this.difficulty = difficulty;
    this.versionMask = versionMask;
    this.extranonce = extranonce;
    this.seen = undefined;
    this.older = undefined;
    return this;
  }
}

/**
 * Share targets by difficulty, shared by every book: miners mostly sit on a
 * few difficulties, and a target is a heap bigint per miner otherwise.
 * Bounded: emptied when it holds TARGETS_CACHED.
 */
const targets = new Map<number, bigint>();
const TARGETS_CACHED = 256;

function shareTarget(difficulty: number): bigint {
  let target = targets.get(difficulty);
  if (target === undefined) {
    if (targets.size >= TARGETS_CACHED) targets.clear();
    target = difficultyToTarget(difficulty);
    targets.set(difficulty, target);
  }
  return target;
}

/**
 * The same upstream work, ntime aside: the same job, a keepalive copy of it
 * (made by spreading the job, so it shares the job's parts), or another
 * upstream channel's job for the same template (a difficulty step that moves
 * the miner to another channel).
 */
function sameWork(a: UpstreamJob, b: UpstreamJob): boolean {
  return (
    a === b ||
    (a.work !== undefined && a.work === b.work) ||
    (a.job_id === b.job_id &&
      a.prev_hash === b.prev_hash &&
      a.coinbase_tx_prefix === b.coinbase_tx_prefix &&
      a.coinbase_tx_suffix === b.coinbase_tx_suffix &&
      a.merkle_path === b.merkle_path &&
      a.version === b.version)
  );
}

export interface JobSettings {
  difficulty: number;
  versionMask: number;
  extranonce: MinerExtranonce;
  /** The clean_jobs flag on the wire (also set for a difficulty or extranonce change). */
  clean_jobs: boolean;
  /** A new prev hash: every job sent before this one turns stale. */
  retire: boolean;
}

export class JobBook {
  /**
   * The newest job, each linking to the one sent before it, at most maxJobs:
   * a list, not an array or a map, since a miner has a few, its shares name
   * the newest, and a list costs nothing beyond its entries.
   */
  private newest: Entry | undefined;
  private count = 0;
  /**
   * How many of the newest jobs were sent since the last new prev hash. The
   * ones after them belong to the previous tip: stale, and forgotten at the
   * next retire.
   */
  private fresh = 0;
  private counter = 0;
  private readonly prefix: string;

  constructor(
    epoch: number,
    readonly maxJobs = DEFAULT_MAX_JOBS,
    readonly maxSharesPerJob = DEFAULT_MAX_SHARES_PER_JOB,
  ) {
    this.prefix = (epoch & 0xffff).toString(16).padStart(4, '0');
  }

  /** Records a job about to be sent and returns it with its mining.notify line. */
  add(upstream: UpstreamJob, s: JobSettings): { job: SentJob; line: string } {
    if (s.retire) {
      this.keep(this.fresh);
      // Stale shares are refused before the duplicate check: the memory can go.
      for (let e = this.newest; e !== undefined; e = e.older) e.seen = undefined;
      this.fresh = 0;
    }
    const t = notifyTemplate(upstream);
    const mask = upstream.version_rolling_allowed ? s.versionMask >>> 0 : 0;
    const last = this.newest;
    let entry: Entry;
    if (
      last?.older !== undefined &&
      sameWork(last.upstream, upstream) &&
      sameWork(last.older.upstream, upstream)
    ) {
      // The send before last goes, and its entry records this send: an idle
      // miner stepping its difficulty down every few seconds allocates no
      // entry per step (each would live until the step after next, and die
      // in the old generation).
      const dropped = last.older;
      last.older = dropped.older;
      this.count--;
      if (this.fresh > 1) this.fresh--;
      entry = dropped.record(++this.counter, upstream, s.difficulty, mask, s.extranonce);
    } else {
      entry = new Entry(++this.counter, upstream, s.difficulty, mask, s.extranonce);
    }
    entry.older = last;
    this.newest = entry;
    this.count++;
    this.fresh++;
    if (this.count > this.maxJobs) this.keep(this.maxJobs);
    const job = this.view(entry, 0);
    return { job, line: notifyLine(t, job.id, job.version, s.clean_jobs) };
  }

  /** Forgets a job that was built but could not be sent. */
  drop(id: string): void {
    const f = this.find(id);
    if (f === undefined) return;
    if (f.newer === undefined) this.newest = f.entry.older;
    else f.newer.older = f.entry.older;
    this.count--;
    if (f.at < this.fresh) this.fresh--;
  }

  /** A remembered job by id. */
  get(id: string): SentJob | undefined {
    const f = this.find(id);
    return f === undefined ? undefined : this.view(f.entry, f.at);
  }

  get size(): number {
    return this.count;
  }

  /**
   * Remembers an accepted share's header hash; false if it was seen before.
   * A job whose memory is full takes no more shares (the caller rejects).
   */
  remember(job: SentJob, hashHex: string): 'new' | 'duplicate' | 'full' {
    const entry = this.find(job.id)?.entry;
    if (entry === undefined) return 'new';
    const seen = (entry.seen ??= new Set());
    if (seen.has(hashHex)) return 'duplicate';
    if (seen.size >= this.maxSharesPerJob) return 'full';
    seen.add(hashHex);
    return 'new';
  }

  /** Share hashes remembered for a job's duplicate check (0 for a stale or unknown job). */
  remembered(id: string): number {
    return this.find(id)?.entry.seen?.size ?? 0;
  }

  /** The job with this id: its entry, the entry sent after it (none for the newest) and its place, newest first. */
  private find(id: string): { entry: Entry; newer: Entry | undefined; at: number } | undefined {
    const counter = this.counterOf(id);
    let newer: Entry | undefined;
    let at = 0;
    for (let e = this.newest; e !== undefined; newer = e, e = e.older, at++)
      if (e.counter === counter) return { entry: e, newer, at };
    return undefined;
  }

  /** The counter an id was made from; -1 for an id this book never sent. */
  private counterOf(id: string): number {
    const p = this.prefix.length;
    if (id.length <= p || id.length > p + 13 || !id.startsWith(this.prefix)) return -1;
    const digits = id.slice(p);
    // The id as it was sent: lowercase hex without leading zeros.
    return /^[1-9a-f][0-9a-f]*$/.test(digits) ? parseInt(digits, 16) : -1;
  }

  /** Keeps the newest `n` jobs and forgets the rest. */
  private keep(n: number): void {
    if (n <= 0) {
      this.newest = undefined;
      this.count = 0;
    } else {
      let e = this.newest;
      for (let i = 1; i < n && e !== undefined; i++) e = e.older;
      if (e !== undefined) e.older = undefined;
      this.count = Math.min(this.count, n);
    }
    this.fresh = Math.min(this.fresh, n);
  }

  /** A job as shares are judged against it; `at` is its place, newest first. */
  private view(e: Entry, at: number): SentJob {
    const t = notifyTemplate(e.upstream);
    return {
      id: this.prefix + e.counter.toString(16),
      upstream: e.upstream,
      version: (e.upstream.version & ~e.versionMask) >>> 0,
      versionMask: e.versionMask,
      difficulty: e.difficulty,
      target: shareTarget(e.difficulty),
      networkTarget: t.networkTarget,
      coinb1: t.coinb1,
      coinb2: t.coinb2,
      extranonce: e.extranonce,
      stale: at >= this.fresh,
    };
  }
}
