// Noise: act 1 into a responder, act 2 into an initiator, and after a valid
// handshake ciphertext into the transport frame decoder. NoiseError is the
// API's own refusal; anything else thrown is a finding.
import { readFileSync } from 'node:fs';
import { encodeFrameHeader, FRAME_HEADER_SIZE } from '../../../src/codec/frame.js';
import { decodeFrame } from '../../../src/messages/index.js';
import {
  ACT1_SIZE,
  ACT2_SIZE,
  CipherState,
  encryptFrame,
  NoiseError,
  NoiseFrameDecoder,
  NoiseInitiator,
  NoiseResponder,
  authorityPublicKeyOf,
  nodeAead,
  type Aead,
} from '../../../src/noise/index.js';
import { vectorPath } from '../../helpers/paths.js';
import { Rng, type FuzzTarget } from '../core.js';
import { checkDecodeResult, randomFrame } from './sv2.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

interface Transcript {
  keys?: Record<string, string>;
  [k: string]: unknown;
}

/** Every hex string of 64 or 234 bytes in the Noise regression transcript (acts 1 and 2). */
function transcriptActs(): Uint8Array[] {
  const doc = JSON.parse(readFileSync(vectorPath('noise-transcript.json'), 'utf8')) as Transcript;
  const out: Uint8Array[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string' && /^[0-9a-f]+$/.test(v) && (v.length === 128 || v.length === 468))
      out.push(hex(v));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(doc);
  return out;
}

const AUTHORITY_SECRET = new Uint8Array(32).fill(7);
const AUTHORITY_PUBLIC = authorityPublicKeyOf(AUTHORITY_SECRET);
const NOW = 1_700_000_000;

/** A deterministic random source (handshakes in a fuzz run must reproduce). */
function fixedRandom(seed: number): (n: number) => Uint8Array {
  const rng = new Rng(seed);
  return (n) => rng.bytes(n);
}

function expectNoise(e: unknown): void {
  if (!(e instanceof NoiseError)) throw e;
}

export const noiseAct1: FuzzTarget = {
  name: 'noise-act1',
  // Every act 1 costs the responder two ElligatorSwift encodings, two ECDHs and a BIP340 signature (about 9 ms here).
  slowMs: 25,
  description: 'NoiseResponder.readAct1 + writeAct2 on the bytes as act 1; refusals are NoiseError',
  maxLength: 256,
  seeds: () => [
    ...transcriptActs().filter((a) => a.length === ACT1_SIZE),
    new Uint8Array(64),
    new Uint8Array(64).fill(0xff),
  ],
  generate(rng) {
    if (rng.chance(0.2)) return rng.bytes(rng.size(200));
    // A real initiator's act 1.
    return new NoiseInitiator({
      authorityPublicKey: AUTHORITY_PUBLIC,
      random: fixedRandom(rng.u32()),
    }).act1();
  },
  run(input) {
    const responder = new NoiseResponder({
      authoritySecretKey: AUTHORITY_SECRET,
      random: fixedRandom(input.length),
      now: () => NOW,
    });
    // Most inputs of another length are cut or zero-padded to 64 bytes, so mutations keep reaching the
    // ElligatorSwift decode and act 2; odd lengths are kept as they are, for the length check.
    let act1 = input;
    if (input.length !== ACT1_SIZE && input.length % 2 === 0) {
      act1 = new Uint8Array(ACT1_SIZE);
      act1.set(input.subarray(0, ACT1_SIZE));
    }
    try {
      responder.readAct1(act1);
      const act2 = responder.writeAct2();
      if (act2.length !== ACT2_SIZE) throw new Error(`act 2 of ${act2.length} bytes`);
    } catch (e) {
      expectNoise(e);
    }
  },
};

const act2Cache = new Map<string, Uint8Array>();

/**
 * Input: byte 0 picks the mode. Mode even: the rest is act 2 as is. Mode odd:
 * a real responder answers, with its clock and certificate validity taken from
 * bytes 1-4, and bytes 5… are XORed over its act 2 (all zero = untouched: then
 * the initiator must accept exactly the certificates valid at its clock).
 */
export const noiseAct2: FuzzTarget = {
  name: 'noise-act2',
  description:
    'NoiseInitiator.readAct2 on raw or tampered act 2 (certificate clock and validity varied); refusals are NoiseError',
  maxLength: 512,
  seeds: () => [
    ...transcriptActs()
      .filter((a) => a.length === ACT2_SIZE)
      .map((a) => Uint8Array.from([0, ...a])),
    Uint8Array.from([1, 0, 0, 0, 0]),
  ],
  generate(rng) {
    if (rng.chance(0.3))
      return Uint8Array.from([0, ...rng.bytes(rng.chance(0.7) ? ACT2_SIZE : rng.size(400))]);
    const mask = new Uint8Array(rng.chance(0.5) ? 0 : ACT2_SIZE);
    if (mask.length > 0) mask[rng.int(mask.length)] = 1 << rng.int(8);
    return Uint8Array.from([1, rng.int(256), rng.int(256), rng.int(256), rng.int(256), ...mask]);
  },
  run(input) {
    const mode = input[0] ?? 0;
    const initiator = new NoiseInitiator({
      authorityPublicKey: AUTHORITY_PUBLIC,
      random: fixedRandom(1),
      now: () => NOW,
    });
    const act1 = initiator.act1();
    let act2: Uint8Array;
    let expectAccept: boolean | undefined;
    let expectWhy = '';
    if ((mode & 1) === 0) act2 = input.subarray(1);
    else {
      // Responder clock -128..127 s or minutes from the initiator's; validity 0..35 s or 0..7 hours.
      const skew = (((input[1] ?? 0) << 24) >> 24) * ((input[2] ?? 0) & 1 ? 1 : 60);
      const validity = ((input[3] ?? 0) & 7) * ((input[3] ?? 0) & 8 ? 3600 : 5);
      const key = `${skew}/${validity}/${(input[4] ?? 0) === 0xff}`;
      let answer = act2Cache.get(key);
      if (answer === undefined) {
        // The initiator's act 1 is the same every time (fixed randomness), so is this answer.
        const responder = new NoiseResponder({
          authoritySecretKey: (input[4] ?? 0) === 0xff ? new Uint8Array(32).fill(9) : AUTHORITY_SECRET,
          random: fixedRandom(2),
          now: () => NOW + skew,
          certValiditySec: validity,
        });
        responder.readAct1(act1);
        answer = responder.writeAct2();
        if (act2Cache.size < 8192) act2Cache.set(key, answer);
      }
      act2 = Uint8Array.from(answer);
      // All-zero mask no longer than act 2 (a longer one appends bytes).
      const untouched = input.length - 5 <= ACT2_SIZE && input.subarray(5).every((b) => b === 0);
      if (untouched) {
        // Spec 4.5.3: valid_from ≤ now ≤ not_valid_after, with the ±10 s leeway; the signer must be the authority.
        const from = NOW + skew;
        const until = from + validity;
        expectAccept = (input[4] ?? 0) !== 0xff && NOW + 10 >= from && NOW - 10 <= until;
        expectWhy = `valid ${from - NOW}..${until - NOW} s from now, ${(input[4] ?? 0) === 0xff ? 'other' : 'right'} signer`;
      }
      const mask = input.subarray(5);
      for (let i = 0; i < mask.length && i < act2.length; i++) act2[i]! ^= mask[i]!;
      if (mask.length > act2.length) act2 = Uint8Array.from([...act2, ...mask.subarray(act2.length)]);
    }
    let accepted = true;
    try {
      initiator.readAct2(act2);
    } catch (e) {
      expectNoise(e);
      accepted = false;
    }
    if (expectAccept !== undefined && accepted !== expectAccept) {
      throw new Error(
        `untampered act 2 ${accepted ? 'accepted' : 'refused'}, expected the opposite (${expectWhy})`,
      );
    }
  },
};

/** Captures the key a CipherState uses, so a handshake's transport keys can be replayed per input. */
function recordingAead(into: Uint8Array[]): Aead {
  return {
    name: 'recording',
    sealInto(key, nonce, ad, plaintext, out, offset) {
      into.push(Uint8Array.from(key));
      nodeAead.sealInto(key, nonce, ad, plaintext, out, offset);
    },
    open: (key, nonce, ad, ciphertext) => nodeAead.open(key, nonce, ad, ciphertext),
    openInto: (key, nonce, ad, ciphertext, out, offset) =>
      nodeAead.openInto(key, nonce, ad, ciphertext, out, offset),
    sealRangeInto(key, nonce, ad, src, from, length, out, offset) {
      into.push(Uint8Array.from(key));
      nodeAead.sealRangeInto(key, nonce, ad, src, from, length, out, offset);
    },
    openRangeInto: (key, nonce, ad, src, from, length, out, offset) =>
      nodeAead.openRangeInto(key, nonce, ad, src, from, length, out, offset),
  };
}

let transportKey: Uint8Array | undefined;

/** One real NX handshake; the initiator-to-responder transport key it yields. */
function handshakeKey(): Uint8Array {
  const seen: Uint8Array[] = [];
  const aead = recordingAead(seen);
  const initiator = new NoiseInitiator({
    authorityPublicKey: AUTHORITY_PUBLIC,
    random: fixedRandom(3),
    now: () => NOW,
    aead,
  });
  const responder = new NoiseResponder({
    authoritySecretKey: AUTHORITY_SECRET,
    random: fixedRandom(4),
    now: () => NOW,
    aead,
  });
  responder.readAct1(initiator.act1());
  const { send } = initiator.readAct2(responder.writeAct2());
  seen.length = 0;
  const probe = encryptFrame(send, randomFrame(new Rng(5)));
  const dec = new NoiseFrameDecoder(responder.keys.recv);
  if (dec.push(probe).length !== 1) throw new Error('handshake keys do not agree');
  return seen[0]!;
}

/**
 * Input: byte 0 picks the mode; byte 1 the read size. Mode even: the rest is
 * ciphertext straight into a decoder. Mode odd: the rest is plaintext frames
 * (each cut to its header's length) that a sender encrypts; bytes 2-3 then
 * pick one ciphertext bit to flip (0xffff = none). Decoded frames go on to decodeFrame.
 */
export const noiseTransport: FuzzTarget = {
  name: 'noise-transport',
  description:
    'NoiseFrameDecoder after a real handshake on raw or bit-flipped ciphertext, then decodeFrame on what it returns; refusals are NoiseError',
  maxLength: 1 << 17,
  setup() {
    transportKey ??= handshakeKey();
  },
  seeds() {
    transportKey ??= handshakeKey();
    const rng = new Rng(6);
    const out: Uint8Array[] = [];
    for (let i = 0; i < 16; i++) {
      out.push(Buffer.concat([Uint8Array.from([1, 1 + i, 0xff, 0xff]), randomFrame(rng), randomFrame(rng)]));
    }
    return out;
  },
  generate(rng) {
    const frames: Uint8Array[] = [];
    for (let n = 1 + rng.int(3); n > 0; n--) frames.push(randomFrame(rng));
    const all = Buffer.concat(frames);
    const flip = rng.chance(0.5) ? 0xffff : rng.int(all.length * 8 + 64) & 0xffff;
    return Buffer.concat([Uint8Array.from([1, rng.int(256), flip & 0xff, flip >>> 8]), all]);
  },
  run(input) {
    const key = transportKey!;
    const mode = input[0] ?? 0;
    const step = 1 + (input[1] ?? 0) * 37;
    let wire: Uint8Array;
    if ((mode & 1) === 0) wire = input.subarray(2);
    else {
      const send = new CipherState(key, nodeAead);
      const parts: Uint8Array[] = [];
      let at = 4;
      while (at + 6 <= input.length) {
        const len = Math.min(
          input.length - at - 6,
          input[at + 3]! | (input[at + 4]! << 8) | (input[at + 5]! << 16),
        );
        const frame = Uint8Array.from(input.subarray(at, at + 6 + len));
        frame[3] = len & 0xff;
        frame[4] = (len >>> 8) & 0xff;
        frame[5] = len >>> 16;
        parts.push(encryptFrame(send, frame));
        at += 6 + len;
      }
      wire = Buffer.concat(parts);
      const flip = (input[2] ?? 0xff) | ((input[3] ?? 0xff) << 8);
      if (flip !== 0xffff && flip >> 3 < wire.length) wire[flip >> 3]! ^= 1 << (flip & 7);
    }
    const dec = new NoiseFrameDecoder(new CipherState(key, nodeAead), { maxPayloadLength: 1 << 16 });
    try {
      for (let off = 0; off < wire.length; off += step) {
        for (const f of dec.push(wire.subarray(off, off + step))) {
          // The plaintext frame again, from the decoded header, for the message decoder.
          const whole = new Uint8Array(FRAME_HEADER_SIZE + f.payload.length);
          encodeFrameHeader(f.header, whole);
          whole.set(f.payload, FRAME_HEADER_SIZE);
          checkDecodeResult(decodeFrame(whole));
        }
      }
    } catch (e) {
      expectNoise(e);
    }
  },
};
