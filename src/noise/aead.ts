// ChaCha20-Poly1305 (IETF, 12-byte nonce, 16-byte tag) behind one small
// interface, in three implementations: @noble/ciphers (pure JS), node:crypto
// (OpenSSL) and chacha-poly.ts (pure JS for small messages), plus `auto`,
// which picks by size. All pass the same tests; bench/noise.bench.ts compares them.
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { createCipheriv, createDecipheriv } from 'node:crypto';
import {
  chachaPolyOpen,
  chachaPolyOpenInto,
  chachaPolyOpenRange,
  chachaPolySeal,
  chachaPolySealRange,
} from './chacha-poly.js';

export const TAG_LENGTH = 16;

export interface Aead {
  readonly name: string;
  /** Writes ciphertext ‖ tag (plaintext.length + 16 bytes) into `out` at `offset`. */
  sealInto(
    key: Uint8Array,
    nonce: Uint8Array,
    ad: Uint8Array,
    plaintext: Uint8Array,
    out: Uint8Array,
    offset: number,
  ): void;
  /** Returns the plaintext, or undefined when the tag does not authenticate. */
  open(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined;
  /**
   * Like open, but writes the plaintext into `out` at `offset`; false (and
   * nothing written) when the tag does not authenticate.
   */
  openInto(
    key: Uint8Array,
    nonce: Uint8Array,
    ad: Uint8Array,
    ciphertext: Uint8Array,
    out: Uint8Array,
    offset: number,
  ): boolean;
  /** sealInto for `length` bytes of `src` from `from`. */
  sealRangeInto(
    key: Uint8Array,
    nonce: Uint8Array,
    ad: Uint8Array,
    src: Uint8Array,
    from: number,
    length: number,
    out: Uint8Array,
    offset: number,
  ): void;
  /** openInto for the `length` sealed bytes of `src` from `from`. */
  openRangeInto(
    key: Uint8Array,
    nonce: Uint8Array,
    ad: Uint8Array,
    src: Uint8Array,
    from: number,
    length: number,
    out: Uint8Array,
    offset: number,
  ): boolean;
}

/** Adds the range methods to an implementation that takes whole arrays: through a view. */
function withRanges(aead: Omit<Aead, 'sealRangeInto' | 'openRangeInto'>): Aead {
  return {
    ...aead,
    sealRangeInto: (key, nonce, ad, src, from, length, out, offset) =>
      aead.sealInto(key, nonce, ad, src.subarray(from, from + length), out, offset),
    openRangeInto: (key, nonce, ad, src, from, length, out, offset) =>
      aead.openInto(key, nonce, ad, src.subarray(from, from + length), out, offset),
  };
}

/** openInto for an implementation that only returns a fresh plaintext. */
function openIntoVia(open: Aead['open']): Aead['openInto'] {
  return (key, nonce, ad, ciphertext, out, offset) => {
    const plaintext = open(key, nonce, ad, ciphertext);
    if (plaintext === undefined) return false;
    out.set(plaintext, offset);
    return true;
  };
}

const nobleOpen: Aead['open'] = (key, nonce, ad, ciphertext) => {
  if (ciphertext.length < TAG_LENGTH) return undefined;
  try {
    return chacha20poly1305(key, nonce, ad).decrypt(ciphertext);
  } catch {
    return undefined;
  }
};

export const nobleAead: Aead = withRanges({
  name: 'noble',
  sealInto(key, nonce, ad, plaintext, out, offset) {
    chacha20poly1305(key, nonce, ad).encrypt(
      plaintext,
      out.subarray(offset, offset + plaintext.length + TAG_LENGTH),
    );
  },
  open: nobleOpen,
  openInto: openIntoVia(nobleOpen),
});

export const nodeAead: Aead = withRanges({
  name: 'node',
  sealInto(key, nonce, ad, plaintext, out, offset) {
    const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_LENGTH });
    if (ad.length > 0) cipher.setAAD(ad, { plaintextLength: plaintext.length });
    const body = cipher.update(plaintext);
    out.set(body, offset);
    const rest = cipher.final();
    out.set(rest, offset + body.length);
    out.set(cipher.getAuthTag(), offset + plaintext.length);
  },
  open(key, nonce, ad, ciphertext) {
    if (ciphertext.length < TAG_LENGTH) return undefined;
    const bodyLength = ciphertext.length - TAG_LENGTH;
    const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_LENGTH });
    decipher.setAuthTag(ciphertext.subarray(bodyLength));
    if (ad.length > 0) decipher.setAAD(ad, { plaintextLength: bodyLength });
    const body = decipher.update(ciphertext.subarray(0, bodyLength));
    try {
      const rest = decipher.final();
      if (rest.length === 0) return new Uint8Array(body.buffer, body.byteOffset, body.length);
      return Uint8Array.from(Buffer.concat([body, rest]));
    } catch {
      return undefined;
    }
  },
  openInto(key, nonce, ad, ciphertext, out, offset) {
    return openIntoVia(nodeAead.open)(key, nonce, ad, ciphertext, out, offset);
  },
});

/** Little-endian platforms only (every platform Node.js ships for); `auto` checks. */
export const jsAead: Aead = {
  name: 'js',
  sealInto: chachaPolySeal,
  open: chachaPolyOpen,
  openInto: chachaPolyOpenInto,
  sealRangeInto: chachaPolySealRange,
  openRangeInto: chachaPolyOpenRange,
};

/**
 * Messages up to this many bytes go to the plain-JS implementation, longer
 * ones to OpenSSL: a node:crypto cipher object costs microseconds to set up,
 * which dominates a share-sized frame or a job, while OpenSSL's vectorised
 * code wins once there are about a kilobyte (the two cross near 1 KiB here:
 * sealing and opening 768 bytes take about 8 µs in plain JS, 12 µs through
 * node:crypto).
 */
export const SMALL_MESSAGE_BYTES = 768;

// The plain-JS code reads its key stream as little-endian words.
const littleEndian = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

export const autoAead: Aead = {
  name: 'auto',
  sealInto(key, nonce, ad, plaintext, out, offset) {
    if (littleEndian && plaintext.length <= SMALL_MESSAGE_BYTES)
      chachaPolySeal(key, nonce, ad, plaintext, out, offset);
    else nodeAead.sealInto(key, nonce, ad, plaintext, out, offset);
  },
  open(key, nonce, ad, ciphertext) {
    return littleEndian && ciphertext.length <= SMALL_MESSAGE_BYTES + TAG_LENGTH
      ? chachaPolyOpen(key, nonce, ad, ciphertext)
      : nodeAead.open(key, nonce, ad, ciphertext);
  },
  openInto(key, nonce, ad, ciphertext, out, offset) {
    return littleEndian && ciphertext.length <= SMALL_MESSAGE_BYTES + TAG_LENGTH
      ? chachaPolyOpenInto(key, nonce, ad, ciphertext, out, offset)
      : nodeAead.openInto(key, nonce, ad, ciphertext, out, offset);
  },
  sealRangeInto(key, nonce, ad, src, from, length, out, offset) {
    if (littleEndian && length <= SMALL_MESSAGE_BYTES)
      chachaPolySealRange(key, nonce, ad, src, from, length, out, offset);
    else nodeAead.sealRangeInto(key, nonce, ad, src, from, length, out, offset);
  },
  openRangeInto(key, nonce, ad, src, from, length, out, offset) {
    return littleEndian && length <= SMALL_MESSAGE_BYTES + TAG_LENGTH
      ? chachaPolyOpenRange(key, nonce, ad, src, from, length, out, offset)
      : nodeAead.openRangeInto(key, nonce, ad, src, from, length, out, offset);
  },
};

/** The implementation used unless a caller picks one (the fastest in bench/noise.bench.ts). */
export const defaultAead: Aead = autoAead;

export function aeadByName(name: 'noble' | 'node' | 'js' | 'auto'): Aead {
  return { noble: nobleAead, node: nodeAead, js: jsAead, auto: autoAead }[name];
}
