// JSON-RPC batches (BitcoinRpc.getrawtransactions / getmempoolentries): one
// HTTP request, results in request order whatever order the node answers in,
// per-call errors as values, request-level failures thrown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BitcoinRpc, RpcError } from '../../src/rpc/index.js';

type Reply = { status: number; body: string };

async function server(
  t: { after(fn: () => unknown): void },
  answer: (requests: { id: number; method: string; params: unknown[] }[]) => Reply,
): Promise<{ url: string; bodies: unknown[] }> {
  const bodies: unknown[] = [];
  const s: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as never;
      bodies.push(body);
      const a = answer(body);
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body);
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => s.close(r)));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, bodies };
}

const rpcFor = (url: string) =>
  new BitcoinRpc({ url, auth: { user: 'u', password: 'p' }, retry: { attempts: 1 } });

test('a batch is one request; answers in any order come back in request order, errors as null', async (t) => {
  const node = await server(t, (reqs) => ({
    status: 200,
    body: JSON.stringify(
      [...reqs].reverse().map((r) =>
        String(r.params[0]).startsWith('00')
          ? {
              result: null,
              error: { code: -5, message: 'No such mempool or blockchain transaction.' },
              id: r.id,
            }
          : { result: `raw-${String(r.params[0])}`, error: null, id: r.id },
      ),
    ),
  }));
  const rpc = rpcFor(node.url);
  const ids = ['aa'.repeat(32), '00'.repeat(32), 'bb'.repeat(32)];
  assert.deepEqual(await rpc.getrawtransactions(ids), [`raw-${ids[0]}`, null, `raw-${ids[2]}`]);
  assert.equal(node.bodies.length, 1);
  const sent = node.bodies[0] as { method: string; params: unknown[] }[];
  assert.deepEqual(
    sent.map((r) => [r.method, r.params]),
    ids.map((id) => ['getrawtransaction', [id, false]]),
  );
  assert.deepEqual(await rpc.getrawtransactions([]), []);
  assert.equal(node.bodies.length, 1, 'an empty batch sends nothing');
});

test('batch failures: a request-level error, an answer missing, an id repeated', async (t) => {
  const unauthorized = await server(t, () => ({ status: 401, body: '' }));
  await assert.rejects(rpcFor(unauthorized.url).getmempoolentries(['aa'.repeat(32)]), (e: unknown) => {
    return e instanceof RpcError && e.kind === 'unauthorized';
  });
  const short = await server(t, (reqs) => ({
    status: 200,
    body: JSON.stringify([{ result: { wtxid: 'x' }, error: null, id: reqs[0]!.id }]),
  }));
  const two = await rpcFor(short.url).callBatch('getmempoolentry', [['a'], ['b']]);
  assert.deepEqual(two[0], { wtxid: 'x' });
  assert.ok(two[1] instanceof RpcError && two[1].kind === 'bad_reply', String(two[1]));
  const repeated = await server(t, (reqs) => ({
    status: 200,
    body: JSON.stringify(reqs.map(() => ({ result: 1, error: null, id: reqs[0]!.id }))),
  }));
  await assert.rejects(rpcFor(repeated.url).callBatch('getblockcount', [[], []]), (e: unknown) => {
    return e instanceof RpcError && e.kind === 'bad_reply' && /repeated id/.test(e.message);
  });
});
