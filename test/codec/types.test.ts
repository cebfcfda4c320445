// Bounds and validity of each SV2 data type, on both sides of the wire.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CodecError, type CodecErrorCode } from '../../src/codec/errors.js';
import { Reader } from '../../src/codec/reader.js';
import {
  B0_16M,
  B0_255,
  B0_32,
  B0_64K,
  BOOL,
  BYTES,
  F32,
  OPTION,
  PUBKEY,
  SEQ0_255,
  SEQ0_64K,
  SIGNATURE,
  STR0_255,
  U16,
  U24,
  U256,
  U32,
  U64,
  U8,
  type DataType,
} from '../../src/codec/types.js';
import { Writer } from '../../src/codec/writer.js';

function encode<T>(type: DataType<T>, v: T): Uint8Array {
  const out = new Uint8Array(type.size(v, 'v'));
  const w = new Writer(out);
  type.write(w, v);
  assert.equal(w.pos, out.length);
  return out;
}

function decode<T>(type: DataType<T>, bytes: Uint8Array, strictBool = false): T {
  const r = new Reader(bytes, 0, bytes.length, { strictBool });
  const v = type.read(r, 'v');
  assert.equal(r.remaining, 0, 'decoder consumed everything');
  return v;
}

function rejects(fn: () => unknown, code: CodecErrorCode): void {
  assert.throws(fn, (e: unknown) => e instanceof CodecError && e.code === code && e.what === 'v');
}

test('unsigned integers are little-endian and bounded', () => {
  assert.deepEqual([...encode(U16, 0x1234)], [0x34, 0x12]);
  assert.deepEqual([...encode(U24, 0xabcdef)], [0xef, 0xcd, 0xab]);
  assert.deepEqual([...encode(U32, 0xfffffffe)], [0xfe, 0xff, 0xff, 0xff]);
  assert.deepEqual([...encode(U64, 0x0102030405060708n)], [8, 7, 6, 5, 4, 3, 2, 1]);
  for (const [type, max] of [
    [U8, 0xff],
    [U16, 0xffff],
    [U24, 0xffffff],
    [U32, 0xffffffff],
  ] as const) {
    assert.equal(decode(type, encode(type, max)), max);
    rejects(() => type.size(max + 1, 'v'), 'invalid-value');
    rejects(() => type.size(-1, 'v'), 'invalid-value');
    rejects(() => type.size(1.5, 'v'), 'invalid-value');
    rejects(() => type.size('1' as unknown as number, 'v'), 'invalid-value');
    rejects(() => decode(type, new Uint8Array(type.fixed! - 1)), 'truncated');
  }
  assert.equal(decode(U64, encode(U64, (1n << 64n) - 1n)), (1n << 64n) - 1n);
  rejects(() => U64.size(1n << 64n, 'v'), 'invalid-value');
  rejects(() => U64.size(1 as unknown as bigint, 'v'), 'invalid-value');
});

test('F32 is IEEE 754 binary32 little-endian', () => {
  assert.deepEqual([...encode(F32, 1)], [0, 0, 0x80, 0x3f]);
  assert.equal(decode(F32, encode(F32, 0.1)), Math.fround(0.1));
  assert.ok(Number.isNaN(decode(F32, encode(F32, NaN))));
});

test('BOOL reads bit 0 only by default and rejects padding bits when strict', () => {
  assert.deepEqual([...encode(BOOL, true)], [1]);
  assert.deepEqual([...encode(BOOL, false)], [0]);
  assert.equal(decode(BOOL, Uint8Array.of(0xfe)), false);
  assert.equal(decode(BOOL, Uint8Array.of(0x03)), true);
  assert.equal(decode(BOOL, Uint8Array.of(1), true), true);
  rejects(() => decode(BOOL, Uint8Array.of(2), true), 'bad-bool');
  rejects(() => BOOL.size(1 as unknown as boolean, 'v'), 'invalid-value');
});

test('fixed byte types need exactly their length', () => {
  for (const [type, n] of [
    [U256, 32],
    [PUBKEY, 32],
    [SIGNATURE, 64],
  ] as const) {
    const v = Uint8Array.from({ length: n }, (_, i) => i);
    assert.deepEqual(decode(type, encode(type, v)), v);
    rejects(() => type.size(v.subarray(1), 'v'), 'invalid-value');
    rejects(() => decode(type, v.subarray(1)), 'truncated');
  }
});

test('length-prefixed byte types enforce their bounds on both sides', () => {
  for (const [type, prefix, max] of [
    [B0_32, 1, 32],
    [B0_255, 1, 255],
    [B0_64K, 2, 0xffff],
    [B0_16M, 3, 0xffffff],
  ] as const) {
    const v = new Uint8Array(max).fill(7);
    const bytes = encode(type, v);
    assert.equal(bytes.length, prefix + max);
    assert.deepEqual(decode(type, bytes), v);
    rejects(() => type.size(new Uint8Array(max + 1), 'v'), 'out-of-bounds');
    // A length prefix past the data is refused before anything is read.
    rejects(() => decode(type, bytes.subarray(0, bytes.length - 1)), 'truncated');
  }
  rejects(() => decode(B0_32, Uint8Array.of(33, ...new Uint8Array(33))), 'out-of-bounds');
});

test('decoded byte fields are views of the input', () => {
  const bytes = encode(B0_255, Uint8Array.of(1, 2, 3));
  const v = decode(B0_255, bytes);
  assert.equal(v.buffer, bytes.buffer);
  assert.equal(v.byteOffset, 1);
});

test('BYTES takes the rest of the payload', () => {
  const r = new Reader(Uint8Array.of(1, 2, 3, 4), 1);
  assert.deepEqual([...BYTES.read(r, 'v')], [2, 3, 4]);
  assert.equal(r.remaining, 0);
});

test('STR0_255 is strict UTF-8 bounded at 255 bytes', () => {
  const text = 'é'.repeat(127) + 'a';
  assert.equal(encode(STR0_255, text).length, 256);
  assert.equal(decode(STR0_255, encode(STR0_255, text)), text);
  assert.equal(decode(STR0_255, encode(STR0_255, 'worker.1 😀')), 'worker.1 😀');
  rejects(() => STR0_255.size('é'.repeat(128), 'v'), 'out-of-bounds');
  rejects(() => STR0_255.size('\ud800x', 'v'), 'invalid-value');
  rejects(() => decode(STR0_255, Uint8Array.of(2, 0xc3, 0x28)), 'invalid-utf8');
  rejects(() => decode(STR0_255, Uint8Array.of(1, 0xff)), 'invalid-utf8');
  rejects(() => decode(STR0_255, Uint8Array.of(3, 0x61)), 'truncated');
});

test('OPTION is SEQ0_1: count 0 or 1', () => {
  const opt = OPTION(U32);
  assert.deepEqual([...encode(opt, null)], [0]);
  assert.deepEqual([...encode(opt, 5)], [1, 5, 0, 0, 0]);
  assert.equal(decode(opt, Uint8Array.of(0)), null);
  assert.equal(decode(opt, Uint8Array.of(1, 5, 0, 0, 0)), 5);
  rejects(() => decode(opt, Uint8Array.of(2, 5, 0, 0, 0, 6, 0, 0, 0)), 'out-of-bounds');
  rejects(() => decode(opt, Uint8Array.of(1, 5)), 'truncated');
});

test('sequences enforce counts and never build more than the input backs', () => {
  const seq = SEQ0_255(U256);
  const full = Array.from({ length: 255 }, (_, i) => new Uint8Array(32).fill(i));
  assert.deepEqual(decode(seq, encode(seq, full)), full);
  rejects(() => seq.size([...full, new Uint8Array(32)], 'v'), 'out-of-bounds');
  // A count of 255 with one element's bytes present fails up front.
  rejects(() => decode(seq, Uint8Array.of(255, ...new Uint8Array(32))), 'truncated');
  const wide = SEQ0_64K(U16);
  const many = Array.from({ length: 0xffff }, (_, i) => i);
  assert.deepEqual(decode(wide, encode(wide, many)), many);
  rejects(() => decode(wide, Uint8Array.of(0xff, 0xff, 1, 0)), 'truncated');
  const txs = SEQ0_64K(B0_16M);
  rejects(() => decode(txs, Uint8Array.of(3, 0, 0, 0, 0)), 'truncated');
  assert.equal(seq.name, 'SEQ0_255[U256]');
});
