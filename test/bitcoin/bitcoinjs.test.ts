// bitcoinjs-lib fixtures: nBits expansion, headers, full blocks with merkle
// roots and a witness commitment (block.json), and CScriptNum encodings
// (script_number.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BitcoinDataError,
  bitsToTarget,
  bytesToHex,
  decodeCompact,
  decodeScriptNum,
  encodeScriptNum,
  findWitnessCommitment,
  hashMeetsTarget,
  headerHash,
  hexToBytes,
  merkleRoot,
  parseBlock,
  parseHeader,
  serializeBlock,
  serializeTransaction,
  targetToBits,
  toDisplayHex,
  txid,
  u256FromBEHex,
  witnessCommitment,
  witnessMerkleRoot,
  wtxid,
} from '../../src/bitcoin/index.js';
import { loadJson } from './load.js';

interface BlockFixture {
  targets: { bits: string; expected: string }[];
  valid: {
    description: string;
    hex: string;
    id: string;
    hash: string;
    version: number;
    prevHash: string;
    merkleRoot: string;
    timestamp: number;
    bits: number;
    nonce: number;
    valid: boolean;
    witnessCommit?: string;
    size?: number;
    strippedSize?: number;
    weight?: number;
  }[];
  invalid: { hex: string; exception: string }[];
}

const fixture = loadJson<BlockFixture>('bitcoinjs-lib', 'test', 'fixtures', 'block.json');

for (const { bits, expected } of fixture.targets) {
  test(`nBits ${bits} expands to its target`, () => {
    const n = parseInt(bits, 16);
    const decoded = decodeCompact(n);
    assert.equal(decoded.target, u256FromBEHex(expected));
    assert.equal(decoded.overflow, false);
    if (decoded.negative) {
      // The fixture lists the magnitude; as a proof-of-work target the sign bit is fatal.
      assert.throws(() => bitsToTarget(n), BitcoinDataError);
    } else {
      assert.equal(bitsToTarget(n), decoded.target);
      // Every non-negative fixture is in canonical form, so it encodes back to itself.
      assert.equal(targetToBits(decoded.target), n);
    }
  });
}

for (const v of fixture.valid) {
  test(`bitcoinjs block "${v.description}" (${v.id.slice(0, 16)}…)`, () => {
    const bytes = hexToBytes(v.hex);
    const header = parseHeader(bytes);
    const hash = headerHash(bytes.subarray(0, 80));
    assert.equal(bytesToHex(hash), v.hash);
    assert.equal(toDisplayHex(hash), v.id);
    assert.equal(header.version, Number(v.version));
    assert.equal(bytesToHex(header.prev_hash), v.prevHash);
    assert.equal(bytesToHex(header.merkle_root), v.merkleRoot);
    assert.equal(header.time, Number(v.timestamp));
    assert.equal(header.bits, Number(v.bits));
    assert.equal(header.nonce, Number(v.nonce));
    assert.equal(hashMeetsTarget(hash, bitsToTarget(header.bits)), v.valid);
    if (bytes.length === 80) return;

    const block = parseBlock(bytes);
    assert.equal(bytesToHex(serializeBlock(block)), v.hex);
    const txids = block.transactions.map(txid);
    // Some fixtures hold only the first transactions of their block; the
    // merkle root can only be checked when all of them are present.
    if (v.description !== 'Headers + Coinbase') {
      assert.equal(bytesToHex(merkleRoot(txids)), v.merkleRoot);
    }
    if (v.witnessCommit !== undefined) {
      const root = witnessMerkleRoot(block.transactions.map(wtxid));
      const reserved = block.transactions[0]!.inputs[0]!.witness[0]!;
      assert.equal(bytesToHex(witnessCommitment(root, reserved)), v.witnessCommit);
      assert.equal(
        bytesToHex(findWitnessCommitment(block.transactions[0]!.outputs)!.commitment),
        v.witnessCommit,
      );
    }
    if (v.size !== undefined) {
      const stripped =
        80 + 1 + block.transactions.reduce((n, tx) => n + serializeTransaction(tx, false).length, 0);
      assert.equal(bytes.length, Number(v.size));
      assert.equal(stripped, Number(v.strippedSize));
      assert.equal(stripped * 3 + bytes.length, Number(v.weight));
    }
  });
}

for (const v of fixture.invalid) {
  test(`bitcoinjs invalid header is refused (${v.exception})`, () => {
    assert.throws(() => parseHeader(hexToBytes(v.hex)), BitcoinDataError);
  });
}

test('CScriptNum encodings of script_number.json', () => {
  const cases = loadJson<{ hex: string; number: number }[]>(
    'bitcoinjs-lib',
    'test',
    'fixtures',
    'script_number.json',
  );
  assert.ok(cases.length > 50);
  for (const { hex, number } of cases) {
    assert.equal(bytesToHex(encodeScriptNum(number)), hex, `encode ${number}`);
    assert.equal(decodeScriptNum(hexToBytes(hex), 5), BigInt(number), `decode ${hex}`);
  }
});

test('CScriptNum refuses padded and over-long encodings', () => {
  const cases = loadJson<{ hex: string; number: number }[]>(
    'bitcoinjs-lib',
    'test',
    'fixtures',
    'script_number.json',
  );
  // A zero byte after a positive number's last byte adds nothing: not minimal.
  for (const { hex } of cases.filter((c) => c.number > 0)) {
    const padded = hexToBytes(hex + '00');
    if (padded.length <= 5) assert.throws(() => decodeScriptNum(padded, 5), /minimally/);
  }
  assert.throws(() => decodeScriptNum(new Uint8Array(6), 5), /more than 5/);
});
