// Sizes and weight computed from lengths, checked against a block whose size,
// stripped size and weight are published, and the stripped bytes cut from
// every segwit transaction of a real block hashing to its txid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bytesToHex,
  compactSizeLength,
  hasWitness,
  hexToBytes,
  parseBlock,
  parseTransaction,
  serializeTransaction,
  sha256d,
  strippedBytes,
  transactionSize,
  transactionWeight,
  txid,
} from '../../src/bitcoin/index.js';
import { loadBytes, loadJson } from './load.js';

interface BlockFixture {
  description: string;
  hex: string;
  size?: string;
  strippedSize?: string;
  weight?: string;
}

test('size, stripped size and weight of a segwit block match the published figures', () => {
  const fixtures = loadJson<{ valid: BlockFixture[] }>('bitcoinjs-lib', 'test', 'fixtures', 'block.json');
  const f = fixtures.valid.find((v) => v.weight !== undefined)!;
  const block = parseBlock(hexToBytes(f.hex));
  const base = 80 + compactSizeLength(block.transactions.length);
  const size = base + block.transactions.reduce((n, tx) => n + transactionSize(tx), 0);
  const stripped = base + block.transactions.reduce((n, tx) => n + transactionSize(tx, false), 0);
  const weight = 4 * base + block.transactions.reduce((n, tx) => n + transactionWeight(tx), 0);
  assert.equal(size, Number(f.size));
  assert.equal(stripped, Number(f.strippedSize));
  assert.equal(weight, Number(f.weight));
});

test('every transaction of block 574200: sizes match its serialization, stripped bytes hash to the txid', () => {
  const hash = '0000000000000000001602407ac49862a7bca9d00f7f402db20b7be2f5de59d2';
  const bytes = loadBytes('btcd', 'wire', 'testdata', `block-${hash}.blk`);
  const block = parseBlock(bytes);
  let offset = 80 + compactSizeLength(block.transactions.length);
  let segwit = 0;
  for (const tx of block.transactions) {
    const size = transactionSize(tx);
    const raw = bytes.subarray(offset, offset + size);
    offset += size;
    assert.equal(size, serializeTransaction(tx).length);
    assert.equal(transactionSize(tx, false), serializeTransaction(tx, false).length);
    const cut = strippedBytes(raw, tx);
    assert.equal(bytesToHex(sha256d(cut)), bytesToHex(txid(tx)));
    if (hasWitness(tx)) segwit++;
    else assert.equal(cut, raw);
  }
  assert.equal(offset, bytes.length);
  assert.ok(segwit > 100);
});

test('stripped bytes of a transaction the writer would refuse (output above MAX_MONEY)', () => {
  const hash = '0000000000000000001602407ac49862a7bca9d00f7f402db20b7be2f5de59d2';
  const block = parseBlock(loadBytes('btcd', 'wire', 'testdata', `block-${hash}.blk`));
  const tx = block.transactions.find((t, i) => i > 0 && hasWitness(t))!;
  const raw = serializeTransaction(tx);
  const legacy = serializeTransaction(tx, false);
  // The first output's value set to 0xff..ff (−1 as an i64) in both serializations.
  const patch = (bytes: Uint8Array, valueAt: number) => bytes.fill(0xff, valueAt, valueAt + 8);
  const firstValue = (bytes: Uint8Array, segwit: boolean) => {
    let at = 4 + (segwit ? 2 : 0) + compactSizeLength(tx.inputs.length);
    for (const i of tx.inputs) at += 36 + compactSizeLength(i.script_sig.length) + i.script_sig.length + 4;
    return at + compactSizeLength(tx.outputs.length);
  };
  const badRaw = patch(Uint8Array.from(raw), firstValue(raw, true));
  const badLegacy = patch(Uint8Array.from(legacy), firstValue(legacy, false));
  const bad = parseTransaction(badRaw);
  assert.equal(bad.outputs[0]!.value, -1n);
  assert.throws(() => serializeTransaction(bad), RangeError);
  assert.deepEqual(strippedBytes(badRaw, bad), badLegacy);
  assert.throws(() => strippedBytes(badRaw.subarray(1), bad), RangeError);
});
