import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Slices } from '../../src/net/slices.js';

test('slices: pieces run in order, at most one budget per turn, timers and I/O get the turns between', async () => {
  let clock = 0;
  const slices = new Slices(3, () => clock);
  const log: string[] = [];
  const piece = (name: string) => () => {
    log.push(name);
    clock += 2;
    if (name === 'p1') setImmediate(() => log.push('turn'));
    return name.toUpperCase();
  };
  const results = await Promise.all(['p1', 'p2', 'p3', 'p4', 'p5'].map((n) => slices.run(piece(n))));
  assert.deepEqual(results, ['P1', 'P2', 'P3', 'P4', 'P5']);
  // 3 ms per slice, 2 ms per piece: two pieces, then the loop's turn, then the rest.
  assert.deepEqual(log, ['p1', 'p2', 'turn', 'p3', 'p4', 'p5']);
  assert.equal(slices.waiting, 0);
});

test('slices: a piece that throws rejects its own promise only; the queue goes on and starts afresh', async () => {
  const slices = new Slices();
  const a = slices.run(() => 1);
  const b = slices.run(() => {
    throw new Error('bad piece');
  });
  const c = slices.run(() => 3);
  assert.equal(slices.waiting, 3);
  assert.equal(await a, 1);
  await assert.rejects(b, /bad piece/);
  assert.equal(await c, 3);
  assert.equal(await slices.run(() => 'again'), 'again');
  assert.throws(() => new Slices(0), RangeError);
});
