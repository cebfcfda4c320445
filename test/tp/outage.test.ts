// The node going away and coming back: TDP clients stay connected, the TP
// says so once, and templates resume from the restarted node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { fromDisplayHex } from '../../src/bitcoin/index.js';
import {
  PAYOUT_ADDRESS,
  connectClient,
  freePort,
  makeKeys,
  startDevnet,
  startDevnetWithKeys,
  startTp,
  tempDir,
} from './fixture.js';

test('strata tp survives a devnet restart without dropping its TDP clients', async (t) => {
  const dir = tempDir(t);
  const port = await freePort();
  let devnet = await startDevnet(dir, port);
  t.after(() => devnet.proc.stop());
  const keys = makeKeys(dir);
  const tp = await startTp(devnet, keys);
  t.after(() => tp.proc.stop());
  const rc = await connectClient(t, tp.port, keys);
  const first = await rc.nextTemplate();
  await rc.nextPrevHash();

  assert.equal(await devnet.proc.stop(), 0);
  await tp.proc.waitFor((r) => r.msg === 'bitcoind went away; TDP clients stay connected, retrying');
  // Let a few retries fail while the node is down.
  await delay(1500);

  devnet = await startDevnet(dir, port);
  await tp.proc.waitFor((r) => r.msg === 'bitcoind is back; templates resume');
  const resumed = await rc.nextTemplate((m) => m.template_id > first.template_id);
  assert.equal(resumed.future_template, false, 'same tip: a plain template update');
  assert.equal(
    tp.proc.records.filter((r) => r.msg === 'bitcoind went away; TDP clients stay connected, retrying')
      .length,
    1,
  );

  // Blocks found on the restarted node reach the client as a new tip.
  const [hash] = await devnet.rpc.generatetoaddress(1, PAYOUT_ADDRESS);
  const prev = await rc.nextPrevHash();
  assert.deepEqual(prev.prev_hash, fromDisplayHex(hash!));
  assert.equal(rc.count('disconnected'), 0);
  assert.equal(rc.count('connected'), 1);
});

test('the TDP client reconnects on its own when the TP restarts', async (t) => {
  const { devnet, keys } = await startDevnetWithKeys(t);
  const port = await freePort();
  let tp = await startTp(devnet, keys, ['--listen', `127.0.0.1:${port}`]);
  t.after(() => tp.proc.stop());
  const rc = await connectClient(t, port, keys);
  const first = await rc.nextTemplate();
  await rc.nextPrevHash();

  assert.equal(await tp.proc.stop(), 0);
  await rc.next((e): e is { kind: 'disconnected'; reason: string } => e.kind === 'disconnected');
  // Requests while disconnected fail at once instead of hanging.
  await assert.rejects(rc.client.requestTransactionData(first.template_id), /not connected/);

  tp = await startTp(devnet, keys, ['--listen', `127.0.0.1:${port}`]);
  await rc.next((e): e is { kind: 'connected' } => e.kind === 'connected');
  const again = await rc.nextTemplate();
  assert.equal(again.future_template, true);
  assert.equal((await rc.nextPrevHash()).template_id, again.template_id);
  assert.ok(again.template_id > first.template_id, 'ids keep rising across a TP restart');
});
