// 100,000+ seeded hostile frames: valid frames truncated, bit-flipped, with
// oversized length prefixes, bad BOOL padding, trailing garbage, unknown
// types, and plain random payloads. Every one must decode to a message or a
// typed error without throwing; messages must re-encode byte-stable; and no
// decoded message may hold more than its input (byte fields are views of it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FRAME_HEADER_SIZE } from '../../src/codec/frame.js';
import type { DataType } from '../../src/codec/types.js';
import {
  ALL_MESSAGES,
  decodeFrame,
  encodeFrame,
  encodePayload,
  MessageDecodeError,
  type Message,
  type MessageDecodeErrorCode,
} from '../../src/messages/index.js';
import { randomMessage, Rng } from './random-values.js';

const FRAMES = 100_000;
const CODES: MessageDecodeErrorCode[] = [
  'truncated',
  'out-of-bounds',
  'trailing-bytes',
  'bad-bool',
  'invalid-utf8',
  'unknown-message',
  'unknown-extension',
];

interface Sample {
  frame: Uint8Array;
  /** Payload offsets of BOOL fields. */
  bools: number[];
}

function sampleOf(rng: Rng, schema: (typeof ALL_MESSAGES)[number]): Sample {
  const m = randomMessage(rng, schema, 'random');
  const bools: number[] = [];
  let offset = 0;
  for (const [name, type] of Object.entries(schema.fields) as [string, DataType<unknown>][]) {
    if (type.kind === 'BOOL') bools.push(offset);
    offset += type.size(m[name], name);
  }
  return { frame: encodeFrame(m as unknown as Message), bools };
}

function setLength(frame: Uint8Array): Uint8Array {
  const n = frame.length - FRAME_HEADER_SIZE;
  frame[3] = n & 0xff;
  frame[4] = (n >>> 8) & 0xff;
  frame[5] = n >>> 16;
  return frame;
}

function mutate(rng: Rng, s: Sample): { frame: Uint8Array; kind: string } {
  const f = s.frame.slice();
  const payload = f.length - FRAME_HEADER_SIZE;
  const at = () => FRAME_HEADER_SIZE + rng.int(Math.max(1, payload));
  switch (rng.int(10)) {
    case 0:
      return { kind: 'truncated', frame: setLength(f.slice(0, FRAME_HEADER_SIZE + rng.int(payload + 1))) };
    case 1:
      return { kind: 'short-of-length', frame: f.slice(0, rng.int(f.length)) };
    case 2:
      if (payload > 0) {
        const p = at();
        f[p] = f[p]! ^ (1 << rng.int(8));
      }
      return { kind: 'bit-flip', frame: f };
    case 3:
      for (let i = rng.int(4); i >= 0 && payload > 0; i--) f[at()] = rng.pick([0, 0xff, 0x80, rng.int(256)]);
      return { kind: 'byte-set', frame: f };
    case 4: {
      // Lengths and counts far past the buffer.
      const p = at();
      for (let i = 0; i < 1 + rng.int(3) && p + i < f.length; i++) f[p + i] = 0xff;
      return { kind: 'oversized-length', frame: f };
    }
    case 5:
      if (s.bools.length > 0) f[FRAME_HEADER_SIZE + rng.pick(s.bools)] = 2 + rng.int(254);
      return { kind: 'bool-padding', frame: f };
    case 6: {
      const extra = rng.bytes(1 + rng.int(12));
      const g = new Uint8Array(f.length + extra.length);
      g.set(f);
      g.set(extra, f.length);
      return { kind: 'trailing', frame: setLength(g) };
    }
    case 7: {
      const g = new Uint8Array(FRAME_HEADER_SIZE + rng.int(200));
      g.set(f.subarray(0, FRAME_HEADER_SIZE));
      g.set(rng.bytes(g.length - FRAME_HEADER_SIZE), FRAME_HEADER_SIZE);
      return { kind: 'random-payload', frame: setLength(g) };
    }
    case 8:
      f[rng.pick([0, 1, 2])] = rng.int(256);
      return { kind: 'random-type', frame: f };
    default:
      return { kind: 'random-bytes', frame: rng.bytes(rng.int(64)) };
  }
}

/** Bytes, string bytes and elements a decoded value holds; byte fields must alias `input`. */
function footprint(v: unknown, input: ArrayBufferLike): number {
  if (v instanceof Uint8Array) {
    assert.equal(v.buffer, input, 'decoded bytes are a view of the input');
    return v.length;
  }
  if (typeof v === 'string') return Buffer.byteLength(v);
  // Every element takes at least one input byte.
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + Math.max(1, footprint(x, input)), 0);
  if (typeof v === 'object' && v !== null) {
    return Object.entries(v).reduce((n: number, [k, x]) => (k === 'type' ? n : n + footprint(x, input)), 0);
  }
  return 0;
}

test(`${FRAMES} hostile frames decode to messages or typed errors`, () => {
  const rng = new Rng(0x0bad5eed);
  const samples: Sample[] = [];
  for (const schema of ALL_MESSAGES) for (let i = 0; i < 40; i++) samples.push(sampleOf(rng, schema));

  const seen = new Map<string, number>();
  const count = (k: string) => seen.set(k, (seen.get(k) ?? 0) + 1);
  for (let i = 0; i < FRAMES; i++) {
    const { frame, kind } = mutate(rng, rng.pick(samples));
    const strictBool = rng.chance(0.5);
    let r;
    try {
      r = decodeFrame(frame, { strictBool });
    } catch (e) {
      assert.fail(`frame ${i} (${kind}) threw ${String(e)}: ${Buffer.from(frame).toString('hex')}`);
    }
    if (!r.ok) {
      assert.ok(r.error instanceof MessageDecodeError);
      assert.ok(CODES.includes(r.error.code), `frame ${i} (${kind}): ${r.error.code} ${r.error.message}`);
      count(`${kind}:${r.error.code}`);
      count(r.error.code);
      continue;
    }
    count(`${kind}:ok`);
    const payloadLength = frame.length - FRAME_HEADER_SIZE;
    assert.ok(
      footprint(r.message, frame.buffer) <= payloadLength,
      `frame ${i} (${kind}) decoded into more than its input`,
    );
    const once = encodePayload(r.message, r.tlvs);
    const again = decodeFrame(encodeFrame(r.message, r.tlvs), { strictBool });
    assert.ok(again.ok);
    assert.deepStrictEqual(again.message, r.message);
    assert.deepEqual(encodePayload(again.message, again.tlvs), once);
  }

  // Every kind of damage was exercised, and both outcomes happened.
  for (const code of [
    'truncated',
    'out-of-bounds',
    'trailing-bytes',
    'bad-bool',
    'invalid-utf8',
    'unknown-message',
    'unknown-extension',
  ]) {
    assert.ok((seen.get(code) ?? 0) > 0, `no ${code} error in ${FRAMES} frames`);
  }
  assert.ok((seen.get('bool-padding:ok') ?? 0) > 0, 'padding bits decode when not strict');
  assert.ok((seen.get('bit-flip:ok') ?? 0) > 0);
});
