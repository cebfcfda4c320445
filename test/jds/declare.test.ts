// The whole job declaration flow against real processes: a devnet with a
// filling mempool and `strata jds` whose mempool mirror is read once and then
// left stale, so a job built from a fresh getblocktemplate holds transactions
// the server has to ask for. Token → DeclareMiningJob → ProvideMissingTransactions
// → DeclareMiningJob.Success (token checked with the secret, commitment
// recomputed here) → PushSolution → the devnet's new block holds the declared
// transactions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { blockSubsidy, serializeOutputs, toDisplayHex } from '../../src/bitcoin/index.js';
import { TOKEN_KIND, verifyToken } from '../../src/channels/jd-token.js';
import {
  JdClient,
  POOL_ADDRESS,
  POOL_SCRIPT,
  buildJob,
  jobFromTemplate,
  templateTxs,
  recordAfter,
  solveJob,
  startJds,
  startJdsStack,
} from './fixture.js';

const now = () => Math.floor(Date.now() / 1000);

async function mempoolSize(rpc: { getrawmempool(v?: false): Promise<string[]> }): Promise<number> {
  return (await rpc.getrawmempool(false)).length;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('declared job with transactions the JDS lacks: asked, checked, acknowledged, and its block mined', async (t) => {
  // About 100 synthetic transactions a second.
  const s = await startJdsStack(t, ['--tx-rate', '6000']);
  const rpc = s.devnet.rpc;
  await until('a first mempool', async () => ((await mempoolSize(rpc)) >= 20 ? true : undefined));
  // One mempool read at start, then none for the rest of the test.
  const jds = await startJds(t, s, ['--mempool-poll', '100000']);
  const loaded = jds.proc.records.find((r) => r.msg === 'mempool mirror loaded')!;
  const mirrored = Number(loaded.txs);
  assert.ok(mirrored >= 20, `mirror loaded ${mirrored} transactions`);
  const gbt = await until('a template with transactions the JDS has not seen', async () => {
    const g = await rpc.getblocktemplate();
    return g.transactions.length >= mirrored + 20 ? g : undefined;
  });

  const jdc = await JdClient.setUp(t, jds.port, s.keys);
  const alloc = await jdc.allocate(1);
  // The pool payout output, value 0, with its CompactSize count; the token commits to exactly it.
  const poolOutputs = serializeOutputs([{ value: 0n, script: POOL_SCRIPT }], true);
  assert.deepEqual(alloc.coinbase_tx_outputs, poolOutputs);
  const allocated = verifyToken(alloc.mining_job_token, s.secret, now());
  assert.ok(allocated.ok, 'the allocated token verifies with the shared secret');
  assert.equal(allocated.token.kind, TOKEN_KIND.ALLOCATED);
  assert.deepEqual(
    Buffer.from(allocated.token.commitment),
    createHash('sha256').update(poolOutputs).digest(),
  );

  const job = jobFromTemplate(gbt);
  const skip = jds.proc.records.length;
  const asked = await jdc.declare(job, 7, alloc.mining_job_token);
  assert.equal(asked.type, 'ProvideMissingTransactions', JSON.stringify(asked));
  const positions = asked.unknown_tx_position_list;
  assert.ok(positions.length >= job.txs.length - mirrored, `asked for ${positions.length}`);
  assert.ok(positions.length <= job.txs.length);
  for (let i = 1; i < positions.length; i++) assert.ok(positions[i]! > positions[i - 1]!, 'ascending');
  assert.ok(positions.every((p) => p < job.txs.length));

  const ok = await jdc.provide(
    7,
    positions.map((p) => job.txs[p]!.raw),
  );
  assert.equal(ok.type, 'DeclareMiningJobSuccess', JSON.stringify(ok));
  const declared = verifyToken(ok.new_mining_job_token, s.secret, now());
  assert.ok(declared.ok, 'the declared token verifies with the shared secret');
  assert.equal(declared.token.kind, TOKEN_KIND.DECLARED);
  assert.notEqual(declared.token.id, allocated.token.id);
  // The commitment, recomputed from what a SetCustomMiningJob would carry.
  const version = Buffer.alloc(4);
  version.writeUInt32LE(job.version);
  const expected = createHash('sha256').update(version).update(serializeOutputs(job.outputs, true));
  for (const h of job.merklePath) expected.update(h);
  assert.deepEqual(Buffer.from(declared.token.commitment), expected.digest());
  const logged = await recordAfter(jds.proc, skip, (r) => r.msg === 'job declared');
  assert.equal(logged.txs, job.txs.length);
  assert.equal(logged.provided, positions.length);

  // A solved header on that job: the JDS rebuilds the block and submits it.
  const solution = solveJob(job, gbt);
  await jdc.send({ type: 'PushSolution', ...solution });
  const accepted = await recordAfter(jds.proc, skip, (r) => r.msg === 'block accepted by the node');
  const hash = String(accepted.hash);
  assert.equal(await rpc.getbestblockhash(), hash);
  const block = await rpc.getblock(hash, 1);
  assert.equal(block.height, gbt.height);
  assert.deepEqual(
    block.tx.slice(1),
    job.txs.map((tx) => toDisplayHex(tx.txid)),
    'the block holds the declared transactions in order',
  );
  assert.equal(accepted.txs, job.txs.length);
});

test('a job whose transactions the JDS all knows is acknowledged without asking', async (t) => {
  const s = await startJdsStack(t, ['--tx-rate', '3000']);
  const rpc = s.devnet.rpc;
  await until('a mempool', async () => ((await mempoolSize(rpc)) >= 10 ? true : undefined));
  // Everything in the mempool now is in the mirror's first read: no block is mined meanwhile
  // and the devnet's mempool is far from full, so nothing leaves it.
  const before = new Set(await rpc.getrawmempool(false));
  const jds = await startJds(t, s, ['--mempool-poll', '100000']);
  const gbt = await rpc.getblocktemplate();
  const known = gbt.transactions.filter((tx) => before.has(tx.txid));
  assert.ok(known.length >= 10, `${known.length} known transactions in the template`);
  const fees = known.reduce((sum, tx) => sum + BigInt(tx.fee), 0n);
  const job = buildJob({
    height: gbt.height,
    version: gbt.version,
    outputs: [{ value: blockSubsidy(gbt.height, 'regtest') + fees, script: POOL_SCRIPT }],
    txs: templateTxs({ ...gbt, transactions: known }),
  });
  const jdc = await JdClient.setUp(t, jds.port, s.keys);
  const alloc = await jdc.allocate(1);
  const reply = await jdc.declare(job, 2, alloc.mining_job_token);
  assert.equal(reply.type, 'DeclareMiningJobSuccess', JSON.stringify(reply));
  const logged = await jds.proc.waitFor((r) => r.msg === 'job declared');
  assert.equal(logged.provided, 0);
  assert.equal(logged.txs, known.length);
  assert.equal(logged.known_fees, String(fees));
  assert.equal(logged.unknown_fees, 0);
  assert.equal(await jds.proc.stop(), 0, 'SIGTERM stops the JDS cleanly');
});

test('the mempool mirror follows the node: new transactions in, confirmed ones out, at most max_mempool_txs', async (t) => {
  const s = await startJdsStack(t, ['--tx-rate', '3000']);
  const rpc = s.devnet.rpc;
  await until('a mempool', async () => ((await mempoolSize(rpc)) >= 20 ? true : undefined));
  const jds = await startJds(t, s, [
    '--mempool-poll',
    '0.2',
    '--max-mempool-txs',
    '15',
    '--log-level',
    'debug',
  ]);
  const update = (pred: (r: Record<string, unknown>) => boolean) =>
    jds.proc.waitFor(
      (r) => (r.msg === 'mempool mirror loaded' || r.msg === 'mempool mirror updated') && pred(r),
    );
  // Bounded: the node holds more than 15, the mirror exactly 15 (the highest fee rates).
  const full = await update((r) => r.txs === 15);
  assert.equal(full.txs, 15);
  assert.ok(jds.proc.records.every((r) => typeof r.txs !== 'number' || r.txs <= 15));
  // A block confirms (and removes) every mempool transaction: the mirror drops them and refills.
  const skip = jds.proc.records.length;
  await rpc.generatetoaddress(1, POOL_ADDRESS);
  const after = await recordAfter(
    jds.proc,
    skip,
    (r) => r.msg === 'mempool mirror updated' && Number(r.removed) > 0,
  );
  assert.ok(Number(after.removed) > 0);
  await recordAfter(jds.proc, skip, (r) => r.msg === 'mempool mirror updated' && Number(r.added) > 0);
});
