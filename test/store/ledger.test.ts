import { test as nodeTest, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { computePplnsPayouts, Store } from '../../src/store/index.js';
import { ENGINES, storeLocation, type Engine } from './engines.js';

const HASH_A = 'aa'.repeat(32);
const HASH_B = 'bb'.repeat(32);
const script = (tag: number) => new Uint8Array([0x00, 0x14, ...new Array<number>(20).fill(tag)]);

async function setup(store: Store): Promise<void> {
  for (const a of ['alice', 'bob', 'carol']) await store.ensureWorker(a, 'rig');
}

for (const engine of ENGINES) suite(engine);

function suite(engine: Engine): void {
  const test = (name: string, fn: (t: TestContext) => Promise<void>) => nodeTest(`${engine}: ${name}`, fn);
  const where = (t: TestContext) => storeLocation(t, engine);

  test('blocks are recorded once and listed newest first', async (t) => {
    const store = await Store.open(await where(t));
    t.after(() => store.close());
    await setup(store);
    const block = {
      height: 100,
      hash: HASH_A,
      account: 'alice',
      worker: 'rig',
      reward_sats: 312_500_000n,
      coinbase_value: 312_512_345n,
      time: 1_000,
    };
    assert.equal(await store.ledger.recordBlock(block), true);
    assert.equal(await store.ledger.recordBlock({ ...block, height: 999 }), false);
    assert.equal(
      await store.ledger.recordBlock({ ...block, hash: HASH_B, height: 101, time: 2_000, account: null }),
      true,
    );
    assert.deepEqual(
      (await store.ledger.blocks()).map((b) => [b.height, b.account, b.worker, b.status]),
      [
        [101, null, null, 'pending'],
        [100, 'alice', 'rig', 'pending'],
      ],
    );
    assert.equal((await store.ledger.getBlock(HASH_A))?.coinbase_value, 312_512_345n);
    assert.equal(await store.ledger.updateBlockStatus(HASH_A, 'confirmed'), true);
    assert.equal(await store.ledger.updateBlockStatus(HASH_A, 'confirmed'), false);
    assert.equal(await store.ledger.updateBlockStatus('cc'.repeat(32), 'confirmed'), false);
    assert.equal((await store.ledger.getBlock(HASH_A))?.status, 'confirmed');
    await assert.rejects(async () => await store.ledger.recordBlock({ ...block, hash: 'XYZ' }), /hash/);
  });

  test('payouts are idempotent per block; an orphan gives the credits back', async (t) => {
    const store = await Store.open(await where(t));
    t.after(() => store.close());
    await setup(store);
    await store.ledger.recordBlock({
      height: 1,
      hash: HASH_A,
      account: 'bob',
      worker: 'rig',
      reward_sats: 10_000n,
      coinbase_value: 10_000n,
    });
    // Before the block: alice owes nothing, bob carries 1,000, carol carries 300.
    await store.engine.run(
      `INSERT INTO pplns_credits (account_id, credit) SELECT id, 1000 FROM accounts WHERE name = 'bob'`,
    );
    await store.engine.run(
      `INSERT INTO pplns_credits (account_id, credit) SELECT id, 300 FROM accounts WHERE name = 'carol'`,
    );
    const credits = await store.ledger.credits();
    assert.deepEqual(
      [...credits],
      [
        ['bob', 1_000n],
        ['carol', 300n],
      ],
    );
    // alice 50 %, bob 30 %, carol 20 % of 10,000 (no fee): 5,000 / 3,000 + 1,000 / 2,000 + 300.
    // carol has no payout script → carried 2,300.
    const r = computePplnsPayouts({
      window: [
        { account: 'alice', difficulty: 5 },
        { account: 'bob', difficulty: 3 },
        { account: 'carol', difficulty: 2 },
      ],
      reward_sats: 10_000n,
      pool_fee_percent: 0,
      credits,
      pool_payout_script: script(0),
      payout_scripts: { alice: script(1), bob: script(2) },
    });
    assert.equal(await store.ledger.recordBlockPayouts(HASH_A, r.outputs, r.carried), true);
    const after = [...(await store.ledger.credits())];
    assert.deepEqual(after, [['carol', 2_300n]]);
    const payouts = (await store.ledger.payouts({ block_hash: HASH_A })).map((p) => [p.account, p.amount]);
    assert.deepEqual(payouts, [
      ['alice', 5_000n],
      ['bob', 4_000n],
    ]);

    // Recording again (a retry after a crash, a duplicate call) changes nothing.
    assert.equal(await store.ledger.recordBlockPayouts(HASH_A, r.outputs, r.carried), false);
    assert.deepEqual([...(await store.ledger.credits())], after);
    assert.deepEqual(
      (await store.ledger.payouts({ block_hash: HASH_A })).map((p) => [p.account, p.amount]),
      payouts,
    );
    assert.equal((await store.ledger.payouts({ account: 'ALICE' })).length, 1);

    // The block is orphaned: bob gets his 1,000 back, carol's 2,000 from this block goes away.
    assert.equal(await store.ledger.updateBlockStatus(HASH_A, 'orphaned'), true);
    assert.deepEqual([...(await store.ledger.credits())], [...credits]);
    // It comes back after a reorg: the payout's credit changes apply again.
    assert.equal(await store.ledger.updateBlockStatus(HASH_A, 'confirmed'), true);
    assert.deepEqual([...(await store.ledger.credits())], after);

    await assert.rejects(
      async () => await store.ledger.recordBlockPayouts(HASH_B, r.outputs, r.carried),
      /unknown block/,
    );
  });

  function pplns(credits: ReadonlyMap<string, bigint>) {
    // alice 50 %, bob 30 %, carol 20 % of 10,000 (no fee); carol has no payout script.
    return computePplnsPayouts({
      window: [
        { account: 'alice', difficulty: 5 },
        { account: 'bob', difficulty: 3 },
        { account: 'carol', difficulty: 2 },
      ],
      reward_sats: 10_000n,
      pool_fee_percent: 0,
      credits,
      pool_payout_script: script(0),
      payout_scripts: { alice: script(1), bob: script(2) },
    });
  }

  function block(hash: string, height: number, extra: object = {}) {
    return {
      height,
      hash,
      account: 'alice',
      worker: 'rig',
      reward_sats: 10_000n,
      coinbase_value: 10_000n,
      ...extra,
    };
  }

  test('a rejected block pays nobody: its credit changes are undone and payouts refused', async (t) => {
    const store = await Store.open(await where(t));
    t.after(() => store.close());
    await setup(store);
    await store.engine.run(
      `INSERT INTO pplns_credits (account_id, credit) SELECT id, 1000 FROM accounts WHERE name = 'bob'`,
    );
    const credits = await store.ledger.credits();
    const r = pplns(credits);
    assert.equal(await store.ledger.recordBlock(block(HASH_A, 1, { prev_hash: '11'.repeat(32) })), true);
    assert.equal((await store.ledger.getBlock(HASH_A))?.prev_hash, '11'.repeat(32));
    assert.equal(await store.ledger.recordBlockPayouts(HASH_A, r.outputs, r.carried, credits), true);
    assert.deepEqual([...(await store.ledger.credits())], [['carol', 2_000n]]);
    assert.equal(await store.ledger.updateBlockStatus(HASH_A, 'rejected'), true);
    assert.deepEqual([...(await store.ledger.credits())], [...credits]);
    // Orphaned after rejected: still off the chain, nothing moves.
    assert.equal(await store.ledger.updateBlockStatus(HASH_A, 'orphaned'), true);
    assert.deepEqual([...(await store.ledger.credits())], [...credits]);
    assert.equal(await store.ledger.recordBlock(block(HASH_B, 2, { status: 'rejected' })), true);
    await assert.rejects(
      () => store.ledger.recordBlockPayouts(HASH_B, r.outputs, r.carried),
      /rejected: it pays nobody/,
    );
    assert.deepEqual(await store.ledger.blockCounts(), {
      pending: 0,
      confirmed: 0,
      orphaned: 1,
      rejected: 1,
    });
    assert.deepEqual(await store.ledger.blocks(10, 0, { kept: true }), []);
    // Both are still looked at: a refused serialization does not keep the header off the chain.
    assert.deepEqual(await store.ledger.unsettledHeights(10), [1, 2]);
    assert.deepEqual(await store.ledger.unsettledHeights(0), [2]);
    await assert.rejects(
      async () => await store.ledger.recordBlock(block('cc'.repeat(32), 3, { prev_hash: 'x' })),
      /prev_hash/,
    );
  });

  test('payouts recorded late apply their own change: a competitor that wins after the first left', async (t) => {
    const store = await Store.open(await where(t));
    t.after(() => store.close());
    await setup(store);
    await store.engine.run(
      `INSERT INTO pplns_credits (account_id, credit) SELECT id, 1000 FROM accounts WHERE name = 'bob'`,
    );
    await store.engine.run(
      `INSERT INTO pplns_credits (account_id, credit) SELECT id, 300 FROM accounts WHERE name = 'carol'`,
    );
    const start = await store.ledger.credits();
    // Block A pays bob his 1,000 of credit and leaves carol 2,300.
    const a = pplns(start);
    await store.ledger.recordBlock(block(HASH_A, 5));
    await store.ledger.recordBlockPayouts(HASH_A, a.outputs, a.carried, start);
    const afterA = await store.ledger.credits();
    assert.deepEqual([...afterA], [['carol', 2_300n]]);
    // Block B at the same height was built on a later template, from the credits after A:
    // it pays bob only his 3,000 and leaves carol 4,300. The node keeps B, not A.
    const b = pplns(afterA);
    await store.ledger.recordBlock(block(HASH_B, 5, { status: 'orphaned' }));
    assert.equal(await store.ledger.updateBlockStatus(HASH_A, 'orphaned'), true);
    assert.equal(await store.ledger.updateBlockStatus(HASH_B, 'pending'), true);
    assert.equal(await store.ledger.recordBlockPayouts(HASH_B, b.outputs, b.carried, afterA), true);
    // Only B's coinbase paid: bob still has the 1,000 A would have paid, carol 300 + 2,000 from B.
    assert.deepEqual(
      [...(await store.ledger.credits())],
      [
        ['bob', 1_000n],
        ['carol', 2_300n],
      ],
    );
    assert.deepEqual(await store.ledger.blockCounts(), {
      pending: 1,
      confirmed: 0,
      orphaned: 1,
      rejected: 0,
    });
    assert.deepEqual(
      (await store.ledger.blocks(10, 0, { kept: true })).map((x) => x.hash),
      [HASH_B],
    );
    assert.deepEqual(await store.ledger.unsettledHeights(10), [5]);
    assert.deepEqual(
      (await store.ledger.blocksAt(5, HASH_A)).map((x) => [x.hash, x.status, x.payouts_recorded]),
      [
        [HASH_A, 'orphaned', true],
        [HASH_B, 'pending', true],
      ],
    );
    assert.deepEqual(
      (await store.ledger.blocksAt(5, null)).map((x) => x.hash),
      [HASH_B],
    );
  });
}
