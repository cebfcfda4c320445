// An in-process stand-in for Bitcoin Core's HTTP JSON-RPC server on a random
// loopback port; each test decides how it answers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RpcRequest {
  jsonrpc?: string;
  id: unknown;
  method: string;
  params: unknown[];
  /** The Authorization header as received. */
  authorization: string | undefined;
}

/** `reply` sends a JSON body; `raw` a verbatim one; `hang` never answers; `drop` closes the socket. */
export type Answer =
  | { result: unknown; status?: number; id?: unknown }
  | { error: { code: number; message: string }; status?: number }
  | { raw: string; status: number; contentType?: string }
  | { hang: true }
  | { drop: true };

export type Handler = (req: RpcRequest, n: number) => Answer | Promise<Answer>;

export interface FakeNode {
  url: string;
  requests: RpcRequest[];
  setHandler(h: Handler): void;
  close(): Promise<void>;
}

export async function startFakeNode(handler: Handler): Promise<FakeNode> {
  let current = handler;
  const requests: RpcRequest[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Omit<RpcRequest, 'authorization'>;
        const r: RpcRequest = { ...body, authorization: req.headers.authorization };
        requests.push(r);
        const a = await current(r, requests.length);
        if ('hang' in a) return;
        if ('drop' in a) {
          req.socket.destroy();
          return;
        }
        if ('raw' in a) {
          res.writeHead(a.status, { 'content-type': a.contentType ?? 'text/plain' });
          res.end(a.raw);
          return;
        }
        const id = 'id' in a ? a.id : r.id;
        const payload =
          'error' in a ? { result: null, error: a.error, id } : { result: a.result, error: null, id };
        // Core answers RPC errors with HTTP 500 (404 for an unknown method) in JSON-RPC 1.0 mode.
        const status = a.status ?? ('error' in a ? (a.error.code === -32601 ? 404 : 500) : 200);
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setHandler(h) {
      current = h;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function basicAuth(user: string, password: string): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
}
