import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chacha20Block, chachaPolyOpen, chachaPolySeal, poly1305 } from '../../src/noise/chacha-poly.js';
import { autoAead, jsAead, nobleAead, nodeAead } from '../../src/noise/aead.js';

const fromHex = (h: string) => new Uint8Array(Buffer.from(h.replace(/[\s:]/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function seal(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, pt: Uint8Array): Uint8Array {
  const out = new Uint8Array(pt.length + 16);
  chachaPolySeal(key, nonce, ad, pt, out, 0);
  return out;
}

test('RFC 8439 2.8.2: the AEAD test vector (ciphertext and tag)', () => {
  const key = fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
  const nonce = fromHex('070000004041424344454647');
  const ad = fromHex('50515253c0c1c2c3c4c5c6c7');
  const pt = new TextEncoder().encode(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
  );
  const sealed = seal(key, nonce, ad, pt);
  assert.equal(toHex(sealed.subarray(0, 16)), 'd31a8d34648e60db7b86afbc53ef7ec2');
  assert.equal(toHex(sealed.subarray(pt.length)), '1ae10b594f09e26a7e902ecbd0600691');
  assert.deepEqual(chachaPolyOpen(key, nonce, ad, sealed), pt);
});

test('RFC 8439 2.5.2: the Poly1305 vector', () => {
  const key = fromHex('85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b');
  const msg = new TextEncoder().encode('Cryptographic Forum Research Group');
  assert.equal(toHex(poly1305(key, msg)), 'a8061dc1305136c6c22b8baf0c0127a9');
});

test('RFC 8439 2.3.2: the ChaCha20 block function vector', () => {
  const key = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
  const nonce = fromHex('000000090000004a00000000');
  const out = chacha20Block(key, nonce, 1);
  assert.equal(toHex(out.subarray(0, 16)), '10f1e7e4d13b5915500fdd1fa32071c4');
  // The RFC prints this block's last four state words as d19c12b5 b94e16de e883d0cb 4e3c50a2.
  assert.equal(toHex(out.subarray(48)), 'b5129cd1de164eb9cbd083e8a2503c4e');
});

test('agrees with node:crypto and noble on random keys, nonces, AD and lengths 0..300', () => {
  for (let len = 0; len <= 300; len += len < 40 ? 1 : 7) {
    const key = new Uint8Array(randomBytes(32));
    const nonce = new Uint8Array(randomBytes(12));
    const ad = new Uint8Array(randomBytes(len % 3 === 0 ? 0 : (len * 7) % 50));
    const pt = new Uint8Array(randomBytes(len));
    const ours = seal(key, nonce, ad, pt);
    const viaNode = new Uint8Array(len + 16);
    nodeAead.sealInto(key, nonce, ad, pt, viaNode, 0);
    assert.equal(toHex(ours), toHex(viaNode), `length ${len}`);
    const viaNoble = new Uint8Array(len + 16);
    nobleAead.sealInto(key, nonce, ad, pt, viaNoble, 0);
    assert.equal(toHex(ours), toHex(viaNoble), `length ${len}`);
    assert.deepEqual(chachaPolyOpen(key, nonce, ad, ours), pt);
    assert.deepEqual(nodeAead.open(key, nonce, ad, ours), pt);
  }
});

test('large payloads (several blocks, 64 KiB) and extreme accumulator values agree with node:crypto', () => {
  for (const len of [64, 65, 1000, 65519, 65536]) {
    const key = new Uint8Array(randomBytes(32));
    const nonce = new Uint8Array(randomBytes(12));
    for (const fill of [0x00, 0xff, -1]) {
      const pt = fill < 0 ? new Uint8Array(randomBytes(len)) : new Uint8Array(len).fill(fill);
      const viaNode = new Uint8Array(len + 16);
      nodeAead.sealInto(key, nonce, new Uint8Array(0), pt, viaNode, 0);
      assert.equal(toHex(seal(key, nonce, new Uint8Array(0), pt)), toHex(viaNode), `${len} ${fill}`);
    }
  }
  // Keys whose r and s are all ones or all zeros stress the final reduction.
  for (const keyFill of [0x00, 0xff]) {
    const key = new Uint8Array(32).fill(keyFill);
    for (let n = 0; n < 50; n++) {
      const nonce = new Uint8Array(12);
      nonce[0] = n;
      const pt = new Uint8Array(33 + n).fill(0xff);
      const viaNode = new Uint8Array(pt.length + 16);
      nodeAead.sealInto(key, nonce, pt, pt, viaNode, 0);
      assert.equal(toHex(seal(key, nonce, pt, pt)), toHex(viaNode));
    }
  }
});

test('a flipped bit anywhere, a wrong nonce or wrong AD fails to open; seal writes at an offset', () => {
  const key = new Uint8Array(randomBytes(32));
  const nonce = new Uint8Array(randomBytes(12));
  const ad = Uint8Array.of(1, 2, 3);
  const pt = new Uint8Array(randomBytes(100));
  const sealed = seal(key, nonce, ad, pt);
  for (let i = 0; i < sealed.length; i++) {
    const bad = Uint8Array.from(sealed);
    bad[i]! ^= 0x01;
    assert.equal(chachaPolyOpen(key, nonce, ad, bad), undefined, `byte ${i}`);
  }
  const otherNonce = Uint8Array.from(nonce);
  otherNonce[11]! ^= 1;
  assert.equal(chachaPolyOpen(key, otherNonce, ad, sealed), undefined);
  assert.equal(chachaPolyOpen(key, nonce, Uint8Array.of(1, 2), sealed), undefined);
  assert.equal(chachaPolyOpen(key, nonce, ad, sealed.subarray(0, 15)), undefined);
  const out = new Uint8Array(7 + sealed.length).fill(0xee);
  jsAead.sealInto(key, nonce, ad, pt, out, 7);
  assert.deepEqual(out.subarray(7), sealed);
  assert.deepEqual(out.subarray(0, 7), new Uint8Array(7).fill(0xee));
});

test('state reuse: messages under several keys, interleaved, agree with node:crypto; a bad tag writes nothing', () => {
  // The implementation keeps its key stream and MAC state between calls:
  // alternating keys, nonces, AD and lengths must never leak one message's
  // state into the next.
  const keys = Array.from({ length: 4 }, () => new Uint8Array(randomBytes(32)));
  let seed = 7;
  const next = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  for (let m = 0; m < 1500; m++) {
    const key = keys[next(keys.length)]!;
    const nonce = new Uint8Array(randomBytes(12));
    const ad = new Uint8Array(randomBytes(next(4) === 0 ? next(40) : 0));
    const pt = new Uint8Array(randomBytes(next(301)));
    const offset = next(9);
    const ours = new Uint8Array(offset + pt.length + 16);
    jsAead.sealInto(key, nonce, ad, pt, ours, offset);
    const sealed = ours.subarray(offset);
    const viaNode = new Uint8Array(pt.length + 16);
    nodeAead.sealInto(key, nonce, ad, pt, viaNode, 0);
    assert.equal(toHex(sealed), toHex(viaNode), `message ${m}, length ${pt.length}`);
    const opened = new Uint8Array(offset + pt.length).fill(0xee);
    assert.equal(jsAead.openInto(key, nonce, ad, sealed, opened, offset), true);
    assert.deepEqual(opened.subarray(offset), pt);
    // A tampered tag (or last ciphertext byte) is refused and leaves `out` as it was.
    const bad = Uint8Array.from(sealed);
    bad[bad.length - 1 - next(Math.min(17, bad.length))]! ^= 1 << next(8);
    const untouched = new Uint8Array(pt.length).fill(0x5a);
    assert.equal(jsAead.openInto(key, nonce, ad, bad, untouched, 0), false);
    assert.deepEqual(untouched, new Uint8Array(pt.length).fill(0x5a));
  }
});

test('range methods: sealing and opening bytes inside a larger array equals doing it on a copy, for every implementation', () => {
  for (const aead of [nobleAead, nodeAead, jsAead, autoAead]) {
    for (const len of [0, 1, 6, 63, 64, 65, 100, 300, 1000]) {
      const key = new Uint8Array(randomBytes(32));
      const nonce = new Uint8Array(randomBytes(12));
      const ad = len % 2 === 0 ? new Uint8Array(0) : Uint8Array.of(1, 2, 3);
      const around = new Uint8Array(randomBytes(len + 50));
      const from = 17;
      const pt = around.slice(from, from + len);
      const expected = new Uint8Array(len + 16);
      nodeAead.sealInto(key, nonce, ad, pt, expected, 0);
      const sealedAround = new Uint8Array(len + 16 + 9).fill(0xee);
      aead.sealRangeInto(key, nonce, ad, around, from, len, sealedAround, 9);
      assert.equal(toHex(sealedAround.subarray(9)), toHex(expected), `${aead.name} ${len}`);
      assert.equal(toHex(sealedAround.subarray(0, 9)), 'ee'.repeat(9));
      const wire = new Uint8Array(5 + len + 16 + 5);
      wire.set(expected, 5);
      const out = new Uint8Array(len + 3);
      assert.equal(aead.openRangeInto(key, nonce, ad, wire, 5, len + 16, out, 3), true);
      assert.deepEqual(out.subarray(3), pt);
      wire[5 + len + 15]! ^= 0x80;
      assert.equal(aead.openRangeInto(key, nonce, ad, wire, 5, len + 16, out, 3), false);
      assert.equal(aead.openRangeInto(key, nonce, ad, wire, 5, 15, out, 0), false);
    }
  }
});
