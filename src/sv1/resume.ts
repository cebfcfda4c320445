// Session resume (cgminer, WhatsMiner): a miner that reconnects with the
// session id it was given may keep its extranonce1 for ten minutes after it
// was issued or last used, so shares found during the outage still count.
// Shared by every session of a listener; bounded, oldest entries go first.
import { randomFillSync } from 'node:crypto';
import type { MinerExtranonce } from './upstream.js';

export const RESUME_TTL_MS = 10 * 60 * 1000;

/**
 * Session ids are 4 random bytes, drawn from a pool filled 4 KiB at a time:
 * one call into the generator per 1,024 subscribes instead of one each (in
 * a connect burst that call was a large part of a subscribe's own cost).
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let taken = 0;

function randomSessionId(): string {
  if (taken + 4 > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    taken = 0;
  }
  taken += 4;
  return pool.toString('hex', taken - 4, taken);
}

interface Entry {
  extranonce: MinerExtranonce;
  at: number;
}

export class ResumeRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly ttlMs = RESUME_TTL_MS,
    readonly maxEntries = 100_000,
    private readonly newId: () => string = randomSessionId,
  ) {}

  /** A fresh session id for an extranonce. */
  issue(extranonce: MinerExtranonce, now: number): string {
    let id = this.newId();
    for (let i = 0; this.entries.has(id) && i < 16; i++) id = this.newId();
    this.put(id, extranonce, now);
    return id;
  }

  /** Keeps an id alive (the miner is still connected, or just left). */
  touch(id: string, extranonce: MinerExtranonce, now: number): void {
    this.put(id, extranonce, now);
  }

  /** The extranonce issued under `id` if still fresh. */
  lookup(id: string, now: number): MinerExtranonce | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    if (now - e.at > this.ttlMs || now < e.at - this.ttlMs) {
      this.entries.delete(id);
      return undefined;
    }
    return e.extranonce;
  }

  get size(): number {
    return this.entries.size;
  }

  private put(id: string, extranonce: MinerExtranonce, now: number): void {
    this.entries.delete(id); // re-insert at the end: Map order is age order
    this.entries.set(id, { extranonce, at: now });
    while (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
    // Drop expired entries from the front while we are here (cheap, bounded).
    for (const [k, e] of this.entries) {
      if (now - e.at <= this.ttlMs) break;
      this.entries.delete(k);
    }
  }
}
