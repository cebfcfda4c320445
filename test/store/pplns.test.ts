import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  computePplnsPayouts,
  DEFAULT_MAX_OUTPUTS,
  maxPayoutOutputs,
  V1_FIRMWARE_BUDGET,
  type PplnsInput,
} from '../../src/store/index.js';

const script = (tag: number) => new Uint8Array([0x00, 0x14, ...new Array<number>(20).fill(tag)]);
const POOL = script(0xff);

test('hand-computed payout: fee, rounding, credits, cap, dust and missing address', () => {
  // Window (difficulty): alice 40, bob 35, dave 25 → total 100.
  // reward 100,001 sats; fee 2 % = floor(100,001 × 20,000 / 1,000,000) = floor(2,000.02) = 2,000.
  // distributable = 98,001:
  //   alice floor(98,001 × 40 / 100) = floor(39,200.40) = 39,200
  //   bob   floor(98,001 × 35 / 100) = floor(34,300.35) = 34,300
  //   dave  floor(98,001 × 25 / 100) = floor(24,500.25) = 24,500   (sum 98,000, remainder 1)
  // Earlier credits: bob 700, erin 500, frank 3,000 → due: alice 39,200, bob 35,000, dave 24,500,
  //   erin 500, frank 3,000.
  // dave has no payout address → carried 24,500; erin 500 < dust 546 → carried 500.
  // max_outputs 3 = pool + 2 miners: alice 39,200 and bob 35,000 (the largest); frank's 3,000 is
  //   beyond the cap → carried 3,000.
  // pool = 100,001 − 39,200 − 35,000 = 25,801
  //      = fee 2,000 + remainder 1 + dave 24,500 − bob's credit 700 paid now.
  const input: PplnsInput = {
    window: [
      { account: 'alice', difficulty: 30 },
      { account: 'bob', difficulty: 35 },
      { account: 'dave', difficulty: 25 },
      { account: 'alice', difficulty: 10 },
    ],
    reward_sats: 100_001n,
    pool_fee_percent: 2,
    max_outputs: 3,
    dust_limit_sats: 546n,
    credits: { bob: 700n, erin: 500n, frank: 3_000n },
    pool_payout_script: POOL,
    payout_scripts: { alice: script(1), bob: script(2), erin: script(5), frank: script(6) },
  };
  const r = computePplnsPayouts(input);
  assert.deepEqual(
    r.outputs.map((o) => [o.account, o.value]),
    [
      ['alice', 39_200n],
      ['bob', 35_000n],
      [null, 25_801n],
    ],
  );
  assert.deepEqual(r.outputs[0]?.script, script(1));
  assert.deepEqual(r.outputs[2]?.script, POOL);
  assert.equal(r.fee_sats, 2_000n);
  assert.deepEqual(
    [...r.carried],
    [
      ['alice', 0n],
      ['bob', 0n],
      ['dave', 24_500n],
      ['erin', 500n],
      ['frank', 3_000n],
    ],
  );

  // With one more slot frank is paid from the pool's share: 25,801 − 3,000 = 22,801.
  const wider = computePplnsPayouts({ ...input, max_outputs: 4 });
  assert.deepEqual(
    wider.outputs.map((o) => [o.account, o.value]),
    [
      ['alice', 39_200n],
      ['bob', 35_000n],
      ['frank', 3_000n],
      [null, 22_801n],
    ],
  );
  assert.equal(wider.carried.get('frank'), 0n);
});

test('the default output cap fits a 255-byte V1 coinbase with P2WPKH outputs', () => {
  // 51 skeleton + 33 scriptSig + 47 witness commitment = 131; (255 − 131) / 31 = 4.
  assert.equal(DEFAULT_MAX_OUTPUTS, 4);
  assert.equal(maxPayoutOutputs({ ...V1_FIRMWARE_BUDGET, script_sig_bytes: 34 }), 3);
  assert.equal(maxPayoutOutputs({ ...V1_FIRMWARE_BUDGET, coinbase_limit_bytes: 10_000 }), 318);
});

test('every sat is paid to someone and every carried sat is accounted for (seeded cases)', () => {
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let round = 0; round < 200; round++) {
    const accounts = Array.from({ length: 1 + rand(12) }, (_, i) => `a${i}`);
    const window = Array.from({ length: 1 + rand(40) }, () => ({
      account: accounts[rand(accounts.length)] as string,
      difficulty: (1 + rand(10_000)) / 7,
    }));
    const credits: Record<string, bigint> = {};
    const scripts: Record<string, Uint8Array> = {};
    for (const a of accounts) {
      if (rand(3) === 0) credits[a] = BigInt(rand(5_000));
      if (rand(4) !== 0) scripts[a] = script(accounts.indexOf(a));
    }
    const reward = BigInt(1 + rand(10_000_000));
    const r = computePplnsPayouts({
      window,
      reward_sats: reward,
      pool_fee_percent: rand(5),
      max_outputs: 1 + rand(6),
      credits,
      pool_payout_script: POOL,
      payout_scripts: scripts,
    });
    const total = r.outputs.reduce((s, o) => s + o.value, 0n);
    assert.equal(total, reward, 'the outputs spend the whole reward');
    const paidMiners = r.outputs.filter((o) => o.account !== null).reduce((s, o) => s + o.value, 0n);
    const oldCredit = Object.values(credits).reduce((s, c) => s + c, 0n);
    const newCredit = [...r.carried.values()].reduce((s, c) => s + c, 0n);
    const pool = r.outputs.find((o) => o.account === null)?.value ?? 0n;
    // Miners get (paid now + owed later) = their proportional shares + old credit;
    // the pool keeps the fee and the rounding remainders.
    const shares = reward - r.fee_sats;
    assert.ok(paidMiners + newCredit - oldCredit <= shares);
    assert.ok(shares - (paidMiners + newCredit - oldCredit) < BigInt(accounts.length) + 1n);
    assert.equal(pool + paidMiners, reward);
    for (const o of r.outputs) assert.ok(o.value > 0n);
    // Same input, same answer.
    assert.deepEqual(
      computePplnsPayouts({
        window,
        reward_sats: reward,
        pool_fee_percent: 0,
        credits,
        pool_payout_script: POOL,
        payout_scripts: scripts,
      }),
      computePplnsPayouts({
        window: [...window],
        reward_sats: reward,
        pool_fee_percent: 0,
        credits: new Map(Object.entries(credits)),
        pool_payout_script: POOL,
        payout_scripts: new Map(Object.entries(scripts)),
      }),
    );
  }
});

test('an empty window pays everything to the pool; bad parameters are refused', () => {
  const r = computePplnsPayouts({
    window: [],
    reward_sats: 5_000n,
    pool_fee_percent: 1,
    pool_payout_script: POOL,
    payout_scripts: {},
  });
  assert.deepEqual(
    r.outputs.map((o) => [o.account, o.value]),
    [[null, 5_000n]],
  );
  const base = { window: [], reward_sats: 1n, pool_payout_script: POOL, payout_scripts: {} };
  assert.throws(() => computePplnsPayouts({ ...base, pool_fee_percent: 101 }), /pool_fee_percent/);
  assert.throws(() => computePplnsPayouts({ ...base, pool_fee_percent: 0, max_outputs: 0 }), /max_outputs/);
  assert.throws(
    () => computePplnsPayouts({ ...base, pool_fee_percent: 0, window: [{ account: 'x', difficulty: NaN }] }),
    /difficulty/,
  );
});

test('a negative credit (owed back after an orphan) reduces the next payout', () => {
  // window: only alice; reward 10,000, no fee → share 10,000; credit −1,000 → due 9,000.
  const r = computePplnsPayouts({
    window: [{ account: 'alice', difficulty: 1 }],
    reward_sats: 10_000n,
    pool_fee_percent: 0,
    credits: { alice: -1_000n },
    pool_payout_script: POOL,
    payout_scripts: { alice: script(1) },
  });
  assert.deepEqual(
    r.outputs.map((o) => [o.account, o.value]),
    [
      ['alice', 9_000n],
      [null, 1_000n],
    ],
  );
});
