// Typed wrappers for the Bitcoin Core calls the stack makes.
import { JsonRpcClient, type CallOptions } from './client.js';
import { chainForNetwork, networkForChain, type NetworkName } from './chain.js';
import { RpcError, isRpcError } from './errors.js';
import { checkShape } from './shape.js';
import type {
  BlockHeaderVerbose,
  BlockTemplate,
  BlockVerbose,
  BlockVerboseTx,
  BlockchainInfo,
  GenerateBlockResult,
  GetBlockTemplateOptions,
  MempoolEntry,
  RawTransactionVerbose,
} from './types.js';

// Calls that change node state: never repeated after a reply may have been lost.
const ONCE: CallOptions = { idempotent: false };

export class BitcoinRpc extends JsonRpcClient {
  /**
   * getblocktemplate with the segwit rule. With `longpollid` the call waits until the
   * template is stale: no timeout unless given, abortable through `signal`.
   */
  async getblocktemplate(opts: GetBlockTemplateOptions = {}): Promise<BlockTemplate> {
    const request: Record<string, unknown> = { rules: opts.rules ?? ['segwit'] };
    if (opts.longpollid === undefined) {
      const gbt = await this.call<unknown>('getblocktemplate', [request], {
        signal: opts.signal,
        timeoutMs: opts.timeoutMs,
      });
      return checkShape('getblocktemplate', gbt, this.url);
    }
    request.longpollid = opts.longpollid;
    request.capabilities = ['longpoll'];
    const timeoutMs = opts.timeoutMs ?? 0;
    for (;;) {
      try {
        const gbt = await this.call<unknown>('getblocktemplate', [request], {
          signal: opts.signal,
          timeoutMs,
        });
        return checkShape('getblocktemplate', gbt, this.url);
      } catch (e) {
        // With no timeout of ours, a timeout is the HTTP stack's own idle limit:
        // the template is still current, so wait again.
        if (timeoutMs === 0 && isRpcError(e, 'timeout') && opts.signal?.aborted !== true) continue;
        throw e;
      }
    }
  }

  /** Returns null when the node accepted the block, else its verdict ("duplicate", "inconclusive", "bad-txnmrklroot", …). */
  async submitblock(hexdata: string, opts: CallOptions = {}): Promise<string | null> {
    // Delivery failures before the node saw the block are still retried (see JsonRpcClient.call).
    return checkShape(
      'submitblock',
      await this.call('submitblock', [hexdata], { ...ONCE, ...opts }),
      this.url,
    );
  }

  async getblockchaininfo(opts?: CallOptions): Promise<BlockchainInfo> {
    return checkShape('getblockchaininfo', await this.call('getblockchaininfo', [], opts), this.url);
  }

  async getbestblockhash(opts?: CallOptions): Promise<string> {
    return checkShape('getbestblockhash', await this.call('getbestblockhash', [], opts), this.url);
  }

  getblockcount(opts?: CallOptions): Promise<number> {
    return this.call('getblockcount', [], opts);
  }

  getblockheader(blockhash: string, verbose?: true, opts?: CallOptions): Promise<BlockHeaderVerbose>;
  getblockheader(blockhash: string, verbose: false, opts?: CallOptions): Promise<string>;
  getblockheader(
    blockhash: string,
    verbose = true,
    opts?: CallOptions,
  ): Promise<BlockHeaderVerbose | string> {
    return this.call('getblockheader', [blockhash, verbose], opts);
  }

  getblock(blockhash: string, verbosity: 0, opts?: CallOptions): Promise<string>;
  getblock(blockhash: string, verbosity?: 1, opts?: CallOptions): Promise<BlockVerbose>;
  getblock(blockhash: string, verbosity: 2, opts?: CallOptions): Promise<BlockVerboseTx>;
  getblock(
    blockhash: string,
    verbosity: 0 | 1 | 2 = 1,
    opts?: CallOptions,
  ): Promise<string | BlockVerbose | BlockVerboseTx> {
    return this.call('getblock', [blockhash, verbosity], opts);
  }

  getrawmempool(verbose?: false, opts?: CallOptions): Promise<string[]>;
  getrawmempool(verbose: true, opts?: CallOptions): Promise<Record<string, MempoolEntry>>;
  getrawmempool(verbose = false, opts?: CallOptions): Promise<string[] | Record<string, MempoolEntry>> {
    return this.call('getrawmempool', [verbose], opts);
  }

  getrawtransaction(txid: string, verbose?: false, blockhash?: string, opts?: CallOptions): Promise<string>;
  getrawtransaction(
    txid: string,
    verbose: true,
    blockhash?: string,
    opts?: CallOptions,
  ): Promise<RawTransactionVerbose>;
  getrawtransaction(
    txid: string,
    verbose = false,
    blockhash?: string,
    opts?: CallOptions,
  ): Promise<string | RawTransactionVerbose> {
    const params: unknown[] = [txid, verbose];
    if (blockhash !== undefined) params.push(blockhash);
    return this.call('getrawtransaction', params, opts);
  }

  getmempoolentry(txid: string, opts?: CallOptions): Promise<MempoolEntry> {
    return this.call('getmempoolentry', [txid], opts);
  }

  /**
   * getrawtransaction (hex) of many txids in one batch request; null where
   * the node answered with an error (no such mempool or blockchain transaction).
   */
  async getrawtransactions(txids: readonly string[], opts?: CallOptions): Promise<(string | null)[]> {
    const replies = await this.callBatch<string>(
      'getrawtransaction',
      txids.map((id) => [id, false]),
      opts,
    );
    return replies.map((r) => (r instanceof RpcError ? null : checkShape('getrawtransaction', r, this.url)));
  }

  /** getmempoolentry of many txids in one batch request; null where the transaction is not in the mempool. */
  async getmempoolentries(txids: readonly string[], opts?: CallOptions): Promise<(MempoolEntry | null)[]> {
    const replies = await this.callBatch<unknown>(
      'getmempoolentry',
      txids.map((id) => [id]),
      opts,
    );
    return replies.map((r) => (r instanceof RpcError ? null : checkShape('getmempoolentry', r, this.url)));
  }

  /** Mines `nblocks` to `address` (regtest/devnet); returns the block hashes. */
  generatetoaddress(
    nblocks: number,
    address: string,
    maxtries?: number,
    opts?: CallOptions,
  ): Promise<string[]> {
    const params: unknown[] = [nblocks, address];
    if (maxtries !== undefined) params.push(maxtries);
    return this.call('generatetoaddress', params, { ...ONCE, ...opts });
  }

  /** Mines one block paying `output` (address or descriptor) with the given txids or raw transactions. */
  generateblock(
    output: string,
    transactions: string[],
    submit?: boolean,
    opts?: CallOptions,
  ): Promise<GenerateBlockResult> {
    const params: unknown[] = [output, transactions];
    if (submit !== undefined) params.push(submit);
    return this.call('generateblock', params, { ...ONCE, ...opts });
  }

  invalidateblock(blockhash: string, opts?: CallOptions): Promise<null> {
    return this.call('invalidateblock', [blockhash], opts);
  }

  /**
   * Checks the node is on the chain of the configured network and returns its
   * chain info; throws RpcError kind 'wrong_chain' otherwise.
   */
  async checkChain(expected: NetworkName, opts?: CallOptions): Promise<BlockchainInfo> {
    const info = await this.getblockchaininfo(opts);
    const want = chainForNetwork(expected);
    if (info.chain !== want) {
      const theirs = networkForChain(info.chain);
      const hint = theirs === undefined ? '' : ` (network = "${theirs}")`;
      throw new RpcError(
        'wrong_chain',
        `Bitcoin Core at ${this.url} is on chain "${info.chain}"${hint}, but the configured network is ${expected} (chain "${want}") — point the RPC URL at a ${expected} node or change the network`,
        { url: this.url, method: 'getblockchaininfo' },
      );
    }
    return info;
  }
}
