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
 * on) keeps only the send before it, for the shares already on their way:
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

  constructor(
    readonly counter: number,
    readonly upstream: UpstreamJob,
    readonly difficulty: number,
    readonly versionMask: number,
    readonly extranonce: MinerExtranonce,
  ) {}
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
 * The same upstream work, ntime aside: the same job, or a keepalive copy of
 * it (made by spreading the job, so it shares the job's parts).
 */
function sameWork(a: UpstreamJob, b: UpstreamJob): boolean {
  return (
    a === b ||
    (a.job_id === b.job_id &&
      a.prev_hash === b.prev_hash &&
      a.coinbase_tx_prefix === b.coinbase_tx_prefix &&
      a.coinbase_tx_suffix === b.coinbase_tx_suffix &&
      a.merkle_path === b.merkle_path &&
      a.version === b.version)
  );
}

/** Shared by every book until its first job (never written to). */
const NO_JOBS: Entry[] = [];

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
   * Jobs in the order they were sent, oldest first, at most maxJobs: an
   * array, not a map, since a miner has a few and its shares name the newest
   * (an idle miner's one job costs no hash table).
   */
  private jobs: Entry[] = NO_JOBS;
  /**
   * Where the jobs sent since the last new prev hash begin. The jobs before
   * it belong to the previous tip: stale, and forgotten at the next retire.
   */
  private freshFrom = 0;
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
      if (this.freshFrom > 0) this.jobs.splice(0, this.freshFrom);
      // Stale shares are refused before the duplicate check: the memory can go.
      for (const job of this.jobs) job.seen = undefined;
      this.freshFrom = this.jobs.length;
    }
    const t = notifyTemplate(upstream);
    const mask = upstream.version_rolling_allowed ? s.versionMask >>> 0 : 0;
    const entry = new Entry(++this.counter, upstream, s.difficulty, mask, s.extranonce);
    if (this.jobs === NO_JOBS) this.jobs = [entry];
    else {
      const n = this.jobs.length;
      if (
        n >= 2 &&
        sameWork(this.jobs[n - 1]!.upstream, upstream) &&
        sameWork(this.jobs[n - 2]!.upstream, upstream)
      ) {
        this.jobs.splice(n - 2, 1);
        if (n - 2 < this.freshFrom) this.freshFrom--;
      }
      this.jobs.push(entry);
    }
    if (this.jobs.length > this.maxJobs) {
      this.jobs.shift();
      if (this.freshFrom > 0) this.freshFrom--;
    }
    const job = this.view(this.jobs.length - 1);
    return { job, line: notifyLine(t, job.id, job.version, s.clean_jobs) };
  }

  /** Forgets a job that was built but could not be sent. */
  drop(id: string): void {
    const at = this.indexOf(id);
    if (at < 0) return;
    this.jobs.splice(at, 1);
    if (at < this.freshFrom) this.freshFrom--;
  }

  /** A remembered job by id. */
  get(id: string): SentJob | undefined {
    const at = this.indexOf(id);
    return at < 0 ? undefined : this.view(at);
  }

  get size(): number {
    return this.jobs.length;
  }

  /**
   * Remembers an accepted share's header hash; false if it was seen before.
   * A job whose memory is full takes no more shares (the caller rejects).
   */
  remember(job: SentJob, hashHex: string): 'new' | 'duplicate' | 'full' {
    const entry = this.jobs[this.indexOf(job.id)];
    if (entry === undefined) return 'new';
    const seen = (entry.seen ??= new Set());
    if (seen.has(hashHex)) return 'duplicate';
    if (seen.size >= this.maxSharesPerJob) return 'full';
    seen.add(hashHex);
    return 'new';
  }

  /** Share hashes remembered for a job's duplicate check (0 for a stale or unknown job). */
  remembered(id: string): number {
    return this.jobs[this.indexOf(id)]?.seen?.size ?? 0;
  }

  /** Where the job with this id is in the book, newest first; -1 if it is not there. */
  private indexOf(id: string): number {
    if (id.length <= this.prefix.length || id.length > this.prefix.length + 13 || !id.startsWith(this.prefix))
      return -1;
    const digits = id.slice(this.prefix.length);
    // The id as it was sent: lowercase hex without leading zeros.
    if (!/^[1-9a-f][0-9a-f]*$/.test(digits)) return -1;
    const counter = parseInt(digits, 16);
    for (let i = this.jobs.length - 1; i >= 0; i--) if (this.jobs[i]!.counter === counter) return i;
    return -1;
  }

  /** The job at `at` as shares are judged against it. */
  private view(at: number): SentJob {
    const e = this.jobs[at]!;
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
      stale: at < this.freshFrom,
    };
  }
}
