// The `[web]` table of the pool's settings: where the page listens, the host
// name shown in the connection URLs, sessions, login rate limits and how
// long pool-wide figures are shared between requests.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  boolean,
  integer,
  path,
  seconds,
  socketAddress,
  string,
  table,
  type ConfigOf,
} from '../config/index.js';

export const WEB_FIELDS = {
  enabled: boolean({ default: true, doc: 'serve the web page, JSON API and /metrics' }),
  listen_address: socketAddress({
    default: '0.0.0.0:8080',
    doc: 'where the web page listens; port 0 = any free port',
  }),
  public_host: string({
    default: '',
    doc: 'host name miners connect to, shown in the connection URLs; empty = the Host header of the request',
  }),
  translator_port: integer({
    default: 34255,
    min: 1,
    max: 65535,
    doc: 'port of the translator (V1 firmware) shown on the page',
  }),
  sv2_port: integer({
    default: 0,
    min: 0,
    max: 65535,
    doc: "SV2 port shown on the page; 0 = the pool's own listen port",
  }),
  session_secret: string({
    default: '',
    doc: 'key that signs session cookies; empty = generated once and kept in session_secret_file',
  }),
  session_secret_file: path({
    doc: 'where a generated session key is kept (so logins survive a restart); unset = web-session.key next to the database',
  }),
  session_ttl: seconds({ default: 86400, min: 60, doc: 'how long a login lasts' }),
  login_max_failures: integer({
    default: 5,
    min: 1,
    doc: 'failed logins per account (and 4× that per IP address) before login is locked; counted in the database, so a lock outlives a restart',
  }),
  login_lockout: seconds({ default: 900, min: 1, doc: 'how long the failures count and a lock lasts' }),
  signup_per_hour: integer({ default: 20, min: 1, doc: 'new accounts per IP address and hour' }),
  refresh_seconds: integer({
    default: 30,
    min: 0,
    doc: 'the public pages reload their figures this often; 0 = never',
  }),
  stats_cache: seconds({
    default: 1,
    min: 0,
    max: 60,
    doc: 'pool-wide figures (/api/stats, /api/miners, home page, /metrics) are read from the database at most this often and shared between requests; 0 = on every request',
  }),
};

/** Add as `web: WEB_SCHEMA` to a role's schema. */
export const WEB_SCHEMA = table(WEB_FIELDS, { doc: 'web page, JSON API and Prometheus metrics' });

export type WebConfig = ConfigOf<typeof WEB_FIELDS>;

/** Every default, for tests and embedders that start from code. */
export function defaultWebConfig(overrides: Partial<WebConfig> = {}): WebConfig {
  return {
    enabled: true,
    listen_address: { host: '0.0.0.0', port: 8080 },
    public_host: '',
    translator_port: 34255,
    sv2_port: 0,
    session_secret: '',
    session_secret_file: undefined,
    session_ttl: 86400,
    login_max_failures: 5,
    login_lockout: 900,
    signup_per_hour: 20,
    refresh_seconds: 30,
    stats_cache: 1,
    ...overrides,
  };
}

/**
 * The key that signs cookies: the configured secret, or one generated on
 * first start and kept in `file` (mode 0600) so logins survive restarts.
 */
export function resolveSessionSecret(cfg: Pick<WebConfig, 'session_secret' | 'session_secret_file'>): Buffer {
  if (cfg.session_secret !== '') return Buffer.from(cfg.session_secret, 'utf8');
  if (cfg.session_secret_file === undefined) {
    throw new Error('[web] needs session_secret or session_secret_file to sign logins');
  }
  const file = cfg.session_secret_file;
  try {
    const text = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{64}$/.test(text)) return Buffer.from(text, 'hex');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = randomBytes(32);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, key.toString('hex') + '\n', { mode: 0o600 });
  return key;
}

/** The default secret file next to the pool database. */
export function secretFileNear(databasePath: string): string {
  return join(dirname(databasePath), 'web-session.key');
}
