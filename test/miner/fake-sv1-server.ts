// A scripted Stratum V1 server for the miner tests: plain TCP JSON lines on a
// random loopback port; answers configure/subscribe/authorize/suggest_difficulty,
// sends a difficulty and a job, and records every line the miner sends (parsed
// and as text).
import { createServer, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import {
  bytesToHex,
  concatBytes,
  foldMerklePath,
  sha256d,
  serializeHeader,
} from '../../src/bitcoin/index.js';

export interface Sv1Msg {
  id?: unknown;
  method?: string;
  params?: unknown[];
  result?: unknown;
  error?: unknown;
}

export interface Sv1Job {
  job_id: string;
  prev_hash: Uint8Array;
  coinb1: Uint8Array;
  coinb2: Uint8Array;
  branches: Uint8Array[];
  version: number;
  nbits: number;
  ntime: number;
  extranonce1: Uint8Array;
  sentAt: number;
}

export interface FakeSv1Options {
  difficulty: number;
  /** Replies to the n-th submit (0-based): result and error. */
  reply?: (n: number) => { result: boolean; error: unknown };
  /**
   * Ping the miner before answering mining.authorize and answer only once the
   * pong is back, so whatever the miner had sent before seeing the authorize
   * reply is recorded before `authorizeReplyAt`.
   */
  pingBeforeAuthorizeReply?: boolean;
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** Stratum's prev hash layout: each 4-byte word reversed (done here independently of the miner). */
function wordSwap(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = b[(i & ~3) + 3 - (i & 3)]!;
  return out;
}

export class FakeSv1Server {
  readonly lines: Sv1Msg[] = [];
  /** The same lines as the miner wrote them. */
  readonly rawLines: string[] = [];
  /** Per connection (index in `sockets`): how many lines had arrived when the authorize reply went out. */
  readonly authorizeReplyAt = new Map<number, number>();
  readonly jobs = new Map<string, Sv1Job>();
  readonly sockets: Socket[] = [];
  extranonce1 = new Uint8Array(randomBytes(4));
  #server!: Server;
  #waiters: { pred: () => boolean; resolve: () => void }[] = [];
  #submits = 0;
  #jobCounter = 0;
  readonly #heldAuthorize = new Map<Socket, unknown>();

  private constructor(readonly opts: FakeSv1Options) {}

  static async start(opts: FakeSv1Options): Promise<FakeSv1Server> {
    const s = new FakeSv1Server(opts);
    s.#server = createServer((socket) => s.#serve(socket));
    await new Promise<void>((resolve) => s.#server.listen(0, '127.0.0.1', resolve));
    return s;
  }

  get port(): number {
    const a = this.#server.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  }

  get submits(): Sv1Msg[] {
    return this.lines.filter((l) => l.method === 'mining.submit');
  }

  until(pred: () => boolean): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ pred, resolve }));
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  send(obj: unknown, socket = this.sockets[this.sockets.length - 1]!): void {
    socket.write(JSON.stringify(obj) + '\n');
  }

  /** Sends a fresh job (clean_jobs true) and remembers what the miner must rebuild. */
  notify(socket = this.sockets[this.sockets.length - 1]!): Sv1Job {
    const job: Sv1Job = {
      job_id: `j${++this.#jobCounter}`,
      prev_hash: new Uint8Array(randomBytes(32)),
      coinb1: new Uint8Array(randomBytes(42)),
      coinb2: new Uint8Array(randomBytes(60)),
      branches: [new Uint8Array(randomBytes(32)), new Uint8Array(randomBytes(32))],
      version: 0x20000000,
      nbits: 0x207fffff,
      ntime: Math.floor(Date.now() / 1000),
      extranonce1: this.extranonce1,
      sentAt: Date.now(),
    };
    this.jobs.set(job.job_id, job);
    this.send(
      {
        id: null,
        method: 'mining.notify',
        params: [
          job.job_id,
          bytesToHex(wordSwap(job.prev_hash)),
          bytesToHex(job.coinb1),
          bytesToHex(job.coinb2),
          job.branches.map(bytesToHex),
          hex8(job.version),
          hex8(job.nbits),
          hex8(job.ntime),
          true,
        ],
      },
      socket,
    );
    return job;
  }

  /** Header of a submit, rebuilt from the job the way a pool validates it. */
  rebuildHeader(submit: Sv1Msg, mask: number): Uint8Array {
    const p = submit.params as string[];
    const job = this.jobs.get(p[1]!);
    if (job === undefined) throw new Error(`submit for unknown job ${p[1]}`);
    const coinbase = concatBytes(job.coinb1, job.extranonce1, Buffer.from(p[2]!, 'hex'), job.coinb2);
    const bits = p.length > 5 ? parseInt(p[5]!, 16) : 0;
    if ((bits & ~mask) !== 0) throw new Error(`version bits ${p[5]} outside the mask`);
    return serializeHeader({
      version: (job.version ^ bits) >>> 0,
      prev_hash: job.prev_hash,
      merkle_root: foldMerklePath(sha256d(coinbase), job.branches),
      time: parseInt(p[3]!, 16),
      bits: job.nbits,
      nonce: parseInt(p[4]!, 16),
    });
  }

  #serve(socket: Socket): void {
    this.sockets.push(socket);
    socket.setEncoding('utf8');
    let buf = '';
    socket.on('error', () => {});
    socket.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const m = JSON.parse(line) as Sv1Msg;
        this.lines.push(m);
        this.rawLines.push(line);
        this.#answer(socket, m);
        for (let i = this.#waiters.length - 1; i >= 0; i--) {
          if (this.#waiters[i]!.pred()) this.#waiters.splice(i, 1)[0]!.resolve();
        }
      }
    });
  }

  #answer(socket: Socket, m: Sv1Msg): void {
    if (m.method === undefined && m.id === 98 && this.#heldAuthorize.has(socket)) {
      const id = this.#heldAuthorize.get(socket);
      this.#heldAuthorize.delete(socket);
      this.#authorized(socket, id);
      return;
    }
    switch (m.method) {
      case 'mining.configure':
        this.send(
          { id: m.id, result: { 'version-rolling': true, 'version-rolling.mask': '1fffe000' }, error: null },
          socket,
        );
        return;
      case 'mining.subscribe':
        this.send(
          {
            id: m.id,
            result: [
              [
                ['mining.set_difficulty', 's1'],
                ['mining.notify', 's1'],
              ],
              bytesToHex(this.extranonce1),
              4,
            ],
            error: null,
          },
          socket,
        );
        return;
      case 'mining.authorize':
        if (this.opts.pingBeforeAuthorizeReply === true) {
          this.#heldAuthorize.set(socket, m.id);
          this.send({ id: 98, method: 'mining.ping', params: [] }, socket);
        } else {
          this.#authorized(socket, m.id);
        }
        return;
      case 'mining.suggest_difficulty':
        this.send({ id: m.id, result: true, error: null }, socket);
        return;
      case 'mining.submit': {
        const r = this.opts.reply?.(this.#submits) ?? { result: true, error: null };
        this.#submits++;
        this.send({ id: m.id, ...r }, socket);
        return;
      }
    }
  }

  #authorized(socket: Socket, id: unknown): void {
    this.authorizeReplyAt.set(this.sockets.indexOf(socket), this.lines.length);
    this.send({ id, result: true, error: null }, socket);
    this.send({ id: null, method: 'mining.set_difficulty', params: [this.opts.difficulty] }, socket);
    this.notify(socket);
    this.send({ id: 99, method: 'mining.ping', params: [] }, socket);
  }
}
