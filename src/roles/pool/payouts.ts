// Who each coinbase pays. PPLNS: one payout key ("pplns") shared by every
// channel; the coinbase of a template splits its coinbase_tx_value_remaining
// over the accounts in the PPLNS window at the time the template arrives
// (computePplnsPayouts, read from the store by prepare() before the template's
// jobs are built), and the plan is kept per template so a block found on it
// records exactly the payouts its coinbase made. Solo: the payout key
// is the miner's address, which gets everything but the pool fee.
//
// Custom jobs (job declaration): the declarer's coinbase pays the pool's own
// output; a block found on one is split by PPLNS when it is found
// (customPlan) and every account's share, after the fee, is carried as
// credit: the pool owes it, and a later block of the pool's own pays it out
// like any carried credit (undone if the custom block leaves the chain).
import { LEGACY_SIGOP_COST, bitsToTarget, targetToDifficulty, type Network } from '../../bitcoin/index.js';
import type { CoinbasePayout, NewTemplateMessage } from '../../channels/index.js';
import { computePplnsPayouts, type PplnsOutput, type Store } from '../../store/index.js';
import type { Logger } from '../../log.js';
import type { CoinbaseConstraints } from '../common/tdp-client.js';
import type { PayoutMode } from './config.js';
import { scriptOfAddress } from './identity.js';

export const PPLNS_PAYOUT_KEY = 'pplns';

/** The largest output a payout address makes: 8 value + 1 length + 34 script (P2WSH, P2TR). */
export const MAX_OUTPUT_BYTES = 43;
/** Room for the output count CompactSize growing (it can take up to 9 bytes). */
export const OUTPUT_COUNT_MARGIN = 9;

/** What a template's coinbase pays, remembered for the block it may become. */
export interface PayoutPlan {
  /** Payout outputs in coinbase order; account null = the pool's output. */
  outputs: PplnsOutput[];
  /** Credit every account carries if this coinbase makes it into the chain (PPLNS). */
  carried: Map<string, bigint>;
  /** The credits the plan was computed from: recording the block moves each by carried − before. */
  credits_before: Map<string, bigint>;
  /** coinbase_tx_value_remaining: what the outputs split. */
  reward: bigint;
}

export interface PayoutsOptions {
  mode: PayoutMode;
  network: Network;
  /** coinbase_reward_script; null only in solo mode without a fee. */
  poolScript: Uint8Array | null;
  feePercent: number;
  maxOutputs: number;
  dustLimit: bigint;
  store: Store;
  logger: Logger;
}

const MAX_PLANS = 64;

export class Payouts {
  readonly #o: PayoutsOptions;
  readonly #plans = new Map<string, PayoutPlan>();
  /** nbits of the tip the next templates build on (network difficulty for the PPLNS window). */
  nbits = 0x207fffff;

  constructor(opts: PayoutsOptions) {
    this.#o = opts;
    if (opts.poolScript === null && (opts.mode === 'pplns' || opts.feePercent > 0)) {
      throw new Error('coinbase_reward_script is not set: the pool needs it for its fee and unpaid amounts');
    }
  }

  /** CoinbaseOutputConstraints for the TP: every payout output at its largest, and legacy sigops of P2PKH. */
  constraints(): CoinbaseConstraints {
    const outputs = this.#o.mode === 'solo' ? 2 : this.#o.maxOutputs;
    return {
      coinbase_output_max_additional_size: outputs * MAX_OUTPUT_BYTES + OUTPUT_COUNT_MARGIN,
      coinbase_output_max_additional_sigops: outputs * LEGACY_SIGOP_COST,
    };
  }

  /** The payout key of a channel: the shared PPLNS key, or the solo miner's address. */
  keyFor(account: string): string {
    return this.#o.mode === 'solo' ? account : PPLNS_PAYOUT_KEY;
  }

  /**
   * Reads what a template's shared PPLNS coinbase pays from the store (the
   * window, credits, payout addresses); call before the template reaches the
   * chain, whose resolver (resolve) is synchronous. Solo coinbases need no
   * store and are planned on demand.
   */
  async prepare(template: NewTemplateMessage): Promise<void> {
    if (this.#o.mode !== 'pplns') return;
    const key = `${template.template_id}:${PPLNS_PAYOUT_KEY}`;
    if (this.#plans.has(key)) return;
    this.#keep(key, await this.#pplns(template.coinbase_tx_value_remaining, this.#o.maxOutputs));
  }

  /** The chain's PayoutResolver. */
  resolve(payout_key: string, template: NewTemplateMessage): CoinbasePayout {
    const plan = this.#plan(payout_key, template);
    return { outputs: plan.outputs.map((o) => ({ value: o.value, script: o.script })) };
  }

  /**
   * The plan of a block found on a custom job that paid the pool's output
   * `reward` sats: the PPLNS window of now, no miner outputs (the coinbase
   * paid the pool), every account's share carried as credit.
   */
  customPlan(reward: bigint): Promise<PayoutPlan> {
    return this.#pplns(reward, 1);
  }

  /** The plan a template's coinbase was built with, if it is still known. */
  planFor(payout_key: string, template_id: bigint): PayoutPlan | undefined {
    return this.#plans.get(`${template_id}:${payout_key}`);
  }

  #plan(payout_key: string, template: NewTemplateMessage): PayoutPlan {
    const key = `${template.template_id}:${payout_key}`;
    const known = this.#plans.get(key);
    if (known) return known;
    if (payout_key === PPLNS_PAYOUT_KEY) {
      throw new Error(`template ${template.template_id}: its PPLNS payouts were not prepared`);
    }
    return this.#keep(key, this.#solo(payout_key, template));
  }

  #keep(key: string, plan: PayoutPlan): PayoutPlan {
    this.#plans.set(key, plan);
    // Oldest plans go first; a block on a template that old is long stale.
    while (this.#plans.size > MAX_PLANS) this.#plans.delete(this.#plans.keys().next().value!);
    return plan;
  }

  #solo(address: string, template: NewTemplateMessage): PayoutPlan {
    const reward = template.coinbase_tx_value_remaining;
    const script = scriptOfAddress(address, this.#o.network);
    if (script === null) throw new Error(`solo payout key ${address} is not an address`);
    const fee = (reward * BigInt(Math.round(this.#o.feePercent * 10_000))) / 1_000_000n;
    const outputs: PplnsOutput[] = [{ account: address, script, value: reward - fee }];
    if (fee > 0n) outputs.push({ account: null, script: this.#o.poolScript!, value: fee });
    return { outputs, carried: new Map(), credits_before: new Map(), reward };
  }

  async #pplns(reward: bigint, maxOutputs: number): Promise<PayoutPlan> {
    const o = this.#o;
    const difficulty = targetToDifficulty(bitsToTarget(this.nbits));
    const { window } = await o.store.pplnsWindow(difficulty);
    const credits = await o.store.ledger.credits();
    const names = [...new Set([...window.map((e) => e.account), ...credits.keys()])];
    const payout_scripts = new Map<string, Uint8Array>();
    for (const [name, address] of await o.store.payoutAddresses(names)) {
      const script = scriptOfAddress(address, o.network);
      if (script) payout_scripts.set(name, script);
      else
        o.logger.warn({ account: name, address }, 'payout address is not of this network; carried as credit');
    }
    const result = computePplnsPayouts({
      window,
      reward_sats: reward,
      pool_fee_percent: o.feePercent,
      max_outputs: maxOutputs,
      dust_limit_sats: o.dustLimit,
      credits,
      pool_payout_script: o.poolScript!,
      payout_scripts,
    });
    return { outputs: result.outputs, carried: result.carried, credits_before: credits, reward };
  }
}
