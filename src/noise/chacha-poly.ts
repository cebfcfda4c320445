// ChaCha20-Poly1305 (RFC 8439) in plain JavaScript, written for the small
// messages an SV2 connection carries: no object is created per message, the
// block function works on local 32-bit words, and Poly1305 keeps its 130-bit
// numbers in ten 13-bit limbs so every product and sum stays exact in a
// double. For a share-sized frame this beats a node:crypto cipher object per
// message, whose setup costs more than the work; for large payloads OpenSSL's
// vectorised code wins, so aead.ts picks by size. Checked against the RFC's
// vectors and node:crypto in test/noise/chacha-poly.test.ts.

/** 16 words of key stream, seen as bytes (the platform is little-endian; aead.ts checks). */
const ks = new Uint32Array(16);
const ks8 = new Uint8Array(ks.buffer);
/** Zero padding and the length block of the Poly1305 input. */
const block = new Uint8Array(16);
const blockView = new DataView(block.buffer);

// Key and nonce as words, loaded once per message.
let k0 = 0,
  k1 = 0,
  k2 = 0,
  k3 = 0,
  k4 = 0,
  k5 = 0,
  k6 = 0,
  k7 = 0;
let n0 = 0,
  n1 = 0,
  n2 = 0;

function word(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

function load(key: Uint8Array, nonce: Uint8Array): void {
  k0 = word(key, 0);
  k1 = word(key, 4);
  k2 = word(key, 8);
  k3 = word(key, 12);
  k4 = word(key, 16);
  k5 = word(key, 20);
  k6 = word(key, 24);
  k7 = word(key, 28);
  n0 = word(nonce, 0);
  n1 = word(nonce, 4);
  n2 = word(nonce, 8);
}

/** One ChaCha20 block for the loaded key and nonce at `counter`, into `ks`. */
function chachaBlock(counter: number): void {
  const j0 = 0x61707865,
    j1 = 0x3320646e,
    j2 = 0x79622d32,
    j3 = 0x6b206574;
  let x0 = j0,
    x1 = j1,
    x2 = j2,
    x3 = j3;
  let x4 = k0,
    x5 = k1,
    x6 = k2,
    x7 = k3,
    x8 = k4,
    x9 = k5,
    x10 = k6,
    x11 = k7;
  let x12 = counter,
    x13 = n0,
    x14 = n1,
    x15 = n2;
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
  ks[0] = x0 + j0;
  ks[1] = x1 + j1;
  ks[2] = x2 + j2;
  ks[3] = x3 + j3;
  ks[4] = x4 + k0;
  ks[5] = x5 + k1;
  ks[6] = x6 + k2;
  ks[7] = x7 + k3;
  ks[8] = x8 + k4;
  ks[9] = x9 + k5;
  ks[10] = x10 + k6;
  ks[11] = x11 + k7;
  ks[12] = x12 + counter;
  ks[13] = x13 + n0;
  ks[14] = x14 + n1;
  ks[15] = x15 + n2;
}

/** XORs `length` bytes of `src` from `from` with the key stream from block 1 into `dst` at `to`. */
function xorStream(src: Uint8Array, from: number, length: number, dst: Uint8Array, to: number): void {
  for (let done = 0, counter = 1; done < length; counter++) {
    chachaBlock(counter);
    const n = Math.min(64, length - done);
    for (let i = 0; i < n; i++) dst[to + done + i] = src[from + done + i]! ^ ks8[i]!;
    done += n;
  }
}

// Poly1305 state: accumulator h and key r in 13-bit limbs, q = 5·r (2^130 ≡ 5).
let h0 = 0,
  h1 = 0,
  h2 = 0,
  h3 = 0,
  h4 = 0,
  h5 = 0,
  h6 = 0,
  h7 = 0,
  h8 = 0,
  h9 = 0;
let r0 = 0,
  r1 = 0,
  r2 = 0,
  r3 = 0,
  r4 = 0,
  r5 = 0,
  r6 = 0,
  r7 = 0,
  r8 = 0,
  r9 = 0;
let q1 = 0,
  q2 = 0,
  q3 = 0,
  q4 = 0,
  q5 = 0,
  q6 = 0,
  q7 = 0,
  q8 = 0,
  q9 = 0;
/** The pad s, as eight 16-bit words. */
const pad = new Uint16Array(8);

const rkey = new Uint8Array(16);

function u16(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8);
}

/** Starts a MAC with the one-time key in the first 32 bytes of `ks8` (block 0 of the stream). */
function polyInit(): void {
  for (let i = 0; i < 16; i++) rkey[i] = ks8[i]!;
  // Clamp r: the top 4 bits of bytes 3, 7, 11, 15 and the low 2 of bytes 4, 8, 12 are cleared.
  rkey[3]! &= 15;
  rkey[7]! &= 15;
  rkey[11]! &= 15;
  rkey[15]! &= 15;
  rkey[4]! &= 252;
  rkey[8]! &= 252;
  rkey[12]! &= 252;
  const t0 = u16(rkey, 0),
    t1 = u16(rkey, 2),
    t2 = u16(rkey, 4),
    t3 = u16(rkey, 6);
  const t4 = u16(rkey, 8),
    t5 = u16(rkey, 10),
    t6 = u16(rkey, 12),
    t7 = u16(rkey, 14);
  r0 = t0 & 0x1fff;
  r1 = ((t0 >>> 13) | (t1 << 3)) & 0x1fff;
  r2 = ((t1 >>> 10) | (t2 << 6)) & 0x1fff;
  r3 = ((t2 >>> 7) | (t3 << 9)) & 0x1fff;
  r4 = ((t3 >>> 4) | (t4 << 12)) & 0x1fff;
  r5 = (t4 >>> 1) & 0x1fff;
  r6 = ((t4 >>> 14) | (t5 << 2)) & 0x1fff;
  r7 = ((t5 >>> 11) | (t6 << 5)) & 0x1fff;
  r8 = ((t6 >>> 8) | (t7 << 8)) & 0x1fff;
  r9 = t7 >>> 5;
  q1 = 5 * r1;
  q2 = 5 * r2;
  q3 = 5 * r3;
  q4 = 5 * r4;
  q5 = 5 * r5;
  q6 = 5 * r6;
  q7 = 5 * r7;
  q8 = 5 * r8;
  q9 = 5 * r9;
  for (let i = 0; i < 8; i++) pad[i] = u16(ks8, 16 + 2 * i);
  h0 = h1 = h2 = h3 = h4 = h5 = h6 = h7 = h8 = h9 = 0;
}

/**
 * Absorbs `length` bytes (a multiple of 16) of `m` from `at` as 16-byte
 * blocks; `hibit` is 0x800 (2^128 in the top limb) for every block the AEAD
 * feeds, 0 only for a raw MAC's last block that carries its own 0x01.
 */
function polyBlocks(m: Uint8Array, at: number, length: number, hibit = 0x800): void {
  for (let p = at, end = at + length; p < end; p += 16) {
    const t0 = u16(m, p),
      t1 = u16(m, p + 2),
      t2 = u16(m, p + 4),
      t3 = u16(m, p + 6);
    const t4 = u16(m, p + 8),
      t5 = u16(m, p + 10),
      t6 = u16(m, p + 12),
      t7 = u16(m, p + 14);
    h0 += t0 & 0x1fff;
    h1 += ((t0 >>> 13) | (t1 << 3)) & 0x1fff;
    h2 += ((t1 >>> 10) | (t2 << 6)) & 0x1fff;
    h3 += ((t2 >>> 7) | (t3 << 9)) & 0x1fff;
    h4 += ((t3 >>> 4) | (t4 << 12)) & 0x1fff;
    h5 += (t4 >>> 1) & 0x1fff;
    h6 += ((t4 >>> 14) | (t5 << 2)) & 0x1fff;
    h7 += ((t5 >>> 11) | (t6 << 5)) & 0x1fff;
    h8 += ((t6 >>> 8) | (t7 << 8)) & 0x1fff;
    h9 += (t7 >>> 5) | hibit;
    // h = h · r mod 2^130 − 5, limb by limb, carrying as it goes.
    let c = 0;
    let d0 =
      h0 * r0 + h1 * q9 + h2 * q8 + h3 * q7 + h4 * q6 + h5 * q5 + h6 * q4 + h7 * q3 + h8 * q2 + h9 * q1;
    c = Math.floor(d0 / 8192);
    d0 &= 0x1fff;
    let d1 =
      c + h0 * r1 + h1 * r0 + h2 * q9 + h3 * q8 + h4 * q7 + h5 * q6 + h6 * q5 + h7 * q4 + h8 * q3 + h9 * q2;
    c = Math.floor(d1 / 8192);
    d1 &= 0x1fff;
    let d2 =
      c + h0 * r2 + h1 * r1 + h2 * r0 + h3 * q9 + h4 * q8 + h5 * q7 + h6 * q6 + h7 * q5 + h8 * q4 + h9 * q3;
    c = Math.floor(d2 / 8192);
    d2 &= 0x1fff;
    let d3 =
      c + h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * q9 + h5 * q8 + h6 * q7 + h7 * q6 + h8 * q5 + h9 * q4;
    c = Math.floor(d3 / 8192);
    d3 &= 0x1fff;
    let d4 =
      c + h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0 + h5 * q9 + h6 * q8 + h7 * q7 + h8 * q6 + h9 * q5;
    c = Math.floor(d4 / 8192);
    d4 &= 0x1fff;
    let d5 =
      c + h0 * r5 + h1 * r4 + h2 * r3 + h3 * r2 + h4 * r1 + h5 * r0 + h6 * q9 + h7 * q8 + h8 * q7 + h9 * q6;
    c = Math.floor(d5 / 8192);
    d5 &= 0x1fff;
    let d6 =
      c + h0 * r6 + h1 * r5 + h2 * r4 + h3 * r3 + h4 * r2 + h5 * r1 + h6 * r0 + h7 * q9 + h8 * q8 + h9 * q7;
    c = Math.floor(d6 / 8192);
    d6 &= 0x1fff;
    let d7 =
      c + h0 * r7 + h1 * r6 + h2 * r5 + h3 * r4 + h4 * r3 + h5 * r2 + h6 * r1 + h7 * r0 + h8 * q9 + h9 * q8;
    c = Math.floor(d7 / 8192);
    d7 &= 0x1fff;
    let d8 =
      c + h0 * r8 + h1 * r7 + h2 * r6 + h3 * r5 + h4 * r4 + h5 * r3 + h6 * r2 + h7 * r1 + h8 * r0 + h9 * q9;
    c = Math.floor(d8 / 8192);
    d8 &= 0x1fff;
    let d9 =
      c + h0 * r9 + h1 * r8 + h2 * r7 + h3 * r6 + h4 * r5 + h5 * r4 + h6 * r3 + h7 * r2 + h8 * r1 + h9 * r0;
    c = Math.floor(d9 / 8192);
    d9 &= 0x1fff;
    // The carry out of the top limb is a multiple of 2^130 ≡ 5.
    d0 += c * 5;
    c = d0 >>> 13;
    d0 &= 0x1fff;
    d1 += c;
    h0 = d0;
    h1 = d1;
    h2 = d2;
    h3 = d3;
    h4 = d4;
    h5 = d5;
    h6 = d6;
    h7 = d7;
    h8 = d8;
    h9 = d9;
  }
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
  blockView.setUint32(0, adLength, true);
  blockView.setUint32(4, Math.floor(adLength / 2 ** 32), true);
  blockView.setUint32(8, ctLength, true);
  blockView.setUint32(12, Math.floor(ctLength / 2 ** 32), true);
  polyBlocks(block, 0, 16);
}

/** Writes the 16-byte tag (h mod p, plus s) into `out` at `at`. */
function polyFinish(out: Uint8Array, at: number): void {
  // Full carry (three rounds; the last two almost never move anything), so every limb is below 2^13 and h < 2^130.
  let c = 0;
  for (let round = 0; round < 3; round++) {
    h1 += c;
    c = h1 >>> 13;
    h1 &= 0x1fff;
    h2 += c;
    c = h2 >>> 13;
    h2 &= 0x1fff;
    h3 += c;
    c = h3 >>> 13;
    h3 &= 0x1fff;
    h4 += c;
    c = h4 >>> 13;
    h4 &= 0x1fff;
    h5 += c;
    c = h5 >>> 13;
    h5 &= 0x1fff;
    h6 += c;
    c = h6 >>> 13;
    h6 &= 0x1fff;
    h7 += c;
    c = h7 >>> 13;
    h7 &= 0x1fff;
    h8 += c;
    c = h8 >>> 13;
    h8 &= 0x1fff;
    h9 += c;
    c = h9 >>> 13;
    h9 &= 0x1fff;
    h0 += c * 5;
    c = h0 >>> 13;
    h0 &= 0x1fff;
  }
  h1 += c;
  // g = h + 5 − 2^130; h ≥ p exactly when that does not borrow, then h − p = g.
  let g0 = h0 + 5;
  c = g0 >>> 13;
  g0 &= 0x1fff;
  let g1 = h1 + c;
  c = g1 >>> 13;
  g1 &= 0x1fff;
  let g2 = h2 + c;
  c = g2 >>> 13;
  g2 &= 0x1fff;
  let g3 = h3 + c;
  c = g3 >>> 13;
  g3 &= 0x1fff;
  let g4 = h4 + c;
  c = g4 >>> 13;
  g4 &= 0x1fff;
  let g5 = h5 + c;
  c = g5 >>> 13;
  g5 &= 0x1fff;
  let g6 = h6 + c;
  c = g6 >>> 13;
  g6 &= 0x1fff;
  let g7 = h7 + c;
  c = g7 >>> 13;
  g7 &= 0x1fff;
  let g8 = h8 + c;
  c = g8 >>> 13;
  g8 &= 0x1fff;
  let g9 = h9 + c - (1 << 13);
  // All ones when g9 did not borrow (use g), zero otherwise (keep h).
  const useG = ~(g9 >> 31);
  const keepH = ~useG;
  g9 &= 0x1fff;
  h0 = (h0 & keepH) | (g0 & useG);
  h1 = (h1 & keepH) | (g1 & useG);
  h2 = (h2 & keepH) | (g2 & useG);
  h3 = (h3 & keepH) | (g3 & useG);
  h4 = (h4 & keepH) | (g4 & useG);
  h5 = (h5 & keepH) | (g5 & useG);
  h6 = (h6 & keepH) | (g6 & useG);
  h7 = (h7 & keepH) | (g7 & useG);
  h8 = (h8 & keepH) | (g8 & useG);
  h9 = (h9 & keepH) | (g9 & useG);
  // h mod 2^128 as 16-bit words, plus the pad s, mod 2^128.
  const w = [
    (h0 | (h1 << 13)) & 0xffff,
    ((h1 >>> 3) | (h2 << 10)) & 0xffff,
    ((h2 >>> 6) | (h3 << 7)) & 0xffff,
    ((h3 >>> 9) | (h4 << 4)) & 0xffff,
    ((h4 >>> 12) | (h5 << 1) | (h6 << 14)) & 0xffff,
    ((h6 >>> 2) | (h7 << 11)) & 0xffff,
    ((h7 >>> 5) | (h8 << 8)) & 0xffff,
    ((h8 >>> 8) | (h9 << 5)) & 0xffff,
  ];
  c = 0;
  for (let i = 0; i < 8; i++) {
    const f = w[i]! + pad[i]! + c;
    out[at + 2 * i] = f & 0xff;
    out[at + 2 * i + 1] = (f >>> 8) & 0xff;
    c = f >>> 16;
  }
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
  load(key, nonce);
  chachaBlock(0);
  polyInit();
  xorStream(plaintext, 0, plaintext.length, out, offset);
  polyPadded(ad, 0, ad.length);
  polyPadded(out, offset, plaintext.length);
  polyLengths(ad.length, plaintext.length);
  polyFinish(out, offset + plaintext.length);
}

const tag = new Uint8Array(16);

/** Opens ciphertext ‖ tag; undefined when the tag does not authenticate. */
export function chachaPolyOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  ad: Uint8Array,
  sealed: Uint8Array,
): Uint8Array | undefined {
  if (sealed.length < 16) return undefined;
  const length = sealed.length - 16;
  load(key, nonce);
  chachaBlock(0);
  polyInit();
  polyPadded(ad, 0, ad.length);
  polyPadded(sealed, 0, length);
  polyLengths(ad.length, length);
  polyFinish(tag, 0);
  let diff = 0;
  for (let i = 0; i < 16; i++) diff |= tag[i]! ^ sealed[length + i]!;
  if (diff !== 0) return undefined;
  const out = new Uint8Array(length);
  xorStream(sealed, 0, length, out, 0);
  return out;
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
