// Payouts in the coinbase. Solo: the block found pays the miner's address
// (less the pool fee, which goes to coinbase_reward_script), read back from
// the devnet's block. PPLNS: with a share history written through the store
// before the pool starts, the outputs of the next job's coinbase are exactly
// the table computePplnsPayouts gives for that window, and the block found
// on it records those payouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NETWORKS,
  addressToScript,
  bitsToTarget,
  bytesToHex,
  hexToBytes,
  parseBlock,
  targetToDifficulty,
} from '../../src/bitcoin/index.js';
import { Store, computePplnsPayouts } from '../../src/store/index.js';
import {
  MiningClient,
  POOL_ADDRESS,
  jobOutputs,
  queryDb,
  regtestAddress,
  startPool,
  startStack,
  targetOf,
} from './fixture.js';

const script = (address: string) => addressToScript(address, NETWORKS.regtest);

test('solo mode: the block pays the finder, the fee pays the pool', async (t) => {
  const s = await startStack(t);
  const pool = await startPool(t, s, [
    '--payout-mode',
    'solo',
    '--pool-fee-percent',
    '1.5',
    '--shares-per-minute',
    '60',
    '--vardiff-interval',
    '0',
  ]);
  const miner = regtestAddress(0x11);
  const c = await MiningClient.connect(t, pool.port, s.poolKeys);
  assert.equal((await c.setup()).type, 'SetupConnectionSuccess');
  const bad = await c.openExtended('alice.rig', 1, 1);
  assert.equal(bad.type === 'OpenMiningChannelError' && bad.error_code, 'invalid-user-identity');
  const open = await c.openExtended(`${miner}.rig7`, 1, 2);
  if (open.type !== 'OpenExtendedMiningChannelSuccess') assert.fail('solo open failed');

  const reward = BigInt((await s.devnet.rpc.getblocktemplate()).coinbasevalue);
  const fee = (reward * 15_000n) / 1_000_000n;
  await c.send(c.mine(open, await c.activeWork(), targetOf(open.target), 'block'));
  const found = await pool.proc.waitFor((r) => r.msg === 'block found');
  await s.tp.proc.waitFor((r) => r.msg === 'block accepted by bitcoind' && r.hash === found.hash);

  const block = parseBlock(hexToBytes(await s.devnet.rpc.getblock(String(found.hash), 0)));
  const outputs = block.transactions[0]!.outputs;
  assert.equal(bytesToHex(outputs[0]!.script), bytesToHex(script(miner)));
  assert.equal(outputs[0]!.value, reward - fee);
  assert.equal(bytesToHex(outputs[1]!.script), bytesToHex(script(POOL_ADDRESS)));
  assert.equal(outputs[1]!.value, fee);

  const rows = queryDb<{ account: string; worker: string; amount: number }>(
    s.db,
    `SELECT a.name AS account, w.name AS worker, p.amount FROM payouts p JOIN blocks b ON b.hash = p.block_hash
       JOIN accounts a ON a.id = p.account_id JOIN workers w ON w.id = b.worker_id`,
  );
  assert.deepEqual(rows, [{ account: miner, worker: 'rig7', amount: Number(reward - fee) }]);
});

test('pplns mode: the job coinbase pays the PPLNS window, and the block records it', async (t) => {
  const s = await startStack(t);
  const bits = parseInt((await s.devnet.rpc.getblockchaininfo()).bits as string, 16);
  const networkDifficulty = targetToDifficulty(bitsToTarget(bits));
  // Window N = 80 units of share difficulty out of 100.001 stored: the oldest shares fall out.
  const factor = 80 / networkDifficulty;
  const accounts: Record<string, string | undefined> = {
    a1: regtestAddress(1),
    a2: regtestAddress(2),
    a3: regtestAddress(3),
    a4: undefined,
    a5: regtestAddress(5),
  };
  const history: [string, number][] = [
    ['a1', 10],
    ['a2', 20],
    ['a3', 5],
    ['a1', 15],
    ['a4', 10],
    ['a5', 0.001],
    ['a2', 30],
    ['a3', 10],
  ];
  const store = await Store.open(s.db, { pplns_window_factor: factor });
  for (const [name, address] of Object.entries(accounts))
    await store.ensureAccount(name, address ? { payout_address: address } : {});
  const writes = history.map(([account, difficulty], i) =>
    store.enqueue({
      account,
      worker: 'w',
      difficulty,
      share_difficulty: difficulty,
      channel_id: 1,
      job_id: i,
    }),
  );
  await store.flush();
  await Promise.all(writes);
  const { window } = await store.pplnsWindow(networkDifficulty);
  const credits = await store.ledger.credits();
  await store.close();
  const reward = BigInt((await s.devnet.rpc.getblocktemplate()).coinbasevalue);
  const payout_scripts = new Map(
    Object.entries(accounts)
      .filter(([, a]) => a !== undefined)
      .map(([n, a]) => [n, script(a!)]),
  );
  const expected = computePplnsPayouts({
    window,
    reward_sats: reward,
    pool_fee_percent: 2,
    max_outputs: 4,
    dust_limit_sats: 546n,
    credits,
    pool_payout_script: script(POOL_ADDRESS),
    payout_scripts,
  });
  // The table is not trivial: three miners paid, one without address carried, the pool last.
  assert.equal(expected.outputs.length, 4);
  assert.ok((expected.carried.get('a4') ?? 0n) > 0n);

  const pool = await startPool(t, s, [
    '--pplns-window-factor',
    String(factor),
    '--pool-fee-percent',
    '2',
    '--max-coinbase-outputs',
    '4',
    '--shares-per-minute',
    '60',
    '--vardiff-interval',
    '0',
  ]);
  const c = await MiningClient.connect(t, pool.port, s.poolKeys);
  assert.equal((await c.setup()).type, 'SetupConnectionSuccess');
  const open = await c.openExtended('a1.rig');
  if (open.type !== 'OpenExtendedMiningChannelSuccess') assert.fail('open failed');
  const work = await c.activeWork();
  const outputs = jobOutputs(work.job, open.extranonce_prefix.length + open.extranonce_size);
  const paid = outputs.slice(0, expected.outputs.length);
  assert.deepEqual(
    paid.map((o) => [bytesToHex(o.script), o.value]),
    expected.outputs.map((o) => [bytesToHex(o.script), o.value]),
  );
  // After the payouts only the template's own outputs (the witness commitment).
  assert.ok(outputs.slice(expected.outputs.length).every((o) => o.value === 0n));

  await c.send(c.mine(open, work, targetOf(open.target), 'block'));
  const found = await pool.proc.waitFor((r) => r.msg === 'block found');
  await s.tp.proc.waitFor((r) => r.msg === 'block accepted by bitcoind' && r.hash === found.hash);
  const block = parseBlock(hexToBytes(await s.devnet.rpc.getblock(String(found.hash), 0)));
  assert.deepEqual(
    block.transactions[0]!.outputs.slice(0, expected.outputs.length).map((o) => o.value),
    expected.outputs.map((o) => o.value),
  );
  const recorded = queryDb<{ account: string; amount: number }>(
    s.db,
    `SELECT a.name AS account, p.amount FROM payouts p JOIN accounts a ON a.id = p.account_id
       WHERE p.block_hash = ? ORDER BY p.amount DESC`,
    found.hash,
  );
  assert.deepEqual(
    recorded,
    expected.outputs
      .filter((o) => o.account !== null)
      .map((o) => ({ account: o.account, amount: Number(o.value) })),
  );
  const carried = queryDb<{ account: string; credit: number }>(
    s.db,
    'SELECT a.name AS account, c.credit FROM pplns_credits c JOIN accounts a ON a.id = c.account_id WHERE c.credit != 0 ORDER BY a.name',
  );
  assert.deepEqual(
    carried,
    [...expected.carried]
      .filter(([, v]) => v !== 0n)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([account, v]) => ({ account, credit: Number(v) })),
  );
});
