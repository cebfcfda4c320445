// Found blocks: submitted at once (SubmitSolution to the TP, and submitblock
// to the node when an RPC URL is configured), recorded with their finder and
// payouts, then followed until confirmed or orphaned.
//
// Direct submitblock needs the template's transactions. They are asked for
// on demand, when a block is found: RequestTransactionData goes out before
// SubmitSolution on the same connection, so the TP answers it before the
// block can move its tip. A template without transactions (empty merkle
// path) needs no request, so such blocks reach the node even while the TP is
// down.
//
// Status: with RPC, every block_check_interval each unsettled block is looked
// up with getblockhash(height): the same hash with block_confirmations
// confirmations → confirmed, another hash → orphaned (and back to pending if
// it returns). Without RPC the pool only sees the TP's tips (SetNewPrevHash):
// a tip at the block's height with the block's hash marks it as on the chain,
// one with another hash marks it orphaned, and a block seen on the chain is
// confirmed once the tip is block_confirmations − 1 higher. A reorg deeper
// than one tip step can escape that view; configure RPC for exact answers.
import {
  concatBytes,
  decodeBip34Height,
  encodeCompactSize,
  toDisplayHex,
  bytesToHex,
} from '../../bitcoin/index.js';
import type { BlockCandidate, ShareRecord, StoredTemplate } from '../../channels/index.js';
import type { Logger } from '../../log.js';
import { isRpcError, type BitcoinRpc } from '../../rpc/index.js';
import type { Store } from '../../store/index.js';
import type { TdpClient } from '../common/tdp-client.js';
import type { PayoutPlan } from './payouts.js';

export interface BlocksOptions {
  store: Store;
  tdp: TdpClient;
  rpc: BitcoinRpc | null;
  confirmations: number;
  logger: Logger;
}

export interface FoundBlock {
  candidate: BlockCandidate;
  share: ShareRecord;
  template: StoredTemplate;
  account: string;
  worker: string;
  plan: PayoutPlan | undefined;
}

interface Unsettled {
  hash: string;
  height: number;
  status: string;
}

export class Blocks {
  readonly #o: BlocksOptions;
  readonly #log: Logger;
  /** Without RPC: blocks seen as a tip of the TP. */
  readonly #seen = new Set<string>();
  #checking = false;

  constructor(opts: BlocksOptions) {
    this.#o = opts;
    this.#log = opts.logger;
  }

  /** A share met the network target: submit it everywhere, then record it. */
  found(b: FoundBlock): void {
    const { candidate, template } = b;
    const m = template.message;
    const hash = toDisplayHex(candidate.hash);
    let height = -1;
    try {
      height = decodeBip34Height(m.coinbase_prefix).height;
    } catch {
      // A template without a BIP34 height is still submitted; its record says -1.
    }
    const needsTxs = m.merkle_path.length > 0;
    const txData =
      this.#o.rpc !== null && needsTxs && this.#o.tdp.connected
        ? this.#o.tdp.requestTransactionData(m.template_id)
        : null;
    txData?.catch(() => {});
    this.#o.tdp.sendSubmitSolution(candidate.submit_solution).catch((err: unknown) => {
      this.#log.error({ hash, err: errText(err) }, 'SubmitSolution to the template provider failed');
    });
    const fields = { hash, height, account: b.account, worker: b.worker, template_id: String(m.template_id) };
    this.#log.info(fields, 'block found');
    this.#record(b, hash, height);
    if (this.#o.rpc !== null) void this.#submitDirect(candidate, needsTxs, txData, fields);
  }

  #record(b: FoundBlock, hash: string, height: number): void {
    const ledger = this.#o.store.ledger;
    const plan = b.plan;
    const reward = plan?.reward ?? b.template.message.coinbase_tx_value_remaining;
    let coinbase_value = reward;
    for (const o of b.template.outputs) coinbase_value += o.value;
    try {
      ledger.recordBlock({
        height,
        hash,
        account: b.account,
        worker: b.worker,
        reward_sats: reward,
        coinbase_value,
        status: 'pending',
      });
      if (plan) ledger.recordBlockPayouts(hash, plan.outputs, plan.carried);
      else this.#log.warn({ hash }, 'payout plan of the block unknown; payouts not recorded');
    } catch (err) {
      this.#log.error({ hash, err: errText(err) }, 'recording the block failed');
    }
  }

  async #submitDirect(
    candidate: BlockCandidate,
    needsTxs: boolean,
    txData: ReturnType<TdpClient['requestTransactionData']> | null,
    fields: object,
  ): Promise<void> {
    const rpc = this.#o.rpc!;
    let txs: Uint8Array[] = [];
    if (needsTxs) {
      const reply = await txData?.catch((err: unknown) => {
        this.#log.warn({ ...fields, err: errText(err) }, 'transaction data unavailable');
        return null;
      });
      if (!reply || reply.type !== 'RequestTransactionDataSuccess') {
        if (reply) this.#log.warn({ ...fields, error_code: reply.error_code }, 'transaction data refused');
        this.#log.warn(fields, 'block not submitted to the node directly (the TP submits it)');
        return;
      }
      txs = reply.transaction_list;
    }
    const block = concatBytes(
      candidate.header,
      encodeCompactSize(txs.length + 1),
      candidate.coinbase_tx,
      ...txs,
    );
    try {
      const verdict = await rpc.submitblock(bytesToHex(block), { retry: { attempts: 3 } });
      // "duplicate": the TP was first, which is fine.
      if (verdict === null || verdict === 'duplicate')
        this.#log.info({ ...fields, verdict }, 'submitblock done');
      else this.#log.warn({ ...fields, verdict }, 'node rejected the block');
    } catch (err) {
      this.#log.error({ ...fields, err: errText(err) }, 'submitblock failed');
    }
  }

  /** A new tip from the TP: `height` and display hash of the block it builds on. */
  onTip(height: number, hash: string): void {
    if (this.#o.rpc !== null) return;
    const n = this.#o.confirmations;
    for (const b of this.#unsettled()) {
      if (height === b.height) {
        if (hash === b.hash) {
          this.#seen.add(b.hash);
          this.#setStatus(b, 'pending');
        } else {
          this.#seen.delete(b.hash);
          this.#setStatus(b, 'orphaned');
        }
      } else if (height >= b.height + n - 1 && this.#seen.has(b.hash) && b.status === 'pending') {
        this.#setStatus(b, 'confirmed');
      }
    }
  }

  /** One RPC status pass over unsettled blocks (no-op without RPC or while one runs). */
  async check(): Promise<void> {
    const rpc = this.#o.rpc;
    if (rpc === null || this.#checking) return;
    this.#checking = true;
    try {
      const blocks = this.#unsettled();
      if (blocks.length === 0) return;
      const tip = await rpc.getblockcount();
      for (const b of blocks) {
        if (b.height < 0 || b.height > tip) continue;
        let hash: string;
        try {
          hash = await rpc.call<string>('getblockhash', [b.height]);
        } catch (err) {
          if (isRpcError(err)) continue;
          throw err;
        }
        if (hash !== b.hash) this.#setStatus(b, 'orphaned');
        else this.#setStatus(b, tip - b.height + 1 >= this.#o.confirmations ? 'confirmed' : 'pending');
      }
    } catch (err) {
      this.#log.warn({ err: errText(err) }, 'block status check failed');
    } finally {
      this.#checking = false;
    }
  }

  /** Pending blocks, and orphaned ones recent enough to come back in a reorg. */
  #unsettled(): Unsettled[] {
    return this.#o.store.db
      .prepare(
        `SELECT hash, height, status FROM blocks WHERE status = 'pending'
           OR (status = 'orphaned' AND height >= (SELECT MAX(height) FROM blocks) - ?)`,
      )
      .all(this.#o.confirmations) as Unsettled[];
  }

  #setStatus(b: Unsettled, status: 'pending' | 'confirmed' | 'orphaned'): void {
    if (b.status === status) return;
    try {
      if (this.#o.store.ledger.updateBlockStatus(b.hash, status)) {
        this.#log.info({ hash: b.hash, height: b.height, from: b.status, status }, 'block status changed');
      }
      b.status = status;
    } catch (err) {
      this.#log.error({ hash: b.hash, err: errText(err) }, 'updating the block status failed');
    }
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
