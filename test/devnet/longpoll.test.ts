// getblocktemplate longpoll: a stale id answers at once; a current id waits
// for a new tip or a mempool change, or for the configured maximum.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Devnet } from '../../src/roles/devnet/index.js';
import { mineOne, startDevnet } from './fixture.js';

/** Waits (bounded) until the node holds `n` open longpolls, so the change below happens while they wait. */
async function untilWaiting(node: Devnet, n: number): Promise<void> {
  for (let i = 0; i < 2000 && node.pendingLongpolls < n; i++) await sleep(5);
  assert.equal(node.pendingLongpolls, n);
}

test('longpoll returns when a new block arrives', async (t) => {
  const { rpc, node } = await startDevnet(t);
  const first = await rpc.getblocktemplate();
  const waiting = rpc.getblocktemplate({ longpollid: first.longpollid });
  await untilWaiting(node, 1);
  const { result, block } = await mineOne(rpc);
  assert.equal(result, null);
  const next = await waiting;
  assert.equal(next.previousblockhash, block.hash);
  assert.equal(next.height, 2);
  assert.notEqual(next.longpollid, first.longpollid);
  assert.equal(node.pendingLongpolls, 0);
});

test('longpoll returns when the mempool changes', async (t) => {
  const { rpc, node } = await startDevnet(t);
  const first = await rpc.getblocktemplate();
  assert.equal(first.transactions.length, 0);
  const waiting = rpc.getblocktemplate({ longpollid: first.longpollid });
  await untilWaiting(node, 1);
  node.injectSynthetic(1);
  const next = await waiting;
  assert.equal(next.previousblockhash, first.previousblockhash);
  assert.equal(next.transactions.length, 1);
});

test('a stale longpoll id is answered at once with the current template', async (t) => {
  const { rpc } = await startDevnet(t);
  const old = await rpc.getblocktemplate();
  await mineOne(rpc);
  const now = await rpc.getblocktemplate({ longpollid: old.longpollid });
  assert.equal(now.height, 2);
  const garbage = await rpc.getblocktemplate({ longpollid: 'not-an-id' });
  assert.equal(garbage.height, 2);
});

test('a longpoll with nothing new is answered after the configured maximum wait', async (t) => {
  const { rpc } = await startDevnet(t, { longpollMaxWaitSecs: 0.2 });
  const first = await rpc.getblocktemplate();
  const again = await rpc.getblocktemplate({ longpollid: first.longpollid });
  assert.equal(again.longpollid, first.longpollid);
  assert.equal(again.previousblockhash, first.previousblockhash);
});

test('stopping the node ends open longpolls', async (t) => {
  const { rpc, node } = await startDevnet(t);
  const first = await rpc.getblocktemplate();
  const waiting = rpc.getblocktemplate({ longpollid: first.longpollid }).then(
    () => 'answered',
    () => 'failed',
  );
  await untilWaiting(node, 1);
  await node.stop();
  assert.ok(['answered', 'failed'].includes(await waiting));
  assert.equal(node.pendingLongpolls, 0);
});
