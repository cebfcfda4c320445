// The block subsidy: 50 BTC halved every interval, nothing after 64 halvings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockSubsidy, halvingInterval } from '../../src/bitcoin/index.js';

const BTC = 100_000_000n;

test('mainnet halvings: 50, 25, … 3.125 BTC at the 2024 halving, 0 from the 64th on', () => {
  assert.equal(blockSubsidy(0), 50n * BTC);
  assert.equal(blockSubsidy(209_999), 50n * BTC);
  assert.equal(blockSubsidy(210_000), 25n * BTC);
  assert.equal(blockSubsidy(840_000), 312_500_000n);
  assert.equal(blockSubsidy(63 * 210_000), 0n); // 50 BTC >> 63 rounds down to nothing
  assert.equal(blockSubsidy(64 * 210_000), 0n);
  assert.equal(blockSubsidy(1 << 30), 0n);
});

test('regtest halves every 150 blocks; bad heights are refused', () => {
  assert.equal(halvingInterval('regtest'), 150);
  assert.equal(halvingInterval('testnet4'), 210_000);
  assert.equal(blockSubsidy(149, 'regtest'), 50n * BTC);
  assert.equal(blockSubsidy(150, 'regtest'), 25n * BTC);
  assert.equal(blockSubsidy(300, 'regtest'), 1_250_000_000n);
  assert.throws(() => blockSubsidy(-1), RangeError);
  assert.throws(() => blockSubsidy(1.5), RangeError);
});
