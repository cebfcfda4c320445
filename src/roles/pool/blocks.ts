// Found blocks: every candidate is submitted at once (SubmitSolution to the
// TP, and submitblock to the node when an RPC URL is configured), recorded
// with its finder, and its status settled from the node.
//
// A block on a custom job (job declaration) is recorded the same way but not
// submitted: the pool has neither its template nor its transactions; the job
// declarator client and server submit it. Its reward is what the coinbase
// pays the pool's payout output, split by PPLNS as credit the pool owes (see
// Payouts.customPlan); its status is settled from the node like any other.
//
// Direct submitblock needs the template's transactions. They are asked for
// on demand, once per template, when a block is found on it:
// RequestTransactionData goes out before SubmitSolution on the same
// connection, so the TP answers it before the block can move its tip. A
// template without transactions (empty merkle path) needs no request, so such
// blocks reach the node even while the TP is down.
//
// Competing candidates: where the network target is easy (regtest, devnet),
// many shares on one tip are blocks, and only one block per height can stay
// on the chain. The first candidate on a prev hash is recorded 'pending' with
// its PPLNS payouts; later ones on the same prev hash are recorded 'orphaned'
// (a node keeps the first of equal-work blocks it sees) with their payout plan
// held in memory, and turn 'pending' with their payouts recorded if the node
// says it kept one of them instead (after the one it replaces left the
// chain). Payouts are recorded from the credits their plan was computed on,
// so the ledger stays exact whatever order this happens in.
//
// Status with RPC: submitblock's verdict settles each candidate — null:
// accepted, 'pending' (on the chain) until block_confirmations deep, then
// 'confirmed'; "inconclusive" / "duplicate-inconclusive": valid but not on the
// best chain, 'orphaned'; "duplicate" (the TP was first): getblockhash at its
// height decides; any other answer: 'rejected', refused as invalid, never
// counted (its payouts undone like an orphan's) — unless getblockhash finds
// the block on the chain after all (the refusal was of this serialization;
// the TP's, with the same header, may have been accepted). At most SUBMIT_CONCURRENCY
// submitblock calls run at once; past SUBMIT_QUEUE waiting candidates the
// oldest competing ones are left to the TP's submission and the periodic
// check. Every block_check_interval the pending blocks, and the orphaned and
// rejected ones within block_confirmations of the newest, are compared with
// getblockhash at their heights (one call per height).
//
// Every new tip from the TP settles the blocks at its height (the tip's hash
// is the node's block there). Without RPC that is all the pool sees: a block
// is on the chain when a tip at its height was it, or when it is an ancestor
// of such a block through the prev hashes of the pool's own blocks; it is
// 'orphaned' when the chain there is known to be another block, or when the
// tips passed its height without ever showing it — a block the tips skipped
// (several blocks arriving between two templates) is then taken for orphaned
// even if it is on the chain. Blocks found before a restart whose height the
// tips passed unseen keep their status and are confirmed by depth. Configure
// RPC for exact answers.
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
import { offChain, SerialLock, type BlockStatus, type SqlQueryable, type Store } from '../../store/index.js';
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
  /** The template of a pool job; null for a custom job. */
  template: StoredTemplate | null;
  /** A custom job's block: its height, what it pays the pool's output, and its outputs' total. */
  custom?: { height: number; reward: bigint; coinbase_value: bigint };
  account: string;
  worker: string;
  /** The plan its coinbase was built with (a custom job's is computed when the block is found). */
  plan: PayoutPlan | undefined | Promise<PayoutPlan | undefined>;
}

/** submitblock calls in flight at once. */
export const SUBMIT_CONCURRENCY = 4;
/** Candidates waiting for submitblock; past this the oldest competing ones are dropped from the queue. */
export const SUBMIT_QUEUE = 1000;
/** Prev hashes remembered for spotting competing candidates, and plans of candidates recorded without payouts. */
const MEMORY = 4096;

type TxDataReply = Awaited<ReturnType<TdpClient['requestTransactionData']>>;

interface Submission {
  candidate: BlockCandidate;
  template: StoredTemplate;
  hash: string;
  height: number;
  first: boolean;
}

/** How the node answered a submitblock, as a block status (null: ask getblockhash). */
export function verdictStatus(verdict: string | null): 'pending' | 'orphaned' | 'rejected' | null {
  if (verdict === null) return 'pending';
  if (verdict === 'inconclusive' || verdict === 'duplicate-inconclusive') return 'orphaned';
  if (verdict === 'duplicate') return null;
  return 'rejected';
}

export class Blocks {
  readonly #o: BlocksOptions;
  readonly #log: Logger;
  /** Prev hash (display hex) → our first candidate on it. */
  readonly #firstOnPrev = new Map<string, string>();
  /** Payout plans of candidates recorded without payouts (competitors), by hash. */
  readonly #deferred = new Map<string, PayoutPlan>();
  /** Transaction data per template, asked once. */
  readonly #txData = new Map<bigint, Promise<TxDataReply | null>>();
  readonly #queue: Submission[] = [];
  #inflight = 0;
  /** Latest tip hash the TP showed at each height in this run. */
  readonly #tipAt = new Map<number, string>();
  /** Lowest tip height seen in this run. */
  #firstTipHeight = Infinity;
  #checking = false;
  /** Store work (recording, settling) runs one step at a time, in the order it was asked for. */
  readonly #serial = new SerialLock();

  constructor(opts: BlocksOptions) {
    this.#o = opts;
    this.#log = opts.logger;
    // A restarted TP numbers its templates afresh.
    opts.tdp.on('connected', () => this.#txData.clear());
  }

  /** Resolves once the store work asked for so far is done. */
  settled(): Promise<void> {
    return this.#serial.run(() => undefined);
  }

  /** submitblock calls waiting or running (for tests and metrics). */
  get submitting(): number {
    return this.#queue.length + this.#inflight;
  }

  /** A share met the network target: submit it everywhere, then record it. */
  found(b: FoundBlock): void {
    const { candidate, template } = b;
    const hash = toDisplayHex(candidate.hash);
    const prev = toDisplayHex(candidate.header.subarray(4, 36));
    if (template === null) {
      const height = b.custom?.height ?? -1;
      const first = !this.#firstOnPrev.has(prev);
      if (first) remember(this.#firstOnPrev, prev, hash);
      const fields = { hash, height, account: b.account, worker: b.worker, custom_job: true };
      if (first) this.#log.info(fields, 'block found');
      else this.#log.debug(fields, 'block found on a prev hash already solved (competing)');
      void this.#serial.run(() => this.#record(b, hash, prev, height, first));
      return;
    }
    const m = template.message;
    let height = -1;
    try {
      height = decodeBip34Height(m.coinbase_prefix).height;
    } catch {
      // A template without a BIP34 height is still submitted; its record says -1.
    }
    const first = !this.#firstOnPrev.has(prev);
    if (first) remember(this.#firstOnPrev, prev, hash);
    const direct = this.#o.rpc !== null;
    if (direct && m.merkle_path.length > 0) this.#transactions(m.template_id);
    // A template job's candidate always carries its SubmitSolution.
    this.#o.tdp.sendSubmitSolution(candidate.submit_solution!).catch((err: unknown) => {
      this.#log.error({ hash, err: errText(err) }, 'SubmitSolution to the template provider failed');
    });
    const fields = { hash, height, account: b.account, worker: b.worker, template_id: String(m.template_id) };
    if (first) this.#log.info(fields, 'block found');
    else this.#log.debug(fields, 'block found on a prev hash already solved (competing)');
    void this.#serial.run(() => this.#record(b, hash, prev, height, first));
    if (direct) this.#enqueue({ candidate, template, hash, height, first });
  }

  async #record(b: FoundBlock, hash: string, prev: string, height: number, first: boolean): Promise<void> {
    const ledger = this.#o.store.ledger;
    const plan = await b.plan;
    let reward: bigint;
    let coinbase_value: bigint;
    if (b.template === null) {
      reward = b.custom?.reward ?? 0n;
      coinbase_value = b.custom?.coinbase_value ?? reward;
    } else {
      reward = plan?.reward ?? b.template.message.coinbase_tx_value_remaining;
      coinbase_value = reward;
      for (const o of b.template.outputs) coinbase_value += o.value;
    }
    try {
      const recorded = await ledger.recordBlock({
        height,
        hash,
        prev_hash: prev,
        account: b.account,
        worker: b.worker,
        reward_sats: reward,
        coinbase_value,
        status: first ? 'pending' : 'orphaned',
      });
      if (!recorded) return;
      if (!plan) this.#log.warn({ hash }, 'payout plan of the block unknown; payouts not recorded');
      else if (first) await ledger.recordBlockPayouts(hash, plan.outputs, plan.carried, plan.credits_before);
      else remember(this.#deferred, hash, plan);
    } catch (err) {
      this.#log.error({ hash, err: errText(err) }, 'recording the block failed');
    }
  }

  // ---- direct submission ---------------------------------------------------------------------

  #transactions(template_id: bigint): Promise<TxDataReply | null> {
    let p = this.#txData.get(template_id);
    if (!p) {
      p = this.#o.tdp.connected
        ? this.#o.tdp.requestTransactionData(template_id).catch((err: unknown) => {
            this.#log.warn(
              { template_id: String(template_id), err: errText(err) },
              'transaction data unavailable',
            );
            this.#txData.delete(template_id); // the next candidate asks again
            return null;
          })
        : Promise.resolve(null);
      if (this.#o.tdp.connected) remember(this.#txData, template_id, p, 8);
    }
    return p;
  }

  #enqueue(s: Submission): void {
    // The first candidate on a prev hash goes ahead of competing ones.
    if (s.first) {
      const at = this.#queue.findIndex((q) => !q.first);
      this.#queue.splice(at < 0 ? this.#queue.length : at, 0, s);
    } else this.#queue.push(s);
    while (this.#queue.length > SUBMIT_QUEUE) {
      const at = this.#queue.findIndex((q) => !q.first);
      const dropped = this.#queue.splice(at < 0 ? 0 : at, 1)[0]!;
      this.#log.debug({ hash: dropped.hash }, 'submitblock queue full: left to the TP and the status check');
    }
    this.#pump();
  }

  #pump(): void {
    while (this.#inflight < SUBMIT_CONCURRENCY && this.#queue.length > 0) {
      const s = this.#queue.shift()!;
      this.#inflight++;
      void this.#submitDirect(s).finally(() => {
        this.#inflight--;
        this.#pump();
      });
    }
  }

  async #submitDirect(s: Submission): Promise<void> {
    const rpc = this.#o.rpc!;
    const m = s.template.message;
    const fields = { hash: s.hash, height: s.height };
    let txs: Uint8Array[] = [];
    if (m.merkle_path.length > 0) {
      const reply = await this.#transactions(m.template_id);
      if (!reply || reply.type !== 'RequestTransactionDataSuccess') {
        if (reply) this.#log.warn({ ...fields, error_code: reply.error_code }, 'transaction data refused');
        this.#log.warn(fields, 'block not submitted to the node directly (the TP submits it)');
        return;
      }
      txs = reply.transaction_list;
    }
    const block = concatBytes(
      s.candidate.header,
      encodeCompactSize(txs.length + 1),
      s.candidate.coinbase_tx,
      ...txs,
    );
    let verdict: string | null;
    try {
      verdict = await rpc.submitblock(bytesToHex(block), { retry: { attempts: 3 } });
    } catch (err) {
      this.#log.error({ ...fields, err: errText(err) }, 'submitblock failed');
      return;
    }
    if (s.first || verdict === null) this.#log.info({ ...fields, verdict }, 'submitblock done');
    let status = verdictStatus(verdict);
    if (status === 'rejected') this.#log.warn({ ...fields, verdict }, 'node rejected the block');
    if (status === null || status === 'rejected') {
      // "duplicate": the node has it (usually from the TP); is it on the best chain?
      // A refusal is checked too: it judged this serialization of the block, and the
      // TP's may have reached the chain with the same header.
      let there: string | null = null;
      try {
        there = await rpc.call<string>('getblockhash', [s.height]);
      } catch (err) {
        if (!isRpcError(err)) this.#log.warn({ ...fields, err: errText(err) }, 'getblockhash failed');
        if (status === null) return; // the periodic check settles it
      }
      if (there === s.hash) status = 'pending';
      else if (status === null) status = 'orphaned';
    }
    await this.#serial.run(() => this.#settle(s.hash, s.height, status));
  }

  // ---- settling ------------------------------------------------------------------------------

  /**
   * Moves one block to `status` (`known`: the status last read, to skip a
   * block already there). A block coming onto the chain first moves the other
   * kept blocks of its height off it, then gets its held payouts.
   */
  async #settle(hash: string, height: number, status: BlockStatus, known?: BlockStatus): Promise<void> {
    if (known === status) return;
    const ledger = this.#o.store.ledger;
    const changed: { hash: string; from: BlockStatus; status: BlockStatus }[] = [];
    try {
      await ledger.transaction(async (q) => {
        const change = async (h: string, from: BlockStatus, to: BlockStatus) => {
          if (await ledger.updateBlockStatus(h, to, q)) changed.push({ hash: h, from, status: to });
        };
        const was = await ledger.statusOf(hash, q);
        // A block the node refused leaves that status only for the chain (found there by hash).
        if (was === undefined || was === status || (was === 'rejected' && offChain(status))) return;
        if (!offChain(status) && height >= 0) {
          for (const other of await ledger.keptAt(height, hash, q))
            await change(other.hash, other.status, 'orphaned');
        }
        await change(hash, was, status);
        if (!offChain(status)) await this.#payDeferred(hash, q);
      });
    } catch (err) {
      changed.length = 0;
      this.#log.error({ hash, err: errText(err) }, 'updating the block status failed');
      return;
    }
    // Logged once committed: whoever reads the log finds the database agreeing.
    for (const c of changed) this.#log.info({ ...c, height }, 'block status changed');
  }

  async #payDeferred(hash: string, q: SqlQueryable): Promise<void> {
    const rows = await q.all<{ payouts_recorded: number }>(
      'SELECT payouts_recorded FROM blocks WHERE hash = ?',
      [hash],
    );
    if (rows.length === 0 || rows[0]!.payouts_recorded !== 0) return;
    const plan = this.#deferred.get(hash);
    if (!plan) {
      this.#log.warn({ hash }, 'block on the chain but its payout plan is forgotten; payouts not recorded');
      return;
    }
    await this.#o.store.ledger.recordBlockPayouts(hash, plan.outputs, plan.carried, plan.credits_before, q);
    this.#deferred.delete(hash);
  }

  /**
   * Settles the blocks at `height` when the chain's block there is `there`
   * and the chain is `top` high: the others there leave the chain first.
   */
  async #settleAt(height: number, there: string, top: number): Promise<void> {
    const rows = await this.#o.store.ledger.blocksAt(height, there);
    for (const b of rows) if (b.hash !== there) await this.#settle(b.hash, height, 'orphaned', b.status);
    const on = rows.find((b) => b.hash === there);
    if (on) {
      const status = top - height + 1 >= this.#o.confirmations ? 'confirmed' : 'pending';
      await this.#settle(on.hash, height, status, on.status);
    }
  }

  /**
   * A new tip from the TP: `height` and display hash of the block it builds
   * on. Resolves once the statuses it settles are committed.
   */
  onTip(height: number, hash: string): Promise<void> {
    if (height < 0) return Promise.resolve();
    for (const h of this.#tipAt.keys()) if (h > height) this.#tipAt.delete(h);
    this.#tipAt.set(height, hash);
    for (const h of this.#tipAt.keys()) if (h < height - this.#o.confirmations - 16) this.#tipAt.delete(h);
    this.#firstTipHeight = Math.min(this.#firstTipHeight, height);
    return this.#serial.run(async () => {
      try {
        // With RPC the node's block at the tip's height is known for sure; the rest is the RPC check's.
        if (this.#o.rpc !== null) {
          await this.#settleAt(height, hash, height);
          return;
        }
        const ledger = this.#o.store.ledger;
        const chain = await this.#chainFrom(height, hash);
        for (const h of await ledger.unsettledHeights(this.#o.confirmations)) {
          if (h < 0 || h > height) continue;
          const there = chain.get(h);
          if (there !== undefined) {
            await this.#settleAt(h, there, height);
            continue;
          }
          for (const b of await ledger.blocksAt(h, null)) {
            // The tips passed this height without showing it: orphaned. Before this
            // run's first tip nothing was seen: kept as it is, confirmed by depth.
            if (h >= this.#firstTipHeight) await this.#settle(b.hash, h, 'orphaned', b.status);
            else if (height - h + 1 >= this.#o.confirmations)
              await this.#settle(b.hash, h, 'confirmed', b.status);
          }
        }
      } catch (err) {
        this.#log.error({ err: errText(err) }, 'settling blocks at a new tip failed');
      }
    });
  }

  /** The chain's block per height as far as known: tips seen, then ancestors through our blocks' prev hashes. */
  async #chainFrom(height: number, hash: string): Promise<Map<number, string>> {
    const chain = new Map(this.#tipAt);
    let h = height;
    let at: string | null = hash;
    while (at !== null && h >= 0 && h >= height - this.#o.confirmations) {
      chain.set(h, at);
      at = await this.#o.store.ledger.prevHashOf(at);
      h--;
    }
    return chain;
  }

  /** One RPC status pass over unsettled blocks, one getblockhash per height (no-op without RPC or while one runs). */
  async check(): Promise<void> {
    const rpc = this.#o.rpc;
    if (rpc === null || this.#checking) return;
    this.#checking = true;
    try {
      const heights = await this.#o.store.ledger.unsettledHeights(this.#o.confirmations);
      if (heights.length === 0) return;
      const tip = await rpc.getblockcount();
      for (const h of heights) {
        if (h < 0 || h > tip) continue;
        let there: string;
        try {
          there = await rpc.call<string>('getblockhash', [h]);
        } catch (err) {
          if (isRpcError(err)) continue;
          throw err;
        }
        await this.#serial.run(() => this.#settleAt(h, there, tip));
      }
    } catch (err) {
      this.#log.warn({ err: errText(err) }, 'block status check failed');
    } finally {
      this.#checking = false;
    }
  }
}

/** Map.set keeping at most `max` entries (the oldest go first). */
function remember<K, V>(map: Map<K, V>, key: K, value: V, max = MEMORY): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value as K);
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
