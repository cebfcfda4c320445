// A JSON-RPC client for Bitcoin Core over the global fetch: auth, per-call
// timeouts, caller aborts, bounded retries, and one clear error per failure.
import type { Logger } from 'pino';
import { Credentials, type RpcAuth } from './auth.js';
import { RpcError, fromRpcErrorObject, type RpcErrorKind } from './errors.js';

export interface RetryPolicy {
  /** Total tries including the first (1 = never retry). */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, initialDelayMs: 250, maxDelayMs: 5000, factor: 2 };
export const DEFAULT_TIMEOUT_MS = 30_000;

export interface RpcClientOptions {
  /** e.g. http://127.0.0.1:8332 or http://127.0.0.1:8332/wallet/pool; `user:password@` is accepted. */
  url: string;
  /** Defaults to the URL's user:password if present, else no auth. */
  auth?: RpcAuth;
  /** Per-call timeout; 0 means none. Default 30 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** The `jsonrpc` field sent; replies of both versions are understood. Default '1.0'. */
  jsonrpc?: '1.0' | '2.0';
  logger?: Pick<Logger, 'warn' | 'debug'>;
}

export interface CallOptions {
  /** Overrides the client's timeout for this call; 0 means none. */
  timeoutMs?: number;
  /** Aborts the call (and any wait between retries). */
  signal?: AbortSignal;
  /** Whether running the call twice is harmless; decides retries after a timeout or a dropped reply. */
  idempotent?: boolean;
  /** false disables retries for this call. */
  retry?: boolean | Partial<RetryPolicy>;
}

type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

// Marks which of our own aborts fired.
const TIMED_OUT = Symbol('timed out');

export class JsonRpcClient {
  /** The node's URL without credentials, as shown in messages. */
  readonly url: string;
  private readonly endpoint: string;
  private readonly credentials: Credentials;
  private readonly timeoutMs: number;
  private readonly retryPolicy: RetryPolicy;
  private readonly version: '1.0' | '2.0';
  private readonly logger: Pick<Logger, 'warn' | 'debug'> | undefined;
  private nextId = 1;

  constructor(opts: RpcClientOptions) {
    let u: URL;
    try {
      u = new URL(opts.url);
    } catch {
      throw new TypeError(
        `invalid Bitcoin Core RPC URL ${JSON.stringify(opts.url)} (expected http://host:port)`,
      );
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw new TypeError(`invalid Bitcoin Core RPC URL ${JSON.stringify(opts.url)}: use http://host:port`);
    }
    let auth = opts.auth;
    if (u.username !== '' || u.password !== '') {
      auth ??= { user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
      // fetch refuses URLs that carry credentials.
      u.username = '';
      u.password = '';
    }
    this.endpoint = u.toString();
    this.url = `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
    this.credentials = new Credentials(auth ?? { none: true });
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.retryPolicy = { ...DEFAULT_RETRY, ...opts.retry };
    this.version = opts.jsonrpc ?? '1.0';
    this.logger = opts.logger;
  }

  /** Calls `method` and returns its result, retrying where a retry cannot do harm. */
  call<T>(method: string, params: unknown[] = [], opts: CallOptions = {}): Promise<T> {
    return this.withRetry(method, opts, () => this.once<T>(method, params, opts));
  }

  /**
   * Calls `method` once per entry of `paramsList` in one HTTP request (a
   * JSON-RPC batch, which Bitcoin Core answers with an array); results come
   * back in order, each the result or that call's RpcError. A failure of the
   * request itself (connection, auth, a reply that is no batch) throws.
   */
  callBatch<T>(
    method: string,
    paramsList: readonly unknown[][],
    opts: CallOptions = {},
  ): Promise<(T | RpcError)[]> {
    if (paramsList.length === 0) return Promise.resolve([]);
    return this.withRetry(method, opts, async () => {
      const first = this.nextId;
      this.nextId += paramsList.length;
      const body = JSON.stringify(
        paramsList.map((params, i) => ({ jsonrpc: this.version, id: first + i, method, params })),
      );
      const { status, text } = await this.post(method, body, opts);
      return this.parseBatchReply<T>(method, first, paramsList.length, status, text);
    });
  }

  private async withRetry<T>(method: string, opts: CallOptions, attemptOnce: () => Promise<T>): Promise<T> {
    const policy: RetryPolicy =
      opts.retry === false
        ? { ...this.retryPolicy, attempts: 1 }
        : { ...this.retryPolicy, ...(opts.retry === true ? {} : opts.retry) };
    const idempotent = opts.idempotent ?? true;
    let delay = policy.initialDelayMs;
    let cookieRefreshed = false;
    for (let attempt = 1; ; attempt++) {
      try {
        return await attemptOnce();
      } catch (e) {
        if (!(e instanceof RpcError)) throw e;
        if (e.kind === 'connection' || e.kind === 'cookie') this.credentials.invalidate();
        // A restarted node writes a new cookie: read it again once and retry at once.
        if (e.kind === 'unauthorized' && this.credentials.usesCookie && !cookieRefreshed) {
          cookieRefreshed = true;
          this.credentials.invalidate();
          attempt--;
          continue;
        }
        if (attempt >= policy.attempts || !shouldRetry(e, idempotent)) throw e;
        this.logger?.warn(
          { method, attempt, retry_in_ms: delay, kind: e.kind },
          `${e.message}; retrying (${attempt}/${policy.attempts - 1})`,
        );
        await sleep(delay, opts.signal, () => this.abortedError(method));
        delay = Math.min(policy.maxDelayMs, delay * policy.factor);
      }
    }
  }

  private abortedError(method: string): RpcError {
    return new RpcError('aborted', `${method} call to Bitcoin Core at ${this.url} was aborted`, {
      url: this.url,
      method,
    });
  }

  /** One HTTP round trip; every failure becomes an RpcError. */
  private async once<T>(method: string, params: unknown[], opts: CallOptions): Promise<T> {
    const id = this.nextId++;
    const body = JSON.stringify({ jsonrpc: this.version, id, method, params });
    const { status, text } = await this.post(method, body, opts);
    return this.parseReply<T>(method, id, status, text);
  }

  /** POSTs a request body; connection, cookie, timeout and abort failures become RpcErrors. */
  private async post(
    method: string,
    body: string,
    opts: CallOptions,
  ): Promise<{ status: number; text: string }> {
    const url = this.url;
    if (opts.signal?.aborted === true) throw this.abortedError(method);
    let authHeader: string | undefined;
    try {
      authHeader = await this.credentials.header();
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
      throw new RpcError(
        'cookie',
        `cannot read the RPC cookie file ${this.credentials.cookieFile ?? ''}: ${why} — is bitcoind running, with this datadir and network?`,
        { url, method, cause: e },
      );
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (authHeader !== undefined) headers.authorization = authHeader;

    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const ctrl = new AbortController();
    const timer = timeoutMs > 0 ? setTimeout(() => ctrl.abort(TIMED_OUT), timeoutMs) : undefined;
    const onCallerAbort = (): void => ctrl.abort(opts.signal?.reason);
    opts.signal?.addEventListener('abort', onCallerAbort, { once: true });
    let status: number;
    let text: string;
    try {
      const res = await fetch(this.endpoint, { method: 'POST', headers, body, signal: ctrl.signal });
      status = res.status;
      text = await res.text();
    } catch (e) {
      if (ctrl.signal.aborted) {
        if (ctrl.signal.reason === TIMED_OUT) {
          throw new RpcError(
            'timeout',
            `${method} got no reply from Bitcoin Core at ${url} within ${timeoutMs} ms`,
            {
              url,
              method,
            },
          );
        }
        throw this.abortedError(method);
      }
      throw this.networkError(method, e);
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onCallerAbort);
    }
    return { status, text };
  }

  private networkError(method: string, e: unknown): RpcError {
    const url = this.url;
    const code = errnoOf(e);
    const d = { url, method, cause: e };
    const reach = (why: string, kind: RpcErrorKind = 'connection'): RpcError =>
      new RpcError(kind, `cannot reach Bitcoin Core at ${url}: ${why}`, { ...d, maybeExecuted: false });
    switch (code) {
      case 'ECONNREFUSED':
        return reach('connection refused — is bitcoind running and rpcbind/rpcport set?');
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return reach('host not found — check the host name in the RPC URL');
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
        return reach('host unreachable — check the address and the network');
      case 'ETIMEDOUT':
      case 'UND_ERR_CONNECT_TIMEOUT':
        return reach('connection timed out — is a firewall dropping the RPC port?', 'timeout');
      case 'UND_ERR_HEADERS_TIMEOUT':
      case 'UND_ERR_BODY_TIMEOUT':
        return new RpcError('timeout', `${method} got no reply from Bitcoin Core at ${url} in time`, d);
      case 'ECONNRESET':
      case 'EPIPE':
      case 'UND_ERR_SOCKET':
        return new RpcError(
          'connection',
          `Bitcoin Core at ${url} closed the connection before replying to ${method} — is this the RPC port (not the P2P port), and is the node still running?`,
          { ...d, maybeExecuted: true },
        );
      default:
        return reach(code ?? (e instanceof Error ? e.message : String(e)));
    }
  }

  /** A batch reply: an array holding one reply per request id (any order). */
  private parseBatchReply<T>(
    method: string,
    firstId: number,
    count: number,
    status: number,
    text: string,
  ): (T | RpcError)[] {
    let reply: unknown;
    try {
      reply = JSON.parse(text);
    } catch {
      reply = undefined;
    }
    // Not an array: a failure of the whole request (auth, overload, ...), reported like a single call's.
    if (!Array.isArray(reply)) return fail(this.failureOf(method, status, text));
    const out = new Array<T | RpcError>(count);
    for (const item of reply as unknown[]) {
      const r = item as { id?: unknown; result?: JsonValue; error?: unknown } | null;
      const i = typeof r?.id === 'number' ? r.id - firstId : -1;
      if (r === null || i < 0 || i >= count || out[i] !== undefined) {
        return fail(badShape(this.url, method, status, 'a batch reply with an unknown or repeated id'));
      }
      const err = r.error;
      if (err !== undefined && err !== null) {
        const eo = err as { code?: unknown; message?: unknown };
        out[i] =
          typeof eo.code === 'number'
            ? fromRpcErrorObject(
                {
                  code: eo.code,
                  message: typeof eo.message === 'string' ? eo.message : JSON.stringify(eo.message),
                },
                this.url,
                method,
                status,
              )
            : badShape(this.url, method, status, `malformed error object ${snippet(JSON.stringify(err))}`);
      } else if (!('result' in r)) {
        out[i] = badShape(this.url, method, status, 'reply has neither result nor error');
      } else {
        out[i] = r.result as T;
      }
    }
    for (let i = 0; i < count; i++) {
      out[i] ??= badShape(
        this.url,
        method,
        status,
        `the batch reply lacks the answer to request ${firstId + i}`,
      );
    }
    return out;
  }

  /** The error a reply that is not the expected JSON shape stands for. */
  private failureOf(method: string, status: number, text: string): RpcError {
    try {
      this.parseReply<unknown>(method, -1, status, text);
    } catch (e) {
      if (e instanceof RpcError) return e;
    }
    return badShape(this.url, method, status, 'not a JSON-RPC batch reply');
  }

  private parseReply<T>(method: string, id: number, status: number, text: string): T {
    const url = this.url;
    const d = { url, method, httpStatus: status };
    if (status === 401) {
      const hint = this.credentials.usesCookie
        ? `the cookie from ${this.credentials.cookieFile ?? ''} — is it this node's cookie (same datadir and network)?`
        : 'the RPC user/password — check rpcuser/rpcpassword (or rpcauth) in bitcoin.conf';
      return fail(new RpcError('unauthorized', `Bitcoin Core at ${url} rejected ${hint} (HTTP 401)`, d));
    }
    if (status === 403) {
      return fail(
        new RpcError(
          'forbidden',
          `Bitcoin Core at ${url} refused this client (HTTP 403) — allow our address with rpcallowip (and rpcbind) in bitcoin.conf`,
          d,
        ),
      );
    }
    let reply: unknown;
    try {
      reply = JSON.parse(text);
    } catch {
      if (status === 503) {
        return fail(
          new RpcError(
            'busy',
            `Bitcoin Core at ${url} is overloaded (HTTP 503: ${snippet(text)}) — raise rpcworkqueue or poll less`,
            d,
          ),
        );
      }
      return fail(
        new RpcError(
          'bad_reply',
          `Bitcoin Core at ${url} sent a reply to ${method} that is not JSON (HTTP ${status}): ${snippet(text)}`,
          d,
        ),
      );
    }
    if (reply === null || typeof reply !== 'object' || Array.isArray(reply)) {
      return fail(badShape(url, method, status, 'not a JSON-RPC reply object'));
    }
    const r = reply as { id?: unknown; result?: JsonValue; error?: unknown };
    const err = r.error;
    if (err !== undefined && err !== null) {
      const eo = err as { code?: unknown; message?: unknown };
      if (typeof eo.code !== 'number') {
        return fail(badShape(url, method, status, `malformed error object ${snippet(JSON.stringify(err))}`));
      }
      const message = typeof eo.message === 'string' ? eo.message : JSON.stringify(eo.message);
      return fail(fromRpcErrorObject({ code: eo.code, message }, url, method, status));
    }
    if (r.id !== id) {
      return fail(
        badShape(url, method, status, `reply id ${JSON.stringify(r.id)} does not match request id ${id}`),
      );
    }
    if (status < 200 || status >= 300) {
      return fail(badShape(url, method, status, 'unexpected HTTP status without an error object'));
    }
    if (!('result' in r)) return fail(badShape(url, method, status, 'reply has neither result nor error'));
    return r.result as T;
  }
}

function fail(e: RpcError): never {
  throw e;
}

function badShape(url: string, method: string, status: number, why: string): RpcError {
  return new RpcError(
    'bad_reply',
    `Bitcoin Core at ${url} sent a malformed reply to ${method} (HTTP ${status}): ${why}`,
    {
      url,
      method,
      httpStatus: status,
    },
  );
}

function snippet(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  if (one === '') return '(empty body)';
  return one.length > 80 ? JSON.stringify(one.slice(0, 80)) + '…' : JSON.stringify(one);
}

/** Whether a retry can help and cannot do harm. */
function shouldRetry(e: RpcError, idempotent: boolean): boolean {
  switch (e.kind) {
    case 'cookie':
    case 'warming_up':
    case 'busy':
      // The node did not run the call.
      return true;
    case 'connection':
      return idempotent || !e.maybeExecuted;
    case 'timeout':
      return idempotent;
    default:
      return false;
  }
}

/** The first system/undici error code in an error's cause chain (fetch wraps them). */
function errnoOf(e: unknown, depth = 0): string | undefined {
  if (depth > 5 || e === null || typeof e !== 'object') return undefined;
  const o = e as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof o.code === 'string' && o.code !== 'ERR_INVALID_STATE') return o.code;
  const fromCause = errnoOf(o.cause, depth + 1);
  if (fromCause !== undefined) return fromCause;
  if (Array.isArray(o.errors)) {
    for (const inner of o.errors) {
      const c = errnoOf(inner, depth + 1);
      if (c !== undefined) return c;
    }
  }
  return undefined;
}

function sleep(ms: number, signal: AbortSignal | undefined, onAbort: () => Error): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) return reject(onAbort());
    const done = (): void => {
      signal?.removeEventListener('abort', abort);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const abort = (): void => {
      clearTimeout(timer);
      reject(onAbort());
    };
    signal?.addEventListener('abort', abort, { once: true });
  });
}
