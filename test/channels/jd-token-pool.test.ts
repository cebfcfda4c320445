// mining_job_token (src/channels/jd-token.ts) as the pool reads it: the
// 66-byte layout, the MAC checked against node:crypto's HMAC, every refusal,
// and the two commitments recomputed with node:crypto's SHA-256.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import {
  TOKEN_CLOCK_LEEWAY_SEC,
  TOKEN_KIND,
  TOKEN_SIZE,
  allocatedCommitment,
  declaredCommitment,
  encodeToken,
  verifyToken,
  type TokenFields,
} from '../../src/channels/index.js';

const SECRET = Uint8Array.from(randomBytes(32));
const NOW_S = 1_800_000_000;
const NOW = NOW_S * 1000 + 500;

function fields(over: Partial<TokenFields> = {}): TokenFields {
  return {
    kind: TOKEN_KIND.DECLARED,
    token_id: Uint8Array.from(randomBytes(8)),
    issued_at: NOW_S - 5,
    expires_at: NOW_S + 300,
    commitment: Uint8Array.from(randomBytes(32)),
    ...over,
  };
}

/** MAC of a token body computed independently of the module. */
function macOf(secret: Uint8Array, body: Uint8Array): Uint8Array {
  return Uint8Array.from(createHmac('sha256', secret).update(body).digest().subarray(0, 16));
}

function resign(bytes: Uint8Array, secret = SECRET): Uint8Array {
  const out = Uint8Array.from(bytes);
  out.set(macOf(secret, out.subarray(0, 50)), 50);
  return out;
}

test('layout: version, kind, id, little-endian times, commitment, then the first 16 bytes of HMAC-SHA256', () => {
  const f = fields({ kind: TOKEN_KIND.ALLOCATED, issued_at: 0x01020304, expires_at: 0x0a0b0c0d });
  const t = encodeToken(f, SECRET);
  assert.equal(t.length, TOKEN_SIZE);
  assert.equal(t.length, 66);
  assert.equal(t[0], 1);
  assert.equal(t[1], 1);
  assert.deepEqual(t.subarray(2, 10), f.token_id);
  assert.deepEqual([...t.subarray(10, 14)], [0x04, 0x03, 0x02, 0x01]);
  assert.deepEqual([...t.subarray(14, 18)], [0x0d, 0x0c, 0x0b, 0x0a]);
  assert.deepEqual(t.subarray(18, 50), f.commitment);
  assert.deepEqual(t.subarray(50), macOf(SECRET, t.subarray(0, 50)));
});

test('a good token verifies and gives its fields back', () => {
  const f = fields();
  const v = verifyToken(encodeToken(f, SECRET), SECRET, NOW);
  assert.ok(v.ok);
  assert.deepEqual(v.token, { version: 1, ...f });
});

test('any changed byte, or another secret, is a bad MAC', () => {
  const t = encodeToken(fields(), SECRET);
  // Every byte after the version: kind, id, times, commitment and the MAC itself.
  for (let i = 1; i < t.length; i++) {
    const bad = Uint8Array.from(t);
    bad[i] = bad[i]! ^ 0x01;
    const v = verifyToken(bad, SECRET, NOW);
    assert.deepEqual(v, { ok: false, reason: 'bad-mac' }, `byte ${i}`);
  }
  const other = Uint8Array.from(randomBytes(32));
  assert.deepEqual(verifyToken(t, other, NOW), { ok: false, reason: 'bad-mac' });
});

test('lifetime: expired at expires_at, not yet valid beyond the clock leeway', () => {
  const t = encodeToken(fields({ expires_at: NOW_S + 1 }), SECRET);
  assert.ok(verifyToken(t, SECRET, NOW_S * 1000 + 999).ok);
  assert.deepEqual(verifyToken(t, SECRET, (NOW_S + 1) * 1000), { ok: false, reason: 'expired' });
  const early = encodeToken(fields({ issued_at: NOW_S + TOKEN_CLOCK_LEEWAY_SEC + 1 }), SECRET);
  assert.deepEqual(verifyToken(early, SECRET, NOW), { ok: false, reason: 'not-yet-valid' });
  const justInLeeway = encodeToken(fields({ issued_at: NOW_S + TOKEN_CLOCK_LEEWAY_SEC }), SECRET);
  assert.ok(verifyToken(justInLeeway, SECRET, NOW).ok);
});

test('malformed and unknown-version tokens', () => {
  const t = encodeToken(fields(), SECRET);
  assert.deepEqual(verifyToken(new Uint8Array(0), SECRET, NOW), { ok: false, reason: 'malformed' });
  assert.deepEqual(verifyToken(t.subarray(0, 65), SECRET, NOW), { ok: false, reason: 'malformed' });
  assert.deepEqual(verifyToken(Uint8Array.of(...t, 0), SECRET, NOW), { ok: false, reason: 'malformed' });
  // An 8-byte counter token (another implementation's) is not ours.
  assert.deepEqual(verifyToken(new Uint8Array(8).fill(1), SECRET, NOW), { ok: false, reason: 'malformed' });
  const v2 = Uint8Array.from(t);
  v2[0] = 2;
  assert.deepEqual(verifyToken(resign(v2), SECRET, NOW), { ok: false, reason: 'unknown-version' });
  // A correctly signed token of an unknown kind.
  const kind3 = Uint8Array.from(t);
  kind3[1] = 3;
  assert.deepEqual(verifyToken(resign(kind3), SECRET, NOW), { ok: false, reason: 'malformed' });
});

test('encodeToken refuses fields that do not fit the layout', () => {
  assert.throws(() => encodeToken(fields({ token_id: new Uint8Array(7) }), SECRET), /token_id/);
  assert.throws(() => encodeToken(fields({ commitment: new Uint8Array(31) }), SECRET), /commitment/);
  assert.throws(() => encodeToken(fields({ expires_at: 2 ** 32 }), SECRET), /expires_at/);
  assert.throws(() => encodeToken(fields({ kind: 3 as 1 }), SECRET), /kind/);
  assert.throws(() => encodeToken(fields(), new Uint8Array(4)), /secret/);
});

test('commitments: SHA-256 of the outputs; of version LE, outputs and merkle path for a declared job', () => {
  const outputs = Uint8Array.from(randomBytes(50));
  const path = [Uint8Array.from(randomBytes(32)), Uint8Array.from(randomBytes(32))];
  const sha = (...parts: Uint8Array[]) => {
    const h = createHash('sha256');
    for (const p of parts) h.update(p);
    return Uint8Array.from(h.digest());
  };
  assert.deepEqual(allocatedCommitment(outputs), sha(outputs));
  const version = 0x20000004;
  assert.deepEqual(
    declaredCommitment(version, outputs, path),
    sha(Uint8Array.of(0x04, 0x00, 0x00, 0x20), outputs, ...path),
  );
  assert.deepEqual(declaredCommitment(version, outputs, []), sha(Uint8Array.of(4, 0, 0, 0x20), outputs));
  // Each input moves the commitment.
  const base = declaredCommitment(version, outputs, path);
  assert.notDeepEqual(declaredCommitment(version | 0x100, outputs, path), base);
  assert.notDeepEqual(declaredCommitment(version, outputs.subarray(1), path), base);
  assert.notDeepEqual(declaredCommitment(version, outputs, path.slice(0, 1)), base);
  assert.throws(() => declaredCommitment(version, outputs, [new Uint8Array(31)]), /32 bytes/);
});
