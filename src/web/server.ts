// The pool's web server: a fastify application the pool starts in-process.
// Public pages and JSON API from the store and the live pool; sign-up,
// log-in and the account page behind signed cookies with CSRF tokens;
// Prometheus metrics on /metrics.
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import formbody from '@fastify/formbody';
import type { Logger } from '../log.js';
import { foldName, type Store } from '../store/index.js';
import { accountNameProblem, isPayoutAddress, MIN_PASSWORD_LENGTH } from './accounts.js';
import { accountJson, blocksJson, minerJson, minersJson, statsJson } from './api.js';
import { APP_JS, STYLE_CSS } from './assets.js';
import {
  CookieSigner,
  CSRF_COOKIE,
  CSRF_FIELD,
  parseCookies,
  SESSION_COOKIE,
  setCookie,
  type Session,
} from './auth/cookies.js';
import {
  DEFAULT_SCRYPT,
  hashPassword,
  MAX_PASSWORD_LENGTH,
  verifyPassword,
  type ScryptParams,
} from './auth/password.js';
import { FailureLimiter } from './auth/rate-limit.js';
import { RevokedSessions } from './auth/revoked.js';
import { resolveSessionSecret, type WebConfig } from './config.js';
import { engineOf } from './engine.js';
import type { Html } from './escape.js';
import type { PoolLive } from './live.js';
import { createMetrics } from './metrics.js';
import { accountPage, type AccountPageState } from './pages/account.js';
import {
  LOGIN_FAILED,
  LOGIN_LOCKED,
  loginPage,
  messagePage,
  signupPage,
  type FormState,
} from './pages/auth.js';
import { homePage } from './pages/home.js';
import { WebQueries, type AccountRecord } from './queries.js';
import { PublicSnapshot } from './snapshot.js';
import { accountView, poolView, publicHost, type WebContext } from './view.js';

export interface WebServerOptions {
  store: Store;
  live: PoolLive;
  config: WebConfig;
  logger: Logger;
  /** scrypt cost for new passwords (default DEFAULT_SCRYPT; tests use a cheaper one). */
  scrypt?: ScryptParams;
}

export interface WebServer {
  app: FastifyInstance;
  /** Starts listening; resolves with the bound address (port 0 = any free port). */
  listen(host: string, port: number): Promise<{ host: string; port: number }>;
  close(): Promise<void>;
}

const BODY_LIMIT = 16 * 1024;
const MAX_NAME_INPUT = 256;
const HOUR_MS = 3600_000;
/** Accounts per IP are limited more loosely than per account: several users may share an address. */
const IP_FAILURE_FACTOR = 4;

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

function field(body: unknown, name: string, max: number): string {
  const v = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  return typeof v === 'string' ? v.slice(0, max) : '';
}

export async function createWebServer(opts: WebServerOptions): Promise<WebServer> {
  const { store, live, config } = opts;
  const scryptParams = opts.scrypt ?? DEFAULT_SCRYPT;
  const signer = new CookieSigner(resolveSessionSecret(config));
  const engine = engineOf(store);
  const queries = new WebQueries(engine);
  const snapshot = new PublicSnapshot(store, queries, config.stats_cache);
  const ctx: WebContext = { store, live, config, queries, snapshot };
  const registry = createMetrics(ctx);
  const lockoutMs = config.login_lockout * 1000;
  // Lockouts, sign-up counts and log-outs live in the store: a restart forgets none of them.
  const [accountFailures, ipFailures, signups, revoked] = await Promise.all([
    FailureLimiter.open(engine, 'login_account', config.login_max_failures, lockoutMs),
    FailureLimiter.open(engine, 'login_ip', config.login_max_failures * IP_FAILURE_FACTOR, lockoutMs),
    FailureLimiter.open(engine, 'signup_ip', config.signup_per_hour, HOUR_MS),
    RevokedSessions.open(engine),
  ]);
  const sessions = new WeakMap<
    FastifyRequest,
    Promise<{ session: Session; account: AccountRecord } | null>
  >();

  const app = Fastify({
    loggerInstance: opts.logger.child({ component: 'web' }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    trustProxy: false,
  });
  void app.register(formbody, { bodyLimit: BODY_LIMIT });

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('content-security-policy', CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    const status =
      err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) request.log.error({ err: err.message, url: request.url }, 'web request failed');
    void reply
      .code(status)
      .type('text/plain; charset=utf-8')
      .send(status === 500 ? 'Internal error' : 'Bad request');
  });

  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith('/api/')) return reply.code(404).send({ error: 'not found' });
    return sendHtml(
      reply.code(404),
      messagePage('Not found', 'There is no such page.', csrfFor(request, reply)),
    );
  });

  // ---- helpers ---------------------------------------------------------------

  function sendHtml(reply: FastifyReply, page: Html): FastifyReply {
    return reply.type('text/html; charset=utf-8').send(page.text);
  }

  function secure(request: FastifyRequest): boolean {
    return request.protocol === 'https';
  }

  /** The CSRF token for the forms of this response, setting the seed cookie when missing. */
  function csrfFor(request: FastifyRequest, reply: FastifyReply): string {
    let seed = parseCookies(request.headers.cookie).get(CSRF_COOKIE);
    if (!seed || !/^[A-Za-z0-9_-]{16,64}$/.test(seed)) {
      seed = signer.newCsrfSeed();
      reply.header('set-cookie', setCookie(CSRF_COOKIE, seed, { secure: secure(request) }));
    }
    return signer.csrfToken(seed);
  }

  function csrfOk(request: FastifyRequest): boolean {
    const seed = parseCookies(request.headers.cookie).get(CSRF_COOKIE);
    const token = (request.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
    return signer.csrfValid(seed, token);
  }

  function refuseForgery(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    return sendHtml(
      reply.code(403),
      messagePage(
        'Form expired',
        'This form was not sent by this site, or it expired. Reload the page and try again.',
        csrfFor(request, reply),
      ),
    );
  }

  /** The request's signed-in session and account (read once per request). */
  function sessionOf(request: FastifyRequest): Promise<{ session: Session; account: AccountRecord } | null> {
    let result = sessions.get(request);
    if (!result) sessions.set(request, (result = readSession(request)));
    return result;
  }

  async function readSession(
    request: FastifyRequest,
  ): Promise<{ session: Session; account: AccountRecord } | null> {
    let session = signer.verifySession(parseCookies(request.headers.cookie).get(SESSION_COOKIE));
    if (session && (await revoked.has(session.sid))) session = null;
    const account = session ? await queries.accountById(session.account_id) : undefined;
    return session && account ? { session, account } : null;
  }

  function startSession(request: FastifyRequest, reply: FastifyReply, account_id: number): void {
    const { value } = signer.issueSession(account_id, config.session_ttl);
    reply.header(
      'set-cookie',
      setCookie(SESSION_COOKIE, value, { maxAgeSeconds: config.session_ttl, secure: secure(request) }),
    );
  }

  function host(request: FastifyRequest): string {
    return publicHost(config, request.hostname);
  }

  // ---- static ------------------------------------------------------------------

  app.get('/style.css', (_req, reply) =>
    reply.header('cache-control', 'public, max-age=3600').type('text/css; charset=utf-8').send(STYLE_CSS),
  );
  app.get('/app.js', (_req, reply) =>
    reply.header('cache-control', 'public, max-age=3600').type('text/javascript; charset=utf-8').send(APP_JS),
  );

  // ---- public pages ------------------------------------------------------------

  app.get('/', async (request, reply) => {
    const [s, view] = await Promise.all([sessionOf(request), poolView(ctx, host(request))]);
    const page = homePage(
      view,
      s ? { account: s.account.name } : null,
      csrfFor(request, reply),
      config.refresh_seconds,
    );
    return sendHtml(reply, page);
  });

  // ---- accounts ------------------------------------------------------------------

  app.get('/signup', (request, reply) =>
    sendHtml(reply, signupPage(csrfFor(request, reply), live.payout_mode)),
  );

  app.post('/signup', async (request, reply) => {
    if (!csrfOk(request)) return refuseForgery(request, reply);
    const csrf = csrfFor(request, reply);
    const name = field(request.body, 'name', MAX_NAME_INPUT).trim();
    const password = field(request.body, 'password', MAX_PASSWORD_LENGTH + 1);
    const again = (error: string, code = 400) =>
      sendHtml(reply.code(code), signupPage(csrf, live.payout_mode, { name, error }));
    if (await signups.locked(request.ip))
      return again('Too many new accounts from your address. Try again later.', 429);
    const problem = accountNameProblem(name, live.payout_mode, live.network);
    if (problem) return again(problem);
    if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
      return again(`Passwords are ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters.`);
    }
    const hash = await hashPassword(password, scryptParams);
    const payout = live.payout_mode === 'solo' ? name : null;
    if (!(await queries.createAccount(name, hash, payout))) return again('That account name is taken.', 409);
    await signups.fail(request.ip);
    const created = (await queries.accountByName(name))!;
    request.log.info({ account: created.name }, 'account created');
    startSession(request, reply, created.id);
    return reply.redirect('/account', 303);
  });

  app.get('/login', (request, reply) => sendHtml(reply, loginPage(csrfFor(request, reply))));

  app.post('/login', async (request, reply) => {
    if (!csrfOk(request)) return refuseForgery(request, reply);
    const csrf = csrfFor(request, reply);
    const name = field(request.body, 'name', MAX_NAME_INPUT).trim();
    const password = field(request.body, 'password', MAX_PASSWORD_LENGTH);
    const form: FormState = { name };
    const key = foldName(name);
    const [ipLocked, accountLocked] = await Promise.all([
      ipFailures.locked(request.ip),
      accountFailures.locked(key),
    ]);
    if (ipLocked || accountLocked) {
      return sendHtml(reply.code(429), loginPage(csrf, { ...form, error: LOGIN_LOCKED }));
    }
    const account = name === '' ? undefined : await queries.accountByName(name);
    // Unknown accounts cost one scrypt too (against a decoy), so timing does not tell them apart.
    const ok = await verifyPassword(password, account?.password_hash ?? null, scryptParams);
    if (!ok || !account) {
      await ipFailures.fail(request.ip);
      await accountFailures.fail(key);
      return sendHtml(reply.code(401), loginPage(csrf, { ...form, error: LOGIN_FAILED }));
    }
    await accountFailures.clear(key);
    startSession(request, reply, account.id);
    return reply.redirect('/account', 303);
  });

  app.post('/logout', async (request, reply) => {
    if (!csrfOk(request)) return refuseForgery(request, reply);
    const s = await sessionOf(request);
    if (s) await revoked.revoke(s.session.sid, s.session.expires);
    reply.header('set-cookie', setCookie(SESSION_COOKIE, '', { maxAgeSeconds: 0, secure: secure(request) }));
    return reply.redirect('/', 303);
  });

  async function renderAccount(
    request: FastifyRequest,
    reply: FastifyReply,
    account: AccountRecord,
    state: AccountPageState = {},
  ): Promise<FastifyReply> {
    const v = await accountView(ctx, account);
    if (!v) return reply.redirect('/login', 303);
    return sendHtml(reply, accountPage(v, csrfFor(request, reply), config.refresh_seconds, state));
  }

  app.get('/account', async (request, reply) => {
    const s = await sessionOf(request);
    if (!s) return reply.redirect('/login', 303);
    const saved = (request.query as Record<string, unknown>).saved === '1';
    return renderAccount(request, reply, s.account, saved ? { notice: 'Payout address saved.' } : {});
  });

  app.post('/account/payout-address', async (request, reply) => {
    if (!csrfOk(request)) return refuseForgery(request, reply);
    const s = await sessionOf(request);
    if (!s) return reply.redirect('/login', 303);
    if (live.payout_mode === 'solo') {
      reply.code(400);
      return renderAccount(request, reply, s.account, {
        error: 'In solo mode the payout address is the account name.',
      });
    }
    const address = field(request.body, 'address', 128).trim();
    if (!isPayoutAddress(address, live.network)) {
      reply.code(400);
      return renderAccount(request, reply, s.account, {
        error: `That is not an address of ${live.network_name}.`,
        address,
      });
    }
    await store.setPayoutAddress(s.account.name, address);
    request.log.info({ account: s.account.name }, 'payout address set');
    return reply.redirect('/account?saved=1', 303);
  });

  // ---- JSON API --------------------------------------------------------------------

  app.get('/api/stats', async (request) => statsJson(await poolView(ctx, host(request))));

  app.get('/api/blocks', async (request) => {
    const q = request.query as Record<string, unknown>;
    const limit = Math.min(100, Math.max(1, Number.parseInt(String(q.limit ?? '50'), 10) || 50));
    const offset = Math.max(0, Number.parseInt(String(q.offset ?? '0'), 10) || 0);
    return blocksJson(await store.ledger.blocks(limit, offset));
  });

  app.get('/api/miners', async () => minersJson(await snapshot.miners()));

  app.get('/api/miner/:account', async (request, reply) => {
    const name = String((request.params as Record<string, unknown>).account ?? '');
    const account = name.length > 0 && name.length <= 255 ? await queries.accountByName(name) : undefined;
    const v = account ? await accountView(ctx, account) : undefined;
    if (!v) return reply.code(404).send({ error: 'unknown account' });
    return minerJson(v);
  });

  app.get('/api/account', async (request, reply) => {
    const s = await sessionOf(request);
    const v = s ? await accountView(ctx, s.account) : undefined;
    if (!v) return reply.code(401).send({ error: 'log in first' });
    return accountJson(v);
  });

  app.get('/healthz', async (_request, reply) => {
    let database = true;
    try {
      await engine.get('SELECT 1');
    } catch {
      database = false;
    }
    const chain = live.chain();
    const body = {
      ok: database,
      database,
      template_age_seconds: chain ? Math.max(0, (Date.now() - chain.template_time) / 1000) : null,
      connections: live.connections(),
    };
    return reply.code(database ? 200 : 503).send(body);
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });

  return {
    app: app as unknown as FastifyInstance,
    async listen(listenHost: string, port: number) {
      await app.listen({ host: listenHost, port });
      const addr = app.server.address();
      if (addr === null || typeof addr === 'string') return { host: listenHost, port };
      return { host: addr.address, port: addr.port };
    },
    async close() {
      await app.close();
    },
  };
}
