// SIGNATURE_NOISE_MESSAGE (spec 4.5.2) and the certificate it carries (4.5.3):
// the authority signs SHA-256(version ‖ valid_from ‖ not_valid_after ‖
// server static x-only key) with BIP340, and the initiator checks it.
import { sha256 } from '@noble/hashes/sha2.js';
import { NoiseError } from './errors.js';
import { schnorrSign, schnorrVerify } from './secp256k1.js';

export const SIGNATURE_NOISE_MESSAGE_SIZE = 74;
export const CERTIFICATE_VERSION = 0;
/** Leeway for clock drift between pool and miner, as the reference implementation allows. */
export const DEFAULT_CLOCK_SKEW_SEC = 10;

export interface SignatureNoiseMessage {
  version: number;
  valid_from: number;
  not_valid_after: number;
  signature: Uint8Array;
}

export function encodeSignatureNoiseMessage(m: SignatureNoiseMessage): Uint8Array {
  if (m.signature.length !== 64) throw new NoiseError('certificate', 'signature must be 64 bytes');
  const out = new Uint8Array(SIGNATURE_NOISE_MESSAGE_SIZE);
  const view = new DataView(out.buffer);
  view.setUint16(0, m.version, true);
  view.setUint32(2, m.valid_from, true);
  view.setUint32(6, m.not_valid_after, true);
  out.set(m.signature, 10);
  return out;
}

export function decodeSignatureNoiseMessage(bytes: Uint8Array): SignatureNoiseMessage {
  if (bytes.length !== SIGNATURE_NOISE_MESSAGE_SIZE) {
    throw new NoiseError('length', `SIGNATURE_NOISE_MESSAGE must be 74 bytes, got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    version: view.getUint16(0, true),
    valid_from: view.getUint32(2, true),
    not_valid_after: view.getUint32(6, true),
    signature: bytes.slice(10, 74),
  };
}

/** m = SHA-256(version U16 ‖ valid_from U32 ‖ not_valid_after U32 ‖ server x-only key), all LE. */
export function certificateDigest(
  version: number,
  valid_from: number,
  not_valid_after: number,
  serverXonly: Uint8Array,
): Uint8Array {
  if (serverXonly.length !== 32) throw new NoiseError('key', 'server key must be 32 bytes x-only');
  const buf = new Uint8Array(42);
  const view = new DataView(buf.buffer);
  view.setUint16(0, version, true);
  view.setUint32(2, valid_from, true);
  view.setUint32(6, not_valid_after, true);
  buf.set(serverXonly, 10);
  return sha256(buf);
}

export function signCertificate(
  authoritySecretKey: Uint8Array,
  serverXonly: Uint8Array,
  valid_from: number,
  not_valid_after: number,
  auxRand: Uint8Array,
): SignatureNoiseMessage {
  const digest = certificateDigest(CERTIFICATE_VERSION, valid_from, not_valid_after, serverXonly);
  return {
    version: CERTIFICATE_VERSION,
    valid_from,
    not_valid_after,
    signature: schnorrSign(digest, authoritySecretKey, auxRand),
  };
}

/**
 * Throws NoiseError('certificate') unless the version is 0, `now` lies within
 * [valid_from − skew, not_valid_after + skew], and the signature verifies
 * against the authority key.
 */
export function verifyCertificate(
  m: SignatureNoiseMessage,
  serverXonly: Uint8Array,
  authorityXonly: Uint8Array,
  nowSec: number,
  skewSec: number = DEFAULT_CLOCK_SKEW_SEC,
): void {
  if (m.version !== CERTIFICATE_VERSION) {
    throw new NoiseError('certificate', `certificate version ${m.version} is not supported (only 0)`);
  }
  if (nowSec + skewSec < m.valid_from) {
    throw new NoiseError('certificate', `certificate not valid before ${m.valid_from} (now ${nowSec})`);
  }
  if (nowSec - skewSec > m.not_valid_after) {
    throw new NoiseError('certificate', `certificate expired at ${m.not_valid_after} (now ${nowSec})`);
  }
  const digest = certificateDigest(m.version, m.valid_from, m.not_valid_after, serverXonly);
  if (!verifySchnorrCached(m.signature, digest, authorityXonly)) {
    throw new NoiseError('certificate', 'certificate signature does not verify against the authority key');
  }
}

// A server shows the same certificate to every handshake of its window, so a
// client that reconnects checks the same signature again and again. Signatures
// that verified are remembered (by signature, digest and key, so any change
// is a miss); failures are not. Bounded: the oldest entry goes first.
const VERIFIED_CACHE_SIZE = 64;
const verified = new Set<string>();

function verifySchnorrCached(signature: Uint8Array, digest: Uint8Array, key: Uint8Array): boolean {
  const id =
    Buffer.from(signature.buffer, signature.byteOffset, signature.length).toString('hex') +
    Buffer.from(digest.buffer, digest.byteOffset, digest.length).toString('hex') +
    Buffer.from(key.buffer, key.byteOffset, key.length).toString('hex');
  if (verified.has(id)) return true;
  if (!schnorrVerify(signature, digest, key)) return false;
  if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.values().next().value!);
  verified.add(id);
  return true;
}
