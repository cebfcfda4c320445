// The translator's book of shares waiting for the pool's answer: Success per
// channel up to a sequence number, Error per share, the wait bound, and the
// connection's end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShareAcks, rejectOfErrorCode, type ShareVerdict } from '../../src/roles/translator/acks.js';

/** Collects verdicts as they settle, by sequence number. */
function recorder(acks: ShareAcks) {
  const settled = new Map<number, ShareVerdict>();
  const order: number[] = [];
  const add = (channel: number, seq: number): void => {
    void acks.add(channel, seq).then((v) => {
      settled.set(seq, v);
      order.push(seq);
    });
  };
  return { settled, order, add };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('a Success settles its own channel up to last_sequence_number, nothing of another channel', async () => {
  const acks = new ShareAcks(60_000);
  const r = recorder(acks);
  r.add(1, 10);
  r.add(2, 11);
  r.add(1, 12);
  r.add(1, 13);
  acks.success(1, 12);
  await turn();
  assert.deepEqual(r.order, [10, 12]);
  assert.deepEqual(r.settled.get(10), { accepted: true, confirmed: true });
  assert.equal(acks.size, 2, 'channel 2 share 11 and channel 1 share 13 still wait');
  acks.success(2, 11);
  acks.success(1, 13);
  await turn();
  assert.deepEqual(r.order, [10, 12, 11, 13]);
  assert.equal(acks.size, 0);
  acks.end('test over');
});

test('an Error refuses one share with the V1 code for its reason; a later Success skips it', async () => {
  const acks = new ShareAcks(60_000);
  const r = recorder(acks);
  r.add(1, 1);
  r.add(1, 2);
  r.add(1, 3);
  acks.error(2, 'stale-share');
  acks.success(1, 3);
  await turn();
  assert.deepEqual(r.settled.get(2), {
    accepted: false,
    code: 21,
    message: 'Stale share (pool: stale-share)',
  });
  assert.deepEqual(r.settled.get(1), { accepted: true, confirmed: true });
  assert.deepEqual(r.settled.get(3), { accepted: true, confirmed: true });
  // Unknown sequence numbers and channels are ignored.
  acks.error(99, 'duplicate-share');
  acks.success(7, 5);
  assert.equal(acks.size, 0);
  acks.end('test over');
});

test('sequence numbers wrap at 2^32', async () => {
  const acks = new ShareAcks(60_000);
  const r = recorder(acks);
  r.add(1, 0xffff_fffe);
  r.add(1, 0xffff_ffff);
  r.add(1, 0);
  r.add(1, 1);
  acks.success(1, 0);
  await turn();
  assert.deepEqual(r.order, [0xffff_fffe, 0xffff_ffff, 0]);
  acks.end('test over');
  await turn();
  assert.equal(r.settled.get(1)?.accepted, false);
});

test('the end of the connection tells every waiting share it was not confirmed; later adds too', async () => {
  const acks = new ShareAcks(60_000);
  const r = recorder(acks);
  r.add(1, 1);
  r.add(2, 2);
  assert.equal(acks.end('pool closed'), 2);
  r.add(1, 3);
  await turn();
  for (const seq of [1, 2, 3]) {
    assert.deepEqual(r.settled.get(seq), {
      accepted: false,
      code: 20,
      message: 'Pool connection lost before the share was confirmed',
    });
  }
});

test('a share the pool never answers is accepted unconfirmed after the timeout, in order', async () => {
  // The clock is the test's: real timers only drive the checks, so a slow
  // machine delays the verdicts but cannot change them.
  let now = 1000;
  const acks = new ShareAcks(50, () => now);
  const r = recorder(acks);
  r.add(1, 1);
  now += 30;
  r.add(1, 2);
  now += 30;
  await until(() => r.settled.has(1));
  assert.deepEqual(r.settled.get(1), { accepted: true, confirmed: false });
  // Share 2's deadline (1080) is still ahead of the clock (1060), however long this waits.
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(r.settled.has(2), false);
  now += 30;
  await until(() => r.settled.has(2));
  assert.deepEqual(r.order, [1, 2]);
  assert.equal(acks.size, 0);
  acks.end('test over');
});

/** Waits (bounded: 10 s) until `done()` holds. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(done(), 'condition not reached within 10 s');
}

test('SV2 error codes map to the V1 reject codes firmware counts', () => {
  assert.equal(rejectOfErrorCode('stale-share').code, 21);
  assert.equal(rejectOfErrorCode('invalid-job-id').code, 21);
  assert.equal(rejectOfErrorCode('difficulty-too-low').code, 23);
  assert.equal(rejectOfErrorCode('duplicate-share').code, 22);
  assert.deepEqual(rejectOfErrorCode('invalid-channel-id'), {
    code: 20,
    message: 'Rejected by pool: invalid-channel-id',
  });
});
