// Shared pieces of the SV1 tests: a scripted upstream, a synthetic job, a
// session harness that records every line, and a miner-side header rebuild
// written from the SV1 rules (not from src/sv1) to cross-check the session.
import { foldMerklePath, hashMeetsTarget, sha256, sha256d, U256_MAX } from '../../src/bitcoin/index.js';
import {
  Sv1Session,
  type AuthorizeAnswer,
  type MinerExtranonce,
  type SessionEvent,
  type SessionOptions,
  type SubmitAnswer,
  type SubscribeRequest,
  type Upstream,
  type UpstreamJob,
  type UpstreamShare,
} from '../../src/sv1/index.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

export const EXTRANONCE: MinerExtranonce = {
  // Upstream extranonce_prefix 0000abcd, then the translator's per-miner 0102.
  extranonce1: hex('0000abcd0102'),
  extranonce2_size: 4,
  upstream_prefix_length: 4,
};

/** A legacy (stripped) coinbase split around a 10-byte extranonce, with two merkle branches. */
export function makeJob(overrides: Partial<UpstreamJob> = {}): UpstreamJob {
  return {
    job_id: 7,
    version: 0x20000000,
    version_rolling_allowed: true,
    coinbase_tx_prefix: hex(
      '02000000010000000000000000000000000000000000000000000000000000000000000000ffffffff0e03a08601',
    ),
    coinbase_tx_suffix: hex(
      'ffffffff0100f2052a01000000160014000102030405060708090a0b0c0d0e0f1011121300000000',
    ),
    merkle_path: [sha256(Uint8Array.of(1)), sha256(Uint8Array.of(2))],
    prev_hash: Uint8Array.from([...sha256(Uint8Array.of(3)).subarray(0, 28), 0, 0, 0, 0]),
    nbits: 0x1d00ffff,
    ntime: 0x66000000,
    clean_jobs: true,
    upstream_target: U256_MAX,
    ...overrides,
  };
}

/** An upstream whose answers the test scripts; records what the session asked. */
export class FakeUpstream implements Upstream {
  mask = 0x1fffffe0;
  job: UpstreamJob | undefined = makeJob();
  extranonce: MinerExtranonce = EXTRANONCE;
  honourResume = true;
  authorizeAnswer: AuthorizeAnswer = { ok: true };
  /** A promise here is a verdict that comes later (as a pool's acknowledgement does). */
  submitAnswer: SubmitAnswer | Promise<SubmitAnswer> = undefined;
  subscribes: SubscribeRequest[] = [];
  authorizes: [string, string][] = [];
  shares: UpstreamShare[] = [];
  /** When set, subscribe waits for release(). */
  gate: Promise<void> | undefined;

  subscribe(request: SubscribeRequest): MinerExtranonce | Promise<MinerExtranonce> {
    this.subscribes.push(request);
    const answer = request.resume && this.honourResume ? request.resume : this.extranonce;
    return this.gate ? this.gate.then(() => answer) : answer;
  }
  authorize(user: string, password: string): AuthorizeAnswer {
    this.authorizes.push([user, password]);
    return this.authorizeAnswer;
  }
  versionRollingMask(): number {
    return this.mask;
  }
  currentJob(): UpstreamJob | undefined {
    return this.job;
  }
  submit(share: UpstreamShare): SubmitAnswer | Promise<SubmitAnswer> {
    this.shares.push(share);
    return this.submitAnswer;
  }
}

export interface Harness {
  session: Sv1Session;
  upstream: FakeUpstream;
  out: string[];
  events: SessionEvent[];
  closed: string[];
  /** Sends lines (each gets '\n') in one read and waits until the session is idle; returns the new output. */
  feed(lines: string[], now?: number): Promise<string[]>;
  /** Output lines not yet returned by feed()/take(). */
  take(): string[];
}

export function harness(options: Partial<SessionOptions> = {}, upstream = new FakeUpstream()): Harness {
  const out: string[] = [];
  const events: SessionEvent[] = [];
  const closed: string[] = [];
  let read = 0;
  const session = new Sv1Session(
    {
      upstream,
      // One send may carry several lines (one write): the tests read lines.
      send: (text) => out.push(...text.split('\n')),
      close: (r) => closed.push(r),
      onEvent: (e) => events.push(e),
      epoch: 0x1234,
      vardiff: {},
      ...options,
    },
    0,
  );
  const take = (): string[] => {
    const fresh = out.slice(read);
    read = out.length;
    return fresh;
  };
  return {
    session,
    upstream,
    out,
    events,
    closed,
    take,
    async feed(lines, now = 0) {
      session.receive(lines.map((l) => l + '\n').join(''), now);
      await session.idle();
      return take();
    },
  };
}

// ---- expected lines, written independently of src/sv1/envelope.ts ----------

export const ok = (id: number | string, result: unknown = true): string =>
  JSON.stringify({ id, result, error: null });

export const setDifficulty = (d: number): string =>
  JSON.stringify({ id: null, method: 'mining.set_difficulty', params: [d] });

const be32 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

/** mining.notify text for `job` as SV1 prints it, version mask bits cleared. */
export function notifyLine(jobId: string, job: UpstreamJob, clean: boolean, mask = 0): string {
  const prev = Buffer.from(job.prev_hash).swap32().toString('hex');
  const version = job.version_rolling_allowed ? job.version & ~mask : job.version;
  const params = [
    jobId,
    prev,
    Buffer.from(job.coinbase_tx_prefix).toString('hex'),
    Buffer.from(job.coinbase_tx_suffix).toString('hex'),
    job.merkle_path.map((b) => Buffer.from(b).toString('hex')),
    be32(version),
    be32(job.nbits),
    be32(job.ntime),
    clean,
  ];
  return JSON.stringify({ id: null, method: 'mining.notify', params });
}

/** The subscribe result as firmware parses it. */
export function subscribeResult(id: number | string, sid: string, en: MinerExtranonce = EXTRANONCE): string {
  return ok(id, [
    [
      ['mining.set_difficulty', sid],
      ['mining.notify', sid],
    ],
    Buffer.from(en.extranonce1).toString('hex'),
    en.extranonce2_size,
  ]);
}

// ---- the miner's side ---------------------------------------------------------

export interface Notify {
  job_id: string;
  prevhash: string;
  coinb1: string;
  coinb2: string;
  branches: string[];
  version: string;
  nbits: string;
  ntime: string;
}

export function parseNotify(line: string): Notify {
  const p = (JSON.parse(line) as { params: unknown[] }).params as [
    string,
    string,
    string,
    string,
    string[],
    string,
    string,
    string,
  ];
  return {
    job_id: p[0],
    prevhash: p[1],
    coinb1: p[2],
    coinb2: p[3],
    branches: p[4],
    version: p[5],
    nbits: p[6],
    ntime: p[7],
  };
}

/**
 * The 80-byte header a miner hashes, from the notify strings alone: coinbase
 * from the hex halves, merkle root from the branches, words of the prevhash
 * swapped back, 32-bit fields little-endian. `rolled` is the full version.
 */
export function minerHeader(
  n: Notify,
  en1: string,
  en2: string,
  ntime: number,
  nonce: number,
  rolled?: number,
): Buffer {
  const coinbase = Buffer.from(n.coinb1 + en1 + en2 + n.coinb2, 'hex');
  const root = foldMerklePath(
    sha256d(coinbase),
    n.branches.map((b) => Uint8Array.from(Buffer.from(b, 'hex'))),
  );
  const header = Buffer.alloc(80);
  header.writeUInt32LE(rolled ?? parseInt(n.version, 16), 0);
  Buffer.from(n.prevhash, 'hex').swap32().copy(header, 4);
  Buffer.from(root).copy(header, 36);
  header.writeUInt32LE(ntime, 68);
  header.writeUInt32LE(parseInt(n.nbits, 16), 72);
  header.writeUInt32LE(nonce, 76);
  return header;
}

/** First nonce from `start` whose header meets `target` (and, if given, misses `harder`). */
export function findNonce(
  header: Buffer,
  target: bigint,
  harder?: bigint,
  start = 0,
  limit = 1 << 24,
): number {
  for (let nonce = start; nonce < start + limit; nonce++) {
    header.writeUInt32LE(nonce >>> 0, 76);
    const h = sha256d(header);
    if (hashMeetsTarget(h, target) && (harder === undefined || !hashMeetsTarget(h, harder)))
      return nonce >>> 0;
  }
  throw new Error('no nonce found within the limit');
}
