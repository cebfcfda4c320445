// The job declarator server: a Noise listener for job declarator clients, the
// mempool mirror and chain height of its node (polled every
// mempool_poll_secs), and submitblock for solutions pushed on declared jobs.
import { blockSubsidy, serializeOutputs, toDisplayHex } from '../../bitcoin/index.js';
import type { NetworkName as BitcoinNetworkName } from '../../bitcoin/index.js';
import { allocatedCommitment } from '../../channels/jd-token.js';
import type { Logger } from '../../log.js';
import { listenFramed, type FramedServer } from '../../net/server.js';
import type { BitcoinRpc } from '../../rpc/index.js';
import type { DeclaredJob, DeclaredTx, DeclarePolicy } from './declare.js';
import { MempoolMirror, satoshis } from './mirror.js';
import { JdsSession, type SessionHost } from './session.js';
import { blockFromPushSolution, type PushSolutionMsg } from './solution.js';
import type { TokenPolicy } from './tokens.js';

/**
 * Largest payload taken from a client: a ProvideMissingTransactions.Success
 * can carry a whole block's transactions (under 4 MB) plus their length
 * prefixes; nothing else comes close.
 */
export const JDS_MAX_PAYLOAD = 5 * 1024 * 1024;
/** setTimeout's longest delay (about 24.8 days); longer poll intervals wait this long. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface JobDeclaratorServerOptions {
  rpc: BitcoinRpc;
  /** The bitcoin-layer network (devnet → regtest): subsidy schedule. */
  chain: BitcoinNetworkName;
  host: string;
  port: number;
  authoritySecretKey: Uint8Array;
  certValiditySec: number;
  poolScript: Uint8Array;
  tokenSecret: Uint8Array;
  allocatedTokenLifetimeSec: number;
  declaredTokenLifetimeSec: number;
  tokenRatePerSec: number;
  tokenBurst: number;
  maxOutstandingTokens: number;
  maxRefusedTokenRequests: number;
  minPoolPayoutPercent: number;
  maxDeclaredTransactions: number;
  mempoolPollMs: number;
  maxMempoolTxs: number;
  logger: Logger;
}

export class JobDeclaratorServer implements SessionHost {
  readonly #o: JobDeclaratorServerOptions;
  readonly #log: Logger;
  readonly #mirror: MempoolMirror;
  readonly #sessions = new Set<JdsSession>();
  readonly declarePolicy: DeclarePolicy;
  readonly poolOutputs: Uint8Array;
  readonly poolOutputsCommitment: Uint8Array;
  #server: FramedServer | undefined;
  #tipHeight: number | undefined;
  #pollTimer: ReturnType<typeof setTimeout> | undefined;
  #polls = 0;
  #outage = false;
  #stopped = false;

  constructor(opts: JobDeclaratorServerOptions) {
    this.#o = opts;
    this.#log = opts.logger;
    this.#mirror = new MempoolMirror(opts.rpc, opts.maxMempoolTxs);
    this.poolOutputs = serializeOutputs([{ value: 0n, script: opts.poolScript }], true);
    this.poolOutputsCommitment = allocatedCommitment(this.poolOutputs);
    this.declarePolicy = {
      poolScript: opts.poolScript,
      minPoolPayoutPercent: opts.minPoolPayoutPercent,
      maxDeclaredTransactions: opts.maxDeclaredTransactions,
      subsidy: (height) => blockSubsidy(height, opts.chain),
    };
  }

  get mirror(): MempoolMirror {
    return this.#mirror;
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
      maxPayloadLength: JDS_MAX_PAYLOAD,
      highWaterFrames: 16,
      logger: this.#log,
      onConnection: (conn) => this.#sessions.add(new JdsSession(conn, this, this.#log)),
    });
    void this.#poll();
    return { host: this.#server.host, port: this.#server.port };
  }

  /** Stops listening and polling; a node read in flight is left to finish or fail on its own. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#pollTimer);
    await this.#server?.close();
  }

  // SessionHost

  tokenPolicy(declareTxData: boolean): TokenPolicy {
    const o = this.#o;
    return {
      secret: o.tokenSecret,
      allocatedLifetimeSec: o.allocatedTokenLifetimeSec,
      declaredLifetimeSec: o.declaredTokenLifetimeSec,
      ratePerSec: o.tokenRatePerSec,
      burst: o.tokenBurst,
      // Coinbase-only clients never declare, so their tokens stay outstanding until they expire.
      maxOutstanding: declareTxData ? o.maxOutstandingTokens : null,
      maxRefused: o.maxRefusedTokenRequests,
    };
  }

  lookup(key: string): DeclaredTx | undefined {
    return this.#mirror.getByKey(key);
  }

  nextHeight(): number | undefined {
    return this.#tipHeight === undefined ? undefined : this.#tipHeight + 1;
  }

  async refreshNextHeight(): Promise<number | undefined> {
    try {
      this.#tipHeight = await this.#o.rpc.getblockcount({ retry: false });
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'cannot read the chain height from the node');
    }
    return this.nextHeight();
  }

  async feesOf(txids: readonly Uint8Array[]): Promise<(bigint | undefined)[]> {
    if (txids.length === 0) return [];
    try {
      const entries = await this.#o.rpc.getmempoolentries(txids.map(toDisplayHex), { retry: false });
      return entries.map((e) => (e === null ? undefined : satoshis(e.fees.base)));
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'cannot read fees from the node; counted as 0');
      return txids.map(() => undefined);
    }
  }

  async submitSolution(
    session: JdsSession,
    jobs: readonly DeclaredJob[],
    msg: PushSolutionMsg,
  ): Promise<void> {
    const tried: string[] = [];
    for (const job of jobs) {
      let block;
      try {
        block = blockFromPushSolution(job, msg);
      } catch (err) {
        tried.push(`request ${job.request_id}: ${(err as Error).message}`);
        continue;
      }
      if (!block.meetsTarget) {
        tried.push(`request ${job.request_id}: the header does not meet its nbits target`);
        continue;
      }
      const fields = {
        peer: session.peer,
        request_id: job.request_id,
        height: block.height,
        hash: block.hash,
        txs: job.txs.length,
      };
      this.#log.info(fields, 'PushSolution: submitting block');
      let verdict: string | null;
      try {
        verdict = await this.#o.rpc.submitblock(block.hex, { retry: { attempts: 5 } });
      } catch (err) {
        this.#log.error({ ...fields, err: (err as Error).message }, 'submitblock failed');
        return;
      }
      if (verdict === null) this.#log.info(fields, 'block accepted by the node');
      // The JDC submits the block through its own template provider as well: the second copy is a duplicate.
      else if (verdict === 'duplicate') this.#log.info(fields, 'block already known to the node');
      else this.#log.warn({ ...fields, reason: verdict }, 'block rejected by the node');
      return;
    }
    this.#log.warn(
      { peer: session.peer, prev_hash: toDisplayHex(msg.prev_hash), jobs: jobs.length, tried },
      'PushSolution solves none of the recent declared jobs; not submitted',
    );
  }

  onClose(session: JdsSession): void {
    this.#sessions.delete(session);
  }

  // The node

  async #poll(): Promise<void> {
    const started = Date.now();
    try {
      this.#tipHeight = await this.#o.rpc.getblockcount({ retry: false });
      const r = await this.#mirror.poll();
      if (this.#outage) this.#log.info({ txs: r.txs }, 'node reachable again');
      this.#outage = false;
      const fields = {
        txs: r.txs,
        added: r.added,
        removed: r.removed,
        skipped: r.skipped,
        bytes: this.#mirror.bytes,
        height: this.#tipHeight,
        ms: Date.now() - started,
      };
      if (this.#polls++ === 0) {
        this.#log.info({ ...fields, heap_used: process.memoryUsage().heapUsed }, 'mempool mirror loaded');
      } else {
        this.#log.debug(fields, 'mempool mirror updated');
      }
    } catch (err) {
      if (!this.#outage) {
        this.#log.warn(
          { err: (err as Error).message, txs: this.#mirror.size },
          'cannot read the node; the mempool mirror stays as it was until it answers',
        );
      }
      this.#outage = true;
    }
    if (this.#stopped) return;
    this.#pollTimer = setTimeout(() => void this.#poll(), Math.min(MAX_TIMER_MS, this.#o.mempoolPollMs));
  }
}
