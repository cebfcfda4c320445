// The tokens of one connection: AllocateMiningJobToken's rate limit (a token
// bucket), the allocated tokens not yet declared with, and the ids already
// used. A token is good on the connection it was allocated to, once.
import { randomBytes } from 'node:crypto';
import { TOKEN_KIND, encodeToken, verifyToken, type Token, type TokenKind } from '../../channels/jd-token.js';

export interface TokenPolicy {
  secret: Uint8Array;
  allocatedLifetimeSec: number;
  declaredLifetimeSec: number;
  /** Requests granted per second after the burst. */
  ratePerSec: number;
  burst: number;
  /** Allocated, undeclared, unexpired tokens per connection; null = no cap (coinbase-only connections). */
  maxOutstanding: number | null;
  /** Refused requests in a row before the connection is closed. */
  maxRefused: number;
}

export type AllocateVerdict =
  | { granted: true; token: Uint8Array; id: string; expires_at: number }
  | { granted: false; why: 'rate' | 'outstanding'; flood: boolean };

export type UseVerdict = { ok: true; token: Token } | { ok: false; details: string };

export class ConnectionTokens {
  readonly #p: TokenPolicy;
  #bucket: number;
  #lastRefillMs: number;
  #refusedInARow = 0;
  /** Allocated here, not declared with yet: id → expires_at. */
  readonly #outstanding = new Map<string, number>();
  /** Declared with (or otherwise spent): id → expires_at, kept until expiry. */
  readonly #used = new Map<string, number>();

  constructor(policy: TokenPolicy, nowMs: number) {
    this.#p = policy;
    this.#bucket = policy.burst;
    this.#lastRefillMs = nowMs;
  }

  get outstanding(): number {
    return this.#outstanding.size;
  }

  /** AllocateMiningJobToken: a new allocated token, or why not (and whether to close the connection). */
  allocate(commitment: Uint8Array, nowMs: number): AllocateVerdict {
    const now = Math.floor(nowMs / 1000);
    this.#prune(now);
    this.#bucket = Math.min(
      this.#p.burst,
      this.#bucket + ((nowMs - this.#lastRefillMs) / 1000) * this.#p.ratePerSec,
    );
    this.#lastRefillMs = nowMs;
    let why: 'rate' | 'outstanding' | undefined;
    if (this.#bucket < 1) why = 'rate';
    else if (this.#p.maxOutstanding !== null && this.#outstanding.size >= this.#p.maxOutstanding)
      why = 'outstanding';
    if (why !== undefined) {
      this.#refusedInARow++;
      return { granted: false, why, flood: this.#refusedInARow >= this.#p.maxRefused };
    }
    this.#bucket -= 1;
    this.#refusedInARow = 0;
    const issued = this.issue(TOKEN_KIND.ALLOCATED, commitment, now);
    this.#outstanding.set(issued.id, issued.expires_at);
    return { granted: true, ...issued };
  }

  /** A signed token of `kind`; declared tokens are not tracked here (the pool consumes them). */
  issue(
    kind: TokenKind,
    commitment: Uint8Array,
    now: number,
  ): { token: Uint8Array; id: string; expires_at: number } {
    const token_id = new Uint8Array(randomBytes(8));
    const lifetime =
      kind === TOKEN_KIND.ALLOCATED ? this.#p.allocatedLifetimeSec : this.#p.declaredLifetimeSec;
    const expires_at = now + Math.max(1, Math.round(lifetime));
    const token = encodeToken({ kind, token_id, issued_at: now, expires_at, commitment }, this.#p.secret);
    return { token, id: Buffer.from(token_id).toString('hex'), expires_at };
  }

  /**
   * DeclareMiningJob's token: verifies, must be an allocated token of this
   * connection not used before; it is used from here on, whatever the
   * declaration's outcome.
   */
  use(bytes: Uint8Array, nowMs: number): UseVerdict {
    const now = Math.floor(nowMs / 1000);
    this.#prune(now);
    const v = verifyToken(bytes, this.#p.secret, now);
    if (!v.ok) return { ok: false, details: `token refused: ${v.reason}` };
    const t = v.token;
    if (t.kind !== TOKEN_KIND.ALLOCATED) {
      return {
        ok: false,
        details: 'not an allocated token (a DeclareMiningJob.Success token goes to the pool)',
      };
    }
    if (this.#used.has(t.id)) return { ok: false, details: 'token already used' };
    if (!this.#outstanding.has(t.id)) return { ok: false, details: 'token not allocated on this connection' };
    this.#outstanding.delete(t.id);
    this.#used.set(t.id, t.expires_at);
    return { ok: true, token: t };
  }

  #prune(now: number): void {
    for (const [id, exp] of this.#outstanding) if (exp < now) this.#outstanding.delete(id);
    for (const [id, exp] of this.#used) if (exp < now) this.#used.delete(id);
  }
}
