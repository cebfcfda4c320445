// BIP324 ElligatorSwift on secp256k1: 64-byte encodings of x coordinates that
// look like uniform random bytes, and the x-only ECDH built on them. noble has
// no ElligatorSwift, so the maps are written here on top of noble's field; the
// scalar multiplications themselves run in libsecp256k1 (secp256k1.ts).
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomFillSync } from 'node:crypto';
import { multiplyXonly, pointFromXonly, publicXonly } from './secp256k1.js';

const Fp = secp256k1.Point.Fp;
const P = Fp.ORDER;
const N = secp256k1.Point.Fn.ORDER;
const B = 7n;
const WORD = 0xffffffffn;

/** Source of random bytes; injectable so tests can be deterministic. */
export type RandomSource = (length: number) => Uint8Array;

// The system CSPRNG, drawn in 4 KiB blocks: an encoding takes several small
// draws, and one call into the OS per draw costs more than the field maths.
// Every byte is handed out once and the pool is wiped as it is used.
const POOL_SIZE = 4096;
const pool = new Uint8Array(POOL_SIZE);
let poolPos = POOL_SIZE;

export const defaultRandom: RandomSource = (length) => {
  if (length > POOL_SIZE) return randomFillSync(new Uint8Array(length));
  if (poolPos + length > POOL_SIZE) {
    randomFillSync(pool);
    poolPos = 0;
  }
  const out = pool.slice(poolPos, poolPos + length);
  pool.fill(0, poolPos, poolPos + length);
  poolPos += length;
  return out;
};

export class EllSwiftError extends Error {
  override readonly name = 'EllSwiftError';
}

/**
 * Legendre symbol of a (reduced) field element: 1 for a non-zero square, −1
 * for a non-square, 0 for zero. The binary Jacobi algorithm needs only shifts
 * and reductions of shrinking numbers, several times cheaper with bigints
 * than the exponentiation a^((p−1)/2).
 */
function legendre(a: bigint): number {
  let n = P;
  let t = 1;
  // The low bits of a and n as small numbers: the sign rules only look at
  // them, and shifting out all trailing zeros at once saves a bigint step per bit.
  let nLow = Number(n & 7n);
  while (a !== 0n) {
    let low = Number(a & WORD);
    if ((low & 1) === 0) {
      let twos = 0;
      while (low === 0) {
        a >>= 32n;
        twos += 32;
        low = Number(a & WORD);
      }
      const z = 31 - Math.clz32(low & -low);
      a >>= BigInt(z);
      twos += z;
      low = Number(a & WORD);
      // (2/n) = −1 exactly when n ≡ 3, 5 (mod 8).
      if ((twos & 1) === 1 && (nLow === 3 || nLow === 5)) t = -t;
    }
    // Quadratic reciprocity: swapping flips the sign when both are ≡ 3 (mod 4).
    if ((low & 3) === 3 && (nLow & 3) === 3) t = -t;
    const r = n % a;
    n = a;
    nLow = low & 7;
    a = r;
  }
  return n === 1n ? t : 0;
}

function isSquare(a: bigint): boolean {
  return legendre(a) >= 0;
}

// p = 2^256 − 0x1000003d1, so 2^256 ≡ 0x1000003d1: a product folds back
// below 2^257 with two shifts and a small multiplication, cheaper than a
// general bigint division.
const MASK256 = (1n << 256n) - 1n;
const FOLD = 0x1000003d1n;

function reduce(x: bigint): bigint {
  x = (x & MASK256) + (x >> 256n) * FOLD;
  x = (x & MASK256) + (x >> 256n) * FOLD;
  return x >= P ? x - P : x;
}

function sqrN(x: bigint, n: number): bigint {
  for (let i = 0; i < n; i++) x = reduce(x * x);
  return x;
}

/**
 * a^((p+1)/4), the square root of a when a is a square (p ≡ 3 mod 4), by an
 * addition chain over the exponent's runs of ones: 253 squarings and 13
 * multiplications instead of a generic square-and-multiply.
 */
function powSqrt(a: bigint): bigint {
  const x2 = reduce(reduce(a * a) * a);
  const x3 = reduce(reduce(x2 * x2) * a);
  const x6 = reduce(sqrN(x3, 3) * x3);
  const x9 = reduce(sqrN(x6, 3) * x3);
  const x11 = reduce(sqrN(x9, 2) * x2);
  const x22 = reduce(sqrN(x11, 11) * x11);
  const x44 = reduce(sqrN(x22, 22) * x22);
  const x88 = reduce(sqrN(x44, 44) * x44);
  const x176 = reduce(sqrN(x88, 88) * x88);
  const x220 = reduce(sqrN(x176, 44) * x44);
  const x223 = reduce(sqrN(x220, 3) * x3);
  let t = reduce(sqrN(x223, 23) * x22);
  t = reduce(sqrN(t, 6) * x2);
  return sqrN(t, 2);
}

/** Square root of a field element known to be a square. */
export function fieldSqrt(a: bigint): bigint {
  const r = powSqrt(a);
  if (reduce(r * r) !== a) throw new EllSwiftError('not a square');
  return r;
}

/** Square root, or undefined for a non-square; the cheap test comes first so a failure costs no root. */
function sqrt(a: bigint): bigint | undefined {
  return isSquare(a) ? fieldSqrt(a) : undefined;
}

function curveRhs(x: bigint): bigint {
  return Fp.add(Fp.mul(Fp.sqr(x), x), B);
}

function isValidX(x: bigint): boolean {
  return isSquare(curveRhs(x));
}

const MINUS_3_SQRT = sqrt(Fp.neg(3n))!;
const HALF = Fp.inv(2n);
// (sqrt(-3) - 1) / 2: a cube root of unity used by the inverse map.
const C_INV = Fp.mul(Fp.sub(MINUS_3_SQRT, 1n), HALF);

export function bytesToField(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  return Fp.create(BigInt('0x' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex')));
}

export function bigintTo32(v: bigint): Uint8Array {
  return new Uint8Array(Buffer.from(v.toString(16).padStart(64, '0'), 'hex'));
}

/** BIP324 XSwiftEC: maps any pair of field elements (u, t) to a valid x coordinate. */
export function xswiftec(u: bigint, t: bigint): bigint {
  if (u === 0n) u = 1n;
  if (t === 0n) t = 1n;
  const u3b = curveRhs(u);
  if (Fp.add(u3b, Fp.sqr(t)) === 0n) t = Fp.add(t, t);
  // X = (u³ + 7 − t²) / 2t and Y = (X + t) / (sqrt(−3)·u), sharing one inversion.
  const d1 = Fp.add(t, t);
  const d2 = Fp.mul(MINUS_3_SQRT, u);
  const inv = Fp.inv(Fp.mul(d1, d2));
  const X = Fp.mul(Fp.sub(u3b, Fp.sqr(t)), Fp.mul(inv, d2));
  const Y = Fp.mul(Fp.add(X, t), Fp.mul(inv, d1));
  // The candidates in the BIP's order; each later one is computed only if needed.
  const x3 = Fp.add(u, Fp.mul(4n, Fp.sqr(Y)));
  if (isValidX(x3)) return x3;
  const xy = Fp.div(X, Y);
  const x1 = Fp.mul(Fp.sub(Fp.neg(xy), u), HALF);
  if (isValidX(x1)) return x1;
  const x2 = Fp.mul(Fp.sub(xy, u), HALF);
  if (isValidX(x2)) return x2;
  // Unreachable for secp256k1: one of the three is always on the curve.
  throw new EllSwiftError('xswiftec found no valid x');
}

/**
 * BIP324 XSwiftECInv: a t with xswiftec(u, t) = x for one of the 8 cases, or
 * undefined when that case has no solution.
 */
export function xswiftecInv(x: bigint, u: bigint, c: number): bigint | undefined {
  let v: bigint;
  let s: bigint;
  if ((c & 2) === 0) {
    if (isValidX(Fp.sub(Fp.neg(x), u))) return undefined;
    v = (c & 1) === 0 ? x : Fp.sub(Fp.neg(x), u);
    // s = −(u³ + 7) / (u² + uv + v²) is a square exactly when numerator ×
    // denominator is (the denominator is not zero here), so the inversion
    // is paid only for the cases that go on.
    const num = Fp.neg(curveRhs(u));
    const den = Fp.add(Fp.add(Fp.sqr(u), Fp.mul(u, v)), Fp.sqr(v));
    if (!isSquare(Fp.mul(num, den))) return undefined;
    s = Fp.div(num, den);
  } else {
    s = Fp.sub(x, u);
    if (s === 0n) return undefined;
    const inner = Fp.add(Fp.mul(4n, curveRhs(u)), Fp.mul(Fp.mul(3n, s), Fp.sqr(u)));
    const rr = Fp.neg(Fp.mul(s, inner));
    // Both roots below must exist; test both before paying for either.
    if (!isSquare(rr) || !isSquare(s)) return undefined;
    let r = fieldSqrt(rr);
    if ((c & 1) !== 0) {
      if (r === 0n) return undefined;
      r = Fp.neg(r);
    }
    v = Fp.mul(Fp.sub(Fp.div(r, s), u), HALF);
  }
  let w = fieldSqrt(s);
  if ((c & 4) !== 0) w = Fp.neg(w);
  return Fp.mul(w, Fp.sub(Fp.mul(u, C_INV), v));
}

/** Encodes x as 64 bytes u ‖ t, drawing u and the case from `random` until one inverts. */
export function xelligatorswift(x: bigint, random: RandomSource = defaultRandom): Uint8Array {
  // Each attempt succeeds with probability about 1/4; the bound only guards a broken source.
  for (let attempt = 0; attempt < 1024; attempt++) {
    const r = random(33);
    const u = bytesToField(r.subarray(0, 32));
    if (u === 0n) continue;
    const t = xswiftecInv(x, u, r[32]! & 7);
    if (t === undefined) continue;
    const out = new Uint8Array(64);
    out.set(bigintTo32(u), 0);
    out.set(bigintTo32(t), 32);
    return out;
  }
  throw new EllSwiftError('randomness source never produced an invertible encoding');
}

/** Decodes a 64-byte ElligatorSwift encoding to its x coordinate (every input decodes). */
export function ellswiftDecode(encoding: Uint8Array): bigint {
  if (encoding.length !== 64) {
    throw new EllSwiftError(`ellswift encoding must be 64 bytes, got ${encoding.length}`);
  }
  return xswiftec(bytesToField(encoding.subarray(0, 32)), bytesToField(encoding.subarray(32, 64)));
}

/** Decodes to the 32-byte big-endian x coordinate (the BIP340 x-only key). */
export function ellswiftDecodeXonly(encoding: Uint8Array): Uint8Array {
  return bigintTo32(ellswiftDecode(encoding));
}

export function secretToScalar(secret: Uint8Array): bigint {
  if (secret.length !== 32) throw new EllSwiftError(`secret key must be 32 bytes, got ${secret.length}`);
  let d = 0n;
  for (const b of secret) d = (d << 8n) | BigInt(b);
  if (d === 0n || d >= N) throw new EllSwiftError('secret key is not in 1..n-1');
  return d;
}

/**
 * Another party's public key, ready for ECDH: the point with the given x
 * coordinate (32 bytes). Loaded once, it serves several secrets (the
 * responder's ephemeral and static keys).
 */
export class EcdhPeer {
  readonly point: Uint8Array;

  constructor(theirX: Uint8Array) {
    try {
      this.point = pointFromXonly(theirX);
    } catch (e) {
      throw new EllSwiftError((e as Error).message);
    }
  }
}

/**
 * A secret scalar with its public x coordinate, computed once; every shared
 * secret afterwards is one multiplication (secp256k1.ts).
 */
export class EcdhSecret {
  readonly #secret: Uint8Array;
  readonly #publicX: Uint8Array;

  constructor(secret: Uint8Array) {
    secretToScalar(secret);
    this.#secret = Uint8Array.from(secret);
    this.#publicX = publicXonly(this.#secret);
  }

  /** x coordinate of secret × G, 32 bytes big-endian. */
  publicXonly(): Uint8Array {
    return Uint8Array.from(this.#publicX);
  }

  /** x coordinate of secret × P for a point P with x coordinate `theirX` (32 bytes, or loaded once). */
  sharedXonly(theirX: Uint8Array | EcdhPeer): Uint8Array {
    const peer = theirX instanceof EcdhPeer ? theirX : new EcdhPeer(theirX);
    try {
      return multiplyXonly(peer.point, this.#secret);
    } catch (e) {
      throw new EllSwiftError((e as Error).message);
    }
  }
}

export interface EllSwiftKeyPair {
  secret: Uint8Array;
  /** 64-byte ElligatorSwift encoding of the public key's x coordinate. */
  ellswift: Uint8Array;
  /** The public key's x coordinate, 32 bytes (what `ellswift` decodes to). */
  xonly: Uint8Array;
  /** The secret, ready for ECDH. */
  key: EcdhSecret;
}

/** Creates a key pair: a fresh secret (unless given) and a random encoding of its public x. */
export function ellswiftCreate(
  secret: Uint8Array | undefined = undefined,
  random: RandomSource = defaultRandom,
): EllSwiftKeyPair {
  let sk = secret;
  if (sk === undefined) {
    // Rejection sampling keeps the secret uniform in 1..n-1.
    for (let i = 0; i < 64 && sk === undefined; i++) {
      const candidate = random(32);
      try {
        secretToScalar(candidate);
        sk = candidate;
      } catch {
        /* out of range: draw again */
      }
    }
    if (sk === undefined) throw new EllSwiftError('randomness source never produced a valid secret');
  }
  const key = new EcdhSecret(sk);
  const xonly = key.publicXonly();
  return {
    secret: Uint8Array.from(sk),
    ellswift: xelligatorswift(bytesToField(xonly), random),
    xonly,
    key,
  };
}

/** x coordinate of secret × (point with x = decode(theirs)), 32 bytes big-endian. */
export function ellswiftEcdhXonly(theirs: Uint8Array, secret: Uint8Array): Uint8Array {
  return new EcdhSecret(secret).sharedXonly(ellswiftDecodeXonly(theirs));
}

const ECDH_TAG = sha256(new TextEncoder().encode('bip324_ellswift_xonly_ecdh'));

/**
 * BIP324's hash of an x-only shared secret with both encodings, the
 * initiator's encoding always first, so both sides agree on the result.
 */
export function v2EcdhHash(
  sharedX: Uint8Array,
  ellswiftOurs: Uint8Array,
  ellswiftTheirs: Uint8Array,
  initiator: boolean,
): Uint8Array {
  const [a, b] = initiator ? [ellswiftOurs, ellswiftTheirs] : [ellswiftTheirs, ellswiftOurs];
  const buf = new Uint8Array(64 + 64 + 64 + 32);
  buf.set(ECDH_TAG, 0);
  buf.set(ECDH_TAG, 32);
  buf.set(a, 64);
  buf.set(b, 128);
  buf.set(sharedX, 192);
  return sha256(buf);
}

/** BIP324 v2_ecdh from a secret and the two encodings. */
export function v2Ecdh(
  secret: Uint8Array,
  ellswiftOurs: Uint8Array,
  ellswiftTheirs: Uint8Array,
  initiator: boolean,
): Uint8Array {
  return v2EcdhHash(ellswiftEcdhXonly(ellswiftTheirs, secret), ellswiftOurs, ellswiftTheirs, initiator);
}
