// The reference implementation's libFuzzer seeds for its codec targets. Each
// seed must decode to a value or a typed error, and whatever decodes must
// re-encode and re-decode byte-stable (what the original harness asserts).
// Seed layouts are described in test/vectors/README.md.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CodecError } from '../../src/codec/errors.js';
import { FRAME_HEADER_SIZE, decodeFrameHeader } from '../../src/codec/frame.js';
import { Reader } from '../../src/codec/reader.js';
import * as T from '../../src/codec/types.js';
import { Writer } from '../../src/codec/writer.js';
import { decodeFrame, encodeFrame, MessageDecodeError, type DecodeResult } from '../../src/messages/index.js';
import { vectorPath } from '../helpers/paths.js';

const dir = (name: string) => vectorPath('stratum-fuzzing-corpus', 'corpus', name);
const seeds = (name: string) =>
  readdirSync(dir(name)).map((f) => new Uint8Array(readFileSync(`${dir(name)}/${f}`)));

/** arbitrary's Vec<u8> rule: pairs (c, v), append v while c is odd; a missing v reads as 0. */
function arbitraryVec(seed: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < seed.length && (seed[i]! & 1) === 1; i += 2) out.push(seed[i + 1] ?? 0);
  return Uint8Array.from(out);
}

/** The datatypes target's selector % 16; 5 was a non-spec view of a U32, which reads the same bytes. */
const DATATYPES: T.DataType<unknown>[] = [
  T.U8,
  T.U16,
  T.U24,
  T.BOOL,
  T.U32,
  T.U32,
  T.F32,
  T.U64,
  T.U256,
  T.PUBKEY,
  T.SIGNATURE,
  T.B0_32,
  T.B0_255,
  T.STR0_255,
  T.B0_64K,
  T.B0_16M,
] as T.DataType<unknown>[];

const SEQ_ELEMENTS = [T.BOOL, T.U64, T.B0_255, T.U256] as T.DataType<unknown>[];

/** Reads one value; if that works, writes it and reads it back byte-stable. Returns whether it decoded. */
function stable(type: T.DataType<unknown>, data: Uint8Array): boolean {
  let value: unknown;
  try {
    value = type.read(new Reader(data), 'seed');
  } catch (e) {
    assert.ok(e instanceof CodecError, `untyped error ${String(e)}`);
    return false;
  }
  const once = new Uint8Array(type.size(value, 'seed'));
  type.write(new Writer(once), value);
  const back = type.read(new Reader(once), 'seed');
  const twice = new Uint8Array(type.size(back, 'seed'));
  type.write(new Writer(twice), back);
  assert.deepEqual(twice, once);
  if (type.kind !== 'F32') assert.deepEqual(back, value);
  return true;
}

function checkFrameResult(r: DecodeResult): void {
  if (!r.ok) {
    assert.ok(r.error instanceof MessageDecodeError);
    return;
  }
  const once = encodeFrame(r.message, r.tlvs);
  const again = decodeFrame(once);
  assert.ok(again.ok, 'a re-encoded message decodes');
  assert.deepStrictEqual(again.message, r.message);
  assert.deepEqual(encodeFrame(again.message, again.tlvs), once);
}

for (const target of ['deserialize_sv2frame', 'deserialize_stdframe']) {
  test(`${target} seeds decode to messages or typed errors`, () => {
    let consistent = 0;
    let decoded = 0;
    for (const seed of seeds(target)) {
      const bytes = arbitraryVec(seed);
      checkFrameResult(decodeFrame(bytes));
      if (
        bytes.length >= FRAME_HEADER_SIZE &&
        decodeFrameHeader(bytes).msg_length === bytes.length - FRAME_HEADER_SIZE
      ) {
        consistent++;
        const r = decodeFrame(bytes);
        if (r.ok) decoded++;
      }
      // The raw seed bytes as a frame too.
      checkFrameResult(decodeFrame(seed));
    }
    // The README counts the length-consistent frames this rule yields: 30 of 54 and 28 of 51.
    assert.equal(consistent, target === 'deserialize_sv2frame' ? 30 : 28);
    assert.ok(decoded <= consistent);
  });
}

test('deserialize_datatypes seeds decode to values or typed errors', () => {
  let ok = 0;
  const all = seeds('deserialize_datatypes');
  for (const seed of all) {
    if (seed.length === 0) continue;
    if (stable(DATATYPES[seed[0]! % 16]!, seed.subarray(1))) ok++;
  }
  assert.ok(ok > 0 && ok < all.length, `${ok} of ${all.length} decoded`);
});

for (const [target, wrap] of [
  ['deserialize_seq0255', T.SEQ0_255],
  ['deserialize_seq064k', T.SEQ0_64K],
] as const) {
  test(`${target} seeds decode to sequences or typed errors`, () => {
    let ok = 0;
    const all = seeds(target);
    for (const seed of all) {
      if (seed.length === 0) continue;
      if (stable(wrap(SEQ_ELEMENTS[seed[0]! % 4]!), seed.subarray(1))) ok++;
    }
    assert.ok(ok > 0, `${ok} of ${all.length} decoded`);
  });
}
