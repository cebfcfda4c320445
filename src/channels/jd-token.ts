// mining_job_token of the Job Declaration Protocol as this stack issues it:
// the job declarator server signs tokens with a secret the pool shares, so
// the pool checks a SetCustomMiningJob's token without asking the JDS.
//
// Layout (66 bytes, carried in the B0_255 mining_job_token):
//   version u8 (= 1) | kind u8 (1 = allocated, 2 = declared) | token_id 8 bytes |
//   issued_at u32 LE (unix s) | expires_at u32 LE (unix s) | commitment 32 bytes | mac 16 bytes
// mac = the first 16 bytes of HMAC-SHA256(secret, every byte before it).
//
// commitment of an allocated token (AllocateMiningJobToken.Success): SHA-256
// of the pool outputs offered (the CompactSize-prefixed coinbase_tx_outputs).
// commitment of a declared token (DeclareMiningJob.Success): SHA-256 of
// version u32 LE ‖ the CompactSize-prefixed coinbase outputs as declared ‖
// the merkle path (32-byte hashes, deepest first); the pool recomputes it
// from SetCustomMiningJob, so the custom job is exactly what the JDS checked.
//
// Pure: times come in as `now`, milliseconds (Date.now()), like the rest of
// the channels layer; the token itself holds unix seconds.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';

export const TOKEN_VERSION = 1;
export const TOKEN_SIZE = 66;
export const TOKEN_ID_SIZE = 8;
export const TOKEN_MAC_SIZE = 16;
/** A token issued up to this many seconds in the future still verifies (clocks of two hosts). */
export const TOKEN_CLOCK_LEEWAY_SEC = 10;

export const TOKEN_KIND = { ALLOCATED: 1, DECLARED: 2 } as const;
export type TokenKind = (typeof TOKEN_KIND)[keyof typeof TOKEN_KIND];

export interface TokenFields {
  kind: TokenKind;
  /** 8 random bytes naming the token (single use is tracked by it). */
  token_id: Uint8Array;
  /** Unix seconds. */
  issued_at: number;
  /** Unix seconds; the token is valid while now < expires_at. */
  expires_at: number;
  /** 32 bytes: allocatedCommitment or declaredCommitment. */
  commitment: Uint8Array;
}

export interface Token extends TokenFields {
  version: number;
}

export type TokenRefusal = 'malformed' | 'bad-mac' | 'expired' | 'not-yet-valid' | 'unknown-version';

export type TokenVerdict = { ok: true; token: Token } | { ok: false; reason: TokenRefusal };

const BODY_SIZE = TOKEN_SIZE - TOKEN_MAC_SIZE;

function u32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
    throw new RangeError(`${what} must be a u32, got ${v}`);
  return v;
}

function mac(secret: Uint8Array, body: Uint8Array): Uint8Array {
  return hmac(sha256, secret, body).subarray(0, TOKEN_MAC_SIZE);
}

function checkSecret(secret: Uint8Array): void {
  if (secret.length < 16)
    throw new RangeError(`token secret must be at least 16 bytes, got ${secret.length}`);
}

/** Signs a token: the 66 bytes to put in mining_job_token. */
export function encodeToken(fields: TokenFields, secret: Uint8Array): Uint8Array {
  checkSecret(secret);
  if (fields.kind !== TOKEN_KIND.ALLOCATED && fields.kind !== TOKEN_KIND.DECLARED)
    throw new RangeError(`token kind must be 1 or 2, got ${String(fields.kind)}`);
  if (fields.token_id.length !== TOKEN_ID_SIZE)
    throw new RangeError(`token_id must be ${TOKEN_ID_SIZE} bytes, got ${fields.token_id.length}`);
  if (fields.commitment.length !== 32)
    throw new RangeError(`commitment must be 32 bytes, got ${fields.commitment.length}`);
  const out = new Uint8Array(TOKEN_SIZE);
  const view = new DataView(out.buffer);
  out[0] = TOKEN_VERSION;
  out[1] = fields.kind;
  out.set(fields.token_id, 2);
  view.setUint32(10, u32(fields.issued_at, 'issued_at'), true);
  view.setUint32(14, u32(fields.expires_at, 'expires_at'), true);
  out.set(fields.commitment, 18);
  out.set(mac(secret, out.subarray(0, BODY_SIZE)), BODY_SIZE);
  return out;
}

/** Compares two byte strings in time that depends only on their length. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * Checks a token's layout, MAC (constant-time) and lifetime at `now`
 * (milliseconds). Whether it was already used, issued before a restart or of
 * an acceptable kind is the caller's to decide.
 */
export function verifyToken(bytes: Uint8Array, secret: Uint8Array, now: number): TokenVerdict {
  checkSecret(secret);
  if (bytes.length === 0) return { ok: false, reason: 'malformed' };
  if (bytes[0] !== TOKEN_VERSION) return { ok: false, reason: 'unknown-version' };
  if (bytes.length !== TOKEN_SIZE) return { ok: false, reason: 'malformed' };
  if (!sameBytes(mac(secret, bytes.subarray(0, BODY_SIZE)), bytes.subarray(BODY_SIZE)))
    return { ok: false, reason: 'bad-mac' };
  const kind = bytes[1]!;
  if (kind !== TOKEN_KIND.ALLOCATED && kind !== TOKEN_KIND.DECLARED)
    return { ok: false, reason: 'malformed' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const issued_at = view.getUint32(10, true);
  const expires_at = view.getUint32(14, true);
  const seconds = Math.floor(now / 1000);
  if (issued_at > seconds + TOKEN_CLOCK_LEEWAY_SEC) return { ok: false, reason: 'not-yet-valid' };
  if (seconds >= expires_at) return { ok: false, reason: 'expired' };
  return {
    ok: true,
    token: {
      version: TOKEN_VERSION,
      kind,
      token_id: bytes.slice(2, 10),
      issued_at,
      expires_at,
      commitment: bytes.slice(18, 50),
    },
  };
}

/** Commitment of an allocated token: SHA-256 of the CompactSize-prefixed pool outputs offered. */
export function allocatedCommitment(coinbase_tx_outputs: Uint8Array): Uint8Array {
  return sha256(coinbase_tx_outputs);
}

/**
 * Commitment of a declared token: SHA-256(version u32 LE ‖ CompactSize-prefixed
 * coinbase outputs ‖ merkle path hashes, deepest first).
 */
export function declaredCommitment(
  version: number,
  coinbase_tx_outputs: Uint8Array,
  merkle_path: readonly Uint8Array[],
): Uint8Array {
  const h = sha256.create();
  const v = new Uint8Array(4);
  new DataView(v.buffer).setUint32(0, u32(version >>> 0, 'version'), true);
  h.update(v);
  h.update(coinbase_tx_outputs);
  for (const node of merkle_path) {
    if (node.length !== 32) throw new RangeError(`merkle path hashes are 32 bytes, got ${node.length}`);
    h.update(node);
  }
  return h.digest();
}
