// One Stratum V1 connection of the mining device (for tests and demos against
// the translator): configure (BIP310 version rolling), subscribe, authorize,
// then mining.notify jobs turned into headers and shares sent as mining.submit.
import { connect, type Socket } from 'node:net';
import {
  bitsToTarget,
  bytesToHex,
  concatBytes,
  difficultyToTarget,
  foldMerklePath,
  hexToBytes,
  serializeHeader,
  sha256d,
  targetToDifficulty,
  toDisplayHex,
  u256ToLE,
} from '../../bitcoin/index.js';
import type { MinerContext, MinerSession } from './context.js';
import type { FoundShare } from './search.js';
import { checkShare } from './share-check.js';
import type { Endpoint, SessionEnd } from './supervisor.js';
import { BIP310_COMMON_MASK } from './version-roll.js';

export interface Sv1Options {
  endpoint: Endpoint;
  user: string;
  password: string;
  versionRolling: boolean;
  userAgent: string;
  /** Sent as mining.suggest_difficulty after the authorize reply, then again every interval. */
  suggestDifficulty?: number;
  /** Interval of the repeated suggestion (default 30 s, NerdMiner's keep-alive). */
  suggestDifficultyIntervalMs?: number;
}

const MAX_LINE = 64 * 1024;
const MAX_WORKS = 16;
const SETUP_TIMEOUT_MS = 10_000;
const SUGGEST_INTERVAL_MS = 30_000;

interface Sv1Job {
  job_id: string;
  prev_hash: Uint8Array;
  coinb1: Uint8Array;
  coinb2: Uint8Array;
  merkle_branch: Uint8Array[];
  version: number;
  nbits: number;
  ntime: number;
}

interface WorkContext {
  job: Sv1Job;
  extranonce2: Uint8Array;
  header: Uint8Array;
  target: bigint;
  networkTarget: bigint;
  versionMask: number;
  epoch: number;
  /** The difficulty `target` stands for (the pool's number, unrounded). */
  difficulty: number;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface Sv1Line {
  id?: Json;
  method?: string;
  params?: Json[];
  result?: Json;
  error?: Json;
}

/** Stratum prev hash: the 32 bytes with each 4-byte word reversed. */
export function swapWords(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i + 4 <= bytes.length; i += 4) {
    out[i] = bytes[i + 3]!;
    out[i + 1] = bytes[i + 2]!;
    out[i + 2] = bytes[i + 1]!;
    out[i + 3] = bytes[i]!;
  }
  return out;
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function parseHex32(v: Json | undefined, what: string): number {
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{1,8}$/.test(v))
    throw new Error(`${what}: expected 8 hex digits`);
  return parseInt(v, 16) >>> 0;
}

function parseBytes(v: Json | undefined, what: string, length?: number): Uint8Array {
  if (typeof v !== 'string' || v.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(v))
    throw new Error(`${what}: expected hex bytes`);
  const b = hexToBytes(v);
  if (length !== undefined && b.length !== length) throw new Error(`${what}: expected ${length} bytes`);
  return b;
}

function errorText(e: Json | undefined): string {
  if (Array.isArray(e) && typeof e[1] === 'string') return e[1];
  if (typeof e === 'string') return e;
  return e === null || e === undefined ? 'rejected' : JSON.stringify(e);
}

export class Sv1Session implements MinerSession {
  readonly #o: Sv1Options;
  readonly #ctx: MinerContext;
  #socket: Socket | undefined;
  #closing: string | undefined;
  #established = false;
  /** ctx.now() at the authorize reply. */
  #establishedAt = 0;
  #firstAccepted = false;
  #suggestTimer: ReturnType<typeof setInterval> | undefined;
  #suggestId: number | undefined;
  #redirect: Endpoint | undefined;
  #lastJob: Sv1Job | undefined;

  #nextId = 1;
  readonly #pending = new Map<number, string>();
  #versionMask = 0;
  #extranonce1: Uint8Array = new Uint8Array(0);
  #extranonce2Size = 4;
  #pendingExtranonce: { extranonce1: Uint8Array; size: number } | undefined;
  #extranonce2Counter = 0;
  #subscribed = false;
  #authorized = false;
  #difficulty = 1;
  #epoch = 0;
  readonly #works = new Map<number, WorkContext>();
  #current: { workId: number; jobTarget: bigint; jobDifficulty: number } | undefined;
  /** Submits awaiting a reply: job id and the difficulty the share was mined at. */
  readonly #submits = new Map<number, { job_id: string; difficulty: number }>();

  constructor(opts: Sv1Options, ctx: MinerContext) {
    this.#o = opts;
    this.#ctx = ctx;
  }

  close(reason: string): void {
    this.#closing ??= reason;
    this.#socket?.destroy();
  }

  run(): Promise<SessionEnd> {
    const { host, port } = this.#o.endpoint;
    const log = this.#ctx.log;
    return new Promise((resolve) => {
      const socket = connect({ host, port });
      this.#socket = socket;
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 45_000);
      let reason = 'connection closed';
      let buffer = '';
      const setupTimer = setTimeout(
        () => fail(new Error('no authorize reply within 10 s')),
        SETUP_TIMEOUT_MS,
      );
      const fail = (err: Error) => {
        reason = err.message;
        socket.destroy();
      };
      if (this.#closing !== undefined) socket.destroy();
      socket.setEncoding('utf8');
      socket.on('connect', () => this.#start());
      socket.on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0 && !socket.destroyed) {
          const line = buffer.slice(0, nl).replace(/\r$/, '');
          buffer = buffer.slice(nl + 1);
          if (line.trim() === '') continue;
          try {
            this.#onLine(JSON.parse(line) as Sv1Line);
            if (this.#authorized) clearTimeout(setupTimer);
          } catch (err) {
            fail(new Error(`bad line from pool: ${(err as Error).message}`));
          }
        }
        if (buffer.length > MAX_LINE) fail(new Error(`line longer than ${MAX_LINE} bytes from pool`));
      });
      socket.on('error', (err) => (reason = `socket error: ${err.message}`));
      socket.on('close', () => {
        clearTimeout(setupTimer);
        clearInterval(this.#suggestTimer);
        this.#ctx.engine.setWork(null);
        this.#works.clear();
        log.info({ reason: this.#closing ?? reason }, 'connection closed');
        resolve({
          reason: this.#closing ?? reason,
          established: this.#established,
          redirect: this.#redirect,
        });
      });
    });
  }

  #send(obj: Record<string, Json>): void {
    const s = this.#socket;
    if (s === undefined || s.destroyed) return;
    s.write(JSON.stringify(obj) + '\n');
  }

  #request(method: string, params: Json[]): number {
    const id = this.#nextId++;
    this.#pending.set(id, method);
    this.#send({ id, method, params });
    return id;
  }

  #start(): void {
    // Pipelined in the order firmware uses; replies are matched by id.
    if (this.#o.versionRolling) {
      this.#request('mining.configure', [
        ['version-rolling'],
        { 'version-rolling.mask': hex8(BIP310_COMMON_MASK), 'version-rolling.min-bit-count': 2 },
      ]);
    }
    this.#request('mining.subscribe', [this.#o.userAgent]);
    this.#request('mining.authorize', [this.#o.user, this.#o.password]);
  }

  #onLine(m: Sv1Line): void {
    if (typeof m.method === 'string') {
      this.#onServerMethod(m.method, Array.isArray(m.params) ? m.params : [], m.id);
      return;
    }
    if (typeof m.id !== 'number') return;
    const method = this.#pending.get(m.id);
    if (method !== undefined) {
      this.#pending.delete(m.id);
      this.#onReply(method, m);
      return;
    }
    const submitted = this.#submits.get(m.id);
    if (submitted !== undefined) {
      this.#submits.delete(m.id);
      const stats = this.#ctx.stats;
      const job_id = submitted.job_id;
      if (m.result === true && (m.error === null || m.error === undefined)) {
        stats.accepted++;
        this.#ctx.log.debug({ id: m.id, job_id }, 'share accepted');
        if (!this.#firstAccepted) {
          this.#firstAccepted = true;
          this.#ctx.log.info(
            {
              seconds: Number(((this.#ctx.now() - this.#establishedAt) / 1000).toFixed(3)),
              difficulty: submitted.difficulty,
              connections: stats.connections,
            },
            'first share accepted',
          );
        }
      } else {
        const reason = errorText(m.error);
        stats.reject(reason);
        this.#ctx.log.debug({ id: m.id, job_id, reason }, 'share rejected');
      }
    }
  }

  #onReply(method: string, m: Sv1Line): void {
    const log = this.#ctx.log;
    if (method === 'mining.configure') {
      const r = m.result;
      if (r !== null && typeof r === 'object' && !Array.isArray(r) && r['version-rolling'] === true) {
        const granted = parseHex32(r['version-rolling.mask'], 'version-rolling.mask');
        this.#versionMask = (granted & BIP310_COMMON_MASK) >>> 0;
      } else {
        this.#versionMask = 0;
      }
      log.debug({ version_mask: hex8(this.#versionMask) }, 'mining.configure answered');
    } else if (method === 'mining.suggest_difficulty') {
      // Pools answer true, an error, or nothing at all; none of it changes what is mined.
      log.debug({ result: m.result ?? null, error: m.error ?? null }, 'mining.suggest_difficulty answered');
    } else if (method === 'mining.subscribe') {
      const r = m.result;
      if (!Array.isArray(r) || r.length < 3)
        throw new Error(`mining.subscribe failed: ${errorText(m.error)}`);
      this.#extranonce1 = parseBytes(r[1], 'extranonce1');
      this.#extranonce2Size = this.#checkEn2Size(r[2]);
      this.#subscribed = true;
    } else if (method === 'mining.authorize') {
      if (m.result !== true) throw new Error(`mining.authorize refused: ${errorText(m.error)}`);
      if (!this.#subscribed) throw new Error('authorized before the subscribe reply');
      this.#authorized = true;
      this.#established = true;
      this.#establishedAt = this.#ctx.now();
      const stats = this.#ctx.stats;
      stats.connections++;
      log.info(
        {
          pool: `${this.#o.endpoint.host}:${this.#o.endpoint.port}`,
          transport: 'sv1',
          extranonce1: bytesToHex(this.#extranonce1),
          extranonce2_size: this.#extranonce2Size,
          version_mask: hex8(this.#versionMask),
          connections: stats.connections,
        },
        'connected',
      );
      this.#startSuggesting();
      // A job that came before the authorize reply is mined now.
      if (this.#lastJob !== undefined) this.#mine(this.#lastJob);
    }
  }

  /** mining.suggest_difficulty now and then every interval, as NerdMiner keeps its connection alive. */
  #startSuggesting(): void {
    const d = this.#o.suggestDifficulty;
    if (d === undefined || this.#suggestTimer !== undefined) return;
    const suggest = () => {
      // An unanswered earlier suggestion is forgotten, so silent pools cost nothing.
      if (this.#suggestId !== undefined) this.#pending.delete(this.#suggestId);
      this.#suggestId = this.#request('mining.suggest_difficulty', [d]);
      this.#ctx.log.debug({ difficulty: d }, 'difficulty suggested');
    };
    suggest();
    this.#suggestTimer = setInterval(suggest, this.#o.suggestDifficultyIntervalMs ?? SUGGEST_INTERVAL_MS);
  }

  #checkEn2Size(v: Json | undefined): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 32)
      throw new Error(`extranonce2_size ${JSON.stringify(v)} out of range`);
    return v;
  }

  #onServerMethod(method: string, params: Json[], id: Json | undefined): void {
    const log = this.#ctx.log;
    switch (method) {
      case 'mining.notify':
        this.#onNotify(params);
        return;
      case 'mining.set_difficulty': {
        const d = params[0];
        if (typeof d !== 'number' || !(d > 0) || !Number.isFinite(d)) throw new Error('bad set_difficulty');
        this.#difficulty = d;
        this.#applyDifficulty(d);
        return;
      }
      case 'mining.set_version_mask':
        this.#versionMask = (parseHex32(params[0], 'version mask') & BIP310_COMMON_MASK) >>> 0;
        return;
      case 'mining.set_extranonce':
        this.#pendingExtranonce = {
          extranonce1: parseBytes(params[0], 'extranonce1'),
          size: this.#checkEn2Size(params[1]),
        };
        return;
      case 'mining.ping':
        this.#send({ id: id ?? null, result: 'pong', error: null });
        return;
      case 'client.get_version':
        this.#send({ id: id ?? null, result: this.#o.userAgent, error: null });
        return;
      case 'client.reconnect': {
        const host = typeof params[0] === 'string' && params[0] !== '' ? params[0] : this.#o.endpoint.host;
        const p = Number(params[1]);
        const port = Number.isInteger(p) && p > 0 && p < 65536 ? p : this.#o.endpoint.port;
        this.#redirect = { host, port };
        log.info({ new_host: host, new_port: port }, 'pool asked to reconnect');
        this.#socket?.destroy();
        return;
      }
      case 'client.show_message':
        log.info({ text: String(params[0]).slice(0, 256) }, 'message from pool');
        return;
      default:
        if (id !== undefined && id !== null)
          this.#send({ id, result: null, error: [20, 'Unsupported method', null] });
    }
  }

  #onNotify(p: Json[]): void {
    if (p.length < 9) throw new Error('mining.notify needs 9 params');
    const branches = p[4];
    if (!Array.isArray(branches) || branches.length > 64)
      throw new Error('mining.notify: bad merkle branch list');
    const job: Sv1Job = {
      job_id: String(p[0]),
      prev_hash: swapWords(parseBytes(p[1], 'prevhash', 32)),
      coinb1: parseBytes(p[2], 'coinb1'),
      coinb2: parseBytes(p[3], 'coinb2'),
      merkle_branch: branches.map((b, i) => parseBytes(b, `merkle branch ${i}`, 32)),
      version: parseHex32(p[5], 'version'),
      nbits: parseHex32(p[6], 'nbits'),
      ntime: parseHex32(p[7], 'ntime'),
    };
    const clean = p[p.length - 1] === true;
    if (this.#pendingExtranonce !== undefined) {
      this.#extranonce1 = this.#pendingExtranonce.extranonce1;
      this.#extranonce2Size = this.#pendingExtranonce.size;
      this.#pendingExtranonce = undefined;
      this.#extranonce2Counter = 0;
    }
    if (clean) this.#epoch++;
    this.#ctx.stats.jobs++;
    this.#lastJob = job;
    if (this.#authorized) this.#mine(job);
  }

  #mine(job: Sv1Job): void {
    // Every piece of work gets its own extranonce2, hence its own merkle root.
    const extranonce2 = new Uint8Array(this.#extranonce2Size);
    let c = this.#extranonce2Counter++;
    for (let i = 0; i < extranonce2.length && c > 0; i++) {
      extranonce2[i] = c & 0xff;
      c = Math.floor(c / 256);
    }
    const coinbase = concatBytes(job.coinb1, this.#extranonce1, extranonce2, job.coinb2);
    const header = serializeHeader({
      version: job.version,
      prev_hash: job.prev_hash,
      merkle_root: foldMerklePath(sha256d(coinbase), job.merkle_branch),
      time: job.ntime,
      bits: job.nbits,
      nonce: 0,
    });
    let networkTarget = 0n;
    try {
      networkTarget = bitsToTarget(job.nbits);
    } catch {
      // A job with malformed nbits still gets mined for shares.
    }
    const difficulty = this.#difficulty;
    const target = difficultyToTarget(difficulty);
    const id = this.#ctx.nextWorkId();
    const versionMask = this.#versionMask;
    const epoch = this.#epoch;
    this.#works.set(id, { job, extranonce2, header, target, networkTarget, versionMask, epoch, difficulty });
    for (const old of this.#works.keys()) {
      if (this.#works.size <= MAX_WORKS) break;
      this.#works.delete(old);
    }
    this.#current = { workId: id, jobTarget: target, jobDifficulty: difficulty };
    this.#ctx.stats.difficulty = difficulty;
    this.#ctx.engine.setWork({
      id,
      header,
      target: u256ToLE(target),
      versionMask,
      ntimeBase: job.ntime,
      ntimeAnchorMs: this.#ctx.now(),
    });
  }

  /** A new difficulty: the job in progress takes it only if it is harder (safe under every pool's rule). */
  #applyDifficulty(difficulty: number): void {
    const cur = this.#current;
    if (cur === undefined) return;
    const w = this.#works.get(cur.workId);
    const target = difficultyToTarget(difficulty);
    const harder = target < cur.jobTarget;
    const effective = harder ? target : cur.jobTarget;
    if (w !== undefined && w.target !== effective) {
      w.target = effective;
      w.difficulty = harder ? difficulty : cur.jobDifficulty;
      this.#ctx.engine.setTarget(u256ToLE(effective));
      this.#ctx.stats.difficulty = targetToDifficulty(effective);
    }
  }

  onShare(share: FoundShare): void {
    const w = this.#works.get(share.workId);
    if (w === undefined || w.epoch !== this.#epoch) return;
    const hash = checkShare(this.#ctx, w, share, w.job.job_id);
    if (hash === undefined) return;
    const stats = this.#ctx.stats;
    const log = this.#ctx.log;
    const params: Json[] = [
      this.#o.user,
      w.job.job_id,
      bytesToHex(w.extranonce2),
      hex8(share.ntime),
      hex8(share.nonce),
    ];
    // BIP310 submit: the rolled bits as firmware sends them, rolled version XOR job version.
    if (w.versionMask !== 0) params.push(hex8((share.version ^ w.job.version) & w.versionMask));
    const id = this.#nextId++;
    this.#submits.set(id, { job_id: w.job.job_id, difficulty: w.difficulty });
    if (this.#submits.size > 1024) this.#submits.delete(this.#submits.keys().next().value!);
    stats.submitted++;
    log.debug({ id, job_id: w.job.job_id, hash: toDisplayHex(hash) }, 'share submitted');
    this.#send({ id, method: 'mining.submit', params });
  }
}
