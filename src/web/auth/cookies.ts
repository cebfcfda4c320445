// Signed cookies for sessions and CSRF tokens. A session cookie is
// `<account id>.<expiry ms>.<random id>.<HMAC-SHA256>`; the server keeps no
// session table, only the ids of sessions logged out before they expired
// (RevokedSessions, in the store). The signer itself holds no state.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'strata_session';
export const CSRF_COOKIE = 'strata_csrf';
/** The form field every POST carries. */
export const CSRF_FIELD = 'csrf';

export interface Session {
  account_id: number;
  expires: number;
  sid: string;
}

/** `name=value; ...` → map (first occurrence wins; malformed pairs skipped). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const raw of header.split(';')) {
    const pair = raw.trim();
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (!out.has(name)) out.set(name, value);
  }
  return out;
}

export interface CookieOptions {
  maxAgeSeconds?: number;
  secure?: boolean;
}

/** A Set-Cookie value: HttpOnly, SameSite=Strict, path /. */
export function setCookie(name: string, value: string, o: CookieOptions = {}): string {
  const parts = [`${name}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Strict'];
  if (o.maxAgeSeconds !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(o.maxAgeSeconds))}`);
  if (o.secure) parts.push('Secure');
  return parts.join('; ');
}

export class CookieSigner {
  readonly #secret: Buffer;

  constructor(secret: Buffer) {
    if (secret.length < 16) throw new RangeError('session secret must be at least 16 bytes');
    this.#secret = secret;
  }

  #mac(purpose: string, data: string): Buffer {
    return createHmac('sha256', this.#secret).update(`${purpose}|${data}`).digest();
  }

  #macMatches(purpose: string, data: string, mac: string): boolean {
    const want = this.#mac(purpose, data);
    const got = Buffer.from(mac, 'base64url');
    return got.length === want.length && timingSafeEqual(got, want);
  }

  issueSession(
    account_id: number,
    ttlSeconds: number,
    now = Date.now(),
  ): { value: string; session: Session } {
    const session = {
      account_id,
      expires: now + ttlSeconds * 1000,
      sid: randomBytes(16).toString('base64url'),
    };
    const data = `${session.account_id}.${session.expires}.${session.sid}`;
    return { value: `${data}.${this.#mac('session', data).toString('base64url')}`, session };
  }

  /**
   * The session a cookie value proves, or null (bad signature, expired). A
   * logged-out session still verifies: check RevokedSessions too.
   */
  verifySession(value: string | undefined, now = Date.now()): Session | null {
    if (!value) return null;
    const parts = value.split('.');
    if (parts.length !== 4) return null;
    const [id, exp, sid, mac] = parts as [string, string, string, string];
    if (!/^\d{1,15}$/.test(id) || !/^\d{1,15}$/.test(exp)) return null;
    if (!this.#macMatches('session', `${id}.${exp}.${sid}`, mac)) return null;
    const expires = Number(exp);
    if (expires <= now) return null;
    return { account_id: Number(id), expires, sid };
  }

  /** A fresh random value for the CSRF cookie. */
  newCsrfSeed(): string {
    return randomBytes(18).toString('base64url');
  }

  /** The token forms carry, derived from the CSRF cookie. */
  csrfToken(seed: string): string {
    return this.#mac('csrf', seed).toString('base64url');
  }

  csrfValid(seed: string | undefined, token: unknown): boolean {
    if (!seed || typeof token !== 'string' || token.length > 100) return false;
    return this.#macMatches('csrf', seed, token);
  }
}
