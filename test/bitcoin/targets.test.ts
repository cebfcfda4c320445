// Targets: nBits round trips, the SV2 little-endian U256 form, difficulty
// (bdiff), hash-vs-target comparison at its boundary, and hashrate targets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BitcoinDataError,
  DIFF1_TARGET,
  U256_MAX,
  bitsToTarget,
  bytesToHex,
  decodeCompact,
  difficultyToTarget,
  hashDifficulty,
  hashMeetsTarget,
  hashrateToTarget,
  hexToBytes,
  targetToBits,
  targetToDifficulty,
  targetToHashrate,
  u256FromBEHex,
  u256FromLE,
  u256ToLE,
} from '../../src/bitcoin/index.js';
import { BLOCKS_FILE, loadJson, type BlocksFile } from './load.js';

const blocks = loadJson<BlocksFile>(...BLOCKS_FILE).blocks;
const genesis = blocks.find((b) => b.height === 0)!;

test('difficulty 1 is the genesis nBits target', () => {
  const target = bitsToTarget(parseInt(genesis.bits, 16));
  assert.equal(target, DIFF1_TARGET);
  assert.equal(targetToDifficulty(target), 1);
  assert.equal(difficultyToTarget(1), DIFF1_TARGET);
});

test('SetNewPrevHash target travels as a little-endian U256 (sv2-tp vector)', () => {
  const v = loadJson<{ vectors: { test: string; fields?: { n_bits?: number; target_hex?: string } }[] }>(
    'extracted',
    'sv2',
    'sv2-tp_message_encodings.json',
  ).vectors.find((x) => x.fields?.target_hex !== undefined)!;
  const target = bitsToTarget(v.fields!.n_bits!);
  assert.equal(bytesToHex(u256ToLE(target)), v.fields!.target_hex);
  assert.equal(u256FromLE(hexToBytes(v.fields!.target_hex!)), target);
  assert.equal(targetToBits(target), v.fields!.n_bits);
});

test('nBits of every vector block round-trips and gives a sensible difficulty', () => {
  for (const b of blocks) {
    const bits = parseInt(b.bits, 16);
    const target = bitsToTarget(bits);
    assert.equal(target, u256FromBEHex(b.target_from_bits_be));
    assert.equal(targetToBits(target), bits);
    const d = targetToDifficulty(target);
    assert.ok(d >= 1);
    // difficulty → target loses at most the rounding of one division.
    const back = difficultyToTarget(d);
    const err = back > target ? back - target : target - back;
    assert.ok(err * 10n ** 12n <= target, `block ${b.height}`);
  }
});

test('negative, zero and overflowing nBits are refused', () => {
  assert.throws(() => bitsToTarget(0x04800001), /negative/);
  // The sign bit only counts when the shifted mantissa is non-zero (as in SetCompact).
  assert.equal(decodeCompact(0x01800001).negative, false);
  assert.throws(() => bitsToTarget(0x00000000), /zero/);
  assert.throws(() => bitsToTarget(0x23000001), /overflows/);
  assert.equal(decodeCompact(0x23000001).overflow, true);
  assert.equal(decodeCompact(0x22000001).overflow, false);
  assert.equal(decodeCompact(0x21010000).overflow, true);
  assert.throws(() => bitsToTarget(0x03000000), BitcoinDataError);
  // Small exponents shift the mantissa right, as SetCompact does.
  assert.equal(decodeCompact(0x01123456).target, 0x12n);
  assert.equal(decodeCompact(0x02123456).target, 0x1234n);
  assert.equal(targetToBits(0x80n), 0x02008000);
  assert.equal(targetToBits(0n), 0);
});

test('hashMeetsTarget compares the hash as a little-endian integer, inclusive', () => {
  const t = u256FromBEHex(genesis.target_from_bits_be);
  const equal = u256ToLE(t);
  assert.equal(hashMeetsTarget(equal, t), true);
  assert.equal(hashMeetsTarget(u256ToLE(t + 1n), t), false);
  assert.equal(hashMeetsTarget(u256ToLE(t - 1n), t), true);
  assert.equal(hashMeetsTarget(u256ToLE(t + 1n), u256ToLE(t)), false);
  assert.equal(hashMeetsTarget(u256ToLE(U256_MAX), U256_MAX), true);
});

test('hash difficulty of the genesis block hash', () => {
  const hash = hexToBytes(genesis.block_hash_display).reverse();
  const d = hashDifficulty(hash);
  // A double read of the hash: within a few parts in 10^15 of the exact bigint quotient.
  assert.ok(Math.abs(d / targetToDifficulty(u256FromLE(hash)) - 1) < 1e-14);
  // The genesis hash beats difficulty 1 (its nBits target) by a wide margin.
  assert.ok(d > targetToDifficulty(bitsToTarget(parseInt(genesis.bits, 16))));
  assert.ok(d > 1000);
  assert.equal(hashDifficulty(new Uint8Array(32)), Infinity);
});

test('difficultyToTarget is exact for fractional and huge difficulties', () => {
  assert.equal(difficultyToTarget(0.5), DIFF1_TARGET * 2n);
  assert.equal(difficultyToTarget(2 ** 40), DIFF1_TARGET >> 40n);
  assert.equal(difficultyToTarget(1e-30), U256_MAX);
  assert.throws(() => difficultyToTarget(0), RangeError);
  assert.throws(() => difficultyToTarget(Number.NaN), RangeError);
});

test('hashrate ↔ target: expected hashes per share = 2^256 / (target + 1)', () => {
  for (const [hashrate, spm] of [
    [1e6, 6],
    [100e12, 10],
    [5e9, 0.5],
    [1.5, 60],
  ] as const) {
    const target = hashrateToTarget(hashrate, spm);
    const back = targetToHashrate(target, spm);
    assert.ok(Math.abs(back - hashrate) / hashrate < 1e-9, `${hashrate} H/s at ${spm}/min → ${back}`);
    const hashesPerShare = (hashrate * 60) / spm;
    const expected = Number((1n << 320n) / (target + 1n)) / 2 ** 64;
    assert.ok(Math.abs(expected - hashesPerShare) / hashesPerShare < 1e-9);
  }
  // A device slower than one hash per share can take any hash.
  assert.equal(hashrateToTarget(1, 120), U256_MAX);
  assert.throws(() => hashrateToTarget(0, 10), RangeError);
});
