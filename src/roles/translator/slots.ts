// Each miner's extranonce1: 4 bytes the translator picks at subscribe (as
// ckpool does), two zero bytes then a 2-byte index, so 65,536 miners can
// share one channel. It never depends on the pool: the pool's
// extranonce_prefix goes in coinb1 (channel.ts), so the same extranonce1
// stays valid on every channel and every pool. Indices are handed out
// round-robin so a freed one is not reused at once (a late share of the old
// miner can never match the new one).
import type { MinerExtranonce } from '../../sv1/index.js';

export const SLOT_BYTES = 2;
/** Bytes of every miner's extranonce1. */
export const EXTRANONCE1_BYTES = 4;
const SLOTS = 1 << (8 * SLOT_BYTES);

export class SlotAllocator {
  private readonly used = new Uint8Array(SLOTS);
  private cursor = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** A free index, or undefined when all are taken. */
  take(): number | undefined {
    if (this.count >= SLOTS) return undefined;
    for (let i = 0; i < SLOTS; i++) {
      const slot = (this.cursor + i) % SLOTS;
      if (this.used[slot] === 0) {
        this.used[slot] = 1;
        this.count++;
        this.cursor = (slot + 1) % SLOTS;
        return slot;
      }
    }
    return undefined;
  }

  /** Takes a specific index (session resume); false if it is in use. */
  claim(slot: number): boolean {
    if (!Number.isInteger(slot) || slot < 0 || slot >= SLOTS || this.used[slot] === 1) return false;
    this.used[slot] = 1;
    this.count++;
    return true;
  }

  release(slot: number): void {
    if (this.used[slot] === 1) {
      this.used[slot] = 0;
      this.count--;
    }
  }
}

/**
 * Every slot's extranonce1, side by side in one buffer (256 KiB, made at the
 * first subscribe): a miner's extranonce1 is a view into it, so a miner holds
 * no buffer of its own (V8 gives a small Uint8Array its own native backing
 * store once anything reads its .buffer, some 200 bytes per miner).
 * Nothing writes to these bytes after they are filled.
 */
let slab: Uint8Array | undefined;

function extranonceSlab(): Uint8Array {
  if (slab !== undefined) return slab;
  slab = new Uint8Array(SLOTS * EXTRANONCE1_BYTES);
  for (let slot = 0; slot < SLOTS; slot++) {
    slab[slot * EXTRANONCE1_BYTES + EXTRANONCE1_BYTES - 2] = slot >> 8;
    slab[slot * EXTRANONCE1_BYTES + EXTRANONCE1_BYTES - 1] = slot & 0xff;
  }
  return slab;
}

/** A miner's extranonce: its extranonce1 for `slot` and the extranonce2 size it rolls. */
export function minerExtranonce(slot: number, extranonce2Size: number): MinerExtranonce {
  const all = extranonceSlab();
  const extranonce1 = new Uint8Array(all.buffer, slot * EXTRANONCE1_BYTES, EXTRANONCE1_BYTES);
  return { extranonce1, extranonce2_size: extranonce2Size, upstream_prefix_length: 0 };
}

/** The slot of an extranonce1 this translator issued, or undefined. */
export function slotOf(extranonce1: Uint8Array): number | undefined {
  if (extranonce1.length !== EXTRANONCE1_BYTES || extranonce1[0] !== 0 || extranonce1[1] !== 0)
    return undefined;
  return (extranonce1[2]! << 8) | extranonce1[3]!;
}
