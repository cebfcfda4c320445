// Bitcoin Core-compatible JSON-RPC over HTTP: POST /, Basic auth (configured
// user/password or the `.cookie` file), JSON-RPC 1.0 replies with HTTP 500 on
// errors (404 for an unknown method, 400 for a bad request object), 2.0 replies
// with HTTP 200, and batches.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';

/** Bitcoin Core's RPC error codes that the devnet uses. */
export const RPC_ERR = {
  MISC: -1,
  TYPE: -3,
  INVALID_ADDRESS_OR_KEY: -5,
  INVALID_PARAMETER: -8,
  DESERIALIZATION: -22,
  VERIFY: -25,
  CLIENT_NOT_CONNECTED: -9,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL: -32603,
  PARSE: -32700,
} as const;

export class RpcFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export interface CallContext {
  /** Aborted when the client goes away (ends a longpoll early). */
  signal: AbortSignal;
}

export interface RpcMethod {
  /** Parameter names, so named (object) parameters map onto positions as in Core. */
  params: string[];
  run(args: unknown[], ctx: CallContext): unknown;
}

export interface RpcServerOptions {
  host: string;
  port: number;
  /** "user:password" accepted in the Authorization header. */
  credentials: string;
  methods: Map<string, RpcMethod>;
  /** Request bodies above this are refused (Core's limit is similar in spirit). */
  maxBodyBytes?: number;
}

interface JsonRequest {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

export class RpcServer {
  private server: Server | null = null;

  constructor(private readonly opts: RpcServerOptions) {}

  async listen(): Promise<AddressInfo> {
    const server = createServer((req, res) => void this.handle(req, res));
    // Longpolls hold a request open for up to a minute or more.
    server.requestTimeout = 0;
    server.keepAliveTimeout = 30_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private authorized(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    const m = /^Basic\s+(\S+)$/i.exec(header);
    if (!m) return false;
    const given = Buffer.from(Buffer.from(m[1]!, 'base64').toString('utf8'));
    const expected = Buffer.from(this.opts.credentials);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.authorized(req)) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="jsonrpc"' }).end();
      req.resume();
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405).end('JSONRPC server handles only POST requests');
      req.resume();
      return;
    }
    const body = await readBody(req, this.opts.maxBodyBytes ?? 32 * 1024 * 1024);
    if (body === null) {
      res.writeHead(413).end();
      return;
    }
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      send(res, 500, { result: null, error: { code: RPC_ERR.PARSE, message: 'Parse error' }, id: null });
      return;
    }
    if (Array.isArray(parsed)) {
      const replies = [];
      for (const item of parsed) replies.push((await this.call(item, abort.signal)).reply);
      send(res, 200, replies);
      return;
    }
    const { status, reply } = await this.call(parsed, abort.signal);
    send(res, status, reply);
  }

  private async call(request: unknown, signal: AbortSignal): Promise<{ status: number; reply: unknown }> {
    if (request === null || typeof request !== 'object' || Array.isArray(request)) {
      return failure(null, false, RPC_ERR.INVALID_REQUEST, 'Invalid Request object');
    }
    const r = request as JsonRequest;
    const v2 = r.jsonrpc === '2.0';
    const id = r.id ?? null;
    if (typeof r.method !== 'string')
      return failure(id, v2, RPC_ERR.INVALID_REQUEST, 'Method must be a string');
    const method = this.opts.methods.get(r.method);
    if (!method) return failure(id, v2, RPC_ERR.METHOD_NOT_FOUND, 'Method not found');
    let args: unknown[];
    if (r.params === undefined || r.params === null) args = [];
    else if (Array.isArray(r.params)) args = r.params;
    else if (typeof r.params === 'object') {
      const named = r.params as Record<string, unknown>;
      const unknownName = Object.keys(named).find((k) => !method.params.includes(k));
      if (unknownName)
        return failure(id, v2, RPC_ERR.INVALID_PARAMETER, `Unknown named parameter ${unknownName}`);
      args = method.params.map((p) => named[p]);
      while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
    } else return failure(id, v2, RPC_ERR.INVALID_REQUEST, 'Params must be an array or object');
    try {
      const result = await method.run(args, { signal });
      return {
        status: 200,
        reply: v2
          ? { jsonrpc: '2.0', result: result ?? null, id }
          : { result: result ?? null, error: null, id },
      };
    } catch (err) {
      if (err instanceof RpcFailure) return failure(id, v2, err.code, err.message);
      return failure(id, v2, RPC_ERR.MISC, err instanceof Error ? err.message : String(err));
    }
  }
}

function failure(
  id: unknown,
  v2: boolean,
  code: number,
  message: string,
): { status: number; reply: unknown } {
  const error = { code, message };
  if (v2) return { status: 200, reply: { jsonrpc: '2.0', error, id } };
  const status = code === RPC_ERR.METHOD_NOT_FOUND ? 404 : code === RPC_ERR.INVALID_REQUEST ? 400 : 500;
  return { status, reply: { result: null, error, id } };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body) + '\n');
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks)));
    req.on('error', () => resolve(null));
  });
}
