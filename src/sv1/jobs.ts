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
 * long it mines.
 */
export const DEFAULT_MAX_JOBS = 32;
/** Distinct shares remembered per job for duplicate detection. */
export const DEFAULT_MAX_SHARES_PER_JOB = 65536;

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
  /** Set when a later job brought a new prev hash. */
  stale: boolean;
  /** Header hashes (hex) of shares already accepted for this job (made at the first share). */
  seen: Set<string> | undefined;
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

/** Shared by every book until its first job (never written to). */
const NO_JOBS: SentJob[] = [];

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
  private jobs: SentJob[] = NO_JOBS;
  /**
   * Where the jobs sent since the last new prev hash begin: the only ones a
   * retire has to mark. The jobs before it belong to the previous tip and a
   * retire forgets them.
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
      for (const job of this.jobs) this.retire(job);
      this.freshFrom = this.jobs.length;
    }
    const t = notifyTemplate(upstream);
    const mask = upstream.version_rolling_allowed ? s.versionMask >>> 0 : 0;
    this.counter++;
    const job: SentJob = {
      id: this.prefix + this.counter.toString(16),
      upstream,
      version: (upstream.version & ~mask) >>> 0,
      versionMask: mask,
      difficulty: s.difficulty,
      target: shareTarget(s.difficulty),
      networkTarget: t.networkTarget,
      coinb1: t.coinb1,
      coinb2: t.coinb2,
      extranonce: s.extranonce,
      stale: false,
      seen: undefined,
    };
    if (this.jobs === NO_JOBS) this.jobs = [job];
    else this.jobs.push(job);
    if (this.jobs.length > this.maxJobs) {
      this.jobs.shift();
      if (this.freshFrom > 0) this.freshFrom--;
    }
    return { job, line: notifyLine(t, job.id, job.version, s.clean_jobs) };
  }

  /** Forgets a job that was built but could not be sent. */
  drop(id: string): void {
    const at = this.jobs.findIndex((j) => j.id === id);
    if (at < 0) return;
    this.jobs.splice(at, 1);
    if (at < this.freshFrom) this.freshFrom--;
  }

  /** A remembered job by id; the newest are looked at first. */
  get(id: string): SentJob | undefined {
    for (let i = this.jobs.length - 1; i >= 0; i--) {
      const job = this.jobs[i]!;
      if (job.id === id) return job;
    }
    return undefined;
  }

  get size(): number {
    return this.jobs.length;
  }

  /**
   * Remembers an accepted share's header hash; false if it was seen before.
   * A job whose memory is full takes no more shares (the caller rejects).
   */
  remember(job: SentJob, hashHex: string): 'new' | 'duplicate' | 'full' {
    const seen = (job.seen ??= new Set());
    if (seen.has(hashHex)) return 'duplicate';
    if (seen.size >= this.maxSharesPerJob) return 'full';
    seen.add(hashHex);
    return 'new';
  }

  private retire(job: SentJob): void {
    job.stale = true;
    // Stale shares are refused before the duplicate check: the memory can go.
    job.seen = undefined;
  }
}
