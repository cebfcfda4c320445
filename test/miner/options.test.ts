// Command-line checks of `strata miner` that need no pool: endpoints, numbers,
// required keys, and the report's hashrate formatting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { parseEndpoint, registerMiner } from '../../src/roles/miner/index.js';
import { formatHashrate, MinerStats } from '../../src/roles/miner/stats.js';

async function run(args: string[]): Promise<void> {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerMiner(program, { stream: { write: () => true }, signals: false, onStarted: (m) => void m.stop() });
  await program.parseAsync(['miner', ...args], { from: 'user' });
}

test('pool endpoints: host:port and [v6]:port', () => {
  assert.deepEqual(parseEndpoint('127.0.0.1:34254'), { host: '127.0.0.1', port: 34254 });
  assert.deepEqual(parseEndpoint('pool.example:3333'), { host: 'pool.example', port: 3333 });
  assert.deepEqual(parseEndpoint('[::1]:34255'), { host: '::1', port: 34255 });
  for (const bad of ['127.0.0.1', 'host:0', 'host:65536', ':80', 'host:port']) {
    assert.throws(() => parseEndpoint(bad), /expected host:port/, bad);
  }
});

test('bad flags fail before anything starts', async () => {
  const base = ['--pool', '127.0.0.1:1', '--user', 'a.b', '--plain'];
  await assert.rejects(run([...base, '--threads', '0']), /--threads 0: expected a positive integer/);
  await assert.rejects(run([...base, '--threads', '1.5']), /--threads/);
  await assert.rejects(run([...base, '--nominal-hashrate', '-3']), /--nominal-hashrate/);
  await assert.rejects(run([...base, '--log-level', 'loud']), /--log-level loud/);
  await assert.rejects(run(['--pool', '127.0.0.1:1', '--user', 'a.b']), /--authority-key is required/);
  await assert.rejects(
    run(['--pool', '127.0.0.1:1', '--user', 'a.b', '--authority-key', '/nonexistent/key.pub']),
    /authority public key/,
  );
  await assert.rejects(run(['--user', 'a.b']), /--pool/);
});

test('report fields: hashrate units and rejects by reason', () => {
  assert.equal(formatHashrate(950), '950.00 H/s');
  assert.equal(formatHashrate(1_234_567), '1.23 MH/s');
  const s = new MinerStats();
  s.accepted = 3;
  s.reject('stale-share');
  s.reject('stale-share');
  s.reject('invalid-share');
  const snap = s.snapshot(2000);
  assert.equal(snap.rejected, 3);
  assert.deepEqual(snap.rejected_by_reason, { 'stale-share': 2, 'invalid-share': 1 });
  assert.equal(snap.hashrate_human, '2.00 kH/s');
});
