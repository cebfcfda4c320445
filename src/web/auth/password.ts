// Password hashing with scrypt (node:crypto). The stored form carries its own
// parameters and salt: `scrypt$<log2 N>$<r>$<p>$<salt b64url>$<key b64url>`, so
// the cost can be raised later without breaking existing accounts.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  log2n: number;
  r: number;
  p: number;
}

/** N = 2^15, r = 8, p = 1: 32 MiB and a few tens of milliseconds per hash. */
export const DEFAULT_SCRYPT: ScryptParams = { log2n: 15, r: 8, p: 1 };

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
/** Limits on stored parameters, so a tampered row cannot make us burn memory. */
const MAX_LOG2N = 20;
const MAX_R = 32;
const MAX_P = 16;
export const MAX_PASSWORD_LENGTH = 1024;

/** scrypt runs so far (tests check that unknown accounts cost one too). */
export const passwordWork = { derivations: 0 };

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  passwordWork.derivations++;
  const N = 2 ** params.log2n;
  const opts: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, opts, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, params);
  return [
    'scrypt',
    params.log2n,
    params.r,
    params.p,
    salt.toString('base64url'),
    key.toString('base64url'),
  ].join('$');
}

interface Parsed {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

function parse(stored: string): Parsed | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [log2n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![log2n, r, p].every(Number.isInteger)) return null;
  if (log2n < 1 || log2n > MAX_LOG2N || r < 1 || r > MAX_R || p < 1 || p > MAX_P) return null;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const key = Buffer.from(parts[5]!, 'base64url');
  if (salt.length === 0 || key.length !== KEY_LENGTH) return null;
  return { params: { log2n, r, p }, salt, key };
}

/** Hashes of nothing anyone knows, checked when the account does not exist so both paths cost the same. */
const decoys = new Map<string, Promise<string>>();

/**
 * True when `password` matches `stored`. With `stored` null (no such account,
 * or no password set) it still runs scrypt on a decoy and returns false, so
 * the answer takes as long as for a wrong password.
 */
export async function verifyPassword(
  password: string,
  stored: string | null,
  decoyParams: ScryptParams = DEFAULT_SCRYPT,
): Promise<boolean> {
  const parsed = stored === null ? null : parse(stored);
  if (parsed === null) {
    const id = `${decoyParams.log2n}/${decoyParams.r}/${decoyParams.p}`;
    let decoy = decoys.get(id);
    if (!decoy) decoys.set(id, (decoy = hashPassword(randomBytes(16).toString('hex'), decoyParams)));
    const d = parse(await decoy) as Parsed;
    await derive(password, d.salt, d.params);
    return false;
  }
  const key = await derive(password, parsed.salt, parsed.params);
  return timingSafeEqual(key, parsed.key);
}
