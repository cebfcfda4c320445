// Results of the wrong shape (found by the rpc-reply fuzz target, corpus files
// under test/fuzz-corpus/rpc-reply/) are one RpcError 'bad_reply' naming the
// field, and the template provider's node watcher keeps retrying instead of
// dying on a TypeError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { BitcoinRpc, RpcError, type BlockTemplate } from '../../src/rpc/index.js';
import { parseBlockTemplate } from '../../src/roles/tp/template.js';
import { NodeWatch } from '../../src/roles/tp/node-watch.js';
import { startFakeNode, type FakeNode, type Handler } from './fake-node.js';

async function node(t: { after(fn: () => Promise<void>): void }, h: Handler): Promise<FakeNode> {
  const n = await startFakeNode(h);
  t.after(() => n.close());
  return n;
}

async function badReply(p: Promise<unknown>, field: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof RpcError, `expected RpcError, got ${String(e)}`);
    assert.equal(e.kind, 'bad_reply', e.message);
    assert.match(e.message, field);
    return true;
  });
}

const TEMPLATE = {
  version: 0x20000000,
  previousblockhash: 'aa'.repeat(32),
  transactions: [
    {
      data: '0100',
      txid: '11'.repeat(32),
      hash: '22'.repeat(32),
      fee: 100,
      sigops: 4,
      weight: 400,
      depends: [],
    },
  ],
  coinbasevalue: 5_000_000_100,
  longpollid: 'tip',
  bits: '207fffff',
  height: 101,
  curtime: 1_700_000_000,
  weightlimit: 4_000_000,
  sigoplimit: 80_000,
};

test('getblocktemplate results the TP cannot use are bad_reply errors naming the field', async (t) => {
  let result: unknown = TEMPLATE;
  const n = await node(t, () => ({ result }));
  const rpc = new BitcoinRpc({ url: n.url, retry: { attempts: 1 } });
  // The well-formed one parses.
  assert.equal(parseBlockTemplate((await rpc.getblocktemplate()) as BlockTemplate).height, 101);
  const tx = TEMPLATE.transactions[0]!;
  const cases: [unknown, RegExp][] = [
    [null, /getblocktemplate: result: expected an object, got null/],
    [{ ...TEMPLATE, transactions: undefined }, /result\.transactions: expected an array, got nothing/],
    [
      { ...TEMPLATE, transactions: [{ ...tx, fee: 1.5 }] },
      /result\.transactions\[0\]\.fee: expected an integer/,
    ],
    [{ ...TEMPLATE, transactions: [{ ...tx, data: 'zz' }] }, /result\.transactions\[0\]\.data: expected hex/],
    [{ ...TEMPLATE, transactions: [{ ...tx, depends: [0] }] }, /transactions\[0\]\.depends\[0\]/],
    [{ ...TEMPLATE, coinbasevalue: 2 ** 70 }, /result\.coinbasevalue: expected an integer/],
    [{ ...TEMPLATE, previousblockhash: 'aa' }, /result\.previousblockhash: expected a 64-digit hex hash/],
    [{ ...TEMPLATE, target: '7' }, /result\.target/],
    [{ ...TEMPLATE, bits: 7 }, /result\.bits: expected 8 hex digits, got 7/],
    [{ ...TEMPLATE, bits: '247fffff' }, /result\.bits: nBits 247fffff overflows 256 bits/],
    [{ ...TEMPLATE, bits: '20800001' }, /result\.bits: nBits 20800001 encodes a negative target/],
    [{ ...TEMPLATE, default_witness_commitment: 'abc' }, /result\.default_witness_commitment/],
    [{ ...TEMPLATE, longpollid: null }, /result\.longpollid: expected a string/],
  ];
  for (const [r, field] of cases) {
    result = r;
    await badReply(rpc.getblocktemplate(), field);
  }
});

test('null chain info, a non-hash best block and a non-string verdict are bad_reply errors', async (t) => {
  const answers: Record<string, unknown> = {
    getblockchaininfo: null,
    getbestblockhash: { a: 1 },
    submitblock: 5,
  };
  const n = await node(t, (r) => ({ result: answers[r.method] }));
  const rpc = new BitcoinRpc({ url: n.url, retry: { attempts: 1 } });
  await badReply(rpc.checkChain('regtest'), /getblockchaininfo: result: expected an object, got null/);
  await badReply(rpc.getbestblockhash(), /getbestblockhash: result: expected a 64-digit hex hash/);
  await badReply(rpc.submitblock('00'), /submitblock: result: expected a string, got 5/);
  // Well-formed answers still come through.
  answers.getblockchaininfo = { chain: 'regtest', blocks: 5 };
  answers.submitblock = null;
  assert.equal((await rpc.checkChain('regtest')).blocks, 5);
  assert.equal(await rpc.submitblock('00'), null);
});

test('the node watcher treats a null getblockchaininfo result as a node problem and keeps retrying', async (t) => {
  let good = false;
  const n = await node(t, (r) => {
    if (r.method === 'getblockchaininfo') return { result: good ? { chain: 'regtest', blocks: 1 } : null };
    return { result: TEMPLATE };
  });
  const rpc = new BitcoinRpc({ url: n.url, retry: { attempts: 1 } });
  const templates: BlockTemplate[] = [];
  const fatal: Error[] = [];
  const watch = new NodeWatch({
    rpc,
    network: 'regtest',
    logger: pino({ level: 'silent' }),
    onTemplate: (gbt) => templates.push(gbt),
    onFatal: (e) => fatal.push(e),
    initialDelayMs: 5,
    maxDelayMs: 10,
  });
  watch.start();
  t.after(() => watch.stop());
  for (let i = 0; i < 400 && n.requests.length < 3; i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(n.requests.length >= 3, 'the watcher retried');
  assert.equal(watch.down, true);
  assert.equal(templates.length, 0);
  good = true;
  for (let i = 0; i < 400 && templates.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(templates.at(0)?.height, 101);
  assert.deepEqual(fatal, []);
  await watch.stop();
});
