// The devnet node: block tree + mempool + blocks file + JSON-RPC server, and
// the timers around them (synthetic transactions, longpoll wake-ups).
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BitcoinDataError, fromDisplayHex, toDisplayHex } from '../../bitcoin/index.js';
import type { Logger } from '../../log.js';
import type { Block } from './block.js';
import { Chain, type BlockEntry } from './chain.js';
import { Mempool } from './mempool.js';
import { buildMethods } from './methods.js';
import { RpcServer } from './rpc-server.js';
import { BlockStore, RECORD_BLOCK, RECORD_INVALIDATE, RECORD_RECONSIDER } from './store.js';
import { syntheticTx } from './synthetic.js';
import { TemplateBuilder, longpollId } from './template.js';

export interface DevnetOptions {
  rpcBind: string;
  /** 0 picks a free port; the "listening" log line says which. */
  rpcPort: number;
  /** Both set: Basic auth with them; otherwise a fresh `<dataDir>/.cookie`. */
  rpcUser?: string;
  rpcPassword?: string;
  dataDir: string;
  /** Synthetic mempool transactions per minute; 0 = none. */
  txPerMinute: number;
  maxMempoolTxs: number;
  /** A longpoll whose id is still current is answered after this long anyway. */
  longpollMaxWaitSecs: number;
  logger: Logger;
  /** Seconds; tests may move time. */
  clock?: () => number;
}

export const DEVNET_BANNER = 'devnet: development node, regtest consensus, not for real funds';

export class Devnet {
  readonly mempool: Mempool;
  readonly chain: Chain;
  readonly templates: TemplateBuilder;
  readonly store: BlockStore;
  readonly startedAt = Date.now();
  readonly clock: () => number;
  readonly log: Logger;
  private server: RpcServer | null = null;
  private injector: NodeJS.Timeout | null = null;
  private waiters = new Set<() => void>();
  private cookieFile: string | null = null;
  private stopping: Promise<void> | null = null;
  /** Called when the RPC `stop` asks the node to end (the CLI exits the process). */
  onStopRequested: () => void = () => void this.stop();
  address: { host: string; port: number } | null = null;

  constructor(readonly opts: DevnetOptions) {
    this.log = opts.logger;
    this.clock = opts.clock ?? (() => Math.floor(Date.now() / 1000));
    this.mempool = new Mempool(opts.maxMempoolTxs);
    this.chain = new Chain(this.mempool, this.clock);
    this.templates = new TemplateBuilder(this.chain);
    this.store = new BlockStore(opts.dataDir);
    this.mempool.onChange(() => this.wake());
  }

  async start(): Promise<{ host: string; port: number }> {
    const { opts, log } = this;
    log.warn({ dataDir: opts.dataDir }, DEVNET_BANNER);
    mkdirSync(opts.dataDir, { recursive: true });
    this.replay();
    this.chain.events = {
      onAccepted: (e) => this.store.append(RECORD_BLOCK, e.block.raw),
      onTip: (tip, disconnected) => {
        if (disconnected.length > 0)
          log.warn({ height: tip.height, hash: tip.hashHex, disconnected: disconnected.length }, 'reorg');
        this.wake();
      },
      // A block submitted twice (the pool and the tp both submit what they find) is no fault.
      onRejected: (hash, reason) =>
        reason === 'duplicate'
          ? log.info({ hash, reason }, 'block already known')
          : log.warn({ hash, reason }, 'block rejected'),
    };

    let credentials: string;
    if (opts.rpcUser && opts.rpcPassword) credentials = `${opts.rpcUser}:${opts.rpcPassword}`;
    else {
      credentials = `__cookie__:${randomBytes(32).toString('hex')}`;
      this.cookieFile = join(opts.dataDir, '.cookie');
      writeFileSync(this.cookieFile, credentials, { mode: 0o600 });
    }
    this.server = new RpcServer({
      host: opts.rpcBind,
      port: opts.rpcPort,
      credentials,
      methods: buildMethods(this),
    });
    let addr;
    try {
      addr = await this.server.listen();
    } catch (err) {
      // e.g. the port is taken: leave no cookie behind for clients to trust.
      this.server = null;
      this.store.close();
      if (this.cookieFile) rmSync(this.cookieFile, { force: true });
      throw err;
    }
    this.address = { host: addr.address, port: addr.port };
    if (opts.txPerMinute > 0) this.startInjector(opts.txPerMinute);
    log.info(
      {
        host: addr.address,
        port: addr.port,
        auth: this.cookieFile ? 'cookie' : 'user/password',
        ...(this.cookieFile ? { cookieFile: this.cookieFile } : {}),
        height: this.chain.height,
        bestblockhash: this.chain.tip.hashHex,
        note: 'development node',
      },
      'listening',
    );
    return this.address;
  }

  /** Adds synthetic transactions at `perMinute` on average, whatever the timer granularity. */
  private startInjector(perMinute: number): void {
    let last = Date.now();
    let due = 0;
    this.injector = setInterval(
      () => {
        const now = Date.now();
        due += ((now - last) * perMinute) / 60_000;
        last = now;
        const n = Math.floor(due);
        due -= n;
        if (n > 0) this.injectSynthetic(n);
      },
      Math.max(10, Math.round(60_000 / perMinute)),
    );
    this.injector.unref();
    this.log.info(
      { txPerMinute: perMinute },
      'synthetic mempool transactions on: they spend made-up outpoints (devnet keeps no UTXO set and runs no scripts)',
    );
  }

  /** Reloads the blocks file; a damaged or invalid tail is cut off with a warning. */
  private replay(): void {
    const { records, damagedAt, size } = this.store.read();
    let cutAt = damagedAt;
    for (const rec of records) {
      let ok = true;
      if (rec.type === RECORD_BLOCK) {
        try {
          const out = this.chain.submit(rec.payload, true);
          ok = out.result === null || out.result === 'inconclusive' || out.result === 'duplicate';
          if (!ok) this.log.warn({ offset: rec.offset, reason: out.result }, 'blocks file: invalid block');
        } catch (err) {
          if (!(err instanceof BitcoinDataError)) throw err;
          ok = false;
          this.log.warn({ offset: rec.offset }, 'blocks file: undecodable block');
        }
      } else if (rec.type === RECORD_INVALIDATE || rec.type === RECORD_RECONSIDER) {
        const entry = this.chain.find(toDisplayHex(rec.payload));
        if (entry && rec.type === RECORD_INVALIDATE) this.chain.invalidate(entry);
        else if (entry) this.chain.reconsider(entry);
        else ok = false;
      } else ok = false;
      if (!ok) {
        cutAt = rec.offset;
        break;
      }
    }
    if (cutAt !== undefined) {
      this.log.warn(
        { file: this.store.file, offset: cutAt, droppedBytes: size - cutAt },
        'blocks file: truncating damaged tail',
      );
      this.store.truncate(cutAt);
    }
    if (records.length > 0) {
      this.log.info(
        { height: this.chain.height, hash: this.chain.tip.hashHex, file: this.store.file },
        'chain reloaded',
      );
    }
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.injector) clearInterval(this.injector);
      this.injector = null;
      this.wake();
      await this.server?.close();
      this.server = null;
      this.store.close();
      if (this.cookieFile) rmSync(this.cookieFile, { force: true });
      this.log.info({ height: this.chain.height }, 'stopped');
    })();
    return this.stopping;
  }

  /** Adds `n` synthetic transactions to the mempool; returns how many went in. */
  injectSynthetic(n: number): number {
    let added = 0;
    for (let i = 0; i < n; i++) {
      const { info, fee } = syntheticTx();
      const id = toDisplayHex(info.txid);
      this.chain.knownFees.set(id, fee);
      if (this.mempool.add(info, fee, this.clock(), this.chain.height)) added++;
      else this.chain.knownFees.delete(id);
    }
    return added;
  }

  /** submitblock of a decoded block: null on success, else Core's reason string. */
  submitBlock(block: Block): string | null {
    const out = this.chain.accept(block);
    if (out.result === null) this.logAccepted(out.entry);
    else if (out.result === 'inconclusive' && out.entry) {
      this.log.info({ height: out.entry.height, hash: out.entry.hashHex }, 'block accepted on a side branch');
    }
    return out.result;
  }

  logAccepted(entry: BlockEntry): void {
    this.log.info(
      { height: entry.height, hash: entry.hashHex, txs: entry.block.txs.length },
      'block accepted',
    );
  }

  invalidate(entry: BlockEntry): void {
    this.chain.invalidate(entry);
    this.store.append(RECORD_INVALIDATE, fromDisplayHex(entry.hashHex));
    this.log.warn(
      { hash: entry.hashHex, height: this.chain.height, tip: this.chain.tip.hashHex },
      'block invalidated',
    );
  }

  reconsider(entry: BlockEntry): void {
    this.chain.reconsider(entry);
    this.store.append(RECORD_RECONSIDER, fromDisplayHex(entry.hashHex));
    this.log.info(
      { hash: entry.hashHex, height: this.chain.height, tip: this.chain.tip.hashHex },
      'block reconsidered',
    );
  }

  /** Longpolls currently waiting for a change. */
  get pendingLongpolls(): number {
    return this.waiters.size;
  }

  private wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) w();
  }

  /**
   * Longpoll: resolves at once when `id` is no longer current, otherwise on
   * the next tip or mempool change, after the maximum wait, at stop, or when
   * the client goes away.
   */
  waitForChange(id: string, signal: AbortSignal): Promise<void> {
    if (id !== longpollId(this.chain) || this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, this.opts.longpollMaxWaitSecs * 1000);
      this.waiters.add(done);
      signal.addEventListener('abort', done);
    });
  }
}
