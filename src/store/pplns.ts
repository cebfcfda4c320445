// PPLNS payout split (pure): who gets which coinbase output for a block, and
// which amounts are carried forward as credit to a later block.
//
// Money is bigint satoshis throughout. Work is difficulty × 2^32 (expected
// hashes), rounded to an integer once per window entry, so the split is
// exact integer arithmetic and the same input always gives the same outputs.

/** Sats below which an output is not paid but carried forward (P2PKH's dust threshold; P2WPKH's is 294). */
export const DEFAULT_DUST_LIMIT_SATS = 546n;

/**
 * Coinbase size budget for Stratum V1 firmware that keeps the whole coinbase
 * in a small buffer (NerdMiner takes at most 255 bytes). The miner sees the
 * BIP141-stripped coinbase:
 *   version 4 + input count 1 + outpoint 36 + scriptSig length 1 + scriptSig
 *   + sequence 4 + output count 1 + outputs + locktime 4  = 51 + scriptSig + outputs
 * scriptSig 33 = BIP34 height push 4 (heights below 8,388,608) + extranonce
 * push 1 + 20 (pool prefix and rollable part) + pool tag push 1 + 7;
 * the template's witness commitment output is 8 + 1 + 38 = 47 bytes;
 * a P2WPKH payout output is 8 + 1 + 22 = 31 bytes.
 * 255 − (51 + 33 + 47) = 124 bytes = exactly 4 P2WPKH outputs.
 */
export interface CoinbaseBudget {
  coinbase_limit_bytes: number;
  script_sig_bytes: number;
  template_outputs_bytes: number;
  payout_output_bytes: number;
}

export const V1_FIRMWARE_BUDGET: CoinbaseBudget = {
  coinbase_limit_bytes: 255,
  script_sig_bytes: 33,
  template_outputs_bytes: 47,
  payout_output_bytes: 31,
};

/** The coinbase skeleton without scriptSig bytes and outputs (see CoinbaseBudget). */
export const COINBASE_SKELETON_BYTES = 4 + 1 + 36 + 1 + 4 + 1 + 4;

export function maxPayoutOutputs(budget: CoinbaseBudget = V1_FIRMWARE_BUDGET): number {
  const fixed = COINBASE_SKELETON_BYTES + budget.script_sig_bytes + budget.template_outputs_bytes;
  return Math.max(0, Math.floor((budget.coinbase_limit_bytes - fixed) / budget.payout_output_bytes));
}

/** 4: the pool's output plus the 3 largest miner payouts. */
export const DEFAULT_MAX_OUTPUTS = maxPayoutOutputs();

export interface PplnsWindowEntry {
  account: string;
  difficulty: number;
}

type Lookup<V> = ReadonlyMap<string, V> | Readonly<Record<string, V>>;

export interface PplnsInput {
  /** Window entries (shares, or per-account sums); entries of one account are added up. */
  window: readonly PplnsWindowEntry[];
  /** The coinbase value to split (subsidy + fees), sats. */
  reward_sats: bigint;
  /** Pool fee in percent (1.5 = 1.5 %), resolved to parts per million. */
  pool_fee_percent: number;
  /** Cap on payout outputs, the pool's output included (default DEFAULT_MAX_OUTPUTS). */
  max_outputs?: number;
  dust_limit_sats?: bigint;
  /** Credit each account carried from earlier blocks (may be negative after an orphan). */
  credits?: Lookup<bigint>;
  pool_payout_script: Uint8Array;
  /** Payout script per account; an account without one has its share carried forward. */
  payout_scripts: Lookup<Uint8Array>;
}

export interface PplnsOutput {
  /** null for the pool's output (fee, rounding remainders, amounts carried forward). */
  account: string | null;
  script: Uint8Array;
  value: bigint;
}

export interface PplnsResult {
  /** Miner outputs by value (largest first, then account name), the pool's output last. */
  outputs: PplnsOutput[];
  /** New credit of every account involved (0n for those paid in full). */
  carried: Map<string, bigint>;
  fee_sats: bigint;
}

const PPM = 1_000_000n;
const WORK_PER_DIFFICULTY = 2 ** 32;

function lookup<V>(table: Lookup<V> | undefined, key: string): V | undefined {
  if (table === undefined) return undefined;
  if (table instanceof Map) return table.get(key);
  return Object.prototype.hasOwnProperty.call(table, key) ? (table as Record<string, V>)[key] : undefined;
}

function keysOf<V>(table: Lookup<V> | undefined): string[] {
  if (table === undefined) return [];
  return table instanceof Map ? [...table.keys()] : Object.keys(table);
}

function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function computePplnsPayouts(input: PplnsInput): PplnsResult {
  const reward = input.reward_sats;
  if (reward < 0n) throw new RangeError(`reward_sats must not be negative, got ${reward}`);
  const feePpm = Math.round(input.pool_fee_percent * 10_000);
  if (!Number.isFinite(input.pool_fee_percent) || feePpm < 0 || feePpm > 1_000_000) {
    throw new RangeError(`pool_fee_percent must be within 0..100, got ${input.pool_fee_percent}`);
  }
  const maxOutputs = input.max_outputs ?? DEFAULT_MAX_OUTPUTS;
  if (!Number.isInteger(maxOutputs) || maxOutputs < 1) {
    throw new RangeError(`max_outputs must be an integer ≥ 1 (the pool's output), got ${maxOutputs}`);
  }
  const dust = input.dust_limit_sats ?? DEFAULT_DUST_LIMIT_SATS;

  // Work per account as integers.
  const work = new Map<string, bigint>();
  for (const e of input.window) {
    if (!Number.isFinite(e.difficulty) || e.difficulty < 0) {
      throw new RangeError(
        `window difficulty for ${e.account} must be a finite number ≥ 0, got ${e.difficulty}`,
      );
    }
    const w = BigInt(Math.round(e.difficulty * WORK_PER_DIFFICULTY));
    work.set(e.account, (work.get(e.account) ?? 0n) + w);
  }
  let totalWork = 0n;
  for (const w of work.values()) totalWork += w;

  const fee = (reward * BigInt(feePpm)) / PPM;
  const distributable = reward - fee;

  // Each account's due = floor(proportional share) + earlier credit.
  const accounts = [...new Set([...work.keys(), ...keysOf(input.credits)])].sort(byString);
  const due = new Map<string, bigint>();
  for (const account of accounts) {
    const w = work.get(account) ?? 0n;
    const share = totalWork === 0n ? 0n : (distributable * w) / totalWork;
    due.set(account, share + (lookup(input.credits, account) ?? 0n));
  }

  // Payable: has a script and is at least the dust limit; largest first.
  const payable = accounts
    .filter((a) => lookup(input.payout_scripts, a) !== undefined && (due.get(a) ?? 0n) >= dust)
    .sort((a, b) => {
      const da = due.get(a) ?? 0n;
      const db = due.get(b) ?? 0n;
      return da > db ? -1 : da < db ? 1 : byString(a, b);
    });

  // One slot stays for the pool's output; credits paid from earlier blocks
  // may not push the miners' total above the reward.
  const slots = maxOutputs - 1;
  const outputs: PplnsOutput[] = [];
  const carried = new Map<string, bigint>();
  let paid = 0n;
  for (const account of payable) {
    const value = due.get(account) ?? 0n;
    if (outputs.length < slots && paid + value <= reward) {
      outputs.push({ account, script: lookup(input.payout_scripts, account) as Uint8Array, value });
      paid += value;
    }
  }
  const paidAccounts = new Set(outputs.map((o) => o.account));
  for (const account of accounts)
    carried.set(account, paidAccounts.has(account) ? 0n : (due.get(account) ?? 0n));

  // The pool's output takes the fee, the rounding remainders and everything carried.
  const poolValue = reward - paid;
  if (poolValue > 0n) outputs.push({ account: null, script: input.pool_payout_script, value: poolValue });
  return { outputs, carried, fee_sats: fee };
}
