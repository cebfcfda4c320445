// The node misbehaving under a running tp: HTTP 500, garbage replies and a
// stall (requests accepted and never answered until the node recovers), then
// a two-block reorg. Through each, the TDP client keeps its connection, the
// tp keeps running, and once the node answers again the next block reaches
// the client as a new prev hash (the delay is logged, not asserted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { fromDisplayHex } from '../../src/bitcoin/index.js';
import { RpcFaultProxy, type FaultMode } from '../helpers/rpc-fault-proxy.js';
import { PAYOUT_ADDRESS, connectClient, startDevnetWithKeys, startTp } from './fixture.js';

test('tp through node faults: HTTP 500, garbage, a stall, a two-block reorg; clients stay, templates resume', async (t) => {
  const { devnet, keys } = await startDevnetWithKeys(t);
  const proxy = await RpcFaultProxy.start(devnet.url);
  t.after(() => proxy.close());
  const tp = await startTp({ url: proxy.url, cookie: devnet.cookie }, keys);
  t.after(() => tp.proc.stop());
  const rc = await connectClient(t, tp.port, keys);
  await rc.nextTemplate();
  await rc.nextPrevHash();

  const wentAway = () =>
    tp.proc.records.filter((r) => r.msg === 'bitcoind went away; TDP clients stay connected, retrying')
      .length;
  for (const fault of ['http500', 'garbage', 'stall'] as FaultMode[]) {
    proxy.mode = fault;
    const outages = wentAway();
    // The longpoll already at the node returns with this block; what the tp
    // asks next meets the fault, so the block waits for the node's return.
    const [during] = await devnet.rpc.generatetoaddress(1, PAYOUT_ADDRESS);
    if (fault === 'stall') await delay(3000);
    else await tp.proc.waitFor(() => wentAway() > outages);
    const tries = proxy.seen[fault];
    proxy.mode = 'pass';
    const clearedAt = Date.now();
    const prev = await rc.nextPrevHash(30_000);
    assert.deepEqual(prev.prev_hash, fromDisplayHex(during!), `${fault}: the block found during the fault`);
    console.log(
      `${fault}: ${tries} calls met the fault; its block reached the client ${Date.now() - clearedAt} ms after the node answered again`,
    );
    const [after] = await devnet.rpc.generatetoaddress(1, PAYOUT_ADDRESS);
    assert.deepEqual(
      (await rc.nextPrevHash(30_000)).prev_hash,
      fromDisplayHex(after!),
      `${fault}: the next block`,
    );
  }
  assert.equal(
    tp.proc.records.filter((r) => r.msg === 'bitcoind is back; templates resume').length >= 2,
    true,
  );

  // A two-block reorg: the client is told the new tip.
  const tip = await devnet.rpc.getblockcount();
  const fork = await devnet.rpc.call<string>('getblockhash', [tip - 1]);
  await devnet.rpc.call('invalidateblock', [fork]);
  const mined = await devnet.rpc.generatetoaddress(3, PAYOUT_ADDRESS);
  const best = mined[mined.length - 1]!;
  for (;;) {
    const prev = await rc.nextPrevHash(30_000);
    if (Buffer.from(prev.prev_hash).equals(Buffer.from(fromDisplayHex(best)))) break;
  }
  assert.equal(rc.count('disconnected'), 0, 'the TDP client kept its connection');
  assert.equal(rc.count('connected'), 1);
  assert.equal(tp.proc.child.exitCode, null, 'tp still running');
});

test('a node that stops answering while a longpoll waits is noticed by the liveness probe; templates resume', async (t) => {
  const { devnet, keys } = await startDevnetWithKeys(t);
  const proxy = await RpcFaultProxy.start(devnet.url);
  t.after(() => proxy.close());
  const tp = await startTp({ url: proxy.url, cookie: devnet.cookie }, keys, ['--liveness-interval', '1']);
  t.after(() => tp.proc.stop());
  const rc = await connectClient(t, tp.port, keys);
  await rc.nextTemplate();
  await rc.nextPrevHash();
  // The longpoll is waiting at the node; from now on nothing is answered (a quiet
  // chain and a dead node look alike to the longpoll itself).
  await delay(500);
  proxy.mode = 'stall';
  const stalledAt = Date.now();
  const gone = await tp.proc.waitFor(
    (r) => r.msg === 'bitcoind went away; TDP clients stay connected, retrying',
    30_000,
  );
  assert.equal(gone.kind, 'stalled');
  assert.match(String(gone.err), /getblockcount/);
  console.log(`stall noticed ${Date.now() - stalledAt} ms after the node stopped answering`);
  const [during] = await devnet.rpc.generatetoaddress(1, PAYOUT_ADDRESS);
  proxy.mode = 'pass';
  await tp.proc.waitFor((r) => r.msg === 'bitcoind is back; templates resume', 60_000);
  assert.deepEqual((await rc.nextPrevHash(30_000)).prev_hash, fromDisplayHex(during!));
});
