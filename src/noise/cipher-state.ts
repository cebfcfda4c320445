// Noise CipherState (spec 4.4.1): a key and a 64-bit counter nonce, encoded as
// 4 zero bytes followed by the counter little-endian (the Noise convention).
import { type Aead, defaultAead, TAG_LENGTH } from './aead.js';
import { NoiseError } from './errors.js';

const EMPTY = new Uint8Array(0);

export class CipherState {
  #key: Uint8Array | undefined;
  #n = 0;
  readonly #nonce = new Uint8Array(12);

  constructor(
    key: Uint8Array | undefined = undefined,
    readonly aead: Aead = defaultAead,
  ) {
    if (key !== undefined) this.initializeKey(key);
  }

  initializeKey(key: Uint8Array): void {
    if (key.length !== 32) throw new NoiseError('key', `cipher key must be 32 bytes, got ${key.length}`);
    this.#key = Uint8Array.from(key);
    this.#n = 0;
  }

  hasKey(): boolean {
    return this.#key !== undefined;
  }

  /** The nonce the next operation will use. */
  get n(): number {
    return this.#n;
  }

  #nextNonce(): Uint8Array {
    // 2^53 messages is far beyond any session; refusing is safer than wrapping.
    if (this.#n >= Number.MAX_SAFE_INTEGER) throw new NoiseError('nonce', 'nonce counter exhausted');
    const nonce = this.#nonce;
    const n = this.#n;
    const high = Math.floor(n / 2 ** 32);
    nonce[4] = n & 0xff;
    nonce[5] = (n >>> 8) & 0xff;
    nonce[6] = (n >>> 16) & 0xff;
    nonce[7] = (n >>> 24) & 0xff;
    nonce[8] = high & 0xff;
    nonce[9] = (high >>> 8) & 0xff;
    nonce[10] = (high >>> 16) & 0xff;
    nonce[11] = high >>> 24;
    return nonce;
  }

  /** Seals `plaintext` into `out` at `offset` (plaintext.length + 16 bytes). Requires a key. */
  encryptInto(ad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): void {
    if (this.#key === undefined) throw new NoiseError('state', 'encryptInto needs a key');
    this.aead.sealInto(this.#key, this.#nextNonce(), ad, plaintext, out, offset);
    this.#n++;
  }

  /** encryptInto for `length` bytes of `src` from `from`. Requires a key. */
  encryptRangeInto(
    ad: Uint8Array,
    src: Uint8Array,
    from: number,
    length: number,
    out: Uint8Array,
    offset: number,
  ): void {
    if (this.#key === undefined) throw new NoiseError('state', 'encryptRangeInto needs a key');
    this.aead.sealRangeInto(this.#key, this.#nextNonce(), ad, src, from, length, out, offset);
    this.#n++;
  }

  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (this.#key === undefined) return plaintext;
    const out = new Uint8Array(plaintext.length + TAG_LENGTH);
    this.encryptInto(ad, plaintext, out, 0);
    return out;
  }

  /** Opens `ciphertext`; on a bad tag throws and leaves the nonce where it was. */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (this.#key === undefined) return ciphertext;
    const plaintext = this.aead.open(this.#key, this.#nextNonce(), ad, ciphertext);
    if (plaintext === undefined) throw new NoiseError('mac', 'message authentication failed');
    this.#n++;
    return plaintext;
  }

  /**
   * Opens `ciphertext` into `out` at `offset` (ciphertext.length − 16 bytes);
   * on a bad tag throws and leaves the nonce where it was. Requires a key.
   */
  decryptInto(ad: Uint8Array, ciphertext: Uint8Array, out: Uint8Array, offset: number): void {
    if (this.#key === undefined) throw new NoiseError('state', 'decryptInto needs a key');
    if (!this.aead.openInto(this.#key, this.#nextNonce(), ad, ciphertext, out, offset))
      throw new NoiseError('mac', 'message authentication failed');
    this.#n++;
  }

  /** decryptInto for the `length` sealed bytes of `src` from `from`. Requires a key. */
  decryptRangeInto(
    ad: Uint8Array,
    src: Uint8Array,
    from: number,
    length: number,
    out: Uint8Array,
    offset: number,
  ): void {
    if (this.#key === undefined) throw new NoiseError('state', 'decryptRangeInto needs a key');
    if (!this.aead.openRangeInto(this.#key, this.#nextNonce(), ad, src, from, length, out, offset))
      throw new NoiseError('mac', 'message authentication failed');
    this.#n++;
  }

  encrypt(plaintext: Uint8Array): Uint8Array {
    return this.encryptWithAd(EMPTY, plaintext);
  }

  decrypt(ciphertext: Uint8Array): Uint8Array {
    return this.decryptWithAd(EMPTY, ciphertext);
  }
}
