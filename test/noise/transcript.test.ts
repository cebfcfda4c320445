import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { vectorPath } from '../helpers/paths.js';
import { hex, toHex } from './csv.js';
import { deriveTranscript, type TranscriptInputs } from './transcript-derive.js';
import {
  NoiseInitiator,
  NoiseResponder,
  authorityPublicKeyOf,
  bytesToField,
  ellswiftDecode,
  encryptFrame,
  NoiseFrameDecoder,
  nobleAead,
  nodeAead,
} from '../../src/noise/index.js';

interface TranscriptFile {
  clock: { responder_now: number; initiator_now: number; cert_validity_sec: number };
  randomness: { initiator: string[]; responder: string[] };
  inputs: Record<string, string | number>;
  steps: { name: string; what: string; hex: string }[];
}

const file = JSON.parse(readFileSync(vectorPath('noise-transcript.json'), 'utf8')) as TranscriptFile;
const inHex = (name: string) => hex(file.inputs[name] as string);
const step = (name: string) => {
  const s = file.steps.find((x) => x.name === name);
  assert.ok(s, `step ${name} in file`);
  return s.hex;
};

function replay(stream: string[]) {
  let i = 0;
  return (n: number) => {
    assert.ok(i < stream.length, 'random stream exhausted');
    const v = hex(stream[i++]!);
    assert.equal(v.length, n, 'random draw length');
    return v;
  };
}

const inputs: TranscriptInputs = {
  initiator_ephemeral_secret: inHex('initiator_ephemeral_secret'),
  initiator_ephemeral_ellswift: inHex('initiator_ephemeral_ellswift'),
  responder_ephemeral_secret: inHex('responder_ephemeral_secret'),
  responder_ephemeral_ellswift: inHex('responder_ephemeral_ellswift'),
  responder_static_secret: inHex('responder_static_secret'),
  responder_static_ellswift: inHex('responder_static_ellswift'),
  authority_secret_key: inHex('authority_secret_key'),
  valid_from: file.inputs.valid_from as number,
  not_valid_after: file.inputs.not_valid_after as number,
  signature_aux_rand: inHex('signature_aux_rand'),
  first_frame_plaintext: inHex('first_frame_plaintext'),
};

test('transcript inputs: each EllSwift encoding encodes the public key of its secret', () => {
  for (const who of ['initiator_ephemeral', 'responder_ephemeral', 'responder_static']) {
    const x = secp256k1.Point.BASE.multiply(bytesToField(inHex(`${who}_secret`))).toAffine().x;
    assert.equal(ellswiftDecode(inHex(`${who}_ellswift`)), x, who);
  }
  assert.equal(inputs.not_valid_after - inputs.valid_from, file.clock.cert_validity_sec);
});

test('transcript: every step re-derived from the primitives matches the file', () => {
  const derived = deriveTranscript(inputs);
  assert.deepEqual(
    derived.map((s) => s.name),
    file.steps.map((s) => s.name),
  );
  for (const s of derived) assert.equal(s.hex, step(s.name), s.name);
});

for (const aead of [nobleAead, nodeAead]) {
  test(`transcript: the handshake implementation reproduces it (${aead.name})`, () => {
    const ini = new NoiseInitiator({
      authorityPublicKey: authorityPublicKeyOf(inputs.authority_secret_key),
      ephemeralSecret: inputs.initiator_ephemeral_secret,
      random: replay(file.randomness.initiator),
      now: () => file.clock.initiator_now,
      aead,
    });
    const res = new NoiseResponder({
      authoritySecretKey: inputs.authority_secret_key,
      ephemeralSecret: inputs.responder_ephemeral_secret,
      staticSecret: inputs.responder_static_secret,
      random: replay(file.randomness.responder),
      now: () => file.clock.responder_now,
      certValiditySec: file.clock.cert_validity_sec,
      aead,
    });
    const act1 = ini.act1();
    assert.equal(toHex(act1), step('act1'));
    res.readAct1(act1);
    const act2 = res.writeAct2();
    assert.equal(toHex(act2), step('act2'));
    const result = ini.readAct2(act2);
    assert.equal(toHex(result.handshakeHash), step('h_final'));
    assert.equal(toHex(res.keys.handshakeHash), step('h_final'));
    assert.equal(result.certificate.valid_from, inputs.valid_from);
    const ct = encryptFrame(result.send, inputs.first_frame_plaintext);
    assert.equal(toHex(ct), step('first_frame_ciphertext'));
    const frames = new NoiseFrameDecoder(res.keys.recv).push(ct);
    assert.equal(frames.length, 1);
    assert.equal(toHex(frames[0]!.payload), step('first_frame_plaintext').slice(12));
  });
}
