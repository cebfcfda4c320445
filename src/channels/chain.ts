// What every connection of a pool shares: the templates from the Template
// Provider, the chain tip they build on, the extranonce allocator, and the
// coinbases built per (template, payout, extranonce size). One MiningChain per
// pool; each ServerConnectionChannels reads from it.
//
// Coinbase scriptSig of a template job:
//   template coinbase_prefix (BIP34 height) ‖ push(pool_signature + miner_tag)
//   ‖ push opcode N ‖ extranonce_fixed (L bytes) ‖ channel extranonce (N − L bytes)
// where the channel extranonce is extranonce_prefix ‖ the miner's rolled bytes.
// extranonce_fixed comes from the payout (CoinbasePayout) and is empty for a
// pool. A job declarator client serving its own downstreams puts its upstream
// pool's extranonce_prefix there: its downstream channels get prefixes of its
// own after those bytes, and the whole pushed extranonce (N bytes, fixed
// bytes included) is exactly the full extranonce of its upstream channel, so
// a solution found downstream is a share upstream. Downstream jobs carry the
// fixed bytes at the end of coinbase_tx_prefix. The scriptSig stays within
// 100 bytes: the tag gives way first.
import {
  bitsToTarget,
  buildCoinbase,
  decodeBip34Height,
  parseOutputs,
  pushData,
  targetToDifficulty,
  u256ToLE,
  type CoinbaseParts,
  type TxOutput,
} from '../bitcoin/index.js';
import type { MessageByName } from '../messages/index.js';
import { resolveChannelsConfig, type ChannelsConfig } from './config.js';
import { ExtranonceAllocator } from './extranonce.js';

export type NewTemplateMessage = MessageByName<'NewTemplate'>;
export type SetNewPrevHashTdpMessage = MessageByName<'SetNewPrevHashTdp'>;

/** Who a coinbase pays: chosen by the pool per payout key (e.g. "pool" for PPLNS, an address for solo). */
export interface CoinbasePayout {
  /** Outputs placed before the template's own; their sum may not exceed coinbase_tx_value_remaining. */
  outputs: readonly TxOutput[];
  /** Appended to the pool signature in the scriptSig tag. */
  miner_tag?: string;
  /**
   * Bytes placed at the start of the extranonce (right after its push
   * opcode), before every channel's extranonce_prefix; the push counts them.
   * Absent or empty for a pool (see the layout above).
   */
  extranonce_fixed?: Uint8Array;
}

export type PayoutResolver = (payout_key: string, template: NewTemplateMessage) => CoinbasePayout;

export interface ChainTip {
  prev_hash: Uint8Array;
  header_timestamp: number;
  nbits: number;
  /** Network target from nbits, 32 little-endian bytes. */
  network_target: Uint8Array;
  /** Difficulty of the network target. */
  network_difficulty: number;
  /** Template whose future job the tip activated. */
  template_id: bigint;
  /** Height of the block being mined on this tip (BIP34 height of that template); null if it has none. */
  height: number | null;
  /** Counts tips: jobs remember the one they were made for. */
  epoch: number;
  /** `now` when the tip arrived, for the ntime upper bound. */
  received_at: number;
}

export interface StoredTemplate {
  message: NewTemplateMessage;
  /** The template's coinbase outputs (witness commitment, …), parsed once. */
  outputs: TxOutput[];
  /** Epoch of the tip the template builds on; null while a future template waits for its tip. */
  epoch: number | null;
}

/** A coinbase ready for jobs: split around a full extranonce of `extranonce_size` bytes. */
export interface JobCoinbase {
  parts: CoinbaseParts;
  template: StoredTemplate;
  merkle_path: Uint8Array[];
}

const encoder = new TextEncoder();

export class MiningChain {
  readonly config: ChannelsConfig;
  readonly allocator: ExtranonceAllocator;
  private readonly templates = new Map<bigint, StoredTemplate>();
  private readonly coinbases = new Map<string, JobCoinbase>();
  private currentTip: ChainTip | null = null;
  private epochCounter = 0;

  constructor(
    config: Partial<ChannelsConfig>,
    private readonly resolvePayout: PayoutResolver,
  ) {
    this.config = resolveChannelsConfig(config);
    this.allocator = new ExtranonceAllocator(this.config.server_id, this.config.extranonce_prefix_size, {
      worker: this.config.worker_index,
      workers: this.config.worker_count,
    });
  }

  get tip(): ChainTip | null {
    return this.currentTip;
  }

  template(template_id: bigint): StoredTemplate | undefined {
    return this.templates.get(template_id);
  }

  /** Future templates still waiting for their prev hash, oldest first. */
  futureTemplates(): StoredTemplate[] {
    return [...this.templates.values()].filter((t) => t.epoch === null);
  }

  /** The newest template on the current tip (what a newly opened channel should mine). */
  currentTemplate(): StoredTemplate | null {
    const tip = this.currentTip;
    if (!tip) return null;
    let newest: StoredTemplate | null = null;
    for (const t of this.templates.values()) if (t.epoch === tip.epoch) newest = t;
    return newest;
  }

  /**
   * Stores a TDP NewTemplate. Returns false (and keeps nothing) for a
   * non-future template when no tip is known yet: it would have no prev hash.
   * Throws BitcoinDataError when its outputs do not parse.
   */
  newTemplate(message: NewTemplateMessage): boolean {
    if (!message.future_template && !this.currentTip) return false;
    const outputs = parseOutputs(message.coinbase_tx_outputs, message.coinbase_tx_outputs_count);
    const epoch = message.future_template ? null : this.currentTip!.epoch;
    this.templates.delete(message.template_id);
    this.templates.set(message.template_id, { message, outputs, epoch });
    this.prune();
    return true;
  }

  /**
   * Applies a TDP SetNewPrevHash: the future template it names becomes the
   * current one; every other template is dropped. Returns false for an
   * unknown template (nothing changes).
   */
  setNewPrevHash(message: SetNewPrevHashTdpMessage, now: number): boolean {
    const activated = this.templates.get(message.template_id);
    if (!activated) return false;
    const epoch = ++this.epochCounter;
    const network = bitsToTarget(message.nBits);
    let height: number | null = null;
    try {
      height = decodeBip34Height(activated.message.coinbase_prefix).height;
    } catch {
      // A template without a BIP34 height: custom jobs cannot be checked against it.
    }
    this.currentTip = {
      prev_hash: Uint8Array.from(message.prev_hash),
      header_timestamp: message.header_timestamp,
      nbits: message.nBits,
      network_target: u256ToLE(network),
      network_difficulty: targetToDifficulty(network),
      template_id: message.template_id,
      height,
      epoch,
      received_at: now,
    };
    for (const [id, t] of this.templates) if (t !== activated) this.templates.delete(id);
    for (const key of this.coinbases.keys())
      if (!key.startsWith(`${message.template_id}:`)) this.coinbases.delete(key);
    activated.epoch = epoch;
    this.allocator.newTip();
    return true;
  }

  /** The coinbase of a template for one payout and full extranonce size, built once and cached. */
  coinbase(template_id: bigint, payout_key: string, extranonce_size: number): JobCoinbase {
    const key = `${template_id}:${extranonce_size}:${payout_key}`;
    const cached = this.coinbases.get(key);
    if (cached) return cached;
    const template = this.templates.get(template_id);
    if (!template) throw new Error(`unknown template ${template_id}`);
    const m = template.message;
    const payout = this.resolvePayout(payout_key, m);
    // scriptSig = BIP34 prefix ‖ push(tag) ‖ push opcode ‖ fixed ‖ extranonce, at most 100 bytes: the tag gives way.
    const fixed = payout.extranonce_fixed ?? new Uint8Array(0);
    const pushed = fixed.length + extranonce_size;
    if (pushed > 75) throw new RangeError(`extranonce of ${pushed} bytes does not fit one direct push`);
    const room = 100 - m.coinbase_prefix.length - 1 - pushed - 1;
    let tag = encoder.encode(this.config.pool_signature + (payout.miner_tag ?? ''));
    if (tag.length > Math.min(room, 75)) tag = tag.subarray(0, Math.max(0, Math.min(room, 75)));
    const extra = new Uint8Array([...(tag.length > 0 ? pushData(tag) : []), pushed, ...fixed]);
    const parts = buildCoinbase({
      coinbase_tx_version: m.coinbase_tx_version,
      coinbase_prefix: m.coinbase_prefix,
      script_sig_extra: extra,
      extranonce_size,
      coinbase_tx_input_sequence: m.coinbase_tx_input_sequence,
      payout_outputs: payout.outputs,
      template_outputs: template.outputs,
      coinbase_tx_locktime: m.coinbase_tx_locktime,
      coinbase_tx_value_remaining: m.coinbase_tx_value_remaining,
    });
    const built: JobCoinbase = { parts, template, merkle_path: m.merkle_path };
    this.coinbases.set(key, built);
    return built;
  }

  // Bounded memory: a few future templates and max_past_jobs templates on the tip.
  private prune(): void {
    const future: bigint[] = [];
    const current: bigint[] = [];
    for (const [id, t] of this.templates) (t.epoch === null ? future : current).push(id);
    const drop = [
      ...future.slice(0, Math.max(0, future.length - this.config.max_future_templates)),
      ...current.slice(0, Math.max(0, current.length - this.config.max_past_jobs)),
    ];
    for (const id of drop) {
      this.templates.delete(id);
      for (const key of this.coinbases.keys()) if (key.startsWith(`${id}:`)) this.coinbases.delete(key);
    }
  }
}
