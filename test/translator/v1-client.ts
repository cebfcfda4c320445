// A minimal Stratum V1 miner for the translator tests: configure/subscribe/
// authorize, records every line, and finds shares for the latest job by
// rebuilding the header from the notify fields (written from the SV1 rules,
// not from the translator's code).
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export interface Line {
  id?: unknown;
  method?: string;
  params?: unknown[];
  result?: unknown;
  error?: unknown;
}

const DIFF1 = 0xffffn << 208n;
const sha256d = (b: Uint8Array): Buffer =>
  createHash('sha256').update(createHash('sha256').update(b).digest()).digest();

export interface Notify {
  job_id: string;
  prevhash: string;
  coinb1: string;
  coinb2: string;
  branches: string[];
  version: string;
  nbits: string;
  ntime: string;
  clean: boolean;
}

export class V1Client {
  readonly lines: Line[] = [];
  closed = false;
  extranonce1 = '';
  extranonce2Size = 0;
  difficulty = 0;
  mask = 0;
  notify: Notify | undefined;
  notifies: Notify[] = [];
  private id = 100;
  private buf = '';
  private waiters: { pred: () => boolean; resolve: () => void }[] = [];
  private en2 = 0;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => this.onData(d));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static connect(port: number, localAddress?: string): Promise<V1Client> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, ...(localAddress ? { localAddress } : {}) });
      s.once('connect', () => resolve(new V1Client(s)));
      s.once('error', reject);
    });
  }

  send(obj: unknown): void {
    if (!this.socket.destroyed) this.socket.write(JSON.stringify(obj) + '\n');
  }

  raw(text: string): void {
    if (!this.socket.destroyed) this.socket.write(text);
  }

  close(): void {
    this.socket.destroy();
  }

  until(pred: () => boolean): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  /** Sends a request and resolves with its reply. */
  async request(method: string, params: unknown[]): Promise<Line> {
    const id = ++this.id;
    this.send({ id, method, params });
    await this.until(() => this.closed || this.lines.some((l) => l.id === id));
    const reply = this.lines.find((l) => l.id === id);
    if (!reply) throw new Error(`connection closed before the reply to ${method}`);
    return reply;
  }

  /** configure (optional) + subscribe + authorize; waits for the first notify. */
  async handshake(
    user: string,
    opts: { password?: string; rolling?: boolean; xnsub?: boolean } = {},
  ): Promise<void> {
    if (opts.rolling) {
      const r = await this.request('mining.configure', [
        ['version-rolling'],
        { 'version-rolling.mask': 'ffffffff' },
      ]);
      const res = r.result as Record<string, unknown>;
      if (res['version-rolling'] === true) this.mask = parseInt(res['version-rolling.mask'] as string, 16);
    }
    const sub = await this.request('mining.subscribe', ['test-miner/1.0']);
    const res = sub.result as [unknown, string, number];
    this.extranonce1 = res[1];
    this.extranonce2Size = res[2];
    if (opts.xnsub) await this.request('mining.extranonce.subscribe', []);
    await this.request('mining.authorize', [user, opts.password ?? 'x']);
    await this.until(() => this.notify !== undefined || this.closed);
  }

  /** Finds a share for the latest job (bounded search) and submits it; resolves with the reply. */
  async mineAndSubmit(worker: string, maxTries = 1_000_000): Promise<Line> {
    const params = this.findShare(worker, maxTries);
    if (!params) throw new Error('no share found');
    return this.request('mining.submit', params);
  }

  /**
   * A share for the latest job: the first nonce meeting the difficulty, or
   * with `notBlock` the first that meets it without meeting the job's nbits
   * (on a chain as easy as regtest, most shares would otherwise be blocks).
   */
  findShare(worker: string, maxTries = 1_000_000, notBlock = false): string[] | undefined {
    const n = this.notify!;
    const target = difficultyTarget(this.difficulty);
    const network = notBlock ? bitsTarget(parseInt(n.nbits, 16)) : -1n;
    const en2 = (this.en2++)
      .toString(16)
      .padStart(this.extranonce2Size * 2, '0')
      .slice(-this.extranonce2Size * 2);
    const coinbase = Buffer.from(n.coinb1 + this.extranonce1 + en2 + n.coinb2, 'hex');
    let root = sha256d(coinbase);
    for (const b of n.branches) root = sha256d(Buffer.concat([root, Buffer.from(b, 'hex')]));
    const header = Buffer.alloc(80);
    const bits = this.mask !== 0 ? 0x2000 & this.mask : 0;
    header.writeUInt32LE((parseInt(n.version, 16) | bits) >>> 0, 0);
    Buffer.from(n.prevhash, 'hex').swap32().copy(header, 4);
    root.copy(header, 36);
    header.writeUInt32LE(parseInt(n.ntime, 16), 68);
    header.writeUInt32LE(parseInt(n.nbits, 16), 72);
    for (let nonce = 0; nonce < maxTries; nonce++) {
      header.writeUInt32LE(nonce, 76);
      const h = sha256d(header);
      const value = BigInt('0x' + Buffer.from(h).reverse().toString('hex'));
      if (value <= target && value > network) {
        const p = [worker, n.job_id, en2, n.ntime, nonce.toString(16).padStart(8, '0')];
        if (this.mask !== 0) p.push(bits.toString(16).padStart(8, '0'));
        return p;
      }
    }
    return undefined;
  }

  private onData(d: string): void {
    this.buf += d;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const text = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      let line: Line;
      try {
        line = JSON.parse(text) as Line;
      } catch {
        continue;
      }
      this.lines.push(line);
      if (line.method === 'mining.set_difficulty') this.difficulty = Number(line.params![0]);
      if (line.method === 'mining.set_extranonce') {
        this.extranonce1 = line.params![0] as string;
        this.extranonce2Size = line.params![1] as number;
      }
      if (line.method === 'mining.set_version_mask') this.mask = parseInt(line.params![0] as string, 16);
      if (line.method === 'mining.ping') this.send({ id: line.id, result: 'pong', error: null });
      if (line.method === 'mining.notify') {
        const p = line.params as [string, string, string, string, string[], string, string, string, boolean];
        this.notify = {
          job_id: p[0],
          prevhash: p[1],
          coinb1: p[2],
          coinb2: p[3],
          branches: p[4],
          version: p[5],
          nbits: p[6],
          ntime: p[7],
          clean: p[8],
        };
        this.notifies.push(this.notify);
      }
    }
    this.wake();
  }

  private wake(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (w.pred()) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }
}

/** The target of compact nBits (mantissa · 256^(exponent − 3)). */
function bitsTarget(bits: number): bigint {
  const exponent = bits >>> 24;
  const mantissa = BigInt(bits & 0x007fffff);
  return exponent <= 3 ? mantissa >> BigInt(8 * (3 - exponent)) : mantissa << BigInt(8 * (exponent - 3));
}

/** floor(DIFF1 / difficulty) for fractional difficulties, via a scaled integer. */
export function difficultyTarget(difficulty: number): bigint {
  const scale = 1n << 64n;
  const t = (DIFF1 * scale) / BigInt(Math.max(1, Math.round(difficulty * Number(scale))));
  const max = (1n << 256n) - 1n;
  return t > max ? max : t;
}
