// Per-miner extranonce bytes in aggregated mode: each miner gets a 2-byte
// index after the pool's extranonce_prefix, so 65,536 miners share one
// channel. Indices are handed out round-robin so a freed one is not reused
// at once (a late share of the old miner can never match the new one).
import { concatBytes } from '../../bitcoin/index.js';
import type { MinerExtranonce } from '../../sv1/index.js';
import type { UpstreamChannel } from './channel.js';

export const SLOT_BYTES = 2;
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
 * A miner's extranonce on a channel. Aggregated (slot given): prefix ‖
 * zero padding ‖ slot, so the miner rolls exactly `extranonce2Size` bytes
 * however much rollable space the pool granted. Per-miner channel: prefix ‖
 * zero padding. Undefined if the channel's extranonce is too small.
 */
export function minerExtranonce(
  channel: UpstreamChannel,
  extranonce2Size: number,
  slot?: number,
): MinerExtranonce | undefined {
  const own = slot === undefined ? 0 : SLOT_BYTES;
  const room = channel.extranonce_size - own;
  // A pool granting less than asked still works if the miner can roll a little.
  const size = Math.min(extranonce2Size, room);
  if (size < 2 || size > 16) return undefined;
  const tail = new Uint8Array(room - size + own);
  if (slot !== undefined) {
    tail[tail.length - 2] = slot >> 8;
    tail[tail.length - 1] = slot & 0xff;
  }
  const extranonce1 = concatBytes(channel.extranonce_prefix, tail);
  if (extranonce1.length > 32) return undefined;
  return {
    extranonce1,
    extranonce2_size: size,
    upstream_prefix_length: channel.extranonce_prefix.length,
  };
}

/** The slot of an aggregated extranonce1 (its last two bytes). */
export function slotOf(extranonce1: Uint8Array): number | undefined {
  const n = extranonce1.length;
  return n < SLOT_BYTES ? undefined : (extranonce1[n - 2]! << 8) | extranonce1[n - 1]!;
}
