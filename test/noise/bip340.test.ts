import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schnorr } from '@noble/curves/secp256k1.js';
import { publicXonly, schnorrSign, schnorrVerify } from '../../src/noise/secp256k1.js';
import { vectorPath } from '../helpers/paths.js';
import { readCsv, hex, toHex } from './csv.js';

test('BIP340: signing rows give the exact signature, every row verifies as stated', () => {
  const rows = readCsv(vectorPath('bitcoin-bips', 'bip-0340', 'test-vectors.csv'));
  assert.ok(rows.length >= 15);
  let signed = 0;
  for (const row of rows) {
    const label = `row ${row.index} ${row.comment}`;
    const msg = hex(row.message!);
    const sig = hex(row.signature!);
    if (row['secret key'] !== '') {
      const sk = hex(row['secret key']!);
      assert.equal(toHex(schnorr.getPublicKey(sk)).toUpperCase(), row['public key'], label);
      assert.equal(toHex(schnorr.sign(msg, sk, hex(row.aux_rand!))).toUpperCase(), row.signature, label);
      signed++;
    }
    let ok: boolean;
    try {
      ok = schnorr.verify(sig, msg, hex(row['public key']!));
    } catch {
      ok = false;
    }
    assert.equal(ok, row['verification result'] === 'TRUE', label);
  }
  assert.ok(signed > 0);
});

// Certificates are signed and checked by libsecp256k1 (src/noise/secp256k1.ts),
// whose BIP340 takes 32-byte messages only: a certificate digest is a SHA-256.
test('BIP340 through the certificate path: every 32-byte-message row signs and verifies as stated', () => {
  const rows = readCsv(vectorPath('bitcoin-bips', 'bip-0340', 'test-vectors.csv'));
  let checked = 0;
  let signed = 0;
  for (const row of rows) {
    const label = `row ${row.index} ${row.comment}`;
    const msg = hex(row.message!);
    if (msg.length !== 32) continue;
    if (row['secret key'] !== '') {
      const sk = hex(row['secret key']!);
      assert.equal(toHex(publicXonly(sk)).toUpperCase(), row['public key'], label);
      assert.equal(toHex(schnorrSign(msg, sk, hex(row.aux_rand!))).toUpperCase(), row.signature, label);
      signed++;
    }
    const ok = schnorrVerify(hex(row.signature!), msg, hex(row['public key']!));
    assert.equal(ok, row['verification result'] === 'TRUE', label);
    checked++;
  }
  assert.ok(checked >= 15 && signed >= 4, `${checked} rows checked, ${signed} signed`);
});
