// SHA-256 and double SHA-256. Share validation hashes at line rate, so this
// uses node:crypto's one-shot `hash()` (pure computation, no I/O): on a quiet
// machine it ran about 1.5x faster than @noble/hashes and than createHash()
// for 80-byte headers and 200-byte coinbases (bench/bitcoin.bench.ts).
import { hash } from 'node:crypto';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { sha256dHeader } from './sha256-words.js';

// Results are returned as plain Uint8Array views: a Buffer would leak
// Buffer semantics (slice() sharing memory, toString()) to callers.
function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

export function sha256(data: Uint8Array): Uint8Array {
  return view(hash('sha256', data, 'buffer'));
}

/** SHA256(SHA256(data)): txids, block hashes, merkle nodes. */
export function sha256d(data: Uint8Array): Uint8Array {
  return view(hash('sha256', hash('sha256', data, 'buffer'), 'buffer'));
}

/** Same function on @noble/hashes, kept for the benchmark and as a cross-check. */
export function sha256dNoble(data: Uint8Array): Uint8Array {
  return nobleSha256(nobleSha256(data));
}

/**
 * Block header hash (internal order) of an 80-byte serialized header. Every
 * share is one, so it runs on plain-JS SHA-256 words (sha256-words.ts), which
 * beats a native call on 80 bytes.
 */
export function headerHash(header80: Uint8Array): Uint8Array {
  return sha256dHeader(header80);
}

const pair = new Uint8Array(64);

/** SHA256d(left ‖ right) for two 32-byte nodes, without allocating the concatenation. */
export function hashPair(left: Uint8Array, right: Uint8Array): Uint8Array {
  pair.set(left, 0);
  pair.set(right, 32);
  return sha256d(pair);
}

/** BIP340 tagged hash: SHA256(SHA256(tag) ‖ SHA256(tag) ‖ msg…). */
export function taggedHash(tag: string, ...messages: Uint8Array[]): Uint8Array {
  const tagHash = sha256(new TextEncoder().encode(tag));
  let length = 64;
  for (const m of messages) length += m.length;
  const data = new Uint8Array(length);
  data.set(tagHash, 0);
  data.set(tagHash, 32);
  let offset = 64;
  for (const m of messages) {
    data.set(m, offset);
    offset += m.length;
  }
  return sha256(data);
}
