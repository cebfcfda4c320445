// Follows Bitcoin Core with getblocktemplate longpolls and reports every
// template it returns. When the node goes away the watcher says so once,
// retries with backoff, checks the chain again, and reports the first template
// after the outage as `resumed`. A node on the wrong chain is fatal.
//
// A longpoll may rightly wait a long time (until the next block), so a node
// that accepted the request and then stopped answering looks the same as a
// quiet chain. While a longpoll waits, the node is asked getblockcount every
// `livenessIntervalMs`; no answer within `livenessTimeoutMs` counts as the
// node gone: the longpoll is dropped and the outage handling above begins.
import type { Logger } from '../../log.js';
import { BitcoinRpc, isRpcError, type BlockTemplate, type NetworkName } from '../../rpc/index.js';

export interface NodeWatchOptions {
  rpc: BitcoinRpc;
  network: NetworkName;
  logger: Logger;
  onTemplate: (gbt: BlockTemplate, info: { resumed: boolean }) => void;
  /** The node is on another chain than configured; the watcher has stopped. */
  onFatal: (err: Error) => void;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** How often a waiting longpoll is backed by a getblockcount probe (default 30000; 0 = never). */
  livenessIntervalMs?: number;
  /** How long the probe may take (default 10000, at most the interval). */
  livenessTimeoutMs?: number;
}

export function templateRules(network: NetworkName): string[] {
  return network === 'signet' ? ['segwit', 'signet'] : ['segwit'];
}

export class NodeWatch {
  readonly #o: NodeWatchOptions;
  readonly #abort = new AbortController();
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #down = false;

  constructor(opts: NodeWatchOptions) {
    this.#o = opts;
  }

  /** Whether the node is currently unreachable. */
  get down(): boolean {
    return this.#down;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { rpc, network, logger } = this.#o;
    const signal = this.#abort.signal;
    const rules = templateRules(network);
    const initialDelay = this.#o.initialDelayMs ?? 250;
    const maxDelay = this.#o.maxDelayMs ?? 5000;
    let delay = initialDelay;
    let longpollid: string | undefined;
    let checkChain = true;
    while (!signal.aborted) {
      try {
        if (checkChain) {
          await rpc.checkChain(network, { signal, retry: false });
          checkChain = false;
        }
        const gbt =
          longpollid === undefined
            ? await rpc.getblocktemplate({ rules, signal })
            : await this.#longpoll(rules, longpollid);
        const resumed = this.#down;
        if (resumed) {
          this.#down = false;
          logger.info({ url: rpc.url }, 'bitcoind is back; templates resume');
        }
        delay = initialDelay;
        longpollid = gbt.longpollid;
        try {
          this.#o.onTemplate(gbt, { resumed });
        } catch (err) {
          logger.error({ err: err instanceof Error ? err.message : String(err) }, 'template handling failed');
        }
      } catch (err) {
        if (signal.aborted) break;
        if (isRpcError(err, 'wrong_chain')) {
          this.#o.onFatal(err);
          break;
        }
        if (!isRpcError(err)) throw err;
        const stalled = isRpcError(err, 'aborted') ? this.#stalled : undefined;
        this.#stalled = undefined;
        if (!this.#down) {
          this.#down = true;
          // Once per outage, not per retry; clients stay connected meanwhile.
          logger.warn(
            { url: rpc.url, kind: stalled === undefined ? err.kind : 'stalled', err: stalled ?? err.message },
            'bitcoind went away; TDP clients stay connected, retrying',
          );
        }
        longpollid = undefined;
        checkChain = true;
        await this.#sleep(delay);
        delay = Math.min(maxDelay, delay * 2);
      }
    }
  }

  /** Why the last longpoll was dropped: the node stopped answering the liveness probe. */
  #stalled: string | undefined;

  /** A longpoll, dropped (rejecting with 'aborted') when the node stops answering the probe. */
  async #longpoll(rules: string[], longpollid: string): Promise<BlockTemplate> {
    const { rpc } = this.#o;
    const interval = this.#o.livenessIntervalMs ?? 30_000;
    const stop = this.#abort.signal;
    if (interval <= 0) return rpc.getblocktemplate({ rules, longpollid, signal: stop });
    const timeoutMs = Math.min(this.#o.livenessTimeoutMs ?? 10_000, interval);
    const call = new AbortController();
    const onStop = () => call.abort();
    stop.addEventListener('abort', onStop);
    let probing = false;
    const probe = setInterval(() => {
      if (probing) return;
      probing = true;
      rpc
        .call<number>('getblockcount', [], { timeoutMs, retry: false, signal: call.signal })
        .catch((err: unknown) => {
          if (call.signal.aborted || !isRpcError(err)) return;
          this.#stalled = `no answer to getblockcount within ${timeoutMs} ms while a longpoll waited (${err.message})`;
          call.abort();
        })
        .finally(() => (probing = false));
    }, interval);
    try {
      return await rpc.getblocktemplate({ rules, longpollid, signal: call.signal });
    } finally {
      clearInterval(probe);
      stop.removeEventListener('abort', onStop);
      call.abort();
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}
