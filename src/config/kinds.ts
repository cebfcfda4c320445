// Value kinds many roles share: socket addresses, network names, paths,
// durations and URLs.
import { isAbsolute, resolve } from 'node:path';
import { NETWORKS, type NetworkName } from '../rpc/chain.js';
import {
  INVALID,
  makeField,
  mismatch,
  type Common,
  type Field,
  type Presence,
  type Validator,
} from './fields.js';

type NoOpts = Record<never, never>;

export interface SocketAddress {
  host: string;
  port: number;
}

/** `host:port` → parts; IPv6 hosts in brackets (`[::1]:3333`). Undefined when malformed. */
export function parseSocketAddress(s: string): SocketAddress | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+)):(\d{1,5})$/.exec(s);
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: (m[1] ?? m[2]) as string, port };
}

/** Formats back to `host:port` (brackets for IPv6). */
export function formatSocketAddress(a: SocketAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** A `"host:port"` string (port 0 lets the system choose when listening). */
export function socketAddress<const O extends Common<string> = NoOpts>(
  opts?: O,
): Field<SocketAddress | Presence<O>> {
  const expected = '"host:port"';
  return makeField<SocketAddress>(
    'string',
    expected,
    (raw, key, ctx) => {
      const a = typeof raw === 'string' ? parseSocketAddress(raw) : undefined;
      return a ?? mismatch(ctx, key, expected, raw);
    },
    opts ?? {},
  ) as Field<SocketAddress | Presence<O>>;
}

/** One of Strata's network names. */
export function network<const O extends Common<NetworkName> = NoOpts>(
  opts?: O,
): Field<NetworkName | Presence<O>> {
  const expected = 'a network: ' + NETWORKS.map((n) => JSON.stringify(n)).join(', ');
  return makeField<NetworkName>(
    'string',
    expected,
    (raw, key, ctx) =>
      typeof raw === 'string' && (NETWORKS as readonly string[]).includes(raw)
        ? (raw as NetworkName)
        : mismatch(ctx, key, expected, raw),
    opts ?? {},
  ) as Field<NetworkName | Presence<O>>;
}

/** A file system path; relative paths are taken relative to the config file's directory. */
export function path<const O extends Common<string> & { validate?: Validator<string> } = NoOpts>(
  opts?: O,
): Field<string | Presence<O>> {
  return makeField<string>(
    'string',
    'a path',
    (raw, key, ctx) => {
      if (typeof raw !== 'string' || raw === '') return mismatch(ctx, key, 'a path', raw);
      return isAbsolute(raw) ? raw : resolve(ctx.baseDirFor(key), raw);
    },
    opts ?? {},
  ) as Field<string | Presence<O>>;
}

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds from a number (`30`) or a string with a unit (`"500ms"`, `"30s"`, `"5m"`, `"1h"`). */
export function parseDuration(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) && raw >= 0 ? raw : undefined;
  if (typeof raw !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(raw.trim());
  if (m === null) return undefined;
  return Number(m[1]) * (UNIT_SECONDS[m[2] as string] as number);
}

/** A duration, as a number of seconds. */
export function seconds<const O extends Common<number | string> & { min?: number; max?: number } = NoOpts>(
  opts?: O,
): Field<number | Presence<O>> {
  const o: Common<number | string> & { min?: number; max?: number } = opts ?? {};
  let expected = 'a duration in seconds (e.g. 30, "500ms", "5m")';
  if (o.min !== undefined) expected += `, at least ${o.min}`;
  if (o.max !== undefined) expected += `, at most ${o.max}`;
  return makeField<number>(
    'number',
    expected,
    (raw, key, ctx) => {
      const s = parseDuration(raw);
      if (s === undefined || (o.min !== undefined && s < o.min) || (o.max !== undefined && s > o.max)) {
        return mismatch(ctx, key, expected, raw);
      }
      return s;
    },
    o,
  ) as Field<number | Presence<O>>;
}

/** An http:// or https:// URL (or the protocols given). */
export function url<const O extends Common<string> & { protocols?: readonly string[] } = NoOpts>(
  opts?: O,
): Field<string | Presence<O>> {
  const protocols = opts?.protocols ?? ['http', 'https'];
  const expected = `a URL (${protocols.map((p) => p + '://').join(' or ')}…)`;
  return makeField<string>(
    'string',
    expected,
    (raw, key, ctx) => {
      if (typeof raw !== 'string') return mismatch(ctx, key, expected, raw);
      try {
        // libpq's unix-socket form (postgres://user@/db?host=/run/postgresql) has
        // no host after the user, which the URL parser refuses: read it as local.
        const local = protocols.includes('http')
          ? raw
          : raw.replace(/^([a-z]+:\/\/[^/@]*@)\//i, '$1localhost/');
        const u = new URL(local);
        if (protocols.includes(u.protocol.slice(0, -1))) return raw;
      } catch {
        // falls through to the report
      }
      return mismatch(ctx, key, expected, raw) satisfies typeof INVALID;
    },
    opts ?? {},
  ) as Field<string | Presence<O>>;
}
