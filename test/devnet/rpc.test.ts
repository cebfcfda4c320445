// The JSON-RPC surface: Core's HTTP/JSON-RPC conventions and the shapes of
// the block, header, mempool, transaction and generate calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRpcError } from '../../src/rpc/index.js';
import { NETWORKS, addressToScript, bytesToHex } from '../../src/bitcoin/index.js';
import { REGTEST_GENESIS_HASH } from '../../src/roles/devnet/consensus.js';
import { PAYOUT_ADDRESS, startDevnet, tempDir, type Harness } from './fixture.js';

async function post(h: Harness, body: unknown, auth?: string): Promise<{ status: number; json: unknown }> {
  const cookie = auth ?? readFileSync(join(h.dir, '.cookie'), 'utf8');
  const res = await fetch(h.url + '/', {
    method: 'POST',
    headers: { Authorization: 'Basic ' + Buffer.from(cookie).toString('base64') },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : null };
}

test('HTTP conventions: cookie auth, 401, 404 for unknown methods, 500 for errors, batches, 2.0', async (t) => {
  const h = await startDevnet(t);
  const cookie = readFileSync(join(h.dir, '.cookie'), 'utf8');
  assert.match(cookie, /^__cookie__:[0-9a-f]{64}$/);

  assert.equal((await post(h, { method: 'getblockcount', id: 1 }, '__cookie__:wrong')).status, 401);
  assert.deepEqual(await post(h, { method: 'getblockcount', params: [], id: 7 }), {
    status: 200,
    json: { result: 0, error: null, id: 7 },
  });
  assert.deepEqual(await post(h, { method: 'nosuchcall', params: [], id: 2 }), {
    status: 404,
    json: { result: null, error: { code: -32601, message: 'Method not found' }, id: 2 },
  });
  const notFound = await post(h, { method: 'getblockheader', params: ['00'.repeat(32)], id: 3 });
  assert.equal(notFound.status, 500);
  assert.deepEqual((notFound.json as { error: unknown }).error, { code: -5, message: 'Block not found' });
  assert.equal((await post(h, '{not json')).status, 500);
  // Named parameters, as Core accepts them.
  const named = await post(h, { method: 'getblockhash', params: { height: 0 }, id: 4 });
  assert.equal((named.json as { result: string }).result, REGTEST_GENESIS_HASH);
  const batch = await post(h, [
    { method: 'getblockcount', id: 'a' },
    { method: 'getbestblockhash', id: 'b' },
  ]);
  assert.equal(batch.status, 200);
  assert.deepEqual(batch.json, [
    { result: 0, error: null, id: 'a' },
    { result: REGTEST_GENESIS_HASH, error: null, id: 'b' },
  ]);
  assert.deepEqual(await post(h, { jsonrpc: '2.0', method: 'nosuchcall', id: 5 }), {
    status: 200,
    json: { jsonrpc: '2.0', error: { code: -32601, message: 'Method not found' }, id: 5 },
  });
  const gbt = await post(h, { method: 'getblocktemplate', params: [{}], id: 6 });
  assert.equal((gbt.json as { error: { code: number } }).error.code, -8);

  await h.node.stop();
  assert.equal(existsSync(join(h.dir, '.cookie')), false, 'cookie removed at stop');
});

test('user/password auth replaces the cookie', async (t) => {
  const h = await startDevnet(t, { rpcUser: 'alice', rpcPassword: 's3cret' });
  assert.equal(existsSync(join(h.dir, '.cookie')), false);
  assert.equal(await h.rpc.getblockcount(), 0);
  assert.equal((await post(h, { method: 'getblockcount', id: 1 }, 'alice:wrong')).status, 401);
  assert.ok(h.logs.some((r) => r.msg === 'listening' && r.auth === 'user/password'));
});

test('generatetoaddress, getblock, getblockheader, getrawtransaction', async (t) => {
  const { rpc, node } = await startDevnet(t);
  node.injectSynthetic(3);
  const hashes = (await rpc.call('generatetoaddress', [2, PAYOUT_ADDRESS])) as string[];
  assert.equal(hashes.length, 2);
  assert.equal(await rpc.getblockcount(), 2);
  await assert.rejects(
    rpc.call('generatetoaddress', [1, 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4']),
    (e: unknown) => {
      assert.ok(isRpcError(e));
      assert.equal(e.code, -5);
      return true;
    },
  );

  const raw = (await rpc.call('getblock', [hashes[0], 0])) as string;
  const v1 = (await rpc.call('getblock', [hashes[0], 1])) as Record<string, unknown> & { tx: string[] };
  const v2 = (await rpc.call('getblock', [hashes[0], 2])) as {
    tx: { txid: string; vout: { scriptPubKey: { address?: string } }[] }[];
  };
  assert.equal(v1.height, 1);
  assert.equal(v1.confirmations, 2);
  assert.equal(v1.nextblockhash, hashes[1]);
  assert.equal(v1.previousblockhash, REGTEST_GENESIS_HASH);
  assert.equal(v1.size, raw.length / 2);
  assert.equal(v1.tx.length, 4);
  assert.deepEqual(
    v2.tx.map((x) => x.txid),
    v1.tx,
  );
  assert.equal(v2.tx[0]!.vout[0]!.scriptPubKey.address, PAYOUT_ADDRESS);

  const headerHex = (await rpc.call('getblockheader', [hashes[1], false])) as string;
  assert.equal(headerHex.length, 160);
  assert.equal(raw.slice(0, 160), (await rpc.call('getblockheader', [hashes[0], false])) as string);
  const header = (await rpc.call('getblockheader', [hashes[1]])) as Record<string, unknown>;
  assert.equal(header.height, 2);
  assert.equal(header.bits, '207fffff');
  assert.equal(header.chainwork, '6'.padStart(64, '0'));

  const coinbaseTxid = v1.tx[0]!;
  const tx = (await rpc.call('getrawtransaction', [coinbaseTxid, true])) as Record<string, unknown>;
  assert.equal(tx.blockhash, hashes[0]);
  assert.equal(tx.confirmations, 2);
  await assert.rejects(
    rpc.call('getrawtransaction', ['11'.repeat(32)]),
    (e: unknown) => isRpcError(e) && e.code === -5,
  );
});

test('mempool calls and generateblock with chosen transactions', async (t) => {
  const { rpc, node } = await startDevnet(t);
  node.injectSynthetic(4);
  const ids = (await rpc.call('getrawmempool', [])) as string[];
  assert.equal(ids.length, 4);
  const verbose = (await rpc.call('getrawmempool', [true])) as Record<
    string,
    { vsize: number; fees: { base: number } }
  >;
  assert.deepEqual(Object.keys(verbose).sort(), [...ids].sort());
  const entry = (await rpc.call('getmempoolentry', [ids[0]])) as {
    vsize: number;
    fees: { base: number };
    wtxid: string;
  };
  assert.ok(entry.vsize > 0 && entry.fees.base > 0);
  await assert.rejects(
    rpc.call('getmempoolentry', ['22'.repeat(32)]),
    (e: unknown) => isRpcError(e) && e.code === -5,
  );
  const rawTx = (await rpc.call('getrawtransaction', [ids[1]])) as string;

  // One mempool tx by id, one raw transaction; the others stay in the mempool.
  const script = bytesToHex(addressToScript(PAYOUT_ADDRESS, NETWORKS.regtest));
  const dry = (await rpc.call('generateblock', [`raw(${script})`, [ids[0], rawTx], false])) as {
    hash: string;
    hex: string;
  };
  assert.equal(await rpc.getblockcount(), 0);
  assert.equal(await rpc.submitblock(dry.hex), null);
  assert.equal(await rpc.getbestblockhash(), dry.hash);
  const block = (await rpc.call('getblock', [dry.hash])) as { tx: string[] };
  assert.deepEqual(block.tx.slice(1), [ids[0], ids[1]]);
  assert.deepEqual(((await rpc.call('getrawmempool', [])) as string[]).sort(), [ids[2], ids[3]].sort());

  const made = (await rpc.call('generateblock', [`addr(${PAYOUT_ADDRESS})`, []])) as { hash: string };
  assert.equal(await rpc.getbestblockhash(), made.hash);
  await assert.rejects(
    rpc.call('generateblock', [PAYOUT_ADDRESS, ['33'.repeat(32)]]),
    (e: unknown) => isRpcError(e) && e.code === -5,
  );
  assert.equal(typeof (await rpc.call('uptime', [])), 'number');
});

test('the synthetic transaction rate fills the mempool, bounded by its size limit', async (t) => {
  const { rpc, node, logs } = await startDevnet(t, { txPerMinute: 60_000, maxMempoolTxs: 30 });
  assert.ok(logs.some((r) => typeof r.msg === 'string' && r.msg.includes('made-up outpoints')));
  const tick = () => new Promise((r) => setTimeout(r, 5));
  for (let i = 0; i < 20_000 && node.mempool.size < 30; i++) await tick();
  assert.equal(node.mempool.size, 30);
  // Past the limit, better-paying arrivals replace the cheapest; the size stays put.
  for (let i = 0; i < 20_000 && node.mempool.sequence < 35; i++) await tick();
  assert.ok(node.mempool.sequence >= 35);
  const ids = (await rpc.call('getrawmempool', [])) as string[];
  assert.equal(ids.length, 30);
});

test('a taken port fails the start and leaves no cookie behind', async (t) => {
  const first = await startDevnet(t);
  const port = Number(new URL(first.url).port);
  const dir = tempDir(t);
  await assert.rejects(startDevnet(t, { rpcPort: port, dataDir: dir }), /EADDRINUSE/);
  assert.equal(existsSync(join(dir, '.cookie')), false);
});
