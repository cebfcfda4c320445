import { test } from 'node:test';
import assert from 'node:assert/strict';
import { vectorPath } from '../helpers/paths.js';
import { readCsv, hex, toHex } from './csv.js';
import {
  bigintTo32,
  bytesToField,
  defaultRandom,
  fieldSqrt,
  ellswiftCreate,
  ellswiftDecode,
  ellswiftEcdhXonly,
  v2Ecdh,
  xelligatorswift,
  xswiftec,
  xswiftecInv,
} from '../../src/noise/ellswift.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';

const dir = (name: string) => vectorPath('bitcoin-bips', 'bip-0324', name);

test('ellswift_decode: every row of ellswift_decode_test_vectors.csv', () => {
  const rows = readCsv(dir('ellswift_decode_test_vectors.csv'));
  assert.ok(rows.length > 0);
  for (const row of rows) {
    assert.equal(toHex(bigintTo32(ellswiftDecode(hex(row.ellswift!)))), row.x, row.comment);
  }
});

test('xswiftec_inv: every case of every row of xswiftec_inv_test_vectors.csv', () => {
  const rows = readCsv(dir('xswiftec_inv_test_vectors.csv'));
  assert.ok(rows.length > 0);
  for (const row of rows) {
    const u = bytesToField(hex(row.u!));
    const x = bytesToField(hex(row.x!));
    for (let c = 0; c < 8; c++) {
      const expected = row[`case${c}_t`]!;
      const t = xswiftecInv(x, u, c);
      if (expected === '') {
        assert.equal(t, undefined, `case ${c}: ${row.comment}`);
      } else {
        assert.ok(t !== undefined, `case ${c}: ${row.comment}`);
        assert.equal(toHex(bigintTo32(t)), expected, `case ${c}: ${row.comment}`);
        assert.equal(xswiftec(u, t), x, `case ${c} round trip`);
      }
    }
  }
});

test('packet_encoding vectors: mid_x_ours, mid_x_theirs, mid_x_shared, mid_shared_secret', () => {
  const rows = readCsv(dir('packet_encoding_test_vectors.csv'));
  const seen = new Set<string>();
  for (const row of rows) {
    const priv = hex(row.in_priv_ours!);
    const ours = hex(row.in_ellswift_ours!);
    const theirs = hex(row.in_ellswift_theirs!);
    const initiating = row.in_initiating === '1';
    seen.add(row.in_initiating!);
    const pubX = secp256k1.Point.BASE.multiply(bytesToField(priv)).toAffine().x;
    assert.equal(toHex(bigintTo32(pubX)), row.mid_x_ours);
    assert.equal(toHex(bigintTo32(ellswiftDecode(ours))), row.mid_x_ours);
    assert.equal(toHex(bigintTo32(ellswiftDecode(theirs))), row.mid_x_theirs);
    assert.equal(toHex(ellswiftEcdhXonly(theirs, priv)), row.mid_x_shared);
    assert.equal(toHex(v2Ecdh(priv, ours, theirs, initiating)), row.mid_shared_secret);
  }
  assert.deepEqual([...seen].sort(), ['0', '1']);
});

test('xelligatorswift and ellswiftCreate round-trip and agree on the shared secret', () => {
  let counter = 0;
  // Deterministic stream: sha-free counter bytes are enough to exercise all cases.
  const random = (n: number) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = (counter * 131 + i * 29 + 7) & 0xff;
    counter++;
    return out;
  };
  for (let i = 0; i < 20; i++) {
    const a = ellswiftCreate(undefined, random);
    const b = ellswiftCreate(undefined, random);
    const xa = secp256k1.Point.BASE.multiply(bytesToField(a.secret)).toAffine().x;
    assert.equal(ellswiftDecode(a.ellswift), xa);
    assert.equal(ellswiftDecode(xelligatorswift(xa, random)), xa);
    assert.deepEqual(
      v2Ecdh(a.secret, a.ellswift, b.ellswift, true),
      v2Ecdh(b.secret, b.ellswift, a.ellswift, false),
    );
  }
});

test('ellswiftCreate rejects bad secrets', () => {
  assert.throws(() => ellswiftCreate(new Uint8Array(32)), /1\.\.n-1/);
  assert.throws(() => ellswiftCreate(new Uint8Array(31)), /32 bytes/);
  assert.throws(() => ellswiftDecode(new Uint8Array(63)), /64 bytes/);
});

test('fieldSqrt agrees with noble on random squares and refuses non-squares', () => {
  const Fp = secp256k1.Point.Fp;
  for (let i = 0; i < 200; i++) {
    const a = Fp.create(bytesToField(defaultRandom(32)));
    const sq = Fp.sqr(a);
    const r = fieldSqrt(sq);
    assert.equal(Fp.sqr(r), sq);
    assert.ok(r === Fp.sqrt(sq) || r === Fp.neg(Fp.sqrt(sq)));
  }
  assert.equal(fieldSqrt(0n), 0n);
  assert.throws(() => fieldSqrt(Fp.neg(1n)), /not a square/);
});

test('defaultRandom hands out fresh bytes of the asked length, small and large', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 300; i++) {
    const r = defaultRandom(33);
    assert.equal(r.length, 33);
    seen.add(toHex(r));
  }
  assert.equal(seen.size, 300);
  assert.equal(defaultRandom(10_000).length, 10_000);
  assert.equal(defaultRandom(0).length, 0);
});
