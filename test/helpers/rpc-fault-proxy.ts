// A JSON-RPC proxy in front of a node for fault tests: it passes requests on,
// or answers HTTP 500, answers garbage, or stalls (accepts the request and
// answers nothing until the mode changes back, then passes the held ones on,
// as a node that froze and recovered would).
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FaultMode = 'pass' | 'http500' | 'garbage' | 'stall';

interface Held {
  req: IncomingMessage;
  body: Buffer;
  res: ServerResponse;
}

export class RpcFaultProxy {
  #mode: FaultMode = 'pass';
  readonly #held: Held[] = [];
  /** Requests seen per mode (what the client kept trying while the fault lasted). */
  readonly seen: Record<FaultMode, number> = { pass: 0, http500: 0, garbage: 0, stall: 0 };
  private constructor(
    private readonly server: ReturnType<typeof createServer>,
    private readonly target: URL,
  ) {}

  static async start(targetUrl: string): Promise<RpcFaultProxy> {
    const held: { proxy?: RpcFaultProxy } = {};
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => held.proxy!.handle({ req, body: Buffer.concat(chunks), res }));
    });
    const proxy = new RpcFaultProxy(server, new URL(targetUrl));
    held.proxy = proxy;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  set mode(mode: FaultMode) {
    this.#mode = mode;
    if (mode !== 'stall') for (const h of this.#held.splice(0)) this.handle(h);
  }

  close(): Promise<void> {
    for (const h of this.#held.splice(0)) h.res.destroy();
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  private handle(h: Held): void {
    this.seen[this.#mode]++;
    switch (this.#mode) {
      case 'stall':
        this.#held.push(h);
        return;
      case 'http500':
        h.res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal Server Error');
        return;
      case 'garbage':
        h.res.writeHead(200, { 'content-type': 'application/json' }).end('{"result":[1,2,\u0000garbage');
        return;
      case 'pass':
        this.forward(h);
    }
  }

  private forward({ req, body, res }: Held): void {
    const out = request(
      {
        host: this.target.hostname,
        port: this.target.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: this.target.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    res.on('close', () => out.destroy());
    out.end(body);
  }
}
