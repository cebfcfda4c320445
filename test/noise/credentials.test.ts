import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NoiseInitiator,
  NoiseResponder,
  ResponderCredentials,
  generateAuthorityKeyPair,
  verifyCertificate,
} from '../../src/noise/index.js';

const authority = generateAuthorityKeyPair();

function handshake(credentials: ResponderCredentials, initiatorNow: number) {
  const initiator = new NoiseInitiator({ authorityPublicKey: authority.publicKey, now: () => initiatorNow });
  const responder = new NoiseResponder({ authoritySecretKey: authority.secretKey, credentials });
  responder.readAct1(initiator.act1());
  const result = initiator.readAct2(responder.writeAct2());
  // Both ends derived the same transport keys.
  const probe = Uint8Array.of(1, 2, 3);
  assert.deepEqual(responder.keys.recv.decrypt(result.send.encrypt(probe)), probe);
  return result;
}

test('one static key and certificate serve every handshake within half the validity window', () => {
  let now = 1_750_000_000;
  const credentials = new ResponderCredentials({
    authoritySecretKey: authority.secretKey,
    certValiditySec: 100,
    now: () => now,
  });
  const first = handshake(credentials, now);
  now += 49;
  const second = handshake(credentials, now);
  assert.deepEqual(second.remoteStaticXonly, first.remoteStaticXonly);
  assert.deepEqual(second.certificate, first.certificate);
  assert.equal(credentials.issued, 1);
  assert.equal(first.certificate.valid_from, 1_750_000_000);
  assert.equal(first.certificate.not_valid_after, 1_750_000_100);
  verifyCertificate(first.certificate, first.remoteStaticXonly, authority.publicKey, now);
});

test('a new static key and certificate once half the window has passed', () => {
  let now = 1_750_000_000;
  const credentials = new ResponderCredentials({
    authoritySecretKey: authority.secretKey,
    certValiditySec: 100,
    now: () => now,
  });
  const first = handshake(credentials, now);
  now += 50;
  const second = handshake(credentials, now);
  assert.notDeepEqual(second.remoteStaticXonly, first.remoteStaticXonly);
  assert.equal(second.certificate.valid_from, now);
  assert.equal(credentials.issued, 2);
  // A clock that goes back before the current certificate also renews it.
  now -= 10;
  const third = handshake(credentials, now);
  assert.equal(third.certificate.valid_from, now);
  assert.equal(credentials.issued, 3);
});

test('a fixed static secret keeps its key across windows; only the certificate is renewed', () => {
  let now = 1_750_000_000;
  const staticSecret = new Uint8Array(32).fill(7);
  const credentials = new ResponderCredentials({
    authoritySecretKey: authority.secretKey,
    certValiditySec: 10,
    staticSecret,
    now: () => now,
  });
  const first = handshake(credentials, now);
  now += 5;
  const second = handshake(credentials, now);
  assert.deepEqual(second.remoteStaticXonly, first.remoteStaticXonly);
  assert.notEqual(second.certificate.valid_from, first.certificate.valid_from);
  assert.deepEqual(staticSecret, new Uint8Array(32).fill(7), 'the caller’s secret is not wiped');
});

test('an initiator whose clock is past the certificate window rejects it', () => {
  const now = 1_750_000_000;
  const credentials = new ResponderCredentials({
    authoritySecretKey: authority.secretKey,
    certValiditySec: 60,
    now: () => now,
  });
  assert.throws(() => handshake(credentials, now + 60 + 11), /expired/);
  assert.throws(
    () => new ResponderCredentials({ authoritySecretKey: new Uint8Array(31) }),
    /authority secret key must be 32 bytes/,
  );
});

test('a certificate that verified once still fails once its signature, key or window changes', () => {
  const now = 1_750_000_000;
  const credentials = new ResponderCredentials({ authoritySecretKey: authority.secretKey, now: () => now });
  const { certificate, remoteStaticXonly } = handshake(credentials, now);
  verifyCertificate(certificate, remoteStaticXonly, authority.publicKey, now);
  const badSig = { ...certificate, signature: Uint8Array.from(certificate.signature) };
  badSig.signature[5]! ^= 1;
  assert.throws(() => verifyCertificate(badSig, remoteStaticXonly, authority.publicKey, now), /signature/);
  const otherKey = Uint8Array.from(remoteStaticXonly);
  otherKey[31]! ^= 1;
  assert.throws(() => verifyCertificate(certificate, otherKey, authority.publicKey, now), /signature|valid/);
  const longer = { ...certificate, not_valid_after: certificate.not_valid_after + 1 };
  assert.throws(() => verifyCertificate(longer, remoteStaticXonly, authority.publicKey, now), /signature/);
  assert.throws(
    () => verifyCertificate(certificate, remoteStaticXonly, generateAuthorityKeyPair().publicKey, now),
    /signature/,
  );
});
