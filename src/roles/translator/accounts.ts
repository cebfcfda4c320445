// Whether the pool knows a V1 miner's user name (`account.worker`), asked at
// mining.authorize with a probe channel on the current upstream. Verdicts
// are cached per (pool, name) so a fleet reconnecting at once costs the pool
// one probe per name; an outage never locks miners out: without an upstream
// in time, or without an answer, the miner is accepted provisionally.
import { USER_IDENTITY_TLV } from '../../messages/index.js';
import type { Logger } from '../../log.js';
import type { AuthorizeAnswer } from '../../sv1/index.js';
import type { UpstreamConnection } from './upstream.js';

/** How long the pool's verdicts are trusted. */
export const ACCEPTED_TTL_MS = 10 * 60_000;
export const REFUSED_TTL_MS = 30_000;
/** Verdicts kept at most (oldest dropped first). */
const MAX_CACHED = 100_000;
/** OpenExtendedMiningChannel.user_identity is a STR0_255. */
const MAX_IDENTITY_BYTES = 255;

export interface AccountCheckOptions {
  /** The upstream to ask, once one is up (waiting at most `ms`); undefined if none came. */
  upstream(ms: number): Promise<UpstreamConnection | undefined>;
  logger: Logger;
  /** How long to wait for an upstream before accepting provisionally. */
  waitMs?: number;
  /** How long to wait for the pool's answer to a probe. */
  probeTimeoutMs?: number;
  now?: () => number;
}

interface Verdict {
  answer: AuthorizeAnswer;
  until: number;
}

/** UTF-8 length, or undefined for a string with no UTF-8 form (a lone surrogate). */
function utf8Bytes(s: string): number | undefined {
  // In u-mode a surrogate pair is one code point: only lone halves match.
  if (/\p{Cs}/u.test(s)) return undefined;
  return Buffer.byteLength(s, 'utf8');
}

/** The name as the 0x0002 user_identity TLV can carry it (≤ 32 bytes), else undefined. */
export function tlvIdentity(name: string): string | undefined {
  try {
    USER_IDENTITY_TLV.value.size(name, 'user_identity');
    return name;
  } catch {
    return undefined;
  }
}

export class AccountCheck {
  private readonly verdicts = new Map<string, Verdict>();
  private readonly asking = new Map<string, Promise<AuthorizeAnswer | undefined>>();
  private readonly log: Logger;
  private readonly waitMs: number;
  private readonly probeTimeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly o: AccountCheckOptions) {
    this.log = o.logger;
    this.waitMs = o.waitMs ?? 5_000;
    this.probeTimeoutMs = o.probeTimeoutMs ?? 10_000;
    this.now = o.now ?? Date.now;
  }

  /** Cached verdicts (for tests and metrics). */
  get size(): number {
    return this.verdicts.size;
  }

  /** The pool's verdict on `user`, with the SV1 reason when it refuses. */
  async check(user: string): Promise<AuthorizeAnswer> {
    const bytes = utf8Bytes(user);
    if (bytes === undefined || bytes > MAX_IDENTITY_BYTES) {
      return { ok: false, reason: 'Unauthorized worker: invalid-user-identity' };
    }
    const deadline = this.now() + this.waitMs;
    // A pool lost mid-probe: ask the next one while the wait lasts.
    for (let attempt = 0; attempt < 3; attempt++) {
      const conn = await this.o.upstream(Math.max(1, deadline - this.now()));
      if (conn === undefined) break;
      const key = `${conn.target.name}\n${user}`;
      const cached = this.verdicts.get(key);
      if (cached !== undefined && cached.until > this.now()) return cached.answer;
      let pending = this.asking.get(key);
      if (pending === undefined) {
        pending = this.ask(conn, key, user).finally(() => this.asking.delete(key));
        this.asking.set(key, pending);
      }
      const answer = await pending;
      if (answer !== undefined) return answer;
      if (this.now() >= deadline) break;
    }
    this.log.warn({ user }, 'pool not reachable to check the account: miner accepted provisionally');
    return { ok: true };
  }

  /** One probe; undefined when the pool gave no verdict. */
  private async ask(
    conn: UpstreamConnection,
    key: string,
    user: string,
  ): Promise<AuthorizeAnswer | undefined> {
    const r = await conn.probe(user, this.probeTimeoutMs);
    if (r.kind === 'unavailable') {
      this.log.warn({ user, upstream: conn.target.name, reason: r.reason }, 'account check got no answer');
      return undefined;
    }
    const answer: AuthorizeAnswer =
      r.kind === 'accepted' ? { ok: true } : { ok: false, reason: `Unauthorized worker: ${r.error_code}` };
    this.remember(key, answer, r.kind === 'accepted' ? ACCEPTED_TTL_MS : REFUSED_TTL_MS);
    this.log.info(
      { user, upstream: conn.target.name, ...(r.kind === 'refused' ? { error_code: r.error_code } : {}) },
      r.kind === 'accepted' ? 'account accepted by the pool' : 'account refused by the pool',
    );
    return answer;
  }

  private remember(key: string, answer: AuthorizeAnswer, ttl: number): void {
    const now = this.now();
    this.verdicts.delete(key);
    if (this.verdicts.size >= MAX_CACHED) {
      for (const [k, v] of this.verdicts) if (v.until <= now) this.verdicts.delete(k);
      while (this.verdicts.size >= MAX_CACHED) this.verdicts.delete(this.verdicts.keys().next().value!);
    }
    this.verdicts.set(key, { answer, until: now + ttl });
  }
}
