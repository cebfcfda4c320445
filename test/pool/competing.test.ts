// Block candidates and what the chain keeps, on devnet where most shares are
// blocks: several candidates on one prev hash are all submitted, only the one
// the node keeps counts as found (the others are orphaned, and take over with
// their payouts if the node switches to them); a candidate the node refuses
// is rejected and its payouts undone; without node RPC the template
// provider's tips settle every candidate, also one whose height they skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toDisplayHex } from '../../src/bitcoin/index.js';
import type { statsJson } from '../../src/web/api.js';
import { startTp } from '../tp/fixture.js';
import {
  MiningClient,
  POOL_ADDRESS,
  poolAccountCli,
  queryDb,
  startPool,
  startStack,
  targetOf,
  type PoolProcess,
  type Stack,
} from './fixture.js';

type Stats = ReturnType<typeof statsJson>;

const RPC = (s: Stack) => ['--rpc-url', s.devnet.url, '--rpc-cookie', s.devnet.cookie];
const QUICK = ['--block-check-interval', '0.2', '--block-confirmations', '3', '--vardiff-interval', '0'];

interface Row {
  hash: string;
  height: number;
  prev_hash: string;
  status: string;
  payouts_recorded: number;
}

const rows = (s: Stack): Row[] =>
  queryDb<Row>(s.db, 'SELECT hash, height, prev_hash, status, payouts_recorded FROM blocks ORDER BY rowid');
const credit = (s: Stack, account: string): number =>
  queryDb<{ credit: number }>(
    s.db,
    'SELECT c.credit FROM pplns_credits c JOIN accounts a ON a.id = c.account_id WHERE a.name = ?',
    account,
  )[0]?.credit ?? 0;

/** Polls the database until `check` holds (or fails with what it last saw). */
async function until(s: Stack, what: string, check: (r: Row[]) => boolean, ms = 20_000): Promise<Row[]> {
  const end = Date.now() + ms;
  for (;;) {
    const r = rows(s);
    if (check(r)) return r;
    if (Date.now() > end) assert.fail(`${what}; blocks: ${JSON.stringify(r)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stats(pool: PoolProcess): Promise<Stats> {
  const web = await pool.proc.waitFor((r) => r.msg === 'web ready');
  const res = await fetch(`http://127.0.0.1:${String(web.port)}/api/stats`);
  return (await res.json()) as Stats;
}

/** A client on an extended channel whose share target is far harder than devnet's network target. */
async function client(t: Parameters<typeof startStack>[0], pool: PoolProcess, s: Stack, user: string) {
  const c = await MiningClient.connect(t, pool.port, s.poolKeys);
  assert.equal((await c.setup()).type, 'SetupConnectionSuccess');
  const open = await c.openExtended(user, 1e11);
  if (open.type !== 'OpenExtendedMiningChannelSuccess') assert.fail('open failed');
  const target = targetOf(open.target);
  const block = async () => c.mine(open, await c.activeWork(), target, 'block-below-target');
  /** Display hash of the block the current jobs build on. */
  const tip = async () => toDisplayHex((await c.activeWork()).prev.prev_hash);
  /** Mines one block and waits for the pool's tip to move onto it. */
  const advance = async () => {
    const before = await tip();
    await c.send(await block());
    await c.tipWhere((m) => toDisplayHex(m.prev_hash) !== before);
  };
  /** Two blocks, the second on a template built once the first one's share was committed: the
   * current template's PPLNS plan then includes this miner. */
  const warmUp = async () => {
    await advance();
    for (let i = 0; c.acknowledged < 1; i++) {
      if (i > 200) assert.fail('the first share was never acknowledged');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await advance();
  };
  return { c, block, advance, tip, warmUp };
}

test('competing candidates: all submitted, one kept; the node switching brings the other in with its payouts', async (t) => {
  const s = await startStack(t);
  // No payout address: gina's PPLNS share is carried as credit, so credit changes show.
  poolAccountCli(['add', 'gina', '--database', s.db]);
  const pool = await startPool(t, s, [...RPC(s), ...QUICK]);
  const m = await client(t, pool, s, 'gina.a');
  // gina's work in the PPLNS window of the template the candidates are built on.
  await m.warmUp();
  const tipBefore = await m.tip();

  // Two blocks on the same prev hash, sent back to back.
  const [a, b] = [await m.block(), await m.block()];
  await Promise.all([m.c.send(a), m.c.send(b)]);
  const recorded = await until(
    s,
    'both candidates recorded, the first kept and on the chain',
    (r) => r.filter((x) => x.prev_hash === tipBefore).length === 2,
  );
  const [first, second] = recorded.filter((x) => x.prev_hash === tipBefore) as [Row, Row];
  await until(s, 'the first candidate on the chain', (r) =>
    r.some((x) => x.hash === first.hash && x.status === 'pending'),
  );
  assert.equal(await s.devnet.rpc.call('getblockhash', [first.height]), first.hash);
  assert.equal(first.height, second.height);
  assert.equal(rows(s).find((x) => x.hash === second.hash)?.status, 'orphaned');
  assert.equal(rows(s).find((x) => x.hash === second.hash)?.payouts_recorded, 0);
  const owed = credit(s, 'gina');
  assert.ok(owed > 0, 'the kept block carried gina a credit');
  let st = await stats(pool);
  assert.deepEqual([st.blocks_found, st.blocks_orphaned, st.blocks_rejected], [3, 1, 0]);
  assert.equal(st.last_block?.hash, first.hash);

  // The node drops the first: the second (equal work, seen next) becomes its block there.
  await s.devnet.rpc.invalidateblock(first.hash);
  await until(
    s,
    'the second candidate on the chain with its payouts, the first orphaned',
    (r) =>
      r.some((x) => x.hash === second.hash && x.status === 'pending' && x.payouts_recorded === 1) &&
      r.some((x) => x.hash === first.hash && x.status === 'orphaned'),
  );
  assert.equal(await s.devnet.rpc.call('getblockhash', [second.height]), second.hash);
  // The first block's credit change is undone and the second's applied: one block's worth.
  assert.equal(credit(s, 'gina'), owed);
  st = await stats(pool);
  assert.deepEqual([st.blocks_found, st.blocks_orphaned, st.blocks_rejected], [3, 1, 0]);
});

test('a candidate the node refuses is rejected, never counted, and its credit changes are undone', async (t) => {
  const s = await startStack(t);
  poolAccountCli(['add', 'hank', '--database', s.db]);
  const pool = await startPool(t, s, [...RPC(s), ...QUICK]);
  const m = await client(t, pool, s, 'hank.a');
  await m.warmUp();
  const parent = await m.tip();
  const before = credit(s, 'hank');

  // Without the TP the pool keeps its jobs; the node meanwhile drops the block they build on.
  await s.tp.proc.stop();
  await pool.proc.waitFor((r) => r.msg === 'template provider unreachable; retrying with backoff');
  await s.devnet.rpc.invalidateblock(parent);
  await m.c.send(await m.block());
  const refused = await pool.proc.waitFor((r) => r.msg === 'node rejected the block');
  assert.equal(refused.verdict, 'bad-prevblk');
  const r = await until(s, 'the candidate rejected', (x) =>
    x.some((b) => b.hash === refused.hash && b.status === 'rejected'),
  );
  assert.equal(
    r.find((b) => b.hash === refused.hash)?.payouts_recorded,
    1,
    'its payouts were recorded when found',
  );
  const changes = queryDb<{ delta: number }>(
    s.db,
    'SELECT delta FROM pplns_credit_changes WHERE block_hash = ?',
    refused.hash,
  );
  assert.ok(changes.length === 1 && changes[0]!.delta > 0, 'they carried hank a credit');
  assert.equal(credit(s, 'hank'), before, 'and undone');
  const st = await stats(pool);
  assert.equal(st.blocks_rejected, 1);
  assert.notEqual(st.last_block?.hash, refused.hash);
});

test('without node RPC the tips settle candidates: kept, competing, and one whose height the tips skipped', async (t) => {
  const s = await startStack(t);
  poolAccountCli(['add', 'ivy', '--database', s.db]);
  const pool = await startPool(t, s, [...QUICK.slice(2)]);
  const m = await client(t, pool, s, 'ivy.a');
  const tipBefore = await m.tip();
  const [a, b] = [await m.block(), await m.block()];
  await Promise.all([m.c.send(a), m.c.send(b)]);
  const kept = await m.c.tipWhere((x) => toDisplayHex(x.prev_hash) !== tipBefore);
  const keptHash = toDisplayHex(kept.prev_hash);
  let r = await until(s, 'the kept one pending, the other orphaned', (x) => {
    const on = x.filter((y) => y.prev_hash === tipBefore);
    return (
      on.length === 2 &&
      on.some((y) => y.hash === keptHash && y.status === 'pending') &&
      on.some((y) => y.status === 'orphaned')
    );
  });
  const height = r.find((y) => y.hash === keptHash)!.height;

  // A candidate the node never gets (the TP is down), and three blocks mined past it.
  await s.tp.proc.stop();
  await pool.proc.waitFor((x) => x.msg === 'template provider unreachable; retrying with backoff');
  await m.c.send(await m.block());
  const lost = await until(s, 'the lost candidate recorded', (x) =>
    x.some((y) => y.height === height + 1),
  ).then((x) => x.find((y) => y.height === height + 1)!);
  assert.equal(lost.status, 'pending');
  await s.devnet.rpc.generatetoaddress(3, POOL_ADDRESS);
  const tp = await startTp(s.devnet, s.tpKeys, ['--listen', `127.0.0.1:${s.tp.port}`]);
  t.after(() => tp.proc.stop());
  r = await until(
    s,
    'the skipped candidate orphaned, the kept one confirmed (block_confirmations 3)',
    (x) =>
      x.some((y) => y.hash === lost.hash && y.status === 'orphaned') &&
      x.some((y) => y.hash === keptHash && y.status === 'confirmed'),
    30_000,
  );
  assert.equal(r.filter((y) => y.status === 'orphaned').length, 2);
  const st = await stats(pool);
  assert.deepEqual([st.blocks_found, st.blocks_orphaned], [1, 2]);
});
