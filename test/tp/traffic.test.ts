// Templates under synthetic mempool traffic: non-future updates, transaction
// data whose txids fold to the template's merkle path, a block with those
// transactions accepted, and templates of an old tip reported stale.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coinbaseMerklePath, parseTransaction, txid } from '../../src/bitcoin/index.js';
import { PAYOUT_ADDRESS, connectClient, solve, startDevnetAndTp } from './fixture.js';

test('RequestTransactionData returns the transactions of a template under mempool traffic', async (t) => {
  const { devnet, keys, tp } = await startDevnetAndTp(t, {
    devnet: ['--tx-rate', '6000'],
    tp: ['--min-interval', '0.2', '--fee-threshold', '1'],
  });
  const rc = await connectClient(t, tp.port, keys);

  const first = await rc.nextTemplate();
  const prev = await rc.nextPrevHash();
  assert.equal(first.future_template, true);

  // Fees rise as transactions arrive: a non-future template for the same tip follows.
  const update = await rc.nextTemplate((m) => !m.future_template && m.merkle_path.length >= 2);
  assert.ok(update.template_id > first.template_id);
  assert.ok(update.coinbase_tx_value_remaining > first.coinbase_tx_value_remaining);

  const reply = await rc.client.requestTransactionData(update.template_id);
  assert.equal(reply.type, 'RequestTransactionDataSuccess');
  if (reply.type !== 'RequestTransactionDataSuccess') return;
  assert.equal(reply.template_id, update.template_id);
  assert.ok(reply.transaction_list.length >= 2);
  // excess_data: the 32-byte witness reserved value the commitment assumes.
  assert.deepEqual(reply.excess_data, new Uint8Array(32));
  const txs = reply.transaction_list.map((raw) => parseTransaction(raw));
  assert.ok(
    txs.some((tx) => tx.inputs.some((i) => i.witness.length > 0)),
    'witness data is included',
  );
  assert.deepEqual(coinbaseMerklePath(txs.map(txid)), update.merkle_path);

  // A block with those transactions (merkle root and witness commitment checked by the node).
  await rc.client.sendSubmitSolution(solve(update, prev));
  const accepted = await tp.proc.waitFor((r) => r.msg === 'block accepted by bitcoind');
  const block = await devnet.rpc.getblock(String(accepted.hash), 1);
  assert.equal(block.tx.length, 1 + reply.transaction_list.length);
  await rc.nextPrevHash();

  // Two tips later the first template is forgotten: stale, not unknown.
  await devnet.rpc.generatetoaddress(1, PAYOUT_ADDRESS);
  await rc.nextPrevHash();
  const stale = await rc.client.requestTransactionData(first.template_id);
  assert.equal(stale.type, 'RequestTransactionDataError');
  assert.equal(stale.type === 'RequestTransactionDataError' && stale.error_code, 'stale-template-id');
  await tp.proc.waitFor(
    (r) => r.msg === 'RequestTransactionData refused' && r.error_code === 'stale-template-id',
  );
});
