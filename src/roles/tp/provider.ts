// The template provider: a TDP server over Noise fed by Bitcoin Core's
// getblocktemplate. New tip → every client gets a future NewTemplate and its
// SetNewPrevHash at once; richer mempool on the same tip → a non-future
// NewTemplate, at most every min_interval and only when fees rose by
// fee_threshold. Templates are fitted once per distinct set of constraints and
// shared by every client that declared the same one.
import type { Logger } from '../../log.js';
import { listenFramed, type FramedServer } from '../../net/server.js';
import { BitcoinRpc, type BlockTemplate, type NetworkName } from '../../rpc/index.js';
import type { MessageByName } from '../../messages/index.js';
import type { CoinbaseConstraints, SubmitSolutionMsg } from '../common/tdp-client.js';
import { NodeWatch } from './node-watch.js';
import { TdpSession, constraintsKey, type SessionHost } from './session.js';
import { blockFromSolution } from './solution.js';
import { TemplateStore, type TemplateRecord } from './store.js';
import {
  constraintsProblem,
  fitTemplate,
  newTemplateMessage,
  parseBlockTemplate,
  setNewPrevHashMessage,
  type BaseTemplate,
} from './template.js';

export interface TemplateProviderOptions {
  rpc: BitcoinRpc;
  network: NetworkName;
  host: string;
  port: number;
  authoritySecretKey: Uint8Array;
  certValiditySec: number;
  /** Sats the fees must rise by before a same-tip template goes out. */
  feeThreshold: bigint;
  /** Least time between same-tip templates. */
  minIntervalMs: number;
  nodeReservedWeight: number;
  /** getblockcount probe while a longpoll waits (0 = off). */
  livenessIntervalMs?: number;
  logger: Logger;
  /** Called when the node is on the wrong chain; the provider stops serving templates. */
  onFatal: (err: Error) => void;
}

/** The witness reserved value (BIP141) of a coinbase that commits to witnesses: 32 zero bytes. */
const WITNESS_RESERVED_VALUE = new Uint8Array(32);
/** submitblock calls at once. */
const SUBMIT_CONCURRENCY = 4;
/** Solutions waiting for a submitblock slot. */
const SUBMIT_QUEUE = 256;

interface QueuedSolution {
  session: TdpSession;
  msg: SubmitSolutionMsg;
  done: () => void;
}

export class TemplateProvider implements SessionHost {
  readonly #o: TemplateProviderOptions;
  readonly #log: Logger;
  readonly #store = new TemplateStore();
  readonly #sessions = new Set<TdpSession>();
  readonly #submitQueue: QueuedSolution[] = [];
  #submitting = 0;
  #submitsDropped = 0;
  readonly #watch: NodeWatch;
  #server: FramedServer | undefined;
  /** The template all current records were fitted from. */
  #base: BaseTemplate | undefined;
  /** The latest record per constraints key, for #base. */
  readonly #cache = new Map<string, TemplateRecord>();
  #sentAt = 0;
  /** A same-tip template waiting for min_interval to pass. */
  #pending: BaseTemplate | undefined;
  #pendingTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(opts: TemplateProviderOptions) {
    this.#o = opts;
    this.#log = opts.logger;
    this.#watch = new NodeWatch({
      rpc: opts.rpc,
      network: opts.network,
      logger: opts.logger,
      onTemplate: (gbt, info) => this.#onTemplate(gbt, info.resumed),
      onFatal: (err) => opts.onFatal(err),
      livenessIntervalMs: opts.livenessIntervalMs,
    });
  }

  async start(): Promise<{ host: string; port: number }> {
    this.#server = await listenFramed({
      host: this.#o.host,
      port: this.#o.port,
      security: {
        kind: 'noise',
        authoritySecretKey: this.#o.authoritySecretKey,
        certValiditySec: this.#o.certValiditySec,
      },
      logger: this.#log,
      onConnection: (conn) => this.#sessions.add(new TdpSession(conn, this, this.#log)),
    });
    this.#watch.start();
    return { host: this.#server.host, port: this.#server.port };
  }

  async stop(): Promise<void> {
    clearTimeout(this.#pendingTimer);
    await this.#watch.stop();
    await this.#server?.close();
  }

  // SessionHost

  constraintsProblem(c: CoinbaseConstraints): string | undefined {
    return constraintsProblem(c, this.#base?.weightlimit);
  }

  onConstraints(session: TdpSession): void {
    const base = this.#base;
    // Without a template yet (node unreachable), the first one reaches every serving client.
    if (base === undefined) return;
    const record = this.#recordFor(session.constraints!);
    session.send({ ...record.message, future_template: true });
    session.send(setNewPrevHashMessage(base, record.id));
  }

  onClose(session: TdpSession): void {
    this.#sessions.delete(session);
  }

  transactionData(
    template_id: bigint,
  ): MessageByName<'RequestTransactionDataSuccess'> | MessageByName<'RequestTransactionDataError'> {
    const found = this.#store.lookup(template_id);
    if (found.kind !== 'ok') {
      const error_code = found.kind === 'stale' ? 'stale-template-id' : 'template-id-not-found';
      this.#log.info({ template_id: String(template_id), error_code }, 'RequestTransactionData refused');
      return { type: 'RequestTransactionDataError', template_id, error_code };
    }
    const { fitted } = found.record;
    return {
      type: 'RequestTransactionDataSuccess',
      template_id,
      // The coinbase witness the template's commitment assumes; nothing when it has none.
      excess_data: fitted.coinbase_tx_outputs.length > 0 ? WITNESS_RESERVED_VALUE : new Uint8Array(0),
      transaction_list: fitted.txs.map((t) => t.data),
    };
  }

  /**
   * SubmitSolution → submitblock. A pool finding blocks faster than the node
   * takes them (on devnet half of all hashes are blocks) must not flood the
   * node: at most SUBMIT_CONCURRENCY calls run at once, at most SUBMIT_QUEUE
   * wait (the oldest waiting one is dropped beyond that), and a waiting
   * solution whose template's tip is gone by its turn is dropped unsent — a
   * block of its height was accepted meanwhile.
   */
  submitSolution(session: TdpSession, msg: SubmitSolutionMsg): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.#submitQueue.length >= SUBMIT_QUEUE) {
        const dropped = this.#submitQueue.shift()!;
        this.#submitsDropped++;
        if (this.#submitsDropped % 100 === 1) {
          this.#log.warn(
            { dropped: this.#submitsDropped },
            'solutions arrive faster than the node takes them: oldest dropped',
          );
        }
        dropped.done();
      }
      this.#submitQueue.push({ session, msg, done: resolve });
      this.#pumpSubmits();
    });
  }

  #pumpSubmits(): void {
    while (this.#submitting < SUBMIT_CONCURRENCY && this.#submitQueue.length > 0) {
      const next = this.#submitQueue.shift()!;
      this.#submitting++;
      void this.#submitOne(next.session, next.msg).finally(() => {
        this.#submitting--;
        next.done();
        this.#pumpSubmits();
      });
    }
  }

  async #submitOne(session: TdpSession, msg: SubmitSolutionMsg): Promise<void> {
    const template_id = String(msg.template_id);
    // Looked up at its turn: a solution that waited through a new tip is stale by now.
    const found = this.#store.lookup(msg.template_id);
    if (found.kind !== 'ok') {
      // Stale solutions are routine after a new tip (competing blocks of the old height); unknown ones are not.
      const fields = { peer: session.peer, template_id, why: found.kind === 'stale' ? 'stale' : 'unknown' };
      if (found.kind === 'stale') this.#log.info(fields, 'SubmitSolution for a stale template_id ignored');
      else this.#log.warn(fields, 'SubmitSolution for an unknown template_id ignored');
      return;
    }
    let block;
    try {
      block = blockFromSolution(found.record, msg);
    } catch (err) {
      this.#log.warn(
        { peer: session.peer, template_id, err: (err as Error).message },
        'SubmitSolution unusable',
      );
      return;
    }
    const fields = { peer: session.peer, template_id, height: block.height, hash: block.hash };
    this.#log.info(fields, 'submitting block');
    let verdict: string | null;
    try {
      verdict = await this.#o.rpc.submitblock(block.hex, { retry: { attempts: 5 } });
    } catch (err) {
      this.#log.error({ ...fields, err: (err as Error).message }, 'submitblock failed');
      return;
    }
    if (verdict === null) this.#log.info(fields, 'block accepted by bitcoind');
    // The pool submits what it finds itself too: whichever copy arrives second is a duplicate.
    else if (verdict === 'duplicate') this.#log.info(fields, 'block already known to bitcoind');
    else if (verdict === 'inconclusive') this.#log.info(fields, 'block valid but not on the best chain');
    else this.#log.warn({ ...fields, reason: verdict }, 'block rejected by bitcoind');
  }

  // Templates

  #onTemplate(gbt: BlockTemplate, resumed: boolean): void {
    const base = parseBlockTemplate(gbt);
    const current = this.#base;
    if (current === undefined || base.prevHashHex !== current.prevHashHex) {
      this.#newTip(base);
      return;
    }
    if (resumed) {
      this.#sameTip(base, 'node back');
      return;
    }
    const risenSinceSent = base.coinbasevalue - current.coinbasevalue;
    if (risenSinceSent <= 0n || risenSinceSent < this.#o.feeThreshold) {
      this.#log.debug({ fee_rise: String(risenSinceSent) }, 'template fees did not rise enough');
      return;
    }
    const wait = this.#sentAt + this.#o.minIntervalMs - Date.now();
    if (wait <= 0) {
      this.#sameTip(base, 'fees rose');
      return;
    }
    // The newest template waits: it reflects the mempool best when the interval is over.
    this.#pending = base;
    this.#pendingTimer ??= setTimeout(() => {
      this.#pendingTimer = undefined;
      const pending = this.#pending;
      if (pending !== undefined && pending.prevHashHex === this.#base?.prevHashHex)
        this.#sameTip(pending, 'fees rose');
    }, wait);
  }

  #resetTemplates(base: BaseTemplate): void {
    this.#base = base;
    this.#cache.clear();
    this.#pending = undefined;
    clearTimeout(this.#pendingTimer);
    this.#pendingTimer = undefined;
    this.#sentAt = Date.now();
  }

  #newTip(base: BaseTemplate): void {
    this.#resetTemplates(base);
    const clients = this.#serving();
    for (const s of clients) {
      const record = this.#recordFor(s.constraints!);
      s.send({ ...record.message, future_template: true });
      s.send(setNewPrevHashMessage(base, record.id));
    }
    this.#log.info(
      { height: base.height, prev_hash: base.prevHashHex, txs: base.txs.length, clients: clients.length },
      'new tip: future template and SetNewPrevHash sent',
    );
  }

  #sameTip(base: BaseTemplate, why: string): void {
    this.#resetTemplates(base);
    const clients = this.#serving();
    for (const s of clients) s.send(this.#recordFor(s.constraints!).message);
    this.#log.info(
      {
        height: base.height,
        txs: base.txs.length,
        coinbasevalue: String(base.coinbasevalue),
        clients: clients.length,
        why,
      },
      'template update sent',
    );
  }

  #serving(): TdpSession[] {
    return [...this.#sessions].filter((s) => s.state === 'serving');
  }

  /** The template for these constraints on #base: fitted once, then shared. */
  #recordFor(c: CoinbaseConstraints): TemplateRecord {
    const base = this.#base!;
    const key = constraintsKey(c);
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    const fitted = fitTemplate(base, c, this.#o.nodeReservedWeight);
    const id = this.#store.nextId();
    const record: TemplateRecord = {
      id,
      key,
      base,
      fitted,
      message: newTemplateMessage(base, fitted, id, false),
    };
    this.#store.add(record);
    this.#cache.set(key, record);
    if (fitted.dropped > 0) {
      this.#log.info(
        { template_id: String(id), constraints: key, dropped: fitted.dropped },
        'transactions dropped to make room for the client coinbase',
      );
    }
    return record;
  }
}
