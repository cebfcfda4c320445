// Legacy sigop counting: checksig opcodes count 1, multisig 20, and bytes
// inside a push (of any push form) are never mistaken for opcodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  OP_CHECKSIG,
  OP_DUP,
  OP_EQUALVERIFY,
  OP_HASH160,
  countLegacySigops,
  parseBlock,
  pushData,
} from '../../src/bitcoin/index.js';
import { loadBytes } from './load.js';

const OP_CHECKSIGVERIFY = 0xad;
const OP_CHECKMULTISIG = 0xae;
const OP_CHECKMULTISIGVERIFY = 0xaf;
const OP_PUSHDATA4 = 0x4e;

test('checksig counts 1, checkmultisig counts 20', () => {
  const p2pkh = Uint8Array.of(OP_DUP, OP_HASH160, 20, ...new Uint8Array(20), OP_EQUALVERIFY, OP_CHECKSIG);
  assert.equal(countLegacySigops(p2pkh), 1);
  assert.equal(countLegacySigops(Uint8Array.of(OP_CHECKSIGVERIFY, OP_CHECKSIG)), 2);
  assert.equal(countLegacySigops(Uint8Array.of(0x52, OP_CHECKMULTISIG)), 20);
  assert.equal(countLegacySigops(Uint8Array.of(OP_CHECKMULTISIGVERIFY, OP_CHECKSIG)), 21);
  assert.equal(countLegacySigops(new Uint8Array(0)), 0);
});

test('push data is skipped in every push form', () => {
  // Direct push, OP_PUSHDATA1 and OP_PUSHDATA2, each full of OP_CHECKSIG bytes.
  for (const len of [10, 80, 300]) {
    const data = new Uint8Array(len).fill(OP_CHECKSIG);
    assert.equal(countLegacySigops(Uint8Array.of(...pushData(data), OP_CHECKSIG)), 1, `push of ${len}`);
  }
  const push4 = Uint8Array.of(OP_PUSHDATA4, 3, 0, 0, 0, OP_CHECKSIG, OP_CHECKSIG, OP_CHECKSIG, OP_CHECKSIG);
  assert.equal(countLegacySigops(push4), 1);
});

test('a truncated push ends the scan', () => {
  assert.equal(countLegacySigops(Uint8Array.of(OP_CHECKSIG, 5, OP_CHECKSIG)), 1);
  assert.equal(countLegacySigops(Uint8Array.of(OP_CHECKSIG, 0x4c)), 1);
  assert.equal(countLegacySigops(Uint8Array.of(OP_CHECKSIG, 0x4d, 1)), 1);
  assert.equal(countLegacySigops(Uint8Array.of(OP_CHECKSIG, OP_PUSHDATA4, 1, 0)), 1);
  assert.equal(countLegacySigops(Uint8Array.of(OP_CHECKSIG, OP_PUSHDATA4, 0xff, 0xff, 0xff, 0xff)), 1);
});

test('a real block: output scripts of standard types count as expected', () => {
  const hash = '0000000000000000001602407ac49862a7bca9d00f7f402db20b7be2f5de59d2';
  const block = parseBlock(loadBytes('btcd', 'wire', 'testdata', `block-${hash}.blk`));
  let checked = 0;
  for (const tx of block.transactions) {
    for (const o of tx.outputs) {
      const s = o.script;
      const p2pkh = s.length === 25 && s[0] === OP_DUP && s[24] === OP_CHECKSIG;
      const p2sh = s.length === 23 && s[0] === OP_HASH160;
      const witness = s.length >= 4 && s[1] === s.length - 2 && (s[0] === 0 || s[0] === 0x51);
      if (p2pkh) assert.equal(countLegacySigops(s), 1);
      else if (p2sh || witness) assert.equal(countLegacySigops(s), 0);
      else continue;
      checked++;
    }
  }
  assert.ok(checked > 1000);
});
