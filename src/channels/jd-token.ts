// Job declaration tokens: the `mining_job_token` bytes a job declarator server
// hands out (AllocateMiningJobToken.Success, DeclareMiningJob.Success) and a
// pool checks on SetCustomMiningJob without asking the server, because both
// hold the same secret. Pure: node:crypto's HMAC and hashes only; the clock
// comes in as `now` (unix seconds) and the random token id from the caller.
//
// Layout (66 bytes, integers little-endian):
//
//   offset  size  field
//        0     1  version      = 1
//        1     1  kind         1 = allocated, 2 = declared
//        2     8  token_id     random, names the token in single-use sets
//       10     4  issued_at    unix seconds
//       14     4  expires_at   unix seconds; the token is good up to and including this second
//       18    32  commitment   what the token vouches for (see below)
//       50    16  mac          first 16 bytes of HMAC-SHA256(secret, bytes 0..49)
//
// Commitments:
//   allocated: SHA-256 of the pool outputs offered (AllocateMiningJobToken.Success.coinbase_tx_outputs,
//              CompactSize count first) — allocatedCommitment().
//   declared:  SHA-256(version u32 LE ‖ coinbase outputs as declared, CompactSize count first ‖
//              the coinbase's merkle path, 32-byte hashes deepest first) — declaredCommitment().
//              A pool recomputes it from SetCustomMiningJob's version, coinbase_tx_outputs and
//              merkle_path, so the custom job is exactly the one the server checked.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const TOKEN_VERSION = 1;
export const TOKEN_KIND = { ALLOCATED: 1, DECLARED: 2 } as const;
export type TokenKind = (typeof TOKEN_KIND)[keyof typeof TOKEN_KIND];

export const TOKEN_ID_SIZE = 8;
export const TOKEN_COMMITMENT_SIZE = 32;
export const TOKEN_MAC_SIZE = 16;
/** Bytes before the MAC: what the MAC covers. */
export const TOKEN_SIGNED_SIZE = 1 + 1 + TOKEN_ID_SIZE + 4 + 4 + TOKEN_COMMITMENT_SIZE;
export const TOKEN_SIZE = TOKEN_SIGNED_SIZE + TOKEN_MAC_SIZE;
/** A token issued up to this many seconds ahead of the verifier's clock still verifies (two hosts' clocks). */
export const TOKEN_CLOCK_LEEWAY_SEC = 10;
/** The shared secret: 32 bytes, kept in a file as 64 hex digits. */
export const TOKEN_SECRET_SIZE = 32;

/** Byte offsets of the fields (pinned by a test). */
export const TOKEN_OFFSETS = {
  version: 0,
  kind: 1,
  token_id: 2,
  issued_at: 10,
  expires_at: 14,
  commitment: 18,
  mac: 50,
} as const;

export interface TokenFields {
  kind: TokenKind;
  /** 8 random bytes. */
  token_id: Uint8Array;
  /** Unix seconds. */
  issued_at: number;
  /** Unix seconds, at or after issued_at. */
  expires_at: number;
  /** 32 bytes. */
  commitment: Uint8Array;
}

export interface Token extends TokenFields {
  version: number;
  /** token_id as 16 hex digits: the key of single-use sets. */
  id: string;
}

export type TokenRefusal = 'malformed' | 'bad-mac' | 'expired' | 'not-yet-valid' | 'unknown-version';

export type TokenVerdict = { ok: true; token: Token } | { ok: false; reason: TokenRefusal };

export interface VerifyOptions {
  /** Seconds a token issued "in the future" is still accepted (clocks of two machines). Default 0. */
  clockSkewSec?: number;
}

function u32(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
    throw new RangeError(`${name} must be a u32, got ${v}`);
  return v;
}

function checkSecret(secret: Uint8Array): void {
  if (secret.length !== TOKEN_SECRET_SIZE) {
    throw new RangeError(`token secret must be ${TOKEN_SECRET_SIZE} bytes, got ${secret.length}`);
  }
}

/** The first TOKEN_MAC_SIZE bytes of HMAC-SHA256(secret, signed). */
export function tokenMac(signed: Uint8Array, secret: Uint8Array): Uint8Array {
  const full = createHmac('sha256', secret).update(signed).digest();
  return new Uint8Array(full.buffer, full.byteOffset, TOKEN_MAC_SIZE);
}

/**
 * Equality of two byte strings in time independent of where they differ
 * (node:crypto timingSafeEqual); different lengths are unequal at once, which
 * reveals only the length.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/** Serializes and signs a token. Throws RangeError on fields that do not fit the layout. */
export function encodeToken(fields: TokenFields, secret: Uint8Array): Uint8Array {
  checkSecret(secret);
  if (fields.kind !== TOKEN_KIND.ALLOCATED && fields.kind !== TOKEN_KIND.DECLARED) {
    throw new RangeError(`token kind must be 1 (allocated) or 2 (declared), got ${String(fields.kind)}`);
  }
  if (fields.token_id.length !== TOKEN_ID_SIZE) {
    throw new RangeError(`token_id must be ${TOKEN_ID_SIZE} bytes, got ${fields.token_id.length}`);
  }
  if (fields.commitment.length !== TOKEN_COMMITMENT_SIZE) {
    throw new RangeError(
      `commitment must be ${TOKEN_COMMITMENT_SIZE} bytes, got ${fields.commitment.length}`,
    );
  }
  const issued = u32(fields.issued_at, 'issued_at');
  const expires = u32(fields.expires_at, 'expires_at');
  if (expires < issued) throw new RangeError(`expires_at ${expires} is before issued_at ${issued}`);
  const out = new Uint8Array(TOKEN_SIZE);
  const view = new DataView(out.buffer);
  out[TOKEN_OFFSETS.version] = TOKEN_VERSION;
  out[TOKEN_OFFSETS.kind] = fields.kind;
  out.set(fields.token_id, TOKEN_OFFSETS.token_id);
  view.setUint32(TOKEN_OFFSETS.issued_at, issued, true);
  view.setUint32(TOKEN_OFFSETS.expires_at, expires, true);
  out.set(fields.commitment, TOKEN_OFFSETS.commitment);
  out.set(tokenMac(out.subarray(0, TOKEN_SIGNED_SIZE), secret), TOKEN_OFFSETS.mac);
  return out;
}

/**
 * Checks a token: layout, version, MAC (constant-time), then its time window
 * against `now` (unix seconds): valid from issued_at (less the allowed clock
 * skew) up to and including expires_at. Never throws on peer bytes.
 */
export function verifyToken(
  bytes: Uint8Array,
  secret: Uint8Array,
  now: number,
  opts: VerifyOptions = {},
): TokenVerdict {
  checkSecret(secret);
  if (bytes.length < 1) return { ok: false, reason: 'malformed' };
  // Another version may have another layout: say so before judging its length.
  if (bytes[TOKEN_OFFSETS.version] !== TOKEN_VERSION) return { ok: false, reason: 'unknown-version' };
  if (bytes.length !== TOKEN_SIZE) return { ok: false, reason: 'malformed' };
  const expected = tokenMac(bytes.subarray(0, TOKEN_SIGNED_SIZE), secret);
  if (!constantTimeEqual(expected, bytes.subarray(TOKEN_OFFSETS.mac, TOKEN_SIZE))) {
    return { ok: false, reason: 'bad-mac' };
  }
  const kind = bytes[TOKEN_OFFSETS.kind];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const issued_at = view.getUint32(TOKEN_OFFSETS.issued_at, true);
  const expires_at = view.getUint32(TOKEN_OFFSETS.expires_at, true);
  // Signed by the secret yet not a layout encodeToken writes: refused all the same.
  if ((kind !== TOKEN_KIND.ALLOCATED && kind !== TOKEN_KIND.DECLARED) || expires_at < issued_at) {
    return { ok: false, reason: 'malformed' };
  }
  if (now + (opts.clockSkewSec ?? 0) < issued_at) return { ok: false, reason: 'not-yet-valid' };
  if (now > expires_at) return { ok: false, reason: 'expired' };
  const token_id = bytes.slice(TOKEN_OFFSETS.token_id, TOKEN_OFFSETS.token_id + TOKEN_ID_SIZE);
  return {
    ok: true,
    token: {
      version: TOKEN_VERSION,
      kind: kind as TokenKind,
      token_id,
      id: Buffer.from(token_id).toString('hex'),
      issued_at,
      expires_at,
      commitment: bytes.slice(TOKEN_OFFSETS.commitment, TOKEN_OFFSETS.commitment + TOKEN_COMMITMENT_SIZE),
    },
  };
}

function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  const d = h.digest();
  return new Uint8Array(d.buffer, d.byteOffset, d.length);
}

/** Commitment of an allocated token: SHA-256 of the pool outputs offered (CompactSize count first). */
export function allocatedCommitment(outputsBytes: Uint8Array): Uint8Array {
  return sha256(outputsBytes);
}

/**
 * Commitment of a declared token: SHA-256(version u32 LE ‖ outputsBytes ‖
 * merkle path). `outputsBytes` are the coinbase outputs as declared, CompactSize
 * count first (SetCustomMiningJob.coinbase_tx_outputs); the path is the
 * coinbase's, 32-byte hashes deepest first (SetCustomMiningJob.merkle_path).
 */
export function declaredCommitment(
  version: number,
  outputsBytes: Uint8Array,
  merklePath: readonly Uint8Array[],
): Uint8Array {
  const v = new Uint8Array(4);
  new DataView(v.buffer).setUint32(0, u32(version, 'version'), true);
  for (const [i, h] of merklePath.entries()) {
    if (h.length !== 32) throw new RangeError(`merkle path hash ${i} is ${h.length} bytes, not 32`);
  }
  return sha256(v, outputsBytes, ...merklePath);
}

/**
 * The secret from its file text: 64 hex digits (surrounding white space
 * ignored). Throws an Error that never repeats the text.
 */
export function parseTokenSecret(text: string): Uint8Array {
  const t = text.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(t)) {
    throw new Error(
      `a job declaration token secret is ${TOKEN_SECRET_SIZE} bytes written as 64 hex digits (found ${t.length} characters)`,
    );
  }
  return Uint8Array.from(Buffer.from(t, 'hex'));
}
