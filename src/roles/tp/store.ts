// The templates the TP has handed out, by template_id, for
// RequestTransactionData and SubmitSolution. Templates of the current and the
// previous tip are kept; older ones are forgotten and reported as stale.
import type { BaseTemplate, FittedTemplate } from './template.js';
import type { NewTemplateMsg } from '../common/tdp-client.js';

export interface TemplateRecord {
  id: bigint;
  /** The constraints this template was fitted to ("size/sigops"). */
  key: string;
  base: BaseTemplate;
  fitted: FittedTemplate;
  message: NewTemplateMsg;
}

export type Lookup =
  | { kind: 'ok'; record: TemplateRecord }
  /** Handed out once, forgotten since (its tip is older than the previous one). */
  | { kind: 'stale' }
  /** Never handed out by this process. */
  | { kind: 'not-found' };

/** Bound on templates kept per tip: a busy mempool cannot grow the store without limit. */
const MAX_PER_TIP = 512;

export class TemplateStore {
  readonly #firstId: bigint;
  #nextId: bigint;
  readonly #byTip = new Map<string, Map<bigint, TemplateRecord>>();

  /** Ids start at the current time in milliseconds, so they keep rising across restarts. */
  constructor(firstId: bigint = BigInt(Date.now())) {
    this.#firstId = firstId;
    this.#nextId = firstId;
  }

  /** A new id, strictly greater than every earlier one. */
  nextId(): bigint {
    return this.#nextId++;
  }

  add(record: TemplateRecord): void {
    const tip = record.base.prevHashHex;
    let records = this.#byTip.get(tip);
    if (records === undefined) {
      records = new Map();
      this.#byTip.set(tip, records);
      // Keep this tip and the one before it.
      while (this.#byTip.size > 2) this.#byTip.delete(this.#byTip.keys().next().value as string);
    }
    records.set(record.id, record);
    while (records.size > MAX_PER_TIP) records.delete(records.keys().next().value as bigint);
  }

  lookup(id: bigint): Lookup {
    for (const records of this.#byTip.values()) {
      const record = records.get(id);
      if (record !== undefined) return { kind: 'ok', record };
    }
    return id >= this.#firstId && id < this.#nextId ? { kind: 'stale' } : { kind: 'not-found' };
  }

  get size(): number {
    let n = 0;
    for (const records of this.#byTip.values()) n += records.size;
    return n;
  }
}
