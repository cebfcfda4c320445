import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BitcoinRpc, RpcError, type BlockTemplate } from '../../src/rpc/index.js';
import { basicAuth, closedPort, startFakeNode, type FakeNode, type Handler } from './fake-node.js';

// Retries without real waiting; bounded so a broken test ends.
const FAST = { attempts: 4, initialDelayMs: 1, maxDelayMs: 2, factor: 2 };

async function node(t: { after(fn: () => Promise<void>): void }, h: Handler): Promise<FakeNode> {
  const n = await startFakeNode(h);
  t.after(() => n.close());
  return n;
}

async function rejectsWith(p: Promise<unknown>, kind: RpcError['kind']): Promise<RpcError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RpcError, `expected RpcError, got ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    return e;
  }
  assert.fail(`expected RpcError ${kind}, call succeeded`);
}

const TEMPLATE: BlockTemplate = {
  capabilities: ['proposal'],
  version: 0x20000000,
  rules: ['csv', '!segwit', 'taproot'],
  vbavailable: {},
  vbrequired: 0,
  previousblockhash: '00'.repeat(32),
  transactions: [
    {
      data: 'aa',
      txid: '11'.repeat(32),
      hash: '22'.repeat(32),
      depends: [],
      fee: 141,
      sigops: 4,
      weight: 561,
    },
  ],
  coinbaseaux: {},
  coinbasevalue: 5_000_000_141,
  longpollid: 'tip-1',
  target: '7f'.padEnd(64, 'f'),
  mintime: 1_700_000_000,
  mutable: ['time', 'transactions', 'prevblock'],
  noncerange: '00000000ffffffff',
  sigoplimit: 80000,
  sizelimit: 4_000_000,
  weightlimit: 4_000_000,
  curtime: 1_700_000_100,
  bits: '207fffff',
  height: 102,
  default_witness_commitment: '6a24aa21a9ed' + '00'.repeat(32),
};

test('a call returns the typed result and sends the JSON-RPC request', async (t) => {
  const n = await node(t, (r) => (r.method === 'getblocktemplate' ? { result: TEMPLATE } : { result: 101 }));
  const rpc = new BitcoinRpc({ url: n.url });
  assert.equal(await rpc.getblockcount(), 101);
  const tpl = await rpc.getblocktemplate();
  assert.equal(tpl.coinbasevalue, TEMPLATE.coinbasevalue);
  assert.equal(tpl.transactions[0]?.fee, 141);
  assert.deepEqual(n.requests[1]?.params, [{ rules: ['segwit'] }]);
  assert.equal(n.requests[1]?.jsonrpc, '1.0');
  assert.equal(n.requests[0]?.authorization, undefined);
});

test('JSON-RPC 2.0 replies (no error member, errors with HTTP 200) are understood', async (t) => {
  const n = await node(t, (r) =>
    r.method === 'getbestblockhash'
      ? { raw: JSON.stringify({ jsonrpc: '2.0', result: 'ab'.repeat(32), id: r.id }), status: 200 }
      : {
          raw: JSON.stringify({
            jsonrpc: '2.0',
            error: { code: -8, message: 'Block height out of range' },
            id: r.id,
          }),
          status: 200,
        },
  );
  const rpc = new BitcoinRpc({ url: n.url, jsonrpc: '2.0' });
  assert.equal(await rpc.getbestblockhash(), 'ab'.repeat(32));
  assert.equal(n.requests[0]?.jsonrpc, '2.0');
  const e = await rejectsWith(rpc.call('getblockhash', [999]), 'rpc');
  assert.equal(e.code, -8);
  assert.match(e.message, /Block height out of range \(RPC error -8\)/);
});

test('user/password auth: sent as Basic auth; wrong credentials are a clear 401, not retried', async (t) => {
  const good = basicAuth('alice', 's3cret');
  const n = await node(t, (r) => (r.authorization === good ? { result: 7 } : { raw: '', status: 401 }));
  const ok = new BitcoinRpc({ url: n.url, auth: { user: 'alice', password: 's3cret' }, retry: FAST });
  assert.equal(await ok.getblockcount(), 7);
  // Credentials in the URL work too, and are not shown in messages.
  const inUrl = new BitcoinRpc({ url: n.url.replace('http://', 'http://alice:s3cret@') });
  assert.equal(await inUrl.getblockcount(), 7);
  assert.equal(inUrl.url, n.url);

  const before = n.requests.length;
  const bad = new BitcoinRpc({ url: n.url, auth: { user: 'alice', password: 'wrong' }, retry: FAST });
  const e = await rejectsWith(bad.getblockcount(), 'unauthorized');
  assert.equal(e.httpStatus, 401);
  assert.match(e.message, /rejected the RPC user\/password .*\(HTTP 401\)/);
  assert.equal(n.requests.length - before, 1);
});

test('cookie auth: the cookie file is re-read after the node restarts with a new one', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-rpc-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const cookieFile = join(dir, '.cookie');
  await writeFile(cookieFile, '__cookie__:aaaa\n');
  let accepted = basicAuth('__cookie__', 'aaaa');
  const n = await node(t, (r) => (r.authorization === accepted ? { result: 1 } : { raw: '', status: 401 }));
  const rpc = new BitcoinRpc({ url: n.url, auth: { cookieFile }, retry: FAST });
  assert.equal(await rpc.getblockcount(), 1);

  // "Restart": a new cookie; the first request with the old one gets 401, then the file is read again.
  await writeFile(cookieFile, '__cookie__:bbbb');
  accepted = basicAuth('__cookie__', 'bbbb');
  const before = n.requests.length;
  assert.equal(await rpc.getblockcount(), 1);
  assert.equal(n.requests.length - before, 2);

  // A cookie that is simply wrong still ends in a clear 401.
  accepted = 'nothing matches';
  const e = await rejectsWith(rpc.getblockcount(), 'unauthorized');
  assert.match(e.message, /cookie from .*\.cookie/);
});

test('a missing cookie file is reported with its path', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-rpc-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const cookieFile = join(dir, 'regtest', '.cookie');
  const n = await node(t, () => ({ result: 1 }));
  const rpc = new BitcoinRpc({ url: n.url, auth: { cookieFile }, retry: { ...FAST, attempts: 2 } });
  const e = await rejectsWith(rpc.getblockcount(), 'cookie');
  assert.ok(e.message.includes(cookieFile));
  assert.match(e.message, /no such file/);
  assert.equal(n.requests.length, 0);
});

test('node warming up (-28) is retried until it answers', async (t) => {
  const n = await node(t, (_r, i) =>
    i <= 2 ? { error: { code: -28, message: 'Loading block index…' } } : { result: 'cd'.repeat(32) },
  );
  const rpc = new BitcoinRpc({ url: n.url, retry: FAST });
  assert.equal(await rpc.getbestblockhash(), 'cd'.repeat(32));
  assert.equal(n.requests.length, 3);

  // A node that stays in warm-up exhausts the bounded retries with a clear message.
  n.setHandler(() => ({ error: { code: -28, message: 'Verifying blocks…' } }));
  const e = await rejectsWith(rpc.getbestblockhash(), 'warming_up');
  assert.equal(e.code, -28);
  assert.match(e.message, /is still starting: Verifying blocks…/);
  assert.equal(n.requests.length, 3 + FAST.attempts);
});

test('connection refused is one clear line', async () => {
  const port = await closedPort();
  const rpc = new BitcoinRpc({ url: `http://127.0.0.1:${port}`, retry: { ...FAST, attempts: 2 } });
  const e = await rejectsWith(rpc.getblockcount(), 'connection');
  assert.equal(
    e.message,
    `cannot reach Bitcoin Core at http://127.0.0.1:${port}: connection refused — is bitcoind running and rpcbind/rpcport set?`,
  );
  assert.equal(e.maybeExecuted, false);
});

test('timeouts: idempotent calls are retried, submitblock is not', async (t) => {
  const n = await node(t, () => ({ hang: true }));
  const rpc = new BitcoinRpc({ url: n.url, timeoutMs: 50, retry: { ...FAST, attempts: 2 } });
  const e = await rejectsWith(rpc.getblockcount(), 'timeout');
  assert.match(e.message, /getblockcount got no reply from Bitcoin Core at .* within 50 ms/);
  assert.equal(n.requests.length, 2);
  const s = await rejectsWith(rpc.submitblock('00'), 'timeout');
  assert.equal(s.maybeExecuted, true);
  assert.equal(n.requests.length, 3);
});

test('a dropped connection is retried for reads and not for submitblock', async (t) => {
  const n = await node(t, () => ({ drop: true }));
  const rpc = new BitcoinRpc({ url: n.url, retry: { ...FAST, attempts: 3 } });
  const e = await rejectsWith(rpc.getblockcount(), 'connection');
  assert.match(e.message, /closed the connection before replying/);
  assert.equal(n.requests.length, 3);
  await rejectsWith(rpc.submitblock('00'), 'connection');
  assert.equal(n.requests.length, 4);
});

test('submitblock returns null or the verdict; a decode error is an RpcError, never retried', async (t) => {
  const verdicts: unknown[] = [null, 'duplicate', 'inconclusive', 'bad-txnmrklroot'];
  const n = await node(t, (r, i) =>
    r.params[0] === 'zz'
      ? { error: { code: -22, message: 'Block decode failed' } }
      : { result: verdicts[i - 1] },
  );
  const rpc = new BitcoinRpc({ url: n.url, retry: FAST });
  for (const v of verdicts) assert.equal(await rpc.submitblock('00'), v);
  const before = n.requests.length;
  const e = await rejectsWith(rpc.submitblock('zz'), 'rpc');
  assert.equal(e.code, -22);
  assert.equal(n.requests.length - before, 1);
});

test('checkChain accepts the matching chain (devnet is regtest) and names the mismatch', async (t) => {
  let chain = 'regtest';
  const n = await node(t, () => ({ result: { chain, blocks: 0, headers: 0, bestblockhash: '00' } }));
  const rpc = new BitcoinRpc({ url: n.url });
  assert.equal((await rpc.checkChain('regtest')).chain, 'regtest');
  assert.equal((await rpc.checkChain('devnet')).chain, 'regtest');
  chain = 'test';
  assert.equal((await rpc.checkChain('testnet3')).chain, 'test');
  chain = 'main';
  const e = await rejectsWith(rpc.checkChain('testnet4'), 'wrong_chain');
  assert.match(
    e.message,
    /is on chain "main" \(network = "mainnet"\), but the configured network is testnet4/,
  );
});

test('unknown method (-32601, HTTP 404) is reported and not retried', async (t) => {
  const n = await node(t, () => ({ error: { code: -32601, message: 'Method not found' } }));
  const rpc = new BitcoinRpc({ url: n.url, retry: FAST });
  const e = await rejectsWith(rpc.generateblock('bcrt1qxyz', []), 'method_not_found');
  assert.equal(e.httpStatus, 404);
  assert.match(e.message, /does not know the RPC method "generateblock"/);
  assert.equal(n.requests.length, 1);
});

test('403, 503 and malformed replies each get their own error', async (t) => {
  const n = await node(t, () => ({ raw: '', status: 403 }));
  const rpc = new BitcoinRpc({ url: n.url, retry: FAST });
  const f = await rejectsWith(rpc.getblockcount(), 'forbidden');
  assert.match(f.message, /rpcallowip/);

  // A full work queue is retried.
  n.setHandler((_r, i) => (i <= 2 ? { raw: 'Work queue depth exceeded', status: 503 } : { result: 5 }));
  assert.equal(await rpc.getblockcount(), 5);

  n.setHandler(() => ({ raw: '<html>not here</html>', status: 200, contentType: 'text/html' }));
  const b = await rejectsWith(rpc.getblockcount(), 'bad_reply');
  assert.match(b.message, /not JSON \(HTTP 200\): "<html>not here<\/html>"/);

  n.setHandler(() => ({ result: 1, id: 'someone-else' }));
  const m = await rejectsWith(rpc.getblockcount(), 'bad_reply');
  assert.match(m.message, /does not match request id/);

  n.setHandler(() => ({ raw: '[1,2]', status: 200 }));
  await rejectsWith(rpc.getblockcount(), 'bad_reply');
});

test('longpoll: waits for the new template, and an abort ends the wait', async (t) => {
  let release: (() => void) | undefined;
  let seen: (() => void) | undefined;
  const seenPromise = new Promise<void>((resolve) => (seen = resolve));
  const n = await node(t, async (r) => {
    const req = r.params[0] as { longpollid?: string };
    if (req.longpollid === undefined) return { result: TEMPLATE };
    if (req.longpollid === 'forever') {
      seen?.();
      return { hang: true };
    }
    await new Promise<void>((resolve) => (release = resolve));
    return { result: { ...TEMPLATE, longpollid: 'tip-2', height: 103 } };
  });
  const rpc = new BitcoinRpc({ url: n.url, timeoutMs: 50, retry: FAST });

  const next = rpc.getblocktemplate({ longpollid: 'tip-1' });
  // Wait (bounded) until the node holds the longpoll, longer than the client's normal timeout would allow.
  for (let i = 0; i < 200 && release === undefined; i++) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(release, 'longpoll request never arrived');
  release();
  const tpl = await next;
  assert.equal(tpl.longpollid, 'tip-2');
  assert.deepEqual(n.requests[0]?.params, [
    { rules: ['segwit'], longpollid: 'tip-1', capabilities: ['longpoll'] },
  ]);

  const ctrl = new AbortController();
  const pending = rpc.getblocktemplate({ longpollid: 'forever', signal: ctrl.signal });
  await seenPromise;
  ctrl.abort();
  const e = await rejectsWith(pending, 'aborted');
  assert.match(e.message, /getblocktemplate call to Bitcoin Core at .* was aborted/);
});

test('an aborted signal also stops the wait between retries', async () => {
  const port = await closedPort();
  const rpc = new BitcoinRpc({
    url: `http://127.0.0.1:${port}`,
    retry: { attempts: 10, initialDelayMs: 60_000, maxDelayMs: 60_000, factor: 1 },
  });
  const ctrl = new AbortController();
  const p = rpc.getblockcount({ signal: ctrl.signal });
  setTimeout(() => ctrl.abort(), 20);
  await rejectsWith(p, 'aborted');
});

test('invalid URLs are refused up front', () => {
  assert.throws(() => new BitcoinRpc({ url: '127.0.0.1:8332' }), /use http:\/\/host:port|expected http/);
  assert.throws(() => new BitcoinRpc({ url: 'not a url' }), /invalid Bitcoin Core RPC URL/);
});

test('typed wrappers send the parameters Core expects', async (t) => {
  const n = await node(t, () => ({ result: null }));
  const rpc = new BitcoinRpc({ url: n.url });
  await rpc.getblockheader('aa');
  await rpc.getblock('aa', 2);
  await rpc.getrawmempool(true);
  await rpc.getrawtransaction('bb', true, 'aa');
  await rpc.getmempoolentry('bb');
  await rpc.generatetoaddress(3, 'bcrt1qxyz');
  await rpc.invalidateblock('aa');
  assert.deepEqual(
    n.requests.map((r) => [r.method, r.params]),
    [
      ['getblockheader', ['aa', true]],
      ['getblock', ['aa', 2]],
      ['getrawmempool', [true]],
      ['getrawtransaction', ['bb', true, 'aa']],
      ['getmempoolentry', ['bb']],
      ['generatetoaddress', [3, 'bcrt1qxyz']],
      ['invalidateblock', ['aa']],
    ],
  );
});
