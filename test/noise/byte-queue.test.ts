// ByteQueue hands out exactly the bytes pushed, in order, whatever the read
// sizes: seeded mixes of one-byte, small and large reads, and takes that span
// staged and queued chunks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteQueue } from '../../src/noise/byte-queue.js';

function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

test('byte queue: every byte comes out once, in order, for seeded read and take sizes', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const next = xorshift(seed);
    const q = new ByteQueue();
    let written = 0;
    let read = 0;
    for (let step = 0; step < 5000; step++) {
      const kind = next() % 4;
      // one byte, small, just under and over the staging threshold, large
      const size = [1, 1 + (next() % 100), 400 + (next() % 300), 1 + (next() % 70_000)][kind]!;
      const chunk = new Uint8Array(size);
      for (let i = 0; i < size; i++) chunk[i] = (written + i) & 0xff;
      q.push(chunk);
      written += size;
      while (q.length > 0 && next() % 3 !== 0) {
        const n = 1 + (next() % Math.min(q.length, 90_000));
        // Half the reads go through peek: in place when the bytes lie in one chunk.
        const chunk = next() % 2 === 0 ? q.peek(n) : undefined;
        let out: Uint8Array;
        if (chunk === undefined) out = q.take(n);
        else {
          out = chunk.slice(q.frontOffset, q.frontOffset + n);
          q.skip(n);
        }
        assert.equal(out.length, n);
        for (let i = 0; i < n; i++)
          if (out[i] !== ((read + i) & 0xff)) assert.fail(`seed ${seed}: byte ${read + i}`);
        read += n;
      }
      assert.equal(q.length, written - read);
    }
  }
});

test('byte queue: a frame in 65,535 one-byte reads comes out whole; take past the end is refused; clear empties', () => {
  const q = new ByteQueue();
  for (let i = 0; i < 65_535; i++) q.push(Uint8Array.of(i & 0xff));
  assert.throws(() => q.take(65_536), RangeError);
  const all = q.take(65_535);
  assert.ok(all.every((b, i) => b === (i & 0xff)));
  q.push(new Uint8Array(10));
  q.clear();
  assert.equal(q.length, 0);
  q.push(Uint8Array.of(9));
  assert.deepEqual(q.take(1), Uint8Array.of(9));
});

test('byte queue: peek names the chunk and offset of bytes that lie in one chunk, undefined when they span', () => {
  const q = new ByteQueue();
  q.push(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16));
  const big = new Uint8Array(600).map((_, i) => i & 0xff);
  q.push(big);
  const first = q.peek(4)!;
  assert.deepEqual(first.subarray(q.frontOffset, q.frontOffset + 4), Uint8Array.of(1, 2, 3, 4));
  q.skip(4);
  assert.equal(q.frontOffset, 4);
  assert.equal(q.peek(13), undefined); // 12 bytes left in the first chunk
  assert.throws(() => q.skip(13), RangeError);
  q.skip(12);
  assert.equal(q.length, 600);
  assert.equal(q.peek(600), big);
  assert.equal(q.frontOffset, 0);
  assert.throws(() => q.peek(601), RangeError);
  q.skip(600);
  assert.equal(q.length, 0);
});
