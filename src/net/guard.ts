// Admission of connections: how many in total and per IP
// address (farms behind one NAT address are allow-listed), and a token
// bucket per connection for mining.submit.
import { isIPv4 } from 'node:net';

export type Admission = { ok: true } | { ok: false; reason: string };

/** "1.2.3.4", "1.2.3.0/24" or an IPv6 address (exact match). */
export function ipMatcher(entries: readonly string[]): (ip: string) => boolean {
  const exact = new Set<string>();
  const ranges: { base: number; mask: number }[] = [];
  for (const e of entries) {
    const [addr, bits] = e.split('/');
    if (bits !== undefined && addr !== undefined && isIPv4(addr)) {
      const n = Number(bits);
      if (!Number.isInteger(n) || n < 0 || n > 32) throw new Error(`bad CIDR range "${e}"`);
      const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
      ranges.push({ base: (ipv4ToInt(addr) & mask) >>> 0, mask });
    } else {
      exact.add(e);
    }
  }
  return (raw: string) => {
    const ip = raw.startsWith('::ffff:') ? raw.slice(7) : raw;
    if (exact.has(ip) || exact.has(raw)) return true;
    if (ranges.length === 0 || !isIPv4(ip)) return false;
    const v = ipv4ToInt(ip);
    return ranges.some((r) => (v & r.mask) >>> 0 === r.base);
  };
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
}

export interface AdmissionOptions {
  maxConnections: number;
  maxPerIp: number;
  allowed: (ip: string) => boolean;
}

export class ConnectionGuard {
  private total = 0;
  private readonly perIp = new Map<string, number>();

  constructor(private readonly o: AdmissionOptions) {}

  get open(): number {
    return this.total;
  }

  /** Counts the connection in if allowed; call release() once it ends. */
  admit(ip: string): Admission {
    if (this.total >= this.o.maxConnections) return { ok: false, reason: 'too many connections' };
    const n = this.perIp.get(ip) ?? 0;
    if (n >= this.o.maxPerIp && !this.o.allowed(ip)) {
      return { ok: false, reason: 'too many connections from this address' };
    }
    this.total++;
    this.perIp.set(ip, n + 1);
    return { ok: true };
  }

  release(ip: string): void {
    this.total--;
    const n = (this.perIp.get(ip) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, n);
  }
}

/**
 * A token bucket's state, kept by its owner: a miner connection holds these
 * two numbers itself rather than an object of its own.
 */
export interface TokenBucket {
  tokens: number;
  /** When tokens were last added (ms). */
  tokensAt: number;
}

/**
 * Takes one token from `b`, which gains `rate` tokens per second and saves
 * up at most `burst`; false when none is left. A full bucket starts as
 * `{ tokens: burst, tokensAt: now }`.
 */
export function takeToken(b: TokenBucket, rate: number, burst: number, now: number): boolean {
  if (now > b.tokensAt) {
    b.tokens = Math.min(burst, b.tokens + ((now - b.tokensAt) / 1000) * rate);
    b.tokensAt = now;
  }
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}
