// bitcoind JSON-RPC replies: the typed client (src/rpc) against an in-process
// loopback HTTP server that answers with the fuzzed status, headers and body,
// sometimes truncated or slow. A call must resolve with a value of the type
// it declares, or throw RpcError; the template provider's parse of a
// getblocktemplate result must not throw anything else either.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BitcoinRpc, RpcError } from '../../../src/rpc/index.js';
import { parseBlockTemplate } from '../../../src/roles/tp/template.js';
import { rawJson, stringifyRaw, utf8, type FuzzTarget, type Rng } from '../core.js';

/** What the server does with the next request. */
interface Plan {
  status: number;
  /** 0 normal, 1 truncated (Content-Length too big, then close), 2 slow (half, wait, rest), 3 no Content-Length (chunked), 4 close without reply */
  shape: number;
  delayMs: number;
  contentType: string;
  body: Uint8Array;
}

const STATUSES = [200, 200, 200, 200, 500, 401, 403, 404, 503, 200, 302, 204];
const TYPES = ['application/json', 'text/html', '', 'application/json; charset=utf-16'];
const TIMEOUT_MS = 40;

let server: Server | undefined;
let url = '';
let plan: Plan | undefined;
let lastId = 0;

function answer(res: ServerResponse, p: Plan): void {
  const headers: Record<string, string> = {};
  if (p.contentType !== '') headers['content-type'] = p.contentType;
  switch (p.shape) {
    case 1:
      res.writeHead(p.status, { ...headers, 'content-length': String(p.body.length + 10) });
      res.write(p.body);
      setImmediate(() => res.socket?.destroy());
      return;
    case 2: {
      res.writeHead(p.status, { ...headers, 'content-length': String(p.body.length) });
      const half = p.body.length >> 1;
      res.write(p.body.subarray(0, half));
      const t = setTimeout(() => res.end(p.body.subarray(half)), p.delayMs);
      res.on('close', () => clearTimeout(t));
      return;
    }
    case 3:
      res.writeHead(p.status, headers);
      res.write(p.body);
      res.end();
      return;
    case 4:
      res.socket?.destroy();
      return;
    default:
      res.writeHead(p.status, { ...headers, 'content-length': String(p.body.length) });
      res.end(p.body);
  }
}

/**
 * Input: byte 0 status, byte 1 shape (low 3 bits) and delay (high 5 bits, ms),
 * byte 2 content type, byte 3 the call; the rest is the body. The text
 * `$ID` in the body becomes the request's id, so well-formed replies match.
 */
function planOf(input: Uint8Array): { plan: Plan; call: number } {
  const body = Buffer.from(input.subarray(4)).toString('latin1');
  return {
    plan: {
      status: STATUSES[(input[0] ?? 0) % STATUSES.length]!,
      shape: (input[1] ?? 0) & 7,
      delayMs: ((input[1] ?? 0) >>> 3) * 2,
      contentType: TYPES[(input[2] ?? 0) % TYPES.length]!,
      body: Buffer.from(body, 'latin1'),
    },
    call: (input[3] ?? 0) % 6,
  };
}

const HASH = 'a'.repeat(64);

function typeProblem(call: number, v: unknown): string | undefined {
  const isHexList = (x: unknown): boolean =>
    Array.isArray(x) && x.every((e) => e === null || typeof e === 'string');
  switch (call) {
    case 0:
      return v !== null && typeof v === 'object' && typeof (v as { chain?: unknown }).chain === 'string'
        ? undefined
        : 'checkChain resolved without chain info';
    case 2:
    case 5:
      return Array.isArray(v)
        ? call === 2 && !isHexList(v)
          ? 'getrawtransactions gave a non-string'
          : undefined
        : 'batch call resolved with a non-array';
    case 3:
      return v === null || typeof v === 'string' ? undefined : `submitblock resolved with ${typeof v}`;
    case 4:
      return typeof v === 'string' ? undefined : `getbestblockhash resolved with ${typeof v}`;
    default:
      return undefined;
  }
}

function jsonBody(rng: Rng, result: unknown): string {
  const shapes = [
    () => JSON.stringify({ result, error: null, id: '$ID' }).replace('"$ID"', '$ID'),
    () => `{"result":${stringifyRaw(result)},"error":null,"id":$ID}`,
    () => `{"result":null,"error":{"code":${rng.pick([-28, -1, -32601, -8, 'x'])},"message":"m"},"id":$ID}`,
    () => `{"result":${stringifyRaw(result)},"error":null,"id":${rng.int(3)}}`,
    () => `[{"result":"00","error":null,"id":$ID}]`,
    () => `{"result":1e400,"error":null,"id":$ID}`,
    () => `{"result":null,"error":null,"id":$ID}`,
    () => `{"result":123456789012345678901234567890,"id":$ID}`,
    () => '<html>busy</html>',
    () => '',
  ];
  return rng.pick(shapes)();
}

function gbtResult(rng: Rng): unknown {
  const pick = <T>(good: T, ...bad: unknown[]): unknown => (rng.chance(0.85) ? good : rng.pick(bad));
  return {
    version: pick(0x20000000, '1', null, rawJson('1e400'), -1),
    previousblockhash: pick(HASH, 'zz', 12, ''),
    transactions: pick(
      [
        {
          data: pick('0100', 'xyz', 5),
          txid: pick(HASH, 'q'),
          hash: pick(HASH, null),
          fee: pick(100, 1.5, -1, '1', rawJson('1e400'), rawJson('18446744073709551616')),
          sigops: pick(4, null),
          weight: pick(400, 'x'),
          depends: pick([], [1], 'x', [null]),
        },
      ],
      null,
      {},
      [null],
      'x',
    ),
    coinbasevalue: pick(5_000_000_000, 1.5, -1, '5', rawJson('1180591620717411303424'), rawJson('-0'), null),
    longpollid: pick(HASH + '1', 5, null),
    target: pick('7fffff0000000000000000000000000000000000000000000000000000000000', 'x', 7),
    bits: pick('207fffff', 'zz', 7, null),
    height: pick(101, -1, 'x', rawJson('1e20')),
    curtime: pick(1_700_000_000, null),
    weightlimit: pick(4_000_000, null),
    sigoplimit: pick(80_000, null),
    default_witness_commitment: pick(undefined, 'zz', 5),
  };
}

export const rpcReply: FuzzTarget = {
  name: 'rpc-reply',
  description:
    "BitcoinRpc calls (checkChain, getblocktemplate + the TP's parse, batch getrawtransaction, submitblock, getbestblockhash, batch getmempoolentry) against fuzzed HTTP replies; only RpcError may be thrown and values must have their declared type",
  maxLength: 8192,
  dictionary: [
    '$ID',
    '"result":',
    '"error":',
    'null',
    '"id":',
    '1e400',
    '[',
    '{',
    '"code":-28',
    '"transactions":',
    '"coinbasevalue":',
    '"chain":"regtest"',
  ],
  async setup() {
    if (server) return;
    server = createServer((req, res) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (text += c));
      req.on('end', () => {
        const m = /"id":(\d+)/.exec(text);
        lastId = m ? Number(m[1]) : 0;
        const p = plan ?? { status: 500, shape: 0, delayMs: 0, contentType: '', body: new Uint8Array() };
        answer(res, {
          ...p,
          body: Buffer.from(
            Buffer.from(p.body).toString('latin1').split('$ID').join(String(lastId)),
            'latin1',
          ),
        });
      });
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  },
  async teardown() {
    const s = server;
    server = undefined;
    if (s) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  },
  seeds: () => [
    Uint8Array.from([0, 0, 0, 0, ...utf8('{"result":{"chain":"regtest","blocks":1},"error":null,"id":$ID}')]),
    Uint8Array.from([
      0,
      0,
      0,
      1,
      ...utf8(`{"result":${JSON.stringify(gbtResultFixed())},"error":null,"id":$ID}`),
    ]),
    Uint8Array.from([0, 0, 0, 2, ...utf8('[{"result":"00","error":null,"id":$ID}]')]),
    Uint8Array.from([0, 0, 0, 3, ...utf8('{"result":null,"error":null,"id":$ID}')]),
    Uint8Array.from([0, 0x12, 0, 4, ...utf8(`{"result":"${HASH}","error":null,"id":$ID}`)]),
  ],
  generate(rng) {
    const call = rng.int(6);
    const result =
      call === 1
        ? gbtResult(rng)
        : call === 0
          ? { chain: rng.pick(['regtest', 'main', 5]) }
          : rng.pick<unknown>([HASH, null, 5, [], ['00', null], {}]);
    const shape = rng.chance(0.8) ? 0 : rng.int(8);
    const head = [rng.int(256), shape === 2 ? shape | (rng.int(32) << 3) : shape, rng.int(4), call];
    return Uint8Array.from([...head, ...utf8(jsonBody(rng, result))]);
  },
  async run(input) {
    const { plan: p, call } = planOf(input);
    plan = p;
    const rpc = new BitcoinRpc({ url, timeoutMs: TIMEOUT_MS, retry: { attempts: 1 } });
    const opts = { retry: false as const };
    let value: unknown;
    try {
      switch (call) {
        case 0:
          value = await rpc.checkChain('regtest', opts);
          break;
        case 1:
          value = parseBlockTemplate(await rpc.getblocktemplate({ timeoutMs: TIMEOUT_MS }));
          break;
        case 2:
          value = await rpc.getrawtransactions([HASH, HASH], opts);
          break;
        case 3:
          value = await rpc.submitblock('00', opts);
          break;
        case 4:
          value = await rpc.getbestblockhash(opts);
          break;
        default:
          value = await rpc.getmempoolentries([HASH], opts);
      }
    } catch (e) {
      if (!(e instanceof RpcError)) throw e;
      return { allowanceMs: p.shape === 2 ? Math.min(p.delayMs, TIMEOUT_MS) : 0 };
    }
    const problem = typeProblem(call, value);
    if (problem !== undefined) throw new Error(problem);
    return { allowanceMs: p.shape === 2 ? p.delayMs : 0 };
  },
};

function gbtResultFixed(): unknown {
  return {
    version: 0x20000000,
    previousblockhash: HASH,
    transactions: [],
    coinbasevalue: 5_000_000_000,
    longpollid: HASH + '1',
    bits: '207fffff',
    height: 101,
    curtime: 1_700_000_000,
    weightlimit: 4_000_000,
    sigoplimit: 80_000,
  };
}
