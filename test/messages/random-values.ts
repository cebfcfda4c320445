// Seeded random values for message schemas, shared by the round-trip and
// hostile-input tests. Deterministic so a failure reproduces from its seed.
import type { DataType } from '../../src/codec/types.js';
import type { MessageSchema } from '../../src/messages/schema.js';

/** mulberry32: small, fast, good enough to spread test values. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Integer in [0, n), n ≤ 2^32. */
  int(n: number): number {
    return Math.floor((this.u32() / 0x100000000) * n);
  }
  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const v = this.u32();
      out[i] = v;
      out[i + 1] = v >>> 8;
      out[i + 2] = v >>> 16;
      out[i + 3] = v >>> 24;
    }
    for (; i < n; i++) out[i] = this.u32();
    return out;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** 'random': small random sizes; 'max': every length/count at its bound; 'min': every length/count 0. */
export type Mode = 'random' | 'max' | 'min';

const TEXT_PIECES = ['a', 'Z', '0', '-', '.', '/', ' ', 'é', 'ß', '€', '中', '😀'];

function utf8Bytes(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** A string whose UTF-8 form has exactly `n` bytes (mixing 1- to 4-byte characters). */
export function textOfBytes(rng: Rng, n: number): string {
  let s = '';
  let used = 0;
  while (used < n) {
    const piece = rng.pick(TEXT_PIECES);
    const len = utf8Bytes(piece);
    if (used + len > n) {
      s += 'x';
      used += 1;
    } else {
      s += piece;
      used += len;
    }
  }
  return s;
}

function uint(rng: Rng, max: number): number {
  const r = rng.int(8);
  if (r === 0) return 0;
  if (r === 1) return max;
  return rng.int(max + 1);
}

function length(rng: Rng, mode: Mode, max: number): number {
  if (mode === 'max') return max;
  if (mode === 'min') return 0;
  return rng.chance(0.1) ? 0 : rng.int(Math.min(max, 40) + 1);
}

/** A valid random value of `type`. */
export function randomValue(rng: Rng, type: DataType<unknown>, mode: Mode): unknown {
  switch (type.kind) {
    case 'BOOL':
      return rng.chance(0.5);
    case 'U8':
      return uint(rng, 0xff);
    case 'U16':
      return uint(rng, 0xffff);
    case 'U24':
      return uint(rng, 0xffffff);
    case 'U32':
      return uint(rng, 0xffffffff);
    case 'U64': {
      const r = rng.int(6);
      if (r === 0) return 0n;
      if (r === 1) return (1n << 64n) - 1n;
      return (BigInt(rng.u32()) << 32n) | BigInt(rng.u32());
    }
    case 'F32':
      return rng.pick([
        0,
        -0,
        1,
        Math.fround(rng.u32() * 1000.5),
        Math.fround(rng.u32() / 7),
        Infinity,
        3.4028234663852886e38,
      ]);
    case 'U256':
    case 'PUBKEY':
    case 'SIGNATURE':
      return rng.bytes(type.max);
    case 'STR0_255':
      return textOfBytes(rng, length(rng, mode, type.max));
    case 'B0_32':
    case 'B0_255':
    case 'B0_64K':
    case 'B0_16M':
    case 'BYTES':
      return rng.bytes(length(rng, mode, type.max));
    case 'OPTION':
      if (mode === 'min') return null;
      return mode === 'max' || rng.chance(0.5) ? randomValue(rng, type.of!, mode) : null;
    case 'SEQ0_255':
    case 'SEQ0_64K': {
      const n = length(rng, mode, type.max);
      const out: unknown[] = [];
      // Elements stay small in 'max' mode so a full-count sequence fits in one payload.
      for (let i = 0; i < n; i++) out.push(randomValue(rng, type.of!, mode === 'max' ? 'min' : mode));
      return out;
    }
  }
}

/** A valid random message of `schema`; `withTlvs` also fills its TLV fields (at random in 'random' mode). */
export function randomMessage(
  rng: Rng,
  schema: MessageSchema,
  mode: Mode,
  withTlvs = true,
): Record<string, unknown> {
  const m: Record<string, unknown> = { type: schema.name };
  for (const [name, type] of Object.entries(schema.fields)) m[name] = randomValue(rng, type, mode);
  if (withTlvs) {
    for (const [name, def] of Object.entries(schema.tlv_fields)) {
      if (mode === 'min' || (mode === 'random' && rng.chance(0.5))) continue;
      m[name] = textOfBytes(rng, mode === 'max' ? def.value.max : rng.int(def.value.max + 1));
    }
  }
  return m;
}
