// The search over one nonce range of one piece of work: nonces first, then
// the next rolled version when the range is used up, with nTime following the
// clock. Pure (the caller passes the time), so tests drive it directly and the
// worker thread only adds the message loop around it.
import { HeaderHasher, targetWords } from './sha256.js';
import { rolledVersion, versionCount } from './version-roll.js';

export const NONCE_SPACE = 2 ** 32;

/** What a worker mines: one header plus the rules for changing it. */
export interface Work {
  /** Identifies the work in share reports. */
  id: number;
  /** Serialized header with the job's version, nbits and merkle root; time and nonce are replaced. */
  header: Uint8Array;
  /** Shares must hash to at most this (32 bytes, little-endian). */
  target: Uint8Array;
  /** Version bits that may be rolled; 0 keeps the job's version. */
  versionMask: number;
  /** nTime to start from. */
  ntimeBase: number;
  /** Wall-clock ms at which ntimeBase was current: nTime = base + whole seconds since then. */
  ntimeAnchorMs: number;
}

export interface FoundShare {
  workId: number;
  nonce: number;
  ntime: number;
  version: number;
}

export interface StepResult {
  hashes: number;
  shares: FoundShare[];
  /** Nothing left to try until the clock moves nTime on. */
  exhausted: boolean;
}

export class RangeSearch {
  readonly #hasher = new HeaderHasher();
  readonly #work: Work;
  readonly #start: number;
  readonly #end: number;
  readonly #jobVersion: number;
  readonly #versions: number;
  #target: Uint32Array;
  #nonce: number;
  #versionCounter = 0;
  #version: number;
  #ntime: number;

  constructor(work: Work, nonceStart = 0, nonceEnd = NONCE_SPACE) {
    if (!(nonceStart >= 0 && nonceStart < nonceEnd && nonceEnd <= NONCE_SPACE))
      throw new RangeError(`bad nonce range [${nonceStart}, ${nonceEnd})`);
    this.#work = work;
    this.#start = nonceStart;
    this.#end = nonceEnd;
    this.#nonce = nonceStart;
    this.#hasher.setHeader(work.header);
    this.#jobVersion = new DataView(work.header.buffer, work.header.byteOffset, 80).getUint32(0, true);
    this.#version = this.#jobVersion;
    this.#versions = work.versionMask === 0 ? 1 : versionCount(work.versionMask);
    this.#target = targetWords(work.target);
    this.#ntime = work.ntimeBase;
    this.#hasher.setNtime(this.#ntime);
  }

  get version(): number {
    return this.#version;
  }

  get nonce(): number {
    return this.#nonce;
  }

  /** A new share target for the same work; the search carries on where it was. */
  setTarget(target: Uint8Array): void {
    this.#target = targetWords(target);
  }

  /** Hashes up to `maxHashes` nonces at wall-clock time `nowMs`. */
  step(maxHashes: number, nowMs: number): StepResult {
    const w = this.#work;
    const clock = w.ntimeBase + Math.max(0, Math.floor((nowMs - w.ntimeAnchorMs) / 1000));
    if (this.#nonce >= this.#end && !this.#nextPass(clock)) return { hashes: 0, shares: [], exhausted: true };
    if (clock > this.#ntime) {
      this.#ntime = clock >>> 0;
      this.#hasher.setNtime(this.#ntime);
    }
    const h = this.#hasher;
    const t = this.#target;
    const from = this.#nonce;
    const to = Math.min(this.#end, from + maxHashes);
    const shares: FoundShare[] = [];
    for (let n = from; n < to; n++) {
      h.hashNonce(n);
      if (h.meets(t)) shares.push({ workId: w.id, nonce: n, ntime: this.#ntime, version: this.#version });
    }
    this.#nonce = to;
    return { hashes: to - from, shares, exhausted: false };
  }

  /** Starts the range again with a new version, or with a later nTime once the clock allows. */
  #nextPass(clock: number): boolean {
    if (this.#versionCounter + 1 < this.#versions) {
      this.#versionCounter++;
    } else if (clock > this.#ntime) {
      // Every (version, nonce) was tried with nTimes up to the current one;
      // a later nTime makes them all new work again.
      this.#versionCounter = 0;
    } else {
      return false;
    }
    this.#version = rolledVersion(this.#jobVersion, this.#work.versionMask, this.#versionCounter);
    this.#hasher.setVersion(this.#version);
    this.#nonce = this.#start;
    return true;
  }
}
