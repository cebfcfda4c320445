// Command-line checks of `strata miner` that need no pool: endpoints, numbers,
// required keys, the home-miner flags (one error line and a non-zero exit from
// the real CLI), and the report's hashrate formatting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Command } from 'commander';
import { parseEndpoint, registerMiner, type RunningMiner } from '../../src/roles/miner/index.js';
import { formatHashrate, MinerStats } from '../../src/roles/miner/stats.js';
import { CLI } from '../helpers/paths.js';

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

test('home-miner flags: a bad value is one clear error line and a non-zero exit', () => {
  const sv1 = ['miner', '--sv1', '--pool', '127.0.0.1:1', '--user', 'a.b'];
  const cases: [string[], RegExp][] = [
    [[...sv1, '--user-agent', ''], /^strata: --user-agent: expected a non-empty text$/],
    [
      [...sv1, '--user-agent', 'x'.repeat(257)],
      /^strata: --user-agent: 257 characters, at most 256 allowed$/,
    ],
    [[...sv1, '--suggest-difficulty', '0'], /^strata: --suggest-difficulty 0: expected a positive number$/],
    [[...sv1, '--suggest-difficulty', '-1000'], /^strata: --suggest-difficulty -1000: expected a positive/],
    [[...sv1, '--suggest-difficulty', 'Infinity'], /^strata: --suggest-difficulty Infinity: expected a/],
    [[...sv1, '--suggest-difficulty', 'NaN'], /^strata: --suggest-difficulty NaN: expected a/],
    [[...sv1, '--max-hashrate', '0'], /^strata: --max-hashrate 0: expected a positive number$/],
    [[...sv1, '--max-hashrate', '100kH'], /^strata: --max-hashrate 100kH: expected a positive number$/],
    [
      ['miner', '--pool', '127.0.0.1:1', '--user', 'a.b', '--plain', '--user-agent', 'cpuminer/2.5.1'],
      /^strata: --user-agent is for Stratum V1 only \(add --sv1\)$/,
    ],
    [
      ['miner', '--pool', '127.0.0.1:1', '--user', 'a.b', '--plain', '--suggest-difficulty', '1000'],
      /^strata: --suggest-difficulty is for Stratum V1 only \(add --sv1\)$/,
    ],
  ];
  for (const [args, expected] of cases) {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 });
    const what = args.slice(-2).join(' ');
    assert.notEqual(r.status, 0, `${what}: non-zero exit`);
    assert.equal(r.status, 1, `${what}: exit 1 (not a signal or timeout)`);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, `${what}: one line, got ${JSON.stringify(r.stderr)}`);
    assert.match(lines[0]!, expected, what);
    assert.equal(r.stdout, '', `${what}: nothing started`);
  }
});

test('--user-agent takes up to 256 characters, counted as characters', async (t) => {
  // 256 non-ASCII characters (512 UTF-16 units) pass validation and start the miner.
  let started: RunningMiner | undefined;
  const program = new Command().exitOverride();
  registerMiner(program, { stream: { write: () => true }, signals: false, onStarted: (m) => (started = m) });
  t.after(() => started?.stop());
  const base = ['miner', '--sv1', '--pool', '127.0.0.1:1', '--user', 'a.b', '--threads', '1'];
  await program.parseAsync([...base, '--user-agent', '😀'.repeat(256)], { from: 'user' });
  assert.ok(started, 'started');
  await assert.rejects(
    run([...base.slice(1), '--user-agent', '😀'.repeat(257)]),
    /--user-agent: 257 characters/,
  );
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
