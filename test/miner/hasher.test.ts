// The miner's hashing: the midstate hasher against the bitcoin layer and real
// mainnet headers, the nonce/version/nTime search, and the worker threads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bitsToTarget,
  hashMeetsTarget,
  headerHash,
  hexToBytes,
  parseHeader,
  serializeHeader,
  u256ToLE,
} from '../../src/bitcoin/index.js';
import { HashEngine } from '../../src/roles/miner/engine.js';
import { RangeSearch, NONCE_SPACE, type FoundShare, type Work } from '../../src/roles/miner/search.js';
import { HeaderHasher, targetWords } from '../../src/roles/miner/sha256.js';
import { BIP323_MASK, depositBits, maskBits, rolledVersion } from '../../src/roles/miner/version-roll.js';
import { loadText } from '../bitcoin/load.js';

function mainnetHeaders(): Uint8Array[] {
  return loadText('btcd', 'netsync', 'testdata', 'blockheaders-mainnet-1-11.txt')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length === 160)
    .map(hexToBytes);
}

/** Small deterministic generator so failures reproduce. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

function randomBytes(next: () => number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => next() & 0xff);
}

/** Rebuilds a share's header and hashes it with the bitcoin layer. */
function shareHash(work: Work, s: FoundShare): Uint8Array {
  const h = work.header.slice();
  const v = new DataView(h.buffer);
  v.setUint32(0, s.version, true);
  v.setUint32(68, s.ntime, true);
  v.setUint32(76, s.nonce, true);
  return headerHash(h);
}

/** A target met by about one hash in 2^bits. */
function easyTarget(bits: number): Uint8Array {
  return u256ToLE((1n << BigInt(256 - bits)) - 1n);
}

test('midstate hasher gives the block hash of every mainnet header and meets its nBits', () => {
  const headers = mainnetHeaders();
  assert.ok(headers.length >= 10);
  const hasher = new HeaderHasher();
  for (const raw of headers) {
    const h = parseHeader(raw);
    hasher.setHeader(raw);
    hasher.hashNonce(h.nonce);
    assert.deepEqual(hasher.hashBytes(), headerHash(raw));
    assert.ok(hasher.meets(targetWords(u256ToLE(bitsToTarget(h.bits)))));
    assert.ok(!hasher.meets(targetWords(u256ToLE(bitsToTarget(h.bits) >> 40n))));
  }
});

test('midstate hasher agrees with the bitcoin layer after version and nTime changes', () => {
  const next = prng(7);
  const hasher = new HeaderHasher();
  for (let i = 0; i < 300; i++) {
    const header = randomBytes(next, 80);
    hasher.setHeader(header);
    const version = next();
    const ntime = next();
    const nonce = next();
    if (i % 2 === 0) hasher.setVersion(version);
    if (i % 3 === 0) hasher.setNtime(ntime);
    hasher.hashNonce(nonce);
    const expect = header.slice();
    const v = new DataView(expect.buffer);
    if (i % 2 === 0) v.setUint32(0, version, true);
    if (i % 3 === 0) v.setUint32(68, ntime, true);
    v.setUint32(76, nonce, true);
    assert.deepEqual(hasher.hashBytes(), headerHash(expect), `case ${i}`);
  }
});

test('the search finds the real nonce of mainnet blocks at their network target', () => {
  for (const raw of mainnetHeaders().slice(0, 4)) {
    const h = parseHeader(raw);
    const work: Work = {
      id: 1,
      header: raw,
      target: u256ToLE(bitsToTarget(h.bits)),
      versionMask: 0,
      ntimeBase: h.time,
      ntimeAnchorMs: 0,
    };
    const from = Math.max(0, h.nonce - 3000);
    const search = new RangeSearch(work, from, h.nonce + 1);
    const found: FoundShare[] = [];
    for (let i = 0; i < 10; i++) found.push(...search.step(1000, 0).shares);
    assert.deepEqual(
      found.map((s) => [s.nonce, s.ntime, s.version]),
      [[h.nonce, h.time, h.version]],
    );
  }
});

test('shares found at an easy target meet it when rebuilt independently', () => {
  const next = prng(11);
  const work: Work = {
    id: 9,
    header: serializeHeader({
      version: 0x20000000,
      prev_hash: randomBytes(next, 32),
      merkle_root: randomBytes(next, 32),
      time: 1_700_000_000,
      bits: 0x207fffff,
      nonce: 0,
    }),
    target: easyTarget(8),
    versionMask: BIP323_MASK,
    ntimeBase: 1_700_000_000,
    ntimeAnchorMs: 5_000,
  };
  const search = new RangeSearch(work);
  // 2.5 s after the anchor: nTime is base + 2.
  const r = search.step(20_000, 7_500);
  assert.equal(r.hashes, 20_000);
  assert.ok(r.shares.length > 20, `only ${r.shares.length} shares`);
  for (const s of r.shares) {
    assert.equal(s.workId, 9);
    assert.equal(s.ntime, 1_700_000_002);
    assert.equal(s.version, 0x20000000);
    assert.ok(hashMeetsTarget(shareHash(work, s), work.target));
  }
});

test('version rolling stays inside the mask and never repeats a (version, nonce) pair', () => {
  const work: Work = {
    id: 2,
    header: serializeHeader({
      version: 0x20000004,
      prev_hash: new Uint8Array(32).fill(3),
      merkle_root: new Uint8Array(32).fill(4),
      time: 100,
      bits: 0x207fffff,
      nonce: 0,
    }),
    target: new Uint8Array(32).fill(0xff),
    versionMask: BIP323_MASK,
    ntimeBase: 100,
    ntimeAnchorMs: 0,
  };
  const search = new RangeSearch(work, 1000, 1016);
  const seen = new Set<string>();
  for (let i = 0; i < 40; i++) {
    const r = search.step(16, 0);
    assert.equal(r.exhausted, false);
    for (const s of r.shares) {
      assert.equal((s.version ^ 0x20000004) & ~BIP323_MASK, 0, 'bits outside the mask changed');
      assert.ok(s.nonce >= 1000 && s.nonce < 1016);
      const key = `${s.version}:${s.nonce}`;
      assert.ok(!seen.has(key), `repeated ${key}`);
      seen.add(key);
      assert.ok(hashMeetsTarget(shareHash(work, s), work.target));
    }
  }
  assert.equal(seen.size, 40 * 16);
  assert.equal(maskBits(BIP323_MASK), 24);
  assert.equal(rolledVersion(0x20000000, BIP323_MASK, 0), 0x20000000);
  assert.equal(depositBits(0xffffff, BIP323_MASK), BIP323_MASK);
  assert.equal(depositBits(0b101, 0b1011000), 0b1001000);
});

test('without rolling a used-up range waits for the clock to move nTime on', () => {
  const work: Work = {
    id: 3,
    header: new Uint8Array(80),
    target: new Uint8Array(32).fill(0xff),
    versionMask: 0,
    ntimeBase: 500,
    ntimeAnchorMs: 0,
  };
  const search = new RangeSearch(work, NONCE_SPACE - 8, NONCE_SPACE);
  const first = search.step(100, 0);
  assert.equal(first.shares.length, 8);
  assert.ok(first.shares.every((s) => s.ntime === 500 && s.version === 0));
  assert.equal(search.step(100, 999).exhausted, true);
  const again = search.step(100, 1000);
  assert.equal(again.exhausted, false);
  assert.deepEqual(
    again.shares.map((s) => [s.nonce, s.ntime]),
    first.shares.map((s) => [s.nonce, 501]),
  );
});

test('worker threads split the nonce space and report shares and hashes', { timeout: 60_000 }, async () => {
  const shares: FoundShare[] = [];
  const halves = new Set<number>();
  let wake: (() => void) | undefined;
  const engine = new HashEngine({
    threads: 2,
    onShare: (s) => {
      shares.push(s);
      halves.add(s.nonce < NONCE_SPACE / 2 ? 0 : 1);
      // Threads may start at different times on a busy machine: wait for both.
      if (halves.size === 2 && shares.length >= 4) wake?.();
    },
  });
  try {
    await engine.start();
    const work: Work = {
      id: 42,
      header: serializeHeader({
        version: 0x20000000,
        prev_hash: new Uint8Array(32).fill(9),
        merkle_root: new Uint8Array(32).fill(8),
        time: 1_700_000_000,
        bits: 0x207fffff,
        nonce: 0,
      }),
      target: easyTarget(10),
      versionMask: 0,
      ntimeBase: 1_700_000_000,
      ntimeAnchorMs: Date.now(),
    };
    const enough = new Promise<void>((resolve) => (wake = resolve));
    engine.setWork(work);
    await enough;
    engine.setWork(null);
    for (const s of shares) {
      assert.equal(s.workId, 42);
      assert.ok(hashMeetsTarget(shareHash(work, s), work.target));
    }
    assert.equal(halves.size, 2, 'both threads found shares in their own halves');
  } finally {
    await engine.stop();
  }
});
