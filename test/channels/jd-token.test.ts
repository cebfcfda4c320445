// Job declaration tokens: layout, signing, every refusal, commitments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import {
  TOKEN_KIND,
  TOKEN_OFFSETS,
  TOKEN_SIZE,
  allocatedCommitment,
  constantTimeEqual,
  declaredCommitment,
  encodeToken,
  parseTokenSecret,
  verifyToken,
  type TokenFields,
} from '../../src/channels/jd-token.js';
import { NETWORKS, addressToScript, coinbaseMerklePath, serializeOutputs } from '../../src/bitcoin/index.js';

const secret = new Uint8Array(randomBytes(32));
const NOW = 1_750_000_000;

function fields(over: Partial<TokenFields> = {}): TokenFields {
  return {
    kind: TOKEN_KIND.ALLOCATED,
    token_id: new Uint8Array(randomBytes(8)),
    issued_at: NOW,
    expires_at: NOW + 600,
    commitment: new Uint8Array(randomBytes(32)),
    ...over,
  };
}

test('round trip: every field comes back, and the id is the token_id in hex', () => {
  for (const kind of [TOKEN_KIND.ALLOCATED, TOKEN_KIND.DECLARED]) {
    const f = fields({ kind });
    const bytes = encodeToken(f, secret);
    assert.equal(bytes.length, TOKEN_SIZE);
    const v = verifyToken(bytes, secret, NOW + 1);
    assert.ok(v.ok, `kind ${kind} verifies`);
    assert.equal(v.token.version, 1);
    assert.equal(v.token.kind, kind);
    assert.deepEqual(v.token.token_id, f.token_id);
    assert.equal(v.token.id, Buffer.from(f.token_id).toString('hex'));
    assert.equal(v.token.issued_at, f.issued_at);
    assert.equal(v.token.expires_at, f.expires_at);
    assert.deepEqual(v.token.commitment, f.commitment);
  }
});

test('bytes layout: version, kind, token_id, issued_at, expires_at (LE), commitment, 16-byte HMAC-SHA256 prefix', () => {
  const f = fields({ kind: TOKEN_KIND.DECLARED, issued_at: 0x01020304, expires_at: 0x0a0b0c0d });
  const bytes = encodeToken(f, secret);
  assert.equal(TOKEN_SIZE, 66);
  assert.deepEqual(TOKEN_OFFSETS, {
    version: 0,
    kind: 1,
    token_id: 2,
    issued_at: 10,
    expires_at: 14,
    commitment: 18,
    mac: 50,
  });
  assert.equal(bytes[0], 1);
  assert.equal(bytes[1], 2);
  assert.deepEqual(bytes.subarray(2, 10), f.token_id);
  assert.deepEqual([...bytes.subarray(10, 14)], [0x04, 0x03, 0x02, 0x01]);
  assert.deepEqual([...bytes.subarray(14, 18)], [0x0d, 0x0c, 0x0b, 0x0a]);
  assert.deepEqual(bytes.subarray(18, 50), f.commitment);
  const mac = createHmac('sha256', secret).update(bytes.subarray(0, 50)).digest().subarray(0, 16);
  assert.deepEqual(Buffer.from(bytes.subarray(50)), mac);
});

test('refusals: malformed, unknown-version, bad-mac, expired, not-yet-valid', () => {
  const good = encodeToken(fields(), secret);
  const verdict = (b: Uint8Array, now = NOW + 10) => {
    const v = verifyToken(b, secret, now);
    return v.ok ? 'ok' : v.reason;
  };
  assert.equal(verdict(good), 'ok');
  // malformed: empty, short, long (version 1 but not 66 bytes)
  assert.equal(verdict(new Uint8Array(0)), 'malformed');
  assert.equal(verdict(good.subarray(0, 65)), 'malformed');
  assert.equal(verdict(Uint8Array.of(...good, 0)), 'malformed');
  // unknown-version, whatever the length
  assert.equal(verdict(Uint8Array.of(2, ...good.subarray(1))), 'unknown-version');
  assert.equal(verdict(Uint8Array.of(0)), 'unknown-version');
  // bad-mac: another secret, and any flipped byte after the version
  assert.equal(verifyToken(good, new Uint8Array(32).fill(7), NOW).ok, false);
  assert.deepEqual(verifyToken(good, new Uint8Array(32).fill(7), NOW), { ok: false, reason: 'bad-mac' });
  for (let i = 1; i < TOKEN_SIZE; i++) {
    const forged = Uint8Array.from(good);
    forged[i] = forged[i]! ^ 0x01;
    assert.equal(verdict(forged), 'bad-mac', `byte ${i} flipped`);
  }
  // malformed even with a valid MAC: an unknown kind, or expires_at before issued_at
  const signed = (edit: (b: Uint8Array) => void) => {
    const b = Uint8Array.from(good);
    edit(b);
    b.set(createHmac('sha256', secret).update(b.subarray(0, 50)).digest().subarray(0, 16), 50);
    return b;
  };
  assert.equal(verdict(signed((b) => (b[1] = 3))), 'malformed');
  assert.equal(verdict(signed((b) => new DataView(b.buffer).setUint32(14, NOW - 1, true))), 'malformed');
  // the time window: issued_at .. expires_at inclusive
  assert.equal(verdict(good, NOW), 'ok');
  assert.equal(verdict(good, NOW + 600), 'ok');
  assert.equal(verdict(good, NOW + 601), 'expired');
  assert.equal(verdict(good, NOW - 1), 'not-yet-valid');
  assert.equal(verifyToken(good, secret, NOW - 5, { clockSkewSec: 5 }).ok, true);
  assert.deepEqual(verifyToken(good, secret, NOW - 6, { clockSkewSec: 5 }), {
    ok: false,
    reason: 'not-yet-valid',
  });
});

test('encodeToken refuses fields that do not fit the layout', () => {
  assert.throws(() => encodeToken(fields({ token_id: new Uint8Array(7) }), secret), RangeError);
  assert.throws(() => encodeToken(fields({ commitment: new Uint8Array(31) }), secret), RangeError);
  assert.throws(() => encodeToken(fields({ issued_at: -1 }), secret), RangeError);
  assert.throws(() => encodeToken(fields({ expires_at: 2 ** 32 }), secret), RangeError);
  assert.throws(() => encodeToken(fields({ expires_at: NOW - 1 }), secret), RangeError);
  assert.throws(() => encodeToken(fields({ kind: 3 as 1 }), secret), RangeError);
  assert.throws(() => encodeToken(fields(), new Uint8Array(16)), RangeError);
  assert.throws(() => verifyToken(new Uint8Array(66), new Uint8Array(16), NOW), RangeError);
});

test('constant-time compare: equal, unequal at the first, middle or last byte, different lengths', () => {
  const a = new Uint8Array(randomBytes(16));
  assert.equal(constantTimeEqual(a, Uint8Array.from(a)), true);
  for (const i of [0, 7, 15]) {
    const b = Uint8Array.from(a);
    b[i] = b[i]! ^ 0x80;
    assert.equal(constantTimeEqual(a, b), false, `differs at ${i}`);
  }
  assert.equal(constantTimeEqual(a, a.subarray(0, 15)), false);
  assert.equal(constantTimeEqual(new Uint8Array(0), new Uint8Array(0)), true);
});

test('allocatedCommitment is SHA-256 of the CompactSize-prefixed outputs', () => {
  const script = addressToScript('bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080', NETWORKS.regtest);
  const outputs = serializeOutputs([{ value: 0n, script }], true);
  assert.equal(outputs[0], 1, 'CompactSize count first');
  assert.deepEqual(Buffer.from(allocatedCommitment(outputs)), createHash('sha256').update(outputs).digest());
  const other = serializeOutputs([{ value: 1n, script }], true);
  assert.notDeepEqual(allocatedCommitment(outputs), allocatedCommitment(other));
});

test('declaredCommitment is SHA-256(version LE ‖ outputs ‖ merkle path) and binds each part', () => {
  const script = addressToScript('bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080', NETWORKS.regtest);
  const outputs = serializeOutputs(
    [
      { value: 5_000_000_000n, script },
      { value: 0n, script: Uint8Array.of(0x6a, 0x01, 0x00) },
    ],
    true,
  );
  const txids = Array.from({ length: 5 }, () => new Uint8Array(randomBytes(32)));
  const path = coinbaseMerklePath(txids);
  assert.equal(path.length, 3);
  const version = 0x20000004;
  const version4 = Buffer.alloc(4);
  version4.writeUInt32LE(version);
  const expected = createHash('sha256').update(version4).update(outputs);
  for (const h of path) expected.update(h);
  const c = declaredCommitment(version, outputs, path);
  assert.deepEqual(Buffer.from(c), expected.digest());
  assert.notDeepEqual(declaredCommitment(version + 1, outputs, path), c, 'version');
  assert.notDeepEqual(declaredCommitment(version, outputs.subarray(0, outputs.length - 1), path), c);
  assert.notDeepEqual(declaredCommitment(version, outputs, [...path].reverse()), c, 'path order');
  assert.notDeepEqual(declaredCommitment(version, outputs, path.slice(0, 2)), c, 'path length');
  // no transactions: an empty path
  assert.deepEqual(
    Buffer.from(declaredCommitment(version, outputs, [])),
    createHash('sha256').update(version4).update(outputs).digest(),
  );
  assert.throws(() => declaredCommitment(version, outputs, [new Uint8Array(31)]), RangeError);
});

test('parseTokenSecret reads 64 hex digits and never echoes what it refuses', () => {
  const hex = Buffer.from(secret).toString('hex');
  assert.deepEqual(parseTokenSecret(`  ${hex}\n`), secret);
  assert.deepEqual(parseTokenSecret(hex.toUpperCase()), secret);
  for (const bad of ['', hex.slice(2), hex + '00', hex.slice(1) + 'g']) {
    assert.throws(
      () => parseTokenSecret(bad),
      (err: Error) => !err.message.includes(bad.slice(0, 16)) || bad === '',
    );
  }
});
