// The devnet's block tree: every accepted block (active chain and side
// branches), the most-work valid tip, reorgs, invalidateblock, and the
// transaction index the RPC calls read. Blocks are kept in memory.
import { toDisplayHex } from '../../bitcoin/index.js';
import { decodeBlock, type Block } from './block.js';
import { MTP_SPAN, blockWork, regtestGenesis } from './consensus.js';
import type { Mempool } from './mempool.js';
import { validateBlock } from './validate.js';

export interface BlockEntry {
  block: Block;
  /** Display (big-endian) hex of the header hash. */
  hashHex: string;
  height: number;
  parent: BlockEntry | null;
  chainWork: bigint;
  /** Median time past of the chain ending at this block. */
  medianTimePast: number;
  invalid: boolean;
  /** Arrival order: among equal work, the first seen stays the tip (as Core does). */
  seq: number;
}

export type SubmitOutcome =
  | { result: null; entry: BlockEntry }
  | { result: 'inconclusive'; entry: BlockEntry }
  | { result: string; entry?: BlockEntry };

export interface ChainEvents {
  /** A block passed validation and joined the tree (persist it). */
  onAccepted?(entry: BlockEntry): void;
  /** The active tip changed. */
  onTip?(tip: BlockEntry, disconnected: BlockEntry[], connected: BlockEntry[]): void;
  /** A block was rejected. */
  onRejected?(hashHex: string, reason: string): void;
}

export class Chain {
  readonly entries = new Map<string, BlockEntry>();
  /** Active chain, index = height. */
  readonly active: BlockEntry[] = [];
  /** txid (display hex) -> block of the active chain holding it. */
  readonly txIndex = new Map<string, BlockEntry>();
  /** Fees the devnet learned from its mempool, for the coinbase amount check. */
  readonly knownFees = new Map<string, bigint>();
  private seq = 0;
  events: ChainEvents = {};

  constructor(
    readonly mempool: Mempool,
    private readonly clock: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    const genesis = regtestGenesis();
    const entry = this.makeEntry(genesis, null);
    this.entries.set(entry.hashHex, entry);
    this.connect(entry);
  }

  get tip(): BlockEntry {
    return this.active[this.active.length - 1]!;
  }

  get height(): number {
    return this.active.length - 1;
  }

  get genesis(): BlockEntry {
    return this.active[0]!;
  }

  isActive(entry: BlockEntry): boolean {
    return this.active[entry.height] === entry;
  }

  private makeEntry(block: Block, parent: BlockEntry | null): BlockEntry {
    const times: number[] = [block.header.time];
    for (let p = parent; p && times.length < MTP_SPAN; p = p.parent) times.push(p.block.header.time);
    times.sort((a, b) => a - b);
    return {
      block,
      hashHex: toDisplayHex(block.hash),
      height: parent ? parent.height + 1 : 0,
      parent,
      chainWork: (parent?.chainWork ?? 0n) + blockWork(block.header.bits),
      medianTimePast: times[Math.floor(times.length / 2)]!,
      invalid: false,
      seq: this.seq++,
    };
  }

  /** Checks a block against its would-be parent; the reject reason or null. */
  check(block: Block, parent: BlockEntry, replay = false, checkPow = true): string | null {
    return validateBlock(block, {
      height: parent.height + 1,
      medianTimePast: parent.medianTimePast,
      now: this.clock(),
      feeOf: (id) => this.knownFees.get(id),
      replay,
      checkPow,
    });
  }

  /**
   * submitblock: decodes (throws BitcoinDataError), checks and stores the block,
   * then moves the tip to the most-work valid chain. `replay` is for reloading
   * the node's own blocks file.
   */
  submit(raw: Uint8Array, replay = false): SubmitOutcome {
    const block = decodeBlock(raw);
    return this.accept(block, replay);
  }

  accept(block: Block, replay = false): SubmitOutcome {
    const hashHex = toDisplayHex(block.hash);
    const known = this.entries.get(hashHex);
    if (known) return this.reject(hashHex, known.invalid ? 'duplicate-invalid' : 'duplicate', known);
    const parent = this.entries.get(toDisplayHex(block.header.prevHash));
    if (!parent) return this.reject(hashHex, 'prev-blk-not-found');
    if (parent.invalid) return this.reject(hashHex, 'bad-prevblk');
    const reason = this.check(block, parent, replay);
    if (reason) return this.reject(hashHex, reason);
    const entry = this.makeEntry(block, parent);
    this.entries.set(hashHex, entry);
    this.events.onAccepted?.(entry);
    this.activateBestChain();
    return this.isActive(entry) ? { result: null, entry } : { result: 'inconclusive', entry };
  }

  private reject(hashHex: string, reason: string, entry?: BlockEntry): SubmitOutcome {
    this.events.onRejected?.(hashHex, reason);
    return entry ? { result: reason, entry } : { result: reason };
  }

  /** invalidateblock: marks the block and its descendants invalid and re-picks the tip. */
  invalidate(entry: BlockEntry): void {
    if (entry.height === 0) throw new Error('cannot invalidate the genesis block');
    entry.invalid = true;
    let changed = true;
    // Descendants: repeat until no valid entry has an invalid parent (the tree is small).
    while (changed) {
      changed = false;
      for (const e of this.entries.values()) {
        if (!e.invalid && e.parent?.invalid) {
          e.invalid = true;
          changed = true;
        }
      }
    }
    this.activateBestChain();
  }

  /** reconsiderblock: clears the invalid mark of the block, its ancestors and descendants. */
  reconsider(entry: BlockEntry): void {
    for (let p: BlockEntry | null = entry; p; p = p.parent) p.invalid = false;
    for (const e of this.entries.values()) {
      for (let p: BlockEntry | null = e; p; p = p.parent) {
        if (p === entry) {
          e.invalid = false;
          break;
        }
      }
    }
    this.activateBestChain();
  }

  private activateBestChain(): void {
    // Only strictly more work replaces a valid tip; after an invalidation the
    // first-seen block among equals wins, as in Core.
    const tipValid = !this.tip.invalid;
    let best = tipValid ? this.tip : this.genesis;
    for (const e of this.entries.values()) {
      if (e.invalid) continue;
      if (e.chainWork > best.chainWork) best = e;
      else if (!tipValid && e.chainWork === best.chainWork && e.seq < best.seq) best = e;
    }
    if (best === this.tip) return;
    const path: BlockEntry[] = [];
    let fork: BlockEntry = best;
    while (!this.isActive(fork)) {
      path.push(fork);
      fork = fork.parent!;
    }
    const disconnected: BlockEntry[] = [];
    while (this.tip !== fork) disconnected.push(this.disconnectTip());
    path.reverse();
    for (const e of path) this.connect(e);
    this.returnToMempool(disconnected);
    this.mempool.removeMany(path.flatMap((e) => e.block.txs.slice(1).map((t) => toDisplayHex(t.txid))));
    this.events.onTip?.(this.tip, disconnected, path);
  }

  private connect(entry: BlockEntry): void {
    this.active.push(entry);
    for (const t of entry.block.txs) this.txIndex.set(toDisplayHex(t.txid), entry);
  }

  private disconnectTip(): BlockEntry {
    const entry = this.active.pop()!;
    for (const t of entry.block.txs) this.txIndex.delete(toDisplayHex(t.txid));
    return entry;
  }

  /** Non-coinbase transactions of disconnected blocks go back to the mempool, as in Core. */
  private returnToMempool(disconnected: BlockEntry[]): void {
    const now = this.clock();
    for (const e of disconnected) {
      for (const t of e.block.txs.slice(1)) {
        const id = toDisplayHex(t.txid);
        this.mempool.add(t, this.knownFees.get(id) ?? 0n, now, this.height);
      }
    }
  }

  /** The block at `height` on the active chain. */
  at(height: number): BlockEntry | undefined {
    return this.active[height];
  }

  find(hashHex: string): BlockEntry | undefined {
    return this.entries.get(hashHex.toLowerCase());
  }

  /** Highest height known in the block tree (getblockchaininfo "headers"). */
  get headers(): number {
    let h = 0;
    for (const e of this.entries.values()) if (!e.invalid && e.height > h) h = e.height;
    return h;
  }
}
