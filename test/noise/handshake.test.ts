import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACT1_SIZE,
  ACT2_SIZE,
  CipherState,
  NoiseError,
  NoiseInitiator,
  NoiseResponder,
  type InitiatorOptions,
  type ResponderOptions,
  authorityPublicKeyOf,
  generateAuthorityKeyPair,
  nobleAead,
  nodeAead,
  signCertificate,
  verifyCertificate,
  ellswiftCreate,
  ellswiftDecodeXonly,
} from '../../src/noise/index.js';

const authority = generateAuthorityKeyPair();
const NOW = 1_750_000_000;

function run(
  ini: Partial<InitiatorOptions> = {},
  res: Partial<ResponderOptions> = {},
  tamper?: (act2: Uint8Array) => void,
) {
  const initiator = new NoiseInitiator({ authorityPublicKey: authority.publicKey, now: () => NOW, ...ini });
  const responder = new NoiseResponder({ authoritySecretKey: authority.secretKey, now: () => NOW, ...res });
  const act1 = initiator.act1();
  assert.equal(act1.length, ACT1_SIZE);
  responder.readAct1(act1);
  const act2 = responder.writeAct2();
  assert.equal(act2.length, ACT2_SIZE);
  tamper?.(act2);
  return { result: initiator.readAct2(act2), responder };
}

const rejects = (fn: () => unknown, code: string, re: RegExp) =>
  assert.throws(fn, (err: unknown) => err instanceof NoiseError && err.code === code && re.test(err.message));

for (const aead of [nobleAead, nodeAead]) {
  test(`handshake completes and both directions decrypt (${aead.name})`, () => {
    const { result, responder } = run({ aead }, { aead });
    assert.deepEqual(result.handshakeHash, responder.keys.handshakeHash);
    const msg = new TextEncoder().encode('ping');
    assert.deepEqual(responder.keys.recv.decrypt(result.send.encrypt(msg)), msg);
    assert.deepEqual(result.recv.decrypt(responder.keys.send.encrypt(msg)), msg);
  });
}

test('the responder uses a fresh static key per handshake unless one is injected', () => {
  const a = run().result.remoteStaticXonly;
  const b = run().result.remoteStaticXonly;
  assert.notDeepEqual(a, b);
  const fixed = ellswiftCreate().secret;
  assert.deepEqual(
    run({}, { staticSecret: fixed }).result.remoteStaticXonly,
    run({}, { staticSecret: fixed }).result.remoteStaticXonly,
  );
});

test('certificate validity window: clock skew allowance, expired, not yet valid', () => {
  // Certificate issued at NOW, valid 60 s.
  const res = { certValiditySec: 60 };
  run({ now: () => NOW - 10 }, res);
  run({ now: () => NOW + 70 }, res);
  rejects(() => run({ now: () => NOW - 11 }, res), 'certificate', /not valid before/);
  rejects(() => run({ now: () => NOW + 71 }, res), 'certificate', /expired/);
  run({ now: () => NOW - 100, clockSkewSec: 100 }, res);
  rejects(() => run({ now: () => NOW - 1, clockSkewSec: 0 }, res), 'certificate', /not valid before/);
});

test('a certificate signed by another authority is refused', () => {
  const other = generateAuthorityKeyPair();
  rejects(() => run({ authorityPublicKey: other.publicKey }), 'certificate', /signature does not verify/);
  // Without a pinned key the handshake still encrypts (explicitly unauthenticated).
  run({ authorityPublicKey: null });
});

test('verifyCertificate: version must be 0; signature covers every signed field', () => {
  const server = ellswiftDecodeXonly(ellswiftCreate().ellswift);
  const cert = signCertificate(authority.secretKey, server, NOW, NOW + 60, new Uint8Array(32));
  verifyCertificate(cert, server, authority.publicKey, NOW);
  rejects(
    () => verifyCertificate({ ...cert, version: 1 }, server, authority.publicKey, NOW),
    'certificate',
    /version 1/,
  );
  rejects(
    () => verifyCertificate({ ...cert, not_valid_after: NOW + 61 }, server, authority.publicKey, NOW),
    'certificate',
    /signature/,
  );
  const otherServer = ellswiftDecodeXonly(ellswiftCreate().ellswift);
  rejects(() => verifyCertificate(cert, otherServer, authority.publicKey, NOW), 'certificate', /signature/);
  assert.deepEqual(authorityPublicKeyOf(authority.secretKey), authority.publicKey);
});

test('every flipped bit in the encrypted part of act 2 fails authentication', () => {
  for (const bit of [64 * 8, 100 * 8 + 3, 143 * 8 + 7, 144 * 8, 200 * 8 + 1, 233 * 8 + 7]) {
    rejects(() => run({}, {}, (a) => (a[bit >> 3]! ^= 1 << (bit & 7))), 'mac', /authentication failed/);
  }
  // A flipped bit in the plaintext ephemeral key changes the ECDH result: also a MAC failure.
  rejects(() => run({}, {}, (a) => (a[5]! ^= 1)), 'mac', /authentication failed/);
});

test('wrong sizes and out-of-order calls are refused', () => {
  const r = new NoiseResponder({ authoritySecretKey: authority.secretKey });
  rejects(() => r.readAct1(new Uint8Array(63)), 'length', /64 bytes/);
  rejects(() => r.writeAct2(), 'state', /before/);
  const i = new NoiseInitiator({ authorityPublicKey: authority.publicKey });
  rejects(() => i.readAct2(new Uint8Array(ACT2_SIZE)), 'state', /before act1/);
  i.act1();
  rejects(() => i.readAct2(new Uint8Array(170)), 'length', /234 bytes/);
});

test('CipherState: nonce layout, failed decrypt does not advance n', () => {
  const key = new Uint8Array(32).fill(7);
  for (const aead of [nobleAead, nodeAead]) {
    const a = new CipherState(key, aead);
    const b = new CipherState(key, aead);
    const c1 = a.encrypt(Uint8Array.of(1, 2, 3));
    const c2 = a.encrypt(Uint8Array.of(4));
    assert.equal(a.n, 2);
    const bad = Uint8Array.from(c1);
    bad[0]! ^= 1;
    rejects(() => b.decrypt(bad), 'mac', /authentication/);
    assert.equal(b.n, 0);
    assert.deepEqual(b.decrypt(c1), Uint8Array.of(1, 2, 3));
    assert.deepEqual(b.decrypt(c2), Uint8Array.of(4));
    // Same key and nonce from both implementations give identical bytes.
    assert.deepEqual(new CipherState(key, nobleAead).encrypt(c1), new CipherState(key, nodeAead).encrypt(c1));
    // Empty key: EncryptWithAd returns the plaintext.
    assert.deepEqual(new CipherState(undefined, aead).encrypt(Uint8Array.of(9)), Uint8Array.of(9));
  }
});
