// submitblock against blocks built from the devnet's own getblocktemplate:
// valid blocks raise the height, and each consensus failure gets Core's reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isRpcError } from '../../src/rpc/index.js';
import { encodeBip34Height } from '../../src/bitcoin/index.js';
import { REGTEST_GENESIS_HASH } from '../../src/roles/devnet/consensus.js';
import {
  buildBlock,
  mineOne,
  recipeFromTemplate,
  startDevnet,
  unmineBlock,
  type BlockRecipe,
} from './fixture.js';

test('a block mined from getblocktemplate is accepted and raises the height', async (t) => {
  const { rpc, logs } = await startDevnet(t);
  const tpl = await rpc.getblocktemplate();
  assert.equal(tpl.previousblockhash, REGTEST_GENESIS_HASH);
  assert.equal(tpl.height, 1);
  assert.deepEqual(tpl.rules, ['csv', '!segwit', 'taproot']);
  assert.equal(tpl.bits, '207fffff');
  assert.equal(tpl.coinbasevalue, 5_000_000_000);
  assert.match(tpl.default_witness_commitment ?? '', /^6a24aa21a9ed[0-9a-f]{64}$/);
  for (let h = 1; h <= 3; h++) {
    const { result, block } = await mineOne(rpc);
    assert.equal(result, null);
    assert.equal(await rpc.getblockcount(), h);
    assert.equal(await rpc.getbestblockhash(), block.hash);
  }
  const accepted = logs.filter((r) => r.msg === 'block accepted');
  assert.deepEqual(
    accepted.map((r) => r.height),
    [1, 2, 3],
  );
  const info = await rpc.getblockchaininfo();
  assert.equal(info.chain, 'regtest');
  assert.equal(info.blocks, 3);
  assert.equal(info.initialblockdownload, false);
});

test('synthetic mempool transactions go into the template, the block and out of the mempool', async (t) => {
  const { rpc, node } = await startDevnet(t);
  assert.equal(node.injectSynthetic(40), 40);
  const tpl = await rpc.getblocktemplate();
  assert.equal(tpl.transactions.length, 40);
  const fees = tpl.transactions.reduce((s, x) => s + x.fee, 0);
  assert.ok(fees > 0);
  assert.equal(tpl.coinbasevalue, 5_000_000_000 + fees);
  assert.ok(
    tpl.transactions.some((x) => x.txid !== x.hash),
    'some transactions are segwit',
  );
  for (let i = 1; i < tpl.transactions.length; i++) {
    const a = tpl.transactions[i - 1]!;
    const b = tpl.transactions[i]!;
    const rate = (x: { fee: number; weight: number }) => x.fee / Math.ceil(x.weight / 4);
    assert.ok(rate(a) >= rate(b), 'ordered by fee rate (sat/vB)');
  }
  const { result, block } = await mineOne(rpc);
  assert.equal(result, null);
  assert.deepEqual(await rpc.call('getrawmempool', []), []);
  const got = (await rpc.call('getblock', [block.hash, 1])) as { tx: string[]; height: number };
  assert.equal(got.height, 1);
  assert.deepEqual(
    got.tx.slice(1),
    tpl.transactions.map((x) => x.txid),
  );
  const raw = (await rpc.call('getrawtransaction', [tpl.transactions[0]!.txid])) as string;
  assert.equal(raw, tpl.transactions[0]!.data);
});

interface Case {
  reason: string;
  tweak: (r: BlockRecipe) => void;
  /** Leave the proof of work unsolved. */
  unmined?: boolean;
  /** Put witness transactions in the mempool first. */
  withTxs?: boolean;
}

const cases: Case[] = [
  { reason: 'high-hash', tweak: () => {}, unmined: true },
  // A harder target that the header still meets: right work, wrong bits.
  { reason: 'bad-diffbits', tweak: (r) => (r.bits = 0x207ffffe) },
  { reason: 'time-too-old', tweak: (r) => (r.time = r.time - 10 * 365 * 24 * 3600) },
  { reason: 'time-too-new', tweak: (r) => (r.time = Math.floor(Date.now() / 1000) + 2 * 3600 + 600) },
  { reason: 'bad-txnmrklroot', tweak: (r) => (r.merkleRoot = randomBytes(32)) },
  { reason: 'bad-cb-height', tweak: (r) => (r.heightPush = encodeBip34Height(r.height + 1)) },
  { reason: 'bad-cb-amount', tweak: (r) => (r.payoutValue += 1n), withTxs: true },
  {
    reason: 'bad-witness-merkle-match',
    tweak: (r) => {
      const script = Uint8Array.from(r.templateOutputs[0]!.script);
      script[script.length - 1] = script[script.length - 1]! ^ 1;
      r.templateOutputs = [{ value: 0n, script }];
    },
    withTxs: true,
  },
  // Core's reason when witness data comes without any commitment.
  { reason: 'unexpected-witness', tweak: (r) => (r.templateOutputs = []), withTxs: true },
  { reason: 'prev-blk-not-found', tweak: (r) => (r.prevHash = randomBytes(32).toString('hex')) },
];

for (const c of cases) {
  test(`submitblock rejects with ${c.reason}`, async (t) => {
    const { rpc, node, logs } = await startDevnet(t);
    // One block first, so the chain has a real tip above genesis.
    assert.equal((await mineOne(rpc)).result, null);
    if (c.withTxs) node.injectSynthetic(12);
    const recipe = recipeFromTemplate(await rpc.getblocktemplate());
    c.tweak(recipe);
    let block = buildBlock(recipe);
    if (c.unmined) block = unmineBlock(block);
    assert.equal(await rpc.submitblock(block.hex), c.reason);
    assert.equal(await rpc.getblockcount(), 1);
    assert.ok(logs.some((r) => r.msg === 'block rejected' && r.reason === c.reason && r.hash === block.hash));
  });
}

test('submitblock: undecodable hex is RPC error -22, a resubmitted block is "duplicate"', async (t) => {
  const { rpc } = await startDevnet(t);
  const { result, block } = await mineOne(rpc);
  assert.equal(result, null);
  assert.equal(await rpc.submitblock(block.hex), 'duplicate');
  for (const bad of ['zz', block.hex.slice(0, 200), block.hex + '00', '']) {
    await assert.rejects(rpc.submitblock(bad), (e: unknown) => {
      assert.ok(isRpcError(e), String(e));
      assert.equal(e.code, -22);
      assert.match(e.message, /Block decode failed/);
      return true;
    });
  }
  assert.equal(await rpc.getblockcount(), 1);
});

test('proposal mode and testblockvalidity check a block without storing it', async (t) => {
  const { rpc } = await startDevnet(t);
  const recipe = recipeFromTemplate(await rpc.getblocktemplate());
  const good = buildBlock(recipe);
  assert.equal(
    await rpc.call('getblocktemplate', [{ mode: 'proposal', data: good.hex, rules: ['segwit'] }]),
    null,
  );
  const bad = buildBlock({ ...recipe, payoutValue: recipe.payoutValue + 1n });
  assert.equal(
    await rpc.call('getblocktemplate', [{ mode: 'proposal', data: bad.hex, rules: ['segwit'] }]),
    'bad-cb-amount',
  );
  // testblockvalidity: the same verdicts, and optionally without proof of work.
  const unmined = unmineBlock(good);
  assert.equal(await rpc.call('testblockvalidity', [unmined.hex]), 'high-hash');
  assert.equal(await rpc.call('testblockvalidity', [unmined.hex, false]), null);
  assert.equal(await rpc.call('testblockvalidity', [bad.hex, false]), 'bad-cb-amount');
  assert.equal(await rpc.getblockcount(), 0);
  assert.equal(await rpc.submitblock(good.hex), null);
  assert.equal(await rpc.call('testblockvalidity', [good.hex]), 'duplicate');
  assert.equal(await rpc.call('testblockvalidity', [unmined.hex, false]), 'inconclusive-not-best-prevblk');
});
