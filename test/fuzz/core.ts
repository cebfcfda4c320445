// The fuzzing engine: a seeded PRNG, byte mutators, and a bounded runner that
// replays a target's corpus, then alternates mutated and structurally
// generated inputs, counting uncaught exceptions and slow inputs and saving
// each new one as a corpus file. Targets live in targets.ts; the CLI in run.ts.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { concatBytes as concat } from '../../src/bitcoin/bytes.js';

/** xorshift128 seeded through splitmix32: small, fast, reproducible from one integer. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next() | 1;
  }

  u32(): number {
    const t = this.a ^ (this.a << 11);
    this.a = this.b;
    this.b = this.c;
    this.c = this.d;
    this.d = (this.d ^ (this.d >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    return this.d;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.u32() / 0x100000000) * n);
  }
  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
  /** Small sizes most of the time, occasionally up to `max`. */
  size(max: number): number {
    const r = this.int(10);
    if (r < 6) return this.int(Math.min(max, 16) + 1);
    if (r < 9) return this.int(Math.min(max, 256) + 1);
    return this.int(max + 1);
  }
}

export const INTERESTING: readonly number[] = [
  0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0xffffff, 0x1000000, 0x7fffffff,
  0x80000000, 0xffffffff, 16, 32, 64, 100, 255, 256, 1000, 1024, 4096, 65535, 65519, 65520,
];

const enc = new TextEncoder();

export function utf8(s: string): Uint8Array {
  return enc.encode(s);
}

/** A JSON number (or any JSON text) kept verbatim by stringifyRaw, e.g. 1e400 or 20-digit integers. */
export function rawJson(text: string): string {
  return `\u0001raw:${text}\u0001`;
}

/** JSON.stringify, with rawJson markers replaced by their text. */
export function stringifyRaw(value: unknown): string {
  return JSON.stringify(value).replace(/"\\u0001raw:(.*?)\\u0001"/g, '$1');
}

function writeLE(out: Uint8Array, at: number, value: number, bytes: number, bigEndian: boolean): void {
  for (let i = 0; i < bytes && at + i < out.length; i++) {
    const shift = bigEndian ? (bytes - 1 - i) * 8 : i * 8;
    out[at + i] = shift >= 32 ? 0 : (value / 2 ** shift) & 0xff;
  }
}

/**
 * One to four stacked mutations of `input`: bit flips, byte sets, inserts,
 * deletes, duplicated ranges, splices from another corpus entry, interesting
 * integers (LE and BE), length-field tweaks, dictionary tokens, truncation.
 */
export function mutate(
  rng: Rng,
  input: Uint8Array,
  pool: readonly Uint8Array[],
  dictionary: readonly Uint8Array[],
  maxLength: number,
): Uint8Array {
  let data: Uint8Array = Uint8Array.from(input);
  const rounds = 1 + rng.int(4);
  for (let r = 0; r < rounds; r++) {
    const at = rng.int(data.length + 1);
    switch (rng.int(12)) {
      case 0: // bit flip
        if (data.length > 0) data[rng.int(data.length)]! ^= 1 << rng.int(8);
        break;
      case 1: // random byte
        if (data.length > 0) data[rng.int(data.length)] = rng.int(256);
        break;
      case 2: // insert random bytes
        data = concat(data.subarray(0, at), rng.bytes(1 + rng.size(32)), data.subarray(at));
        break;
      case 3: {
        // delete a range
        const n = 1 + rng.size(Math.max(1, data.length - at));
        data = concat(data.subarray(0, at), data.subarray(Math.min(data.length, at + n)));
        break;
      }
      case 4: {
        // duplicate a range
        const n = rng.size(Math.max(0, data.length - at));
        const piece = data.slice(at, at + n);
        data = concat(data.subarray(0, at), piece, piece, data.subarray(at + n));
        break;
      }
      case 5: {
        // splice: a range of another corpus entry replaces our tail, or goes in the middle
        const other = pool.length > 0 ? rng.pick(pool) : data;
        const from = rng.int(other.length + 1);
        const piece = other.subarray(from, from + rng.size(Math.max(0, other.length - from)));
        data = rng.chance(0.5)
          ? concat(data.subarray(0, at), piece)
          : concat(data.subarray(0, at), piece, data.subarray(at));
        break;
      }
      case 6:
      case 7: {
        // interesting integer, 1/2/3/4 bytes, either byte order
        if (data.length === 0) break;
        const width = rng.pick([1, 2, 3, 4]);
        const v = rng.pick(INTERESTING) + (rng.chance(0.3) ? rng.int(3) - 1 : 0);
        writeLE(data, rng.int(data.length), v >>> 0, width, rng.chance(0.2));
        break;
      }
      case 8: {
        // length-field tweak: write a length near the remaining size at some offset
        if (data.length === 0) break;
        const pos = rng.int(data.length);
        const width = rng.pick([1, 2, 3, 4]);
        const rest = data.length - pos - width;
        const v = Math.max(0, rest + rng.pick([-1, 0, 1, 2, -2, 16, -16, 1000, 0x10000]));
        writeLE(data, pos, v, width, false);
        break;
      }
      case 9:
      case 10: {
        // dictionary token, inserted or overwriting
        if (dictionary.length === 0) break;
        const tok = rng.pick(dictionary);
        if (rng.chance(0.5)) data = concat(data.subarray(0, at), tok, data.subarray(at));
        else {
          const out = Uint8Array.from(data);
          data = concat(out.subarray(0, at), tok, out.subarray(Math.min(out.length, at + tok.length)));
        }
        break;
      }
      default:
        // truncate
        data = data.slice(0, rng.int(data.length + 1));
    }
  }
  return data.length > maxLength ? data.slice(0, maxLength) : data;
}

/** What a target's run may report besides throwing. */
export interface RunInfo {
  /** Time the input spends waiting on purpose (a deliberately slow body): not counted as slowness. */
  allowanceMs?: number;
}

export interface FuzzTarget {
  name: string;
  /** One line: what is driven and which errors are the API's own. */
  description: string;
  /** Inputs longer than this are cut. */
  maxLength: number;
  /** Input bytes that seed mutation (external vectors, reference configs, valid encodings). */
  seeds(): Uint8Array[];
  /** A structurally valid or near-valid input built from scratch. */
  generate(rng: Rng): Uint8Array;
  dictionary?: readonly string[];
  /**
   * Slow-input threshold in ms when every input has a fixed public-key cost
   * above the default 10 ms (the Noise responder's act 2); the run reports that cost.
   */
  slowMs?: number;
  setup?(): Promise<void> | void;
  teardown?(): Promise<void> | void;
  /**
   * Runs one input. Throws only for a finding: errors that are the API's
   * contract (typed decode errors, ConfigError, RpcError, …) are caught inside.
   */
  run(input: Uint8Array): void | RunInfo | Promise<void | RunInfo>;
}

export interface Finding {
  kind: 'crash' | 'slow' | 'hang';
  file: string | undefined;
  message: string;
  ms: number;
}

export interface RunOptions {
  seed: number;
  /** Stop after this many inputs (replayed corpus included)… */
  inputs?: number;
  /** …or after this many seconds, whichever comes first. */
  seconds?: number;
  /** Where corpus files are read from and new ones written; undefined = none. */
  corpusDir?: string;
  save?: boolean;
  slowMs?: number;
  /** An async input that has not finished by then is a hang. */
  hangMs?: number;
  onProgress?: (s: RunStats) => void;
}

export interface RunStats {
  target: string;
  seed: number;
  inputs: number;
  replayed: number;
  exceptions: number;
  slow: number;
  hangs: number;
  slowestMs: number;
  slowestInput: string;
  /** The slow-input threshold used. */
  slowMs: number;
  /** Median time of an input, in ms (sampled). */
  medianMs: number;
  seconds: number;
  inputsPerSecond: number;
  heapBeforeMB: number;
  heapAfterMB: number;
  heapPeakMB: number;
  findings: Finding[];
}

export function inputHash(input: Uint8Array): string {
  return createHash('sha256').update(input).digest('hex').slice(0, 16);
}

/** Corpus files of a target, sorted by name (crash-*, slow-*, seed-*). */
export function readCorpus(dir: string): { name: string; bytes: Uint8Array }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => !f.startsWith('.') && f !== 'README.md')
    .sort()
    .map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(join(dir, f))) }));
}

function heapMB(): number {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) g();
  return Math.round((process.memoryUsage().heapUsed / 1048576) * 10) / 10;
}

function errorSignature(e: unknown): string {
  if (e instanceof Error) {
    const frame = (e.stack ?? '').split('\n').find((l) => l.trim().startsWith('at ')) ?? '';
    return `${e.name} ${frame.trim()}`;
  }
  return `non-error thrown: ${String(e).slice(0, 200)}`;
}

const HANG = Symbol('hang');

async function timeOne(
  target: FuzzTarget,
  input: Uint8Array,
  hangMs: number,
): Promise<{ ms: number; error: unknown; hang: boolean }> {
  const t0 = performance.now();
  let error: unknown;
  let hang = false;
  let allowance = 0;
  try {
    let r = target.run(input);
    if (r instanceof Promise) {
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<typeof HANG>((resolve) => {
        timer = setTimeout(() => resolve(HANG), hangMs);
      });
      const settled = await Promise.race([r, limit]);
      clearTimeout(timer);
      if (settled === HANG) hang = true;
      else r = settled;
    }
    if (r && typeof r === 'object' && 'allowanceMs' in r) allowance = r.allowanceMs ?? 0;
  } catch (e) {
    error = e ?? new Error('undefined thrown');
  }
  return { ms: performance.now() - t0 - allowance, error, hang };
}

/**
 * Runs `target`: corpus files and seeds first, then mutated and generated
 * inputs until the input count or the time is reached. A slow input is timed
 * up to five times and counts only if every run is slow (a GC pause is not a finding).
 */
export async function runTarget(target: FuzzTarget, opts: RunOptions): Promise<RunStats> {
  await target.setup?.();
  try {
    return await runInputs(target, opts);
  } finally {
    // Servers, stores and temp dirs go also when a run stops on an error.
    await target.teardown?.();
  }
}

async function runInputs(target: FuzzTarget, opts: RunOptions): Promise<RunStats> {
  const rng = new Rng(opts.seed);
  const slowMs = opts.slowMs ?? target.slowMs ?? 10;
  const hangMs = opts.hangMs ?? 5000;
  const maxInputs = opts.inputs ?? Infinity;
  const deadline = opts.seconds === undefined ? Infinity : performance.now() + opts.seconds * 1000;
  const dictionary = (target.dictionary ?? []).map(utf8);
  const stats: RunStats = {
    target: target.name,
    seed: opts.seed,
    inputs: 0,
    replayed: 0,
    exceptions: 0,
    slow: 0,
    hangs: 0,
    slowestMs: 0,
    slowestInput: '',
    slowMs,
    medianMs: 0,
    seconds: 0,
    inputsPerSecond: 0,
    heapBeforeMB: heapMB(),
    heapAfterMB: 0,
    heapPeakMB: 0,
    findings: [],
  };
  const seen = new Set<string>();
  const saved = new Set<string>();
  const save = (kind: 'crash' | 'slow' | 'hang', input: Uint8Array): string | undefined => {
    if (!opts.save || opts.corpusDir === undefined) return undefined;
    const name = `${kind}-${inputHash(input)}`;
    if (saved.has(name) || saved.size >= 50) return undefined;
    saved.add(name);
    mkdirSync(opts.corpusDir, { recursive: true });
    const file = join(opts.corpusDir, name);
    if (!existsSync(file)) writeFileSync(file, input);
    return file;
  };
  const files = opts.corpusDir ? readCorpus(opts.corpusDir) : [];
  const seeds = target.seeds();
  const replay = [...files.map((c) => c.bytes), ...seeds];
  // Slow inputs are replayed but not mutated further: their offspring would spend the run's budget.
  const pool: Uint8Array[] = [
    ...files.filter((c) => !c.name.startsWith('slow-')).map((c) => c.bytes),
    ...seeds,
  ].filter((s) => s.length <= target.maxLength);
  const generatedPool: Uint8Array[] = [];
  const samples: number[] = [];
  const start = performance.now();
  let lastProgress = start;
  let i = 0;
  for (;;) {
    if (stats.inputs >= maxInputs || (i % 16 === 0 && performance.now() >= deadline)) break;
    let input: Uint8Array;
    if (i < replay.length) {
      input = replay[i]!;
      stats.replayed++;
    } else if (rng.chance(0.25) || pool.length === 0) {
      input = target.generate(rng);
      if (input.length > target.maxLength) input = input.slice(0, target.maxLength);
      if (generatedPool.length < 512) generatedPool.push(input);
      else generatedPool[rng.int(512)] = input;
    } else {
      const base = generatedPool.length > 0 && rng.chance(0.4) ? rng.pick(generatedPool) : rng.pick(pool);
      input = mutate(rng, base, pool, dictionary, target.maxLength);
    }
    i++;
    stats.inputs++;
    const first = await timeOne(target, input, hangMs);
    const { error } = first;
    let ms = first.ms;
    if (first.hang) {
      stats.hangs++;
      stats.findings.push({
        kind: 'hang',
        file: save('hang', input),
        message: `no result in ${hangMs} ms`,
        ms,
      });
      continue;
    }
    if (error !== undefined) {
      stats.exceptions++;
      // One corpus file per kind of error and place it is thrown from, not per message text.
      const sig = errorSignature(error);
      if (!seen.has(sig)) {
        seen.add(sig);
        const text = error instanceof Error ? `${error.name}: ${error.message.slice(0, 200)}` : String(error);
        stats.findings.push({ kind: 'crash', file: save('crash', input), message: `${text} (${sig})`, ms });
      }
      continue;
    }
    if (ms > slowMs / 2) {
      // Re-time: an input is as slow as its fastest of five runs (each after a turn of the event
      // loop), so a GC pause, JIT warm-up or a busy machine is not a finding.
      for (let k = 0; k < 4 && ms > slowMs / 2; k++) {
        await new Promise((resolve) => setImmediate(resolve));
        ms = Math.min(ms, (await timeOne(target, input, hangMs)).ms);
      }
      if (ms > slowMs) {
        stats.slow++;
        if (stats.findings.filter((f) => f.kind === 'slow').length < 20) {
          stats.findings.push({
            kind: 'slow',
            file: save('slow', input),
            message: `${ms.toFixed(1)} ms`,
            ms,
          });
        }
      }
    }
    if (samples.length < 4096) samples.push(ms);
    else samples[rng.int(4096)] = ms;
    if (ms > stats.slowestMs) {
      stats.slowestMs = ms;
      stats.slowestInput = inputHash(input);
    }
    if (i % 4096 === 0) {
      const heap = process.memoryUsage().heapUsed / 1048576;
      if (heap > stats.heapPeakMB) stats.heapPeakMB = Math.round(heap * 10) / 10;
      const now = performance.now();
      if (opts.onProgress && now - lastProgress > 10_000) {
        lastProgress = now;
        opts.onProgress(finish(stats, start));
      }
    }
  }
  finish(stats, start);
  samples.sort((a, b) => a - b);
  stats.medianMs = Math.round((samples[samples.length >> 1] ?? 0) * 1000) / 1000;
  stats.heapAfterMB = heapMB();
  stats.heapPeakMB = Math.max(stats.heapPeakMB, stats.heapAfterMB);
  return stats;
}

function finish(stats: RunStats, start: number): RunStats {
  stats.seconds = Math.round((performance.now() - start) / 100) / 10;
  stats.inputsPerSecond = stats.seconds > 0 ? Math.round(stats.inputs / stats.seconds) : 0;
  stats.slowestMs = Math.round(stats.slowestMs * 100) / 100;
  return stats;
}
