// ChaCha20-Poly1305 (RFC 8439) in plain JavaScript, written for the small
// messages an SV2 connection carries: no object is created per message (except
// the plaintext that open returns), the block function works on local 32-bit
// words, and Poly1305 keeps its 130-bit numbers in six 22-bit limbs so every
// product and sum stays exact in a double. For a share-sized frame this beats a node:crypto cipher object per
// message, whose setup costs more than the work; for large payloads OpenSSL's
// vectorised code wins, so aead.ts picks by size. Checked against the RFC's
// vectors and node:crypto in test/noise/chacha-poly.test.ts.

/**
 * The ChaCha20 input words 0..15: constants, key, counter (set per block),
 * nonce. Every word the block function touches is a signed 32-bit integer
 * (typed-array elements, `| 0` sums), so the optimiser keeps all sixteen in
 * integer registers; a word stored as an unsigned number above 2^31 would
 * turn the whole round loop into floating-point code.
 */
const input = Int32Array.of(
  0x61707865,
  0x3320646e,
  0x79622d32,
  0x6b206574,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
);
/** 16 words of key stream, seen as bytes (the platform is little-endian; aead.ts checks). */
const ks = new Int32Array(16);
const ks8 = new Uint8Array(ks.buffer);
/** Zero padding and the length block of the Poly1305 input. */
const block = new Uint8Array(16);

/** Four bytes little-endian as a signed 32-bit word. */
function word(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

/** Loads the key and nonce words (a few loads, done per message: the key array may change between calls). */
function load(key: Uint8Array, nonce: Uint8Array): void {
  for (let i = 0; i < 8; i++) input[4 + i] = word(key, 4 * i);
  input[13] = word(nonce, 0);
  input[14] = word(nonce, 4);
  input[15] = word(nonce, 8);
}

/** One ChaCha20 block for the loaded key and nonce at `counter`, into `ks`. */
function chachaBlock(counter: number): void {
  const j0 = input[0]!,
    j1 = input[1]!,
    j2 = input[2]!,
    j3 = input[3]!,
    j4 = input[4]!,
    j5 = input[5]!,
    j6 = input[6]!,
    j7 = input[7]!,
    j8 = input[8]!,
    j9 = input[9]!,
    j10 = input[10]!,
    j11 = input[11]!,
    j12 = counter | 0,
    j13 = input[13]!,
    j14 = input[14]!,
    j15 = input[15]!;
  let x0 = j0,
    x1 = j1,
    x2 = j2,
    x3 = j3,
    x4 = j4,
    x5 = j5,
    x6 = j6,
    x7 = j7,
    x8 = j8,
    x9 = j9,
    x10 = j10,
    x11 = j11,
    x12 = j12,
    x13 = j13,
    x14 = j14,
    x15 = j15;
  for (let i = 0; i < 10; i++) {
    x0 = (x0 + x4) | 0;
    x12 ^= x0;
    x12 = (x12 << 16) | (x12 >>> 16);
    x8 = (x8 + x12) | 0;
    x4 ^= x8;
    x4 = (x4 << 12) | (x4 >>> 20);
    x0 = (x0 + x4) | 0;
    x12 ^= x0;
    x12 = (x12 << 8) | (x12 >>> 24);
    x8 = (x8 + x12) | 0;
    x4 ^= x8;
    x4 = (x4 << 7) | (x4 >>> 25);
    x1 = (x1 + x5) | 0;
    x13 ^= x1;
    x13 = (x13 << 16) | (x13 >>> 16);
    x9 = (x9 + x13) | 0;
    x5 ^= x9;
    x5 = (x5 << 12) | (x5 >>> 20);
    x1 = (x1 + x5) | 0;
    x13 ^= x1;
    x13 = (x13 << 8) | (x13 >>> 24);
    x9 = (x9 + x13) | 0;
    x5 ^= x9;
    x5 = (x5 << 7) | (x5 >>> 25);
    x2 = (x2 + x6) | 0;
    x14 ^= x2;
    x14 = (x14 << 16) | (x14 >>> 16);
    x10 = (x10 + x14) | 0;
    x6 ^= x10;
    x6 = (x6 << 12) | (x6 >>> 20);
    x2 = (x2 + x6) | 0;
    x14 ^= x2;
    x14 = (x14 << 8) | (x14 >>> 24);
    x10 = (x10 + x14) | 0;
    x6 ^= x10;
    x6 = (x6 << 7) | (x6 >>> 25);
    x3 = (x3 + x7) | 0;
    x15 ^= x3;
    x15 = (x15 << 16) | (x15 >>> 16);
    x11 = (x11 + x15) | 0;
    x7 ^= x11;
    x7 = (x7 << 12) | (x7 >>> 20);
    x3 = (x3 + x7) | 0;
    x15 ^= x3;
    x15 = (x15 << 8) | (x15 >>> 24);
    x11 = (x11 + x15) | 0;
    x7 ^= x11;
    x7 = (x7 << 7) | (x7 >>> 25);
    x0 = (x0 + x5) | 0;
    x15 ^= x0;
    x15 = (x15 << 16) | (x15 >>> 16);
    x10 = (x10 + x15) | 0;
    x5 ^= x10;
    x5 = (x5 << 12) | (x5 >>> 20);
    x0 = (x0 + x5) | 0;
    x15 ^= x0;
    x15 = (x15 << 8) | (x15 >>> 24);
    x10 = (x10 + x15) | 0;
    x5 ^= x10;
    x5 = (x5 << 7) | (x5 >>> 25);
    x1 = (x1 + x6) | 0;
    x12 ^= x1;
    x12 = (x12 << 16) | (x12 >>> 16);
    x11 = (x11 + x12) | 0;
    x6 ^= x11;
    x6 = (x6 << 12) | (x6 >>> 20);
    x1 = (x1 + x6) | 0;
    x12 ^= x1;
    x12 = (x12 << 8) | (x12 >>> 24);
    x11 = (x11 + x12) | 0;
    x6 ^= x11;
    x6 = (x6 << 7) | (x6 >>> 25);
    x2 = (x2 + x7) | 0;
    x13 ^= x2;
    x13 = (x13 << 16) | (x13 >>> 16);
    x8 = (x8 + x13) | 0;
    x7 ^= x8;
    x7 = (x7 << 12) | (x7 >>> 20);
    x2 = (x2 + x7) | 0;
    x13 ^= x2;
    x13 = (x13 << 8) | (x13 >>> 24);
    x8 = (x8 + x13) | 0;
    x7 ^= x8;
    x7 = (x7 << 7) | (x7 >>> 25);
    x3 = (x3 + x4) | 0;
    x14 ^= x3;
    x14 = (x14 << 16) | (x14 >>> 16);
    x9 = (x9 + x14) | 0;
    x4 ^= x9;
    x4 = (x4 << 12) | (x4 >>> 20);
    x3 = (x3 + x4) | 0;
    x14 ^= x3;
    x14 = (x14 << 8) | (x14 >>> 24);
    x9 = (x9 + x14) | 0;
    x4 ^= x9;
    x4 = (x4 << 7) | (x4 >>> 25);
  }
  ks[0] = (x0 + j0) | 0;
  ks[1] = (x1 + j1) | 0;
  ks[2] = (x2 + j2) | 0;
  ks[3] = (x3 + j3) | 0;
  ks[4] = (x4 + j4) | 0;
  ks[5] = (x5 + j5) | 0;
  ks[6] = (x6 + j6) | 0;
  ks[7] = (x7 + j7) | 0;
  ks[8] = (x8 + j8) | 0;
  ks[9] = (x9 + j9) | 0;
  ks[10] = (x10 + j10) | 0;
  ks[11] = (x11 + j11) | 0;
  ks[12] = (x12 + j12) | 0;
  ks[13] = (x13 + j13) | 0;
  ks[14] = (x14 + j14) | 0;
  ks[15] = (x15 + j15) | 0;
}

/** XORs `length` bytes of `src` from `from` with the key stream from block 1 into `dst` at `to`. */
function xorStream(src: Uint8Array, from: number, length: number, dst: Uint8Array, to: number): void {
  // A key-stream word at a time: one load per four bytes (a byte store keeps
  // the low 8 bits of what it is given).
  let counter = 1;
  let done = 0;
  for (; done + 64 <= length; done += 64) {
    chachaBlock(counter++);
    for (let i = 0, s = from + done, d = to + done; i < 16; i++, s += 4, d += 4) {
      const k = ks[i]!;
      dst[d] = src[s]! ^ k;
      dst[d + 1] = src[s + 1]! ^ (k >>> 8);
      dst[d + 2] = src[s + 2]! ^ (k >>> 16);
      dst[d + 3] = src[s + 3]! ^ (k >>> 24);
    }
  }
  if (done === length) return;
  chachaBlock(counter);
  const n = length - done;
  const s = from + done,
    d = to + done;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const k = ks[i >> 2]!;
    dst[d + i] = src[s + i]! ^ k;
    dst[d + i + 1] = src[s + i + 1]! ^ (k >>> 8);
    dst[d + i + 2] = src[s + i + 2]! ^ (k >>> 16);
    dst[d + i + 3] = src[s + i + 3]! ^ (k >>> 24);
  }
  for (; i < n; i++) dst[d + i] = src[s + i]! ^ ks8[i]!;
}

// Poly1305 state: the accumulator h and the key r as six 22-bit limbs (132
// bits). 2^132 ≡ 4·5 = 20 (mod 2^130 − 5), so limbs that wrap are multiplied
// by q = 20·r. Every product stays below 2^50 and every column sum below
// 2^52, so plain doubles compute them exactly: 36 multiplications a block.
// Between calls the state lives in a Float64Array (h0..h5, r0..r5) and the
// pad s in an Int32Array; each call works on local copies, so no number is
// boxed per block.
const LIMB = 0x400000; // 2^22
const poly = new Float64Array(12);
const H = 0,
  R = 6;
const pad = new Int32Array(4);

/** Starts a MAC with the one-time key in the first 32 bytes of `ks8` (block 0 of the stream). */
function polyInit(): void {
  // Clamp r: the top 4 bits of bytes 3, 7, 11, 15 and the low 2 of bytes 4, 8, 12 are cleared.
  const w0 = ks[0]! & 0x0fffffff;
  const w1 = ks[1]! & 0x0ffffffc;
  const w2 = ks[2]! & 0x0ffffffc;
  const w3 = ks[3]! & 0x0ffffffc;
  poly[R] = w0 & 0x3fffff;
  poly[R + 1] = (w0 >>> 22) | ((w1 & 0xfff) << 10);
  poly[R + 2] = (w1 >>> 12) | ((w2 & 0x3) << 20);
  poly[R + 3] = (w2 >>> 2) & 0x3fffff;
  poly[R + 4] = (w2 >>> 24) | ((w3 & 0x3fff) << 8);
  poly[R + 5] = w3 >>> 14;
  pad[0] = ks[4]!;
  pad[1] = ks[5]!;
  pad[2] = ks[6]!;
  pad[3] = ks[7]!;
  poly.fill(0, H, H + 6);
}

/**
 * Absorbs `length` bytes (a multiple of 16) of `m` from `at` as 16-byte
 * blocks; `hibit` is 2^128's bit in the top limb for every block the AEAD
 * feeds, 0 only for a raw MAC's last block that carries its own 0x01.
 */
function polyBlocks(m: Uint8Array, at: number, length: number, hibit = 0x40000): void {
  let h0 = poly[H]!,
    h1 = poly[H + 1]!,
    h2 = poly[H + 2]!,
    h3 = poly[H + 3]!,
    h4 = poly[H + 4]!,
    h5 = poly[H + 5]!;
  const r0 = poly[R]!,
    r1 = poly[R + 1]!,
    r2 = poly[R + 2]!,
    r3 = poly[R + 3]!,
    r4 = poly[R + 4]!,
    r5 = poly[R + 5]!;
  const q1 = 20 * r1,
    q2 = 20 * r2,
    q3 = 20 * r3,
    q4 = 20 * r4,
    q5 = 20 * r5;
  for (let p = at, end = at + length; p < end; p += 16) {
    const w0 = word(m, p),
      w1 = word(m, p + 4),
      w2 = word(m, p + 8),
      w3 = word(m, p + 12);
    h0 += w0 & 0x3fffff;
    h1 += (w0 >>> 22) | ((w1 & 0xfff) << 10);
    h2 += (w1 >>> 12) | ((w2 & 0x3) << 20);
    h3 += (w2 >>> 2) & 0x3fffff;
    h4 += (w2 >>> 24) | ((w3 & 0x3fff) << 8);
    h5 += (w3 >>> 14) | hibit;
    // h = h · r: each column summed as a tree (the sums are exact, so their
    // order is free and a short dependency chain is faster).
    const d0 = h0 * r0 + h1 * q5 + (h2 * q4 + h3 * q3) + (h4 * q2 + h5 * q1);
    const d1 = h0 * r1 + h1 * r0 + (h2 * q5 + h3 * q4) + (h4 * q3 + h5 * q2);
    const d2 = h0 * r2 + h1 * r1 + (h2 * r0 + h3 * q5) + (h4 * q4 + h5 * q3);
    const d3 = h0 * r3 + h1 * r2 + (h2 * r1 + h3 * r0) + (h4 * q5 + h5 * q4);
    const d4 = h0 * r4 + h1 * r3 + (h2 * r2 + h3 * r1) + (h4 * r0 + h5 * q5);
    const d5 = h0 * r5 + h1 * r4 + (h2 * r3 + h3 * r2) + (h4 * r1 + h5 * r0);
    // Two carry passes in which every limb carries at once (no chain from
    // limb to limb); a carry out of the top limb counts multiples of
    // 2^132 ≡ 20. With limbs below 2^23 on entry (h below 2^22 + 2^13 after
    // the passes, plus a message limb below 2^22) and q below 20·2^22, each
    // column is below 2^52; the first pass leaves limbs below 2^35, the
    // second below 2^22 + 2^13. Every quotient by 2^22 is then non-negative
    // and below 2^31, so `| 0` floors it (cheaper than Math.floor).
    const c0 = (d0 / LIMB) | 0,
      c1 = (d1 / LIMB) | 0,
      c2 = (d2 / LIMB) | 0,
      c3 = (d3 / LIMB) | 0,
      c4 = (d4 / LIMB) | 0,
      c5 = (d5 / LIMB) | 0;
    const e0 = d0 - c0 * LIMB + c5 * 20,
      e1 = d1 - c1 * LIMB + c0,
      e2 = d2 - c2 * LIMB + c1,
      e3 = d3 - c3 * LIMB + c2,
      e4 = d4 - c4 * LIMB + c3,
      e5 = d5 - c5 * LIMB + c4;
    const f0 = (e0 / LIMB) | 0,
      f1 = (e1 / LIMB) | 0,
      f2 = (e2 / LIMB) | 0,
      f3 = (e3 / LIMB) | 0,
      f4 = (e4 / LIMB) | 0,
      f5 = (e5 / LIMB) | 0;
    h0 = e0 - f0 * LIMB + f5 * 20;
    h1 = e1 - f1 * LIMB + f0;
    h2 = e2 - f2 * LIMB + f1;
    h3 = e3 - f3 * LIMB + f2;
    h4 = e4 - f4 * LIMB + f3;
    h5 = e5 - f5 * LIMB + f4;
  }
  poly[H] = h0;
  poly[H + 1] = h1;
  poly[H + 2] = h2;
  poly[H + 3] = h3;
  poly[H + 4] = h4;
  poly[H + 5] = h5;
}

/** Absorbs `length` bytes, zero-padding the last partial block (the AEAD's padding). */
function polyPadded(m: Uint8Array, at: number, length: number): void {
  const whole = length & ~15;
  if (whole > 0) polyBlocks(m, at, whole);
  const rest = length - whole;
  if (rest > 0) {
    block.fill(0);
    for (let i = 0; i < rest; i++) block[i] = m[at + whole + i]!;
    polyBlocks(block, 0, 16);
  }
}

/** Absorbs the AEAD's length block: the AD and ciphertext lengths as 64-bit little-endian. */
function polyLengths(adLength: number, ctLength: number): void {
  writeWord(block, 0, adLength);
  writeWord(block, 4, Math.floor(adLength / 2 ** 32));
  writeWord(block, 8, ctLength);
  writeWord(block, 12, Math.floor(ctLength / 2 ** 32));
  polyBlocks(block, 0, 16);
}

/** Writes the 16-byte tag (h mod p, plus s) into `out` at `at`. */
function polyFinish(out: Uint8Array, at: number): void {
  // The limbs are integers below 2^22 + 2^13 (see polyBlocks): from here on
  // everything is 32-bit integer arithmetic.
  let h0 = poly[H]! | 0,
    h1 = poly[H + 1]! | 0,
    h2 = poly[H + 2]! | 0,
    h3 = poly[H + 3]! | 0,
    h4 = poly[H + 4]! | 0,
    h5 = poly[H + 5]! | 0;
  // Carry fully, folding bits from 2^130 up back in as ×5, until every limb
  // is below 2^22 and h5 below 2^20 (h < 2^130). Two rounds always suffice
  // (the second can only move a carry of 1 along); the third keeps a margin.
  // A fixed count, so the time does not depend on h.
  let c = 0;
  for (let round = 0; round < 3; round++) {
    h1 += c;
    c = h1 >>> 22;
    h1 &= 0x3fffff;
    h2 += c;
    c = h2 >>> 22;
    h2 &= 0x3fffff;
    h3 += c;
    c = h3 >>> 22;
    h3 &= 0x3fffff;
    h4 += c;
    c = h4 >>> 22;
    h4 &= 0x3fffff;
    h5 += c;
    c = h5 >>> 20;
    h5 &= 0xfffff;
    h0 += c * 5;
    c = h0 >>> 22;
    h0 &= 0x3fffff;
  }
  h1 += c;
  // g = h + 5 − 2^130; h ≥ p exactly when that does not borrow, and then h − p = g.
  let g0 = h0 + 5;
  c = g0 >>> 22;
  g0 &= 0x3fffff;
  let g1 = h1 + c;
  c = g1 >>> 22;
  g1 &= 0x3fffff;
  let g2 = h2 + c;
  c = g2 >>> 22;
  g2 &= 0x3fffff;
  let g3 = h3 + c;
  c = g3 >>> 22;
  g3 &= 0x3fffff;
  let g4 = h4 + c;
  c = g4 >>> 22;
  g4 &= 0x3fffff;
  let g5 = h5 + c - 0x100000;
  // All ones when g5 did not borrow (take g), zero otherwise (keep h).
  const useG = ~(g5 >> 31);
  const keepH = ~useG;
  g5 &= 0xfffff;
  h0 = (h0 & keepH) | (g0 & useG);
  h1 = (h1 & keepH) | (g1 & useG);
  h2 = (h2 & keepH) | (g2 & useG);
  h3 = (h3 & keepH) | (g3 & useG);
  h4 = (h4 & keepH) | (g4 & useG);
  h5 = (h5 & keepH) | (g5 & useG);
  // h mod 2^128 as 32-bit words, plus the pad s, mod 2^128, added 16 bits at
  // a time so every sum stays a small integer.
  const w0 = h0 | (h1 << 22),
    w1 = (h1 >>> 10) | (h2 << 12),
    w2 = (h2 >>> 20) | (h3 << 2) | (h4 << 24),
    w3 = (h4 >>> 8) | (h5 << 14);
  const s0 = pad[0]!,
    s1 = pad[1]!,
    s2 = pad[2]!,
    s3 = pad[3]!;
  let t = (w0 & 0xffff) + (s0 & 0xffff);
  out[at] = t;
  out[at + 1] = t >>> 8;
  t = (t >>> 16) + (w0 >>> 16) + (s0 >>> 16);
  out[at + 2] = t;
  out[at + 3] = t >>> 8;
  t = (t >>> 16) + (w1 & 0xffff) + (s1 & 0xffff);
  out[at + 4] = t;
  out[at + 5] = t >>> 8;
  t = (t >>> 16) + (w1 >>> 16) + (s1 >>> 16);
  out[at + 6] = t;
  out[at + 7] = t >>> 8;
  t = (t >>> 16) + (w2 & 0xffff) + (s2 & 0xffff);
  out[at + 8] = t;
  out[at + 9] = t >>> 8;
  t = (t >>> 16) + (w2 >>> 16) + (s2 >>> 16);
  out[at + 10] = t;
  out[at + 11] = t >>> 8;
  t = (t >>> 16) + (w3 & 0xffff) + (s3 & 0xffff);
  out[at + 12] = t;
  out[at + 13] = t >>> 8;
  t = (t >>> 16) + (w3 >>> 16) + (s3 >>> 16);
  out[at + 14] = t;
  out[at + 15] = t >>> 8;
}

/** Writes the low 32 bits of `v` (an integer below 2^53) little-endian. */
function writeWord(out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
  out[at + 2] = (v >>> 16) & 0xff;
  out[at + 3] = (v >>> 24) & 0xff;
}

/**
 * Seals `length` bytes of `src` from `from` into `out` at `offset` as
 * ciphertext ‖ 16-byte tag (no view of the plaintext is made).
 */
export function chachaPolySealRange(
  key: Uint8Array,
  nonce: Uint8Array,
  ad: Uint8Array,
  src: Uint8Array,
  from: number,
  length: number,
  out: Uint8Array,
  offset: number,
): void {
  load(key, nonce);
  chachaBlock(0);
  polyInit();
  xorStream(src, from, length, out, offset);
  polyPadded(ad, 0, ad.length);
  polyPadded(out, offset, length);
  polyLengths(ad.length, length);
  polyFinish(out, offset + length);
}

/** Seals `plaintext` into `out` at `offset` as ciphertext ‖ 16-byte tag. */
export function chachaPolySeal(
  key: Uint8Array,
  nonce: Uint8Array,
  ad: Uint8Array,
  plaintext: Uint8Array,
  out: Uint8Array,
  offset: number,
): void {
  chachaPolySealRange(key, nonce, ad, plaintext, 0, plaintext.length, out, offset);
}

const tag = new Uint8Array(16);

/**
 * Opens ciphertext ‖ tag (`length` bytes of `src` from `from`) into `out` at
 * `offset` (length − 16 bytes); false, with nothing written, when the tag
 * does not authenticate.
 */
export function chachaPolyOpenRange(
  key: Uint8Array,
  nonce: Uint8Array,
  ad: Uint8Array,
  src: Uint8Array,
  from: number,
  length: number,
  out: Uint8Array,
  offset: number,
): boolean {
  if (length < 16) return false;
  const body = length - 16;
  load(key, nonce);
  chachaBlock(0);
  polyInit();
  polyPadded(ad, 0, ad.length);
  polyPadded(src, from, body);
  polyLengths(ad.length, body);
  polyFinish(tag, 0);
  // Constant time: every tag byte is compared whatever the others hold.
  let diff = 0;
  for (let i = 0, at = from + body; i < 16; i++) diff |= tag[i]! ^ src[at + i]!;
  if (diff !== 0) return false;
  xorStream(src, from, body, out, offset);
  return true;
}

/**
 * Opens ciphertext ‖ tag into `out` at `offset` (ciphertext length bytes);
 * false, with nothing written, when the tag does not authenticate.
 */
export function chachaPolyOpenInto(
  key: Uint8Array,
  nonce: Uint8Array,
  ad: Uint8Array,
  sealed: Uint8Array,
  out: Uint8Array,
  offset: number,
): boolean {
  return chachaPolyOpenRange(key, nonce, ad, sealed, 0, sealed.length, out, offset);
}

/** Opens ciphertext ‖ tag; undefined when the tag does not authenticate. */
export function chachaPolyOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  ad: Uint8Array,
  sealed: Uint8Array,
): Uint8Array | undefined {
  if (sealed.length < 16) return undefined;
  const out = new Uint8Array(sealed.length - 16);
  return chachaPolyOpenInto(key, nonce, ad, sealed, out, 0) ? out : undefined;
}

/** Poly1305 alone (RFC 8439 2.5) with a 32-byte one-time key; for tests against the RFC's vectors. */
export function poly1305(oneTimeKey: Uint8Array, message: Uint8Array): Uint8Array {
  ks8.set(oneTimeKey.subarray(0, 32), 0);
  polyInit();
  const whole = message.length & ~15;
  polyBlocks(message, 0, whole);
  const rest = message.length - whole;
  if (rest > 0) {
    block.fill(0);
    block.set(message.subarray(whole), 0);
    block[rest] = 1;
    polyBlocks(block, 0, 16, 0);
  }
  const out = new Uint8Array(16);
  polyFinish(out, 0);
  return out;
}

/** The ChaCha20 block function (RFC 8439 2.3) as 64 bytes; for tests against the RFC's vectors. */
export function chacha20Block(key: Uint8Array, nonce: Uint8Array, counter: number): Uint8Array {
  load(key, nonce);
  chachaBlock(counter);
  return Uint8Array.from(ks8);
}
