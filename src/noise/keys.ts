// Authority keys as spec 4.7 writes them: the public key is base58check of a
// little-endian U16 version (currently 1, bytes 01 00) followed by the 32-byte
// x-only key; the secret key is base58check of the raw 32-byte scalar.
import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { base58, createBase58check } from '@scure/base';
import { type RandomSource, defaultRandom, secretToScalar } from './ellswift.js';
import { NoiseError } from './errors.js';

// Bitcoin's base58check: checksum = first 4 bytes of SHA-256(SHA-256(payload)).
const b58check = createBase58check(sha256);

export const AUTHORITY_KEY_VERSION = 1;

export interface AuthorityKeyPair {
  secretKey: Uint8Array;
  /** x-only public key, 32 bytes. */
  publicKey: Uint8Array;
}

function decodeBase58check(text: string, what: string): Uint8Array {
  const s = text.trim();
  try {
    base58.decode(s);
  } catch {
    throw new NoiseError('key', `${what} is not base58`);
  }
  try {
    return b58check.decode(s);
  } catch {
    throw new NoiseError('key', `${what} has a bad checksum`);
  }
}

function assertValidX(xonly: Uint8Array, what: string): void {
  try {
    schnorr.utils.lift_x(BigInt('0x' + Buffer.from(xonly).toString('hex')));
  } catch {
    throw new NoiseError('key', `${what} is not a valid x coordinate on secp256k1`);
  }
}

export function encodeAuthorityPublicKey(xonly: Uint8Array): string {
  if (xonly.length !== 32) throw new NoiseError('key', 'authority public key must be 32 bytes x-only');
  const payload = new Uint8Array(34);
  payload[0] = AUTHORITY_KEY_VERSION & 0xff;
  payload[1] = AUTHORITY_KEY_VERSION >>> 8;
  payload.set(xonly, 2);
  return b58check.encode(payload);
}

/** Parses an authority public key string to its 32-byte x-only key. */
export function decodeAuthorityPublicKey(text: string): Uint8Array {
  const what = 'authority public key';
  const payload = decodeBase58check(text, what);
  if (payload.length !== 34) {
    throw new NoiseError('key', `${what} has the wrong length: ${payload.length} bytes, expected 34`);
  }
  const version = payload[0]! | (payload[1]! << 8);
  if (version !== AUTHORITY_KEY_VERSION) {
    throw new NoiseError(
      'key',
      `${what} has the wrong version: ${version}, expected ${AUTHORITY_KEY_VERSION}`,
    );
  }
  const xonly = payload.slice(2);
  assertValidX(xonly, what);
  return xonly;
}

export function encodeAuthoritySecretKey(secret: Uint8Array): string {
  secretToScalar(secret);
  return b58check.encode(secret);
}

/** Parses an authority secret key string to the 32-byte scalar. */
export function decodeAuthoritySecretKey(text: string): Uint8Array {
  const what = 'authority secret key';
  const payload = decodeBase58check(text, what);
  if (payload.length !== 32) {
    throw new NoiseError('key', `${what} has the wrong length: ${payload.length} bytes, expected 32`);
  }
  try {
    secretToScalar(payload);
  } catch {
    throw new NoiseError('key', `${what} is not a valid secp256k1 scalar`);
  }
  return payload;
}

/** The x-only public key of an authority secret key. */
export function authorityPublicKeyOf(secret: Uint8Array): Uint8Array {
  return schnorr.getPublicKey(secret);
}

export function generateAuthorityKeyPair(random: RandomSource = defaultRandom): AuthorityKeyPair {
  for (let i = 0; i < 64; i++) {
    const secretKey = random(32);
    try {
      secretToScalar(secretKey);
    } catch {
      continue;
    }
    return { secretKey, publicKey: authorityPublicKeyOf(secretKey) };
  }
  throw new NoiseError('key', 'randomness source never produced a valid secret key');
}
