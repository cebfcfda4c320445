import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrameHeader, FRAME_HEADER_SIZE } from '../../src/codec/frame.js';
import {
  CipherState,
  type Frame,
  ENCRYPTED_HEADER_SIZE,
  MAX_CT_CHUNK,
  MAX_PT_CHUNK,
  NoiseError,
  NoiseFrameDecoder,
  ciphertextLength,
  encryptFrame,
  autoAead,
  jsAead,
  nobleAead,
  nodeAead,
} from '../../src/noise/index.js';

function frame(length: number, msg_type = 0x15): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_SIZE + length);
  encodeFrameHeader({ extension_type: 0, channel_msg: true, msg_type, msg_length: length }, out);
  for (let i = 0; i < length; i++) out[FRAME_HEADER_SIZE + i] = (i * 7 + 3) & 0xff;
  return out;
}

const key = new Uint8Array(32).fill(0x42);

test('ciphertextLength follows spec 4.6', () => {
  assert.equal(ciphertextLength(0), 0);
  assert.equal(ciphertextLength(1), 17);
  assert.equal(ciphertextLength(MAX_PT_CHUNK), MAX_CT_CHUNK);
  assert.equal(ciphertextLength(MAX_PT_CHUNK + 1), MAX_CT_CHUNK + 17);
  assert.equal(ciphertextLength(3 * MAX_PT_CHUNK), 3 * MAX_CT_CHUNK);
});

for (const aead of [nobleAead, nodeAead, autoAead]) {
  test(`frames of 0, 1, 65519, 65520 and 1 MiB round-trip, fed one byte-run at a time (${aead.name})`, () => {
    const send = new CipherState(key, aead);
    const dec = new NoiseFrameDecoder(new CipherState(key, aead));
    const sizes = [0, 1, MAX_PT_CHUNK, MAX_PT_CHUNK + 1, 1 << 20];
    const wire: Uint8Array[] = [];
    for (const n of sizes) {
      const ct = encryptFrame(send, frame(n));
      assert.equal(ct.length, ENCRYPTED_HEADER_SIZE + ciphertextLength(n));
      wire.push(ct);
    }
    // 1 + chunks nonces per frame.
    assert.equal(
      send.n,
      sizes.reduce((acc, n) => acc + 1 + Math.ceil(n / MAX_PT_CHUNK), 0),
    );
    const all = Buffer.concat(wire);
    const got: Frame[] = [];
    // Uneven slices exercise partial headers and payload chunks split across pushes.
    for (let off = 0, step = 1; off < all.length; off += step, step = ((step * 3 + 5) % 9000) + 1) {
      got.push(...dec.push(all.subarray(off, Math.min(all.length, off + step))));
    }
    assert.equal(got.length, sizes.length);
    sizes.forEach((n, i) => {
      assert.equal(got[i]!.header.msg_length, n);
      assert.equal(got[i]!.header.channel_msg, true);
      assert.deepEqual(got[i]!.payload, frame(n).subarray(FRAME_HEADER_SIZE));
    });
    assert.equal(dec.buffered, 0);
  });
}

test('the maximum payload size is enforced from the header, before the payload arrives', () => {
  const send = new CipherState(key);
  const dec = new NoiseFrameDecoder(new CipherState(key), { maxPayloadLength: 1000 });
  assert.equal(dec.push(encryptFrame(send, frame(1000))).length, 1);
  const big = encryptFrame(send, frame(1001));
  assert.throws(
    () => dec.push(big.subarray(0, ENCRYPTED_HEADER_SIZE)),
    (e: unknown) =>
      e instanceof NoiseError && e.code === 'length' && /exceeds the 1000 limit/.test(e.message),
  );
  // The failure is final.
  assert.throws(() => dec.push(new Uint8Array(1)), NoiseError);
});

test('a flipped bit in the header or in a payload chunk is a MAC failure', () => {
  for (const at of [0, 21, ENCRYPTED_HEADER_SIZE + 5, ENCRYPTED_HEADER_SIZE + MAX_CT_CHUNK + 2]) {
    const ct = encryptFrame(new CipherState(key), frame(MAX_PT_CHUNK + 10));
    ct[at]! ^= 0x10;
    assert.throws(
      () => new NoiseFrameDecoder(new CipherState(key)).push(ct),
      (e: unknown) => e instanceof NoiseError && e.code === 'mac',
    );
  }
});

test('encryptFrame refuses a frame whose msg_length disagrees with its payload', () => {
  const f = frame(10);
  assert.throws(() => encryptFrame(new CipherState(key), f.subarray(0, 12)), /does not match/);
  assert.throws(() => encryptFrame(new CipherState(key), f.subarray(0, 3)), /needs 6 bytes/);
});

test('share-sized frames: the default AEAD and the plain-JS one seal exactly as node:crypto does', () => {
  const sizes = Array.from({ length: 301 }, (_, i) => i);
  for (const aead of [autoAead, jsAead]) {
    const ours = new CipherState(key, aead);
    const reference = new CipherState(key, nodeAead);
    const dec = new NoiseFrameDecoder(new CipherState(key, aead));
    const payloads: Uint8Array[] = [];
    const sealed: Uint8Array[] = [];
    for (const n of sizes) {
      const f = frame(n, n & 0xff);
      const ct = encryptFrame(ours, f);
      assert.deepEqual(ct, encryptFrame(reference, f), `${aead.name}, ${n} bytes`);
      sealed.push(ct);
      const got = dec.push(ct);
      assert.equal(got.length, 1);
      assert.equal(got[0]!.header.msg_type, n & 0xff);
      assert.deepEqual(got[0]!.payload, f.subarray(FRAME_HEADER_SIZE));
      payloads.push(got[0]!.payload);
    }
    // Sealed frames and payloads come from shared slabs: none may overlap
    // another, so each keeps its own mark.
    const views = [...payloads, ...sealed];
    views.forEach((v, i) => v.fill(i & 0xff));
    views.forEach((v, i) =>
      assert.ok(
        v.every((b) => b === (i & 0xff)),
        `view ${i}`,
      ),
    );
  }
});

test('a share-sized frame with a flipped bit anywhere is refused (default AEAD)', () => {
  const f = frame(100);
  const good = encryptFrame(new CipherState(key), f);
  for (let at = 0; at < good.length; at++) {
    const ct = Uint8Array.from(good);
    ct[at]! ^= 1 << (at % 8);
    assert.throws(
      () => new NoiseFrameDecoder(new CipherState(key)).push(ct),
      (e: unknown) => e instanceof NoiseError && e.code === 'mac',
      `byte ${at}`,
    );
  }
});
