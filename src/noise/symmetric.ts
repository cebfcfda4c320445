// The Noise hash/key schedule of spec 4.4.2: HMAC-SHA256, the two-output HKDF,
// and the SymmetricState (ck, h, k) with MixHash, MixKey, EncryptAndHash and
// DecryptAndHash.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { type Aead, defaultAead } from './aead.js';
import { CipherState } from './cipher-state.js';

export const PROTOCOL_NAME = 'Noise_NX_Secp256k1+EllSwift_ChaChaPoly_SHA256';

export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(sha256, key, data);
}

/** HKDF with empty info and two outputs, as the spec defines it. */
export function hkdf2(chainingKey: Uint8Array, ikm: Uint8Array): [Uint8Array, Uint8Array] {
  const tempKey = hmacSha256(chainingKey, ikm);
  const output1 = hmacSha256(tempKey, Uint8Array.of(0x01));
  const input2 = new Uint8Array(33);
  input2.set(output1, 0);
  input2[32] = 0x02;
  return [output1, hmacSha256(tempKey, input2)];
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export class SymmetricState {
  ck: Uint8Array;
  h: Uint8Array;
  cipher: CipherState;

  constructor(readonly aead: Aead = defaultAead) {
    // The protocol name is longer than 32 bytes, so it is hashed; ck starts as that hash.
    this.ck = sha256(new TextEncoder().encode(PROTOCOL_NAME));
    this.h = sha256(this.ck);
    this.cipher = new CipherState(undefined, aead);
  }

  mixHash(data: Uint8Array): void {
    this.h = sha256(concat(this.h, data));
  }

  mixKey(ikm: Uint8Array): void {
    const [ck, k] = hkdf2(this.ck, ikm);
    this.ck = ck;
    this.cipher.initializeKey(k);
  }

  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const ciphertext = this.cipher.encryptWithAd(this.h, plaintext);
    this.mixHash(ciphertext);
    return ciphertext;
  }

  decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    const plaintext = this.cipher.decryptWithAd(this.h, ciphertext);
    this.mixHash(ciphertext);
    return plaintext;
  }

  /** Transport keys: c1 carries initiator → responder, c2 the other way. */
  split(): [CipherState, CipherState] {
    const [k1, k2] = hkdf2(this.ck, new Uint8Array(0));
    return [new CipherState(k1, this.aead), new CipherState(k2, this.aead)];
  }
}
