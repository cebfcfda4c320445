// Untrusted bytes: truncated or non-canonical data gets a typed error, and
// the two SHA-256 implementations agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schnorr } from '@noble/curves/secp256k1.js';
import {
  BitcoinDataError,
  bytesToHex,
  decodeBip34Height,
  decodeCompactSize,
  encodeCompactSize,
  MAX_SIZE,
  fromDisplayHex,
  hexToBytes,
  headerHash,
  parseBlock,
  parseTransaction,
  serializeTransaction,
  sha256d,
  sha256dNoble,
  taggedHash,
  toDisplayHex,
} from '../../src/bitcoin/index.js';
import { BLOCKS_FILE, loadJson, type BlocksFile } from './load.js';

const file = loadJson<BlocksFile>(...BLOCKS_FILE);
const segwitCoinbase = hexToBytes(file.blocks.find((b) => b.height === 542213)!.coinbase!.hex!);
const genesisBlock = file.blocks.find((b) => b.height === 0)!;

test('node:crypto and @noble/hashes give the same SHA256d for every length 0..300', () => {
  const data = new Uint8Array(300);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 7) & 0xff;
  for (let n = 0; n <= data.length; n++) {
    assert.equal(bytesToHex(sha256d(data.subarray(0, n))), bytesToHex(sha256dNoble(data.subarray(0, n))));
  }
});

test('hash results are plain Uint8Arrays, not Buffers', () => {
  const h = sha256d(new Uint8Array(1));
  assert.equal(Object.getPrototypeOf(h), Uint8Array.prototype);
  assert.throws(() => headerHash(new Uint8Array(79)), RangeError);
});

test('taggedHash matches noble’s BIP340 tagged hash', () => {
  const msg = hexToBytes(genesisBlock.header_hex);
  assert.equal(
    bytesToHex(taggedHash('BIP0340/challenge', msg)),
    bytesToHex(schnorr.utils.taggedHash('BIP0340/challenge', msg)),
  );
});

test('display hex is the reverse of internal order', () => {
  const internal = fromDisplayHex(genesisBlock.block_hash_display);
  assert.equal(toDisplayHex(internal), genesisBlock.block_hash_display);
  assert.equal(bytesToHex(internal).slice(-8), '00000000');
  assert.throws(() => hexToBytes('abc'), BitcoinDataError);
  assert.throws(() => hexToBytes('zz'), BitcoinDataError);
});

test('CompactSize: every width round-trips; non-canonical forms are refused', () => {
  for (const n of [0, 0xfc, 0xfd, 0xffff, 0x10000, MAX_SIZE]) {
    const enc = encodeCompactSize(n);
    assert.deepEqual(decodeCompactSize(enc), { value: n, size: enc.length });
  }
  // Larger values encode, but no Bitcoin structure may claim them.
  assert.equal(encodeCompactSize(0xffffffff).length, 5);
  assert.equal(encodeCompactSize(0x100000000).length, 9);
  assert.throws(() => decodeCompactSize(encodeCompactSize(MAX_SIZE + 1)), /too large/);
  assert.throws(() => decodeCompactSize(encodeCompactSize(0x100000000)), /too large/);
  assert.throws(() => decodeCompactSize(Uint8Array.of(0xfd, 0xfc, 0x00)), /non-canonical/);
  assert.throws(() => decodeCompactSize(Uint8Array.of(0xfe, 0xff, 0xff, 0x00, 0x00)), /non-canonical/);
  assert.throws(() => decodeCompactSize(Uint8Array.of(0xfd, 0x00)), /truncated/);
});

test('every truncation of a segwit coinbase is a BitcoinDataError', () => {
  assert.equal(
    bytesToHex(serializeTransaction(parseTransaction(segwitCoinbase))),
    bytesToHex(segwitCoinbase),
  );
  for (let n = 0; n < segwitCoinbase.length; n++) {
    assert.throws(() => parseTransaction(segwitCoinbase.subarray(0, n)), BitcoinDataError, `length ${n}`);
  }
  const extra = new Uint8Array(segwitCoinbase.length + 1);
  extra.set(segwitCoinbase);
  assert.throws(() => parseTransaction(extra), /left after/);
});

test('bad segwit flag, superfluous witness and absurd counts are refused', () => {
  const badFlag = Uint8Array.from(segwitCoinbase);
  badFlag[5] = 0x02;
  assert.throws(() => parseTransaction(badFlag), /segwit flag/);
  // Same transaction with its witness stack emptied: the marker has nothing to mark.
  const tx = parseTransaction(segwitCoinbase);
  const legacy = serializeTransaction(tx, false);
  const L = legacy.length;
  // version ‖ 00 01 ‖ inputs and outputs ‖ witness count 0 ‖ locktime
  const emptied = new Uint8Array(L + 3);
  emptied.set(legacy.subarray(0, 4));
  emptied.set([0x00, 0x01], 4);
  emptied.set(legacy.subarray(4, L - 4), 6);
  emptied[L - 2] = 0x00;
  emptied.set(legacy.subarray(L - 4), L - 1);
  assert.throws(() => parseTransaction(emptied), /superfluous/);
  // A block header claiming 2^24 transactions with nothing after it.
  const header = hexToBytes(genesisBlock.header_hex);
  const huge = new Uint8Array(85);
  huge.set(header);
  huge.set([0xfe, 0x00, 0x00, 0x00, 0x01], 80);
  assert.throws(() => parseBlock(huge), /cannot fit/);
});

test('malformed BIP34 height pushes are refused', () => {
  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['4c0145', /opcode 0x4c/],
    ['03cb3d', /truncated/],
    ['0105', /small-integer/],
    ['0181', /negative/],
    ['020100', /minimally/],
    ['050000000001', /opcode 0x5/],
  ];
  for (const [hex, message] of bad) {
    assert.throws(
      () => decodeBip34Height(hexToBytes(hex)),
      (e: Error) => e instanceof BitcoinDataError && message.test(e.message),
      hex,
    );
  }
});
