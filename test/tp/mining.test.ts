// `strata tp` as a real process between a devnet process and a TDP client:
// the first template and SetNewPrevHash, a block mined on the CPU and
// submitted with SubmitSolution, the node's tip advancing, and the TP
// shrugging off a SubmitSolution for a template it never issued.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeBip34Height,
  fromDisplayHex,
  parseOutputs,
  u256ToLE,
  u256FromBEHex,
} from '../../src/bitcoin/index.js';
import { connectClient, solve, startDevnetAndTp } from './fixture.js';

test('a TDP client mines a block through strata tp', async (t) => {
  const { devnet, keys, tp } = await startDevnetAndTp(t);
  const rc = await connectClient(t, tp.port, keys);

  // The first template is a future one, immediately followed by its SetNewPrevHash.
  const tpl = await rc.nextTemplate();
  assert.equal(tpl.future_template, true);
  const prev = await rc.nextPrevHash();
  assert.equal(prev.template_id, tpl.template_id);

  const height = await devnet.rpc.getblockcount();
  const gbt = await devnet.rpc.getblocktemplate();
  assert.deepEqual(prev.prev_hash, fromDisplayHex(await devnet.rpc.getbestblockhash()));
  assert.equal(prev.nBits, parseInt(gbt.bits, 16));
  assert.deepEqual(prev.target, u256ToLE(u256FromBEHex(gbt.target)));
  assert.deepEqual(tpl.coinbase_prefix, encodeBip34Height(height + 1));
  assert.equal(tpl.coinbase_tx_version, 2);
  assert.equal(tpl.coinbase_tx_input_sequence, 0xffffffff);
  assert.equal(tpl.coinbase_tx_locktime, 0);
  assert.equal(tpl.coinbase_tx_value_remaining, BigInt(gbt.coinbasevalue));
  // The witness commitment is the only template output, with no CompactSize count in front.
  assert.equal(tpl.coinbase_tx_outputs_count, 1);
  const [commitment] = parseOutputs(tpl.coinbase_tx_outputs, 1);
  assert.equal(Buffer.from(commitment!.script).toString('hex'), gbt.default_witness_commitment);

  // A SubmitSolution for a template never issued is logged; the TP keeps serving.
  await rc.client.sendSubmitSolution({ ...solve(tpl, prev), template_id: 12345n });
  await tp.proc.waitFor((r) => r.msg === 'SubmitSolution for an unknown template_id ignored');
  const missing = await rc.client.requestTransactionData(12345n);
  assert.equal(missing.type, 'RequestTransactionDataError');
  assert.equal(missing.type === 'RequestTransactionDataError' && missing.error_code, 'template-id-not-found');

  // The real solution: the node accepts the block and the TP announces the new tip.
  const solution = solve(tpl, prev);
  await rc.client.sendSubmitSolution(solution);
  const accepted = await tp.proc.waitFor((r) => r.msg === 'block accepted by bitcoind');
  assert.equal(accepted.height, height + 1);
  assert.equal(await devnet.rpc.getblockcount(), height + 1);
  assert.equal(accepted.hash, await devnet.rpc.getbestblockhash());

  const next = await rc.nextTemplate((m) => m.future_template);
  const nextPrev = await rc.nextPrevHash();
  assert.equal(nextPrev.template_id, next.template_id);
  assert.ok(next.template_id > tpl.template_id, 'template_id strictly increases');
  assert.deepEqual(nextPrev.prev_hash, fromDisplayHex(String(accepted.hash)));
  assert.deepEqual(next.coinbase_prefix, encodeBip34Height(height + 2));

  // And again on the new tip, so the TP is demonstrably still serving.
  await rc.client.sendSubmitSolution(solve(next, nextPrev));
  await tp.proc.waitFor((r) => r.msg === 'block accepted by bitcoind' && r.height === height + 2);
  assert.equal(await devnet.rpc.getblockcount(), height + 2);
  assert.equal(rc.count('disconnected'), 0);

  // SIGTERM: a clean stop, exit code 0.
  assert.equal(await tp.proc.stop(), 0);
  assert.ok(tp.proc.records.some((r) => r.msg === 'stopped'));
});
