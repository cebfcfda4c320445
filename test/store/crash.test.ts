import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths.js';
import { Store } from '../../src/store/index.js';
import { tempDbPath } from './tmp.js';

const FIXTURE = join(ROOT, 'dist', 'test', 'store', 'fixtures', 'crash-writer.js');
const KILL_AFTER = 5000;

test('every share acknowledged before a SIGKILL is in the database after reopening', async (t) => {
  const path = tempDbPath(t);
  const child = spawn(process.execPath, [FIXTURE, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code)),
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      // Kill in the middle of the run, while batches are still being written.
      if (out.split('\n').length > KILL_AFTER && child.signalCode === null) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.on('exit', () => reject(new Error(`writer exited before the kill: ${err}`)));
  });
  assert.equal(await exited, 'SIGKILL');

  // Only complete lines: the kill may cut the last one.
  const acked = out
    .split('\n')
    .slice(0, -1)
    .map((line) => line.split(' ').map(Number) as [number, number]);
  assert.ok(acked.length >= KILL_AFTER);

  const store = await Store.open(path);
  t.after(() => store.close());
  const byId = store.sqlite!.prepare('SELECT job_id FROM shares WHERE id = ?');
  for (const [id, job_id] of acked) {
    const row = byId.get(id) as { job_id: number } | undefined;
    assert.equal(row?.job_id, job_id, `acknowledged share ${id} (job ${job_id}) survived`);
  }
  // Stats buckets and worker counters were written in the same transactions.
  const shares = (store.sqlite!.prepare('SELECT COUNT(*) AS n FROM shares').get() as { n: number }).n;
  const counted = (store.sqlite!.prepare('SELECT SUM(accepted) AS n FROM workers').get() as { n: number }).n;
  const bucketed = (
    store.sqlite!.prepare('SELECT SUM(accepted) AS n FROM stats_pool_1m').get() as { n: number }
  ).n;
  assert.ok(shares >= acked.length);
  assert.equal(counted, shares);
  assert.equal(bucketed, shares);
});
