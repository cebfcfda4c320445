// The plain-JS SHA-256 of share validation (merkle nodes, headers) against
// node:crypto on seeded random inputs; the mainnet header and merkle vectors
// in blocks.test.ts run through the same code (headerHash, foldMerklePath).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  bytesToWords,
  sha256dHeader,
  sha256dPairWords,
  wordsToBytes,
} from '../../src/bitcoin/sha256-words.js';
import { foldMerklePath } from '../../src/bitcoin/index.js';

function sha256d(data: Uint8Array): Uint8Array {
  return createHash('sha256').update(createHash('sha256').update(data).digest()).digest();
}

/** xorshift32: the same bytes on every run. */
function seeded(seed: number): (n: number) => Uint8Array {
  let x = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    return out;
  };
}

test('SHA256d of 64-byte pairs and 80-byte headers equals node:crypto on 2,000 seeded inputs each', () => {
  const random = seeded(0x5eed);
  const edge = [new Uint8Array(80), new Uint8Array(80).fill(0xff)];
  for (let i = 0; i < 2000; i++) {
    const pair = random(64);
    const out = new Int32Array(8);
    sha256dPairWords(bytesToWords(pair.subarray(0, 32)), bytesToWords(pair.subarray(32)), out);
    assert.deepEqual(wordsToBytes(out), new Uint8Array(sha256d(pair)));
    const header = edge[i] ?? random(80);
    assert.deepEqual(sha256dHeader(header), new Uint8Array(sha256d(header)));
  }
});

test('a merkle fold equals folding with node:crypto, step by step; the output may alias the input', () => {
  const random = seeded(42);
  for (let depth = 0; depth <= 14; depth++) {
    const txid = random(32);
    const path = Array.from({ length: depth }, () => random(32));
    let expected: Uint8Array = txid;
    for (const sibling of path) expected = sha256d(Buffer.concat([expected, sibling]));
    assert.deepEqual(foldMerklePath(txid, path), new Uint8Array(expected));
  }
  const words = bytesToWords(random(32));
  const copy = Int32Array.from(words);
  const right = random(32);
  sha256dPairWords(words, bytesToWords(right), words);
  const out = new Int32Array(8);
  sha256dPairWords(copy, bytesToWords(right), out);
  assert.deepEqual(words, out);
});

test('wrong sizes are refused, never hashed as something else', () => {
  assert.throws(() => sha256dHeader(new Uint8Array(79)), RangeError);
  assert.throws(() => foldMerklePath(new Uint8Array(31), []), /txid must be 32 bytes/);
  assert.throws(
    () => foldMerklePath(new Uint8Array(32), [new Uint8Array(33)]),
    /merkle path node must be 32 bytes/,
  );
});
