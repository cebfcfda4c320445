// The blocks file: a restarted devnet on the same data dir has the same
// chain (invalidations included), and a damaged tail is cut off with a warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { mineOne, startDevnet, tempDir } from './fixture.js';

test('stop and restart on the same data dir keeps the tip', async (t) => {
  const dir = tempDir(t);
  const first = await startDevnet(t, { dataDir: dir });
  first.node.injectSynthetic(10);
  for (let i = 0; i < 4; i++) assert.equal((await mineOne(first.rpc)).result, null);
  const last = await first.rpc.getbestblockhash();
  assert.equal(await first.rpc.call('invalidateblock', [last]), null);
  const tip = await first.rpc.getbestblockhash();
  const height = await first.rpc.getblockcount();
  assert.equal(height, 3);
  await first.node.stop();

  const second = await startDevnet(t, { dataDir: dir });
  assert.equal(await second.rpc.getbestblockhash(), tip);
  assert.equal(await second.rpc.getblockcount(), height);
  assert.ok(second.logs.some((r) => r.msg === 'chain reloaded' && r.height === height));
  // Mining continues on the reloaded tip.
  assert.equal((await mineOne(second.rpc)).result, null);
  assert.equal(await second.rpc.getblockcount(), height + 1);
});

test('a damaged tail of the blocks file is truncated with a warning', async (t) => {
  const dir = tempDir(t);
  const first = await startDevnet(t, { dataDir: dir });
  for (let i = 0; i < 2; i++) assert.equal((await mineOne(first.rpc)).result, null);
  const tip = await first.rpc.getbestblockhash();
  await first.node.stop();
  const file = join(dir, 'blocks.dat');
  const goodSize = statSync(file).size;
  // A record header promising more bytes than follow, as a crash mid-write leaves.
  appendFileSync(file, Buffer.from('fabfb5da01ffff000001020304', 'hex'));

  const second = await startDevnet(t, { dataDir: dir });
  assert.equal(await second.rpc.getbestblockhash(), tip);
  const warning = second.logs.find((r) => r.msg === 'blocks file: truncating damaged tail');
  assert.ok(warning, 'warns about the damaged tail');
  assert.equal(warning.offset, goodSize);
  assert.equal(statSync(file).size, goodSize);
  // New blocks append cleanly after the cut.
  assert.equal((await mineOne(second.rpc)).result, null);
  await second.node.stop();
  const third = await startDevnet(t, { dataDir: dir });
  assert.equal(await third.rpc.getblockcount(), 3);
  assert.ok(!third.logs.some((r) => r.msg === 'blocks file: truncating damaged tail'));
});
