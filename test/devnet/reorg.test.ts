// Side branches, reorgs and invalidateblock: what tests of the rest of the
// stack use to inject chain reorganisations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeBip34Height, toDisplayHex } from '../../src/bitcoin/index.js';
import { buildBlock, mineOne, recipeFromTemplate, startDevnet, type BlockRecipe } from './fixture.js';

interface Tip {
  height: number;
  hash: string;
  branchlen: number;
  status: string;
}

/** The recipe of a block on `prev` at `height`, reusing a template's outputs (empty mempool). */
function onParent(base: BlockRecipe, prev: string, height: number, time: number): BlockRecipe {
  const r = { ...base, prevHash: prev, height, heightPush: encodeBip34Height(height), time };
  r.extranonce = Uint8Array.from([...base.extranonce, height]);
  return r;
}

test('invalidateblock moves the tip back; the other branch then grows the chain', async (t) => {
  const { rpc, node } = await startDevnet(t);
  const a1 = await mineOne(rpc);
  node.injectSynthetic(5);
  const a2 = await mineOne(rpc);
  assert.equal(a2.result, null);
  const a2txs = ((await rpc.call('getblock', [a2.block.hash, 1])) as { tx: string[] }).tx.slice(1);
  assert.equal(a2txs.length, 5);
  assert.deepEqual(await rpc.call('getrawmempool', []), []);

  assert.equal(await rpc.call('invalidateblock', [a2.block.hash]), null);
  assert.equal(await rpc.getblockcount(), 1);
  assert.equal(await rpc.getbestblockhash(), a1.block.hash);
  // The invalidated block's transactions are back in the mempool.
  assert.deepEqual(((await rpc.call('getrawmempool', [])) as string[]).sort(), [...a2txs].sort());
  const header = (await rpc.call('getblockheader', [a2.block.hash])) as { confirmations: number };
  assert.equal(header.confirmations, -1);

  const b2 = await mineOne(rpc);
  assert.equal(b2.result, null);
  assert.equal(toDisplayHex(b2.block.header.prev_hash), a1.block.hash);
  const b3 = await mineOne(rpc);
  assert.equal(b3.result, null);
  assert.equal(await rpc.getblockcount(), 3);
  assert.equal(await rpc.getbestblockhash(), b3.block.hash);
  const tips = (await rpc.call('getchaintips', [])) as Tip[];
  assert.ok(tips.some((x) => x.hash === a2.block.hash && x.status === 'invalid'));
  assert.ok(tips.some((x) => x.hash === b3.block.hash && x.status === 'active'));
  // Resubmitting the invalidated block is refused.
  assert.equal(await rpc.submitblock(a2.block.hex), 'duplicate-invalid');
});

test('a block on a side branch is "inconclusive"; a longer side branch takes over', async (t) => {
  const { rpc } = await startDevnet(t);
  const a1 = await mineOne(rpc);
  const staleTemplate = await rpc.getblocktemplate(); // built on a1, empty mempool
  const a2 = await mineOne(rpc);
  const a3 = await mineOne(rpc);
  assert.equal(a3.result, null);
  const base = recipeFromTemplate(staleTemplate);
  const time = staleTemplate.curtime;

  const c2 = buildBlock(onParent(base, a1.block.hash, 2, time));
  assert.equal(await rpc.submitblock(c2.hex), 'inconclusive');
  const c3 = buildBlock(onParent(base, c2.hash, 3, time + 1));
  assert.equal(await rpc.submitblock(c3.hex), 'inconclusive'); // equal work: the first seen stays
  assert.equal(await rpc.getbestblockhash(), a3.block.hash);
  const c4 = buildBlock(onParent(base, c3.hash, 4, time + 2));
  assert.equal(await rpc.submitblock(c4.hex), null);
  assert.equal(await rpc.getbestblockhash(), c4.hash);
  assert.equal(await rpc.getblockcount(), 4);
  assert.equal((await rpc.call('getblockhash', [2])) as string, c2.hash);

  const tips = (await rpc.call('getchaintips', [])) as Tip[];
  const fork = tips.find((x) => x.hash === a3.block.hash);
  assert.deepEqual(fork && { status: fork.status, branchlen: fork.branchlen }, {
    status: 'valid-fork',
    branchlen: 2,
  });
  const header = (await rpc.call('getblockheader', [a2.block.hash])) as { confirmations: number };
  assert.equal(header.confirmations, -1);
  // The next template builds on the new tip.
  assert.equal((await rpc.getblocktemplate()).previousblockhash, c4.hash);
});
