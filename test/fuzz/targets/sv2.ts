// SV2 frame + message decode: decodeFrame never throws (typed results only),
// and whatever decodes re-encodes and re-decodes to the same message.
import { readdirSync, readFileSync } from 'node:fs';
import {
  encodeFrameHeader,
  FRAME_HEADER_SIZE,
  frameBytesMissing,
  decodeFrameHeader,
} from '../../../src/codec/frame.js';
import {
  ALL_MESSAGES,
  decodeFrame,
  encodeFrame,
  MessageDecodeError,
  schemaByName,
  type DecodeResult,
  type Message,
} from '../../../src/messages/index.js';
import type { MessageSchema } from '../../../src/messages/schema.js';
import { vectorPath } from '../../helpers/paths.js';
import { Rng as ValueRng, randomMessage } from '../../messages/random-values.js';
import { type FuzzTarget, type Rng } from '../core.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

/** arbitrary's Vec<u8> rule (see test/vectors/README.md): pairs (c, v), append v while c is odd. */
export function arbitraryVec(seed: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < seed.length && (seed[i]! & 1) === 1; i += 2) out.push(seed[i + 1] ?? 0);
  return Uint8Array.from(out);
}

function referenceCorpus(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const name of ['deserialize_sv2frame', 'deserialize_stdframe']) {
    const dir = vectorPath('stratum-fuzzing-corpus', 'corpus', name);
    for (const f of readdirSync(dir).sort()) {
      const seed = new Uint8Array(readFileSync(`${dir}/${f}`));
      out.push(arbitraryVec(seed), seed);
    }
  }
  return out;
}

function frameOf(name: string, payload: Uint8Array): Uint8Array {
  const s = schemaByName(name)!.schema;
  const out = new Uint8Array(FRAME_HEADER_SIZE + payload.length);
  encodeFrameHeader(
    {
      extension_type: s.extension_type,
      channel_msg: s.channel_msg,
      msg_type: s.msg_type,
      msg_length: payload.length,
    },
    out,
  );
  out.set(payload, FRAME_HEADER_SIZE);
  return out;
}

/** The C++ template provider's message encodings, framed. */
function sv2TpFrames(): Uint8Array[] {
  const file = vectorPath('extracted', 'sv2', 'sv2-tp_message_encodings.json');
  const doc = JSON.parse(readFileSync(file, 'utf8')) as {
    vectors: { message: string; payload_hex?: string }[];
  };
  const out: Uint8Array[] = [];
  for (const v of doc.vectors) {
    const name = v.message.replace(/\./g, '');
    if (v.payload_hex === undefined) continue;
    const schema = schemaByName(name) ?? schemaByName(name + 'Tdp');
    if (schema) out.push(frameOf(schema.schema.name, hex(v.payload_hex)));
  }
  return out;
}

const SCHEMAS = ALL_MESSAGES as readonly MessageSchema[];

/** A valid frame of a random message (random, maximal or minimal field sizes). */
export function randomFrame(rng: Rng): Uint8Array {
  const schema = rng.pick(SCHEMAS);
  const mode = rng.pick(['random', 'random', 'random', 'min', 'max'] as const);
  const msg = randomMessage(
    new ValueRng(rng.u32()),
    schema,
    mode === 'max' && rng.chance(0.9) ? 'random' : mode,
  );
  return encodeFrame(msg as unknown as Message);
}

export function checkDecodeResult(r: DecodeResult): void {
  if (!r.ok) {
    if (!(r.error instanceof MessageDecodeError)) throw new Error(`untyped decode error ${String(r.error)}`);
    return;
  }
  const once = encodeFrame(r.message, r.tlvs);
  const again = decodeFrame(once);
  if (!again.ok) throw new Error(`re-encoded ${r.message.type} does not decode: ${again.error.message}`);
  const twice = encodeFrame(again.message, again.tlvs);
  if (Buffer.compare(Buffer.from(once), Buffer.from(twice)) !== 0) {
    throw new Error(`${r.message.type} is not byte-stable through decode/encode`);
  }
}

export const sv2Frame: FuzzTarget = {
  name: 'sv2-frame',
  description:
    'decodeFrame on one frame (header + payload): a message or a typed MessageDecodeError, never a throw; decoded messages re-encode byte-stable',
  maxLength: 1 << 16,
  dictionary: [],
  seeds: () => [...referenceCorpus(), ...sv2TpFrames()],
  generate(rng) {
    const frame = randomFrame(rng);
    if (rng.chance(0.3) && frame.length >= FRAME_HEADER_SIZE) {
      // The header's length says something else than the bytes that follow.
      const len = frame.length - FRAME_HEADER_SIZE + rng.pick([-1, 1, -3, 100]);
      frame[3] = len & 0xff;
      frame[4] = (len >>> 8) & 0xff;
      frame[5] = (len >>> 16) & 0xff;
    }
    return frame;
  },
  run(input) {
    checkDecodeResult(decodeFrame(input));
    // The incremental reader's view of the same bytes.
    if (input.length >= FRAME_HEADER_SIZE) {
      const h = decodeFrameHeader(input);
      const missing = frameBytesMissing(input);
      if (missing !== Math.max(0, FRAME_HEADER_SIZE + h.msg_length - input.length)) {
        throw new Error(`frameBytesMissing ${missing} disagrees with the header's ${h.msg_length}`);
      }
    }
  },
};
