// What the JDS mempool mirror reads from its node, on the devnet: getrawmempool
// verbose and getmempoolentry with Bitcoin Core's field names (wtxid in
// display order, fees.base in BTC), getrawtransaction of mempool entries, and
// the same transactions and fees as getblocktemplate lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hexToBytes, sha256d, toDisplayHex } from '../../src/bitcoin/index.js';
import { describeTransaction, satoshis } from '../../src/roles/jds/mirror.js';
import { startJdsStack } from './fixture.js';

test('devnet mempool RPC gives what the mirror needs, as Bitcoin Core names it', async (t) => {
  const s = await startJdsStack(t, ['--tx-rate', '3000']);
  const rpc = s.devnet.rpc;
  let pool = await rpc.getrawmempool(true);
  for (let i = 0; i < 100 && Object.keys(pool).length < 10; i++) {
    await new Promise((r) => setTimeout(r, 100));
    pool = await rpc.getrawmempool(true);
  }
  const ids = Object.keys(pool);
  assert.ok(ids.length >= 10, `${ids.length} mempool entries`);
  const gbt = await rpc.getblocktemplate();
  const inTemplate = new Map(gbt.transactions.map((tx) => [tx.txid, tx]));
  let compared = 0;
  for (const id of ids) {
    const e = pool[id]!;
    for (const key of ['vsize', 'weight', 'time', 'height', 'wtxid', 'fees', 'depends', 'spentby']) {
      assert.ok(key in e, `getrawmempool verbose entry has ${key}`);
    }
    for (const key of ['base', 'modified', 'ancestor', 'descendant'] as const) {
      assert.equal(typeof e.fees[key], 'number', `fees.${key} is a BTC number`);
    }
    const raw = hexToBytes(await rpc.getrawtransaction(id, false));
    const d = describeTransaction(raw)!;
    assert.equal(toDisplayHex(d.txid), id, 'txid (display order) of the raw transaction');
    assert.equal(toDisplayHex(sha256d(raw)), e.wtxid, 'wtxid (display order) hashes the full serialization');
    assert.equal(d.weight, e.weight);
    const entry = await rpc.getmempoolentry(id);
    assert.equal(entry.wtxid, e.wtxid);
    assert.equal(entry.fees.base, e.fees.base);
    const tpl = inTemplate.get(id);
    if (tpl !== undefined) {
      // getblocktemplate gives sats, the mempool calls BTC.
      assert.equal(satoshis(e.fees.base), BigInt(tpl.fee));
      assert.equal(tpl.hash, e.wtxid);
      compared++;
    }
  }
  assert.ok(compared >= 10, `${compared} entries compared with the template`);
  // The batch forms the mirror uses: the same answers as one call each, null for what is not there.
  const some = [...ids.slice(0, 5), '00'.repeat(32)];
  const raws = await rpc.getrawtransactions(some);
  const entries = await rpc.getmempoolentries(some);
  for (const [i, id] of some.slice(0, 5).entries()) {
    assert.equal(raws[i], await rpc.getrawtransaction(id, false));
    assert.equal(entries[i]!.wtxid, pool[id]!.wtxid);
  }
  assert.equal(raws[5], null);
  assert.equal(entries[5], null);
  await assert.rejects(rpc.getmempoolentry('00'.repeat(32)), /not in mempool/);
});
