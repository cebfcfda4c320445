// Independent derivation of the Noise NX transcript straight from the
// primitives (SHA-256, HMAC, ChaCha20-Poly1305, BIP324 v2_ecdh, BIP340), written
// step by step from spec 4.4–4.6 without the handshake classes, so that the
// stored transcript and the implementation are each checked against it.
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { schnorr } from '@noble/curves/secp256k1.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { v2Ecdh } from '../../src/noise/ellswift.js';

export interface TranscriptInputs {
  initiator_ephemeral_secret: Uint8Array;
  initiator_ephemeral_ellswift: Uint8Array;
  responder_ephemeral_secret: Uint8Array;
  responder_ephemeral_ellswift: Uint8Array;
  responder_static_secret: Uint8Array;
  responder_static_ellswift: Uint8Array;
  authority_secret_key: Uint8Array;
  valid_from: number;
  not_valid_after: number;
  signature_aux_rand: Uint8Array;
  first_frame_plaintext: Uint8Array;
}

export interface Step {
  name: string;
  what: string;
  hex: string;
}

const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
};
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const nonce = (n: number): Uint8Array => {
  const out = new Uint8Array(12);
  new DataView(out.buffer).setBigUint64(4, BigInt(n), true);
  return out;
};
const hkdf = (ck: Uint8Array, ikm: Uint8Array): [Uint8Array, Uint8Array] => {
  const temp = hmac(sha256, ck, ikm);
  const o1 = hmac(sha256, temp, Uint8Array.of(1));
  return [o1, hmac(sha256, temp, cat(o1, Uint8Array.of(2)))];
};
const u16 = (v: number) => Uint8Array.of(v & 0xff, v >>> 8);
const u32 = (v: number) => Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);

export function deriveTranscript(i: TranscriptInputs): Step[] {
  const steps: Step[] = [];
  const rec = (name: string, what: string, value: Uint8Array) => steps.push({ name, what, hex: hex(value) });

  const name = new TextEncoder().encode('Noise_NX_Secp256k1+EllSwift_ChaChaPoly_SHA256');
  let ck: Uint8Array = sha256(name);
  rec('ck_0', 'SHA-256(protocol name)', ck);
  let h: Uint8Array = sha256(ck);
  rec('h_0', 'SHA-256(ck_0)', h);

  const ei = i.initiator_ephemeral_ellswift;
  rec('act1', 'handshake act 1: initiator ephemeral key, EllSwift (64 bytes)', ei);
  h = sha256(cat(h, ei));
  rec('h_1', 'MixHash(act1)', h);
  h = sha256(h);
  rec('h_2', 'MixHash(empty): EncryptAndHash of the empty payload with no key', h);

  const er = i.responder_ephemeral_ellswift;
  h = sha256(cat(h, er));
  rec('h_3', 'MixHash(responder ephemeral EllSwift)', h);
  const ee = v2Ecdh(i.responder_ephemeral_secret, er, ei, false);
  if (hex(ee) !== hex(v2Ecdh(i.initiator_ephemeral_secret, ei, er, true))) throw new Error('ee disagrees');
  rec('ecdh_ee', 'v2_ecdh(ephemeral, ephemeral), initiator encoding first', ee);
  let k: Uint8Array;
  [ck, k] = hkdf(ck, ee);
  rec('ck_1', 'MixKey(ecdh_ee): first HKDF output', ck);
  rec('k_1', 'MixKey(ecdh_ee): second HKDF output, cipher key (nonce 0)', k);

  const sr = i.responder_static_ellswift;
  const encStatic = chacha20poly1305(k, nonce(0), h).encrypt(sr);
  rec('enc_static', 'EncryptAndHash(responder static EllSwift): k_1, nonce 0, ad h_3 (80 bytes)', encStatic);
  h = sha256(cat(h, encStatic));
  rec('h_4', 'MixHash(enc_static)', h);
  const es = v2Ecdh(i.responder_static_secret, sr, ei, false);
  if (hex(es) !== hex(v2Ecdh(i.initiator_ephemeral_secret, ei, sr, true))) throw new Error('es disagrees');
  rec('ecdh_es', 'v2_ecdh(initiator ephemeral, responder static), initiator encoding first', es);
  [ck, k] = hkdf(ck, es);
  rec('ck_2', 'MixKey(ecdh_es): first HKDF output', ck);
  rec('k_2', 'MixKey(ecdh_es): second HKDF output, cipher key (nonce reset to 0)', k);

  const staticXonly = schnorr.getPublicKey(i.responder_static_secret);
  const digest = sha256(cat(u16(0), u32(i.valid_from), u32(i.not_valid_after), staticXonly));
  rec('certificate_digest', 'SHA-256(version 0 ‖ valid_from ‖ not_valid_after ‖ static x-only key)', digest);
  const signature = schnorr.sign(digest, i.authority_secret_key, i.signature_aux_rand);
  const sigMsg = cat(u16(0), u32(i.valid_from), u32(i.not_valid_after), signature);
  rec('signature_noise_message', 'SIGNATURE_NOISE_MESSAGE plaintext (74 bytes)', sigMsg);
  const encSig = chacha20poly1305(k, nonce(0), h).encrypt(sigMsg);
  rec(
    'enc_signature_noise_message',
    'EncryptAndHash(SIGNATURE_NOISE_MESSAGE): k_2, nonce 0, ad h_4 (90 bytes)',
    encSig,
  );
  h = sha256(cat(h, encSig));
  rec('h_final', 'MixHash(enc_signature_noise_message): the final handshake hash', h);
  rec(
    'act2',
    'handshake act 2: responder ephemeral ‖ enc_static ‖ enc_signature_noise_message (234 bytes)',
    cat(er, encStatic, encSig),
  );

  const [t1, t2] = hkdf(ck, new Uint8Array(0));
  rec('transport_k1', 'HKDF(ck_2, empty) first output: initiator → responder key', t1);
  rec('transport_k2', 'HKDF(ck_2, empty) second output: responder → initiator key', t2);

  const frame = i.first_frame_plaintext;
  rec('first_frame_plaintext', 'first transport frame, plaintext SV2 frame (header ‖ payload)', frame);
  const empty = new Uint8Array(0);
  const encHeader = chacha20poly1305(t1, nonce(0), empty).encrypt(frame.subarray(0, 6));
  const encPayload = chacha20poly1305(t1, nonce(1), empty).encrypt(frame.subarray(6));
  rec(
    'first_frame_ciphertext',
    'initiator → responder with transport_k1: header at nonce 0 (22 bytes) ‖ payload at nonce 1',
    cat(encHeader, encPayload),
  );
  return steps;
}
