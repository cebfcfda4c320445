// Follows Bitcoin Core with getblocktemplate longpolls and reports every
// template it returns. When the node goes away the watcher says so once,
// retries with backoff, checks the chain again, and reports the first template
// after the outage as `resumed`. A node on the wrong chain is fatal.
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
        const gbt = await rpc.getblocktemplate({ rules, longpollid, signal });
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
        if (!this.#down) {
          this.#down = true;
          // Once per outage, not per retry; clients stay connected meanwhile.
          logger.warn(
            { url: rpc.url, kind: err.kind, err: err.message },
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
