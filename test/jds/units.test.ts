// `strata jds` settings, CLI and start-up errors; the token secret from
// `strata keygen`; the declared-coinbase parser; the subsidy schedule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  blockSubsidy,
  buildCoinbase,
  encodeBip34Height,
  serializeOutputs,
  witnessCommitment,
  witnessCommitmentScript,
} from '../../src/bitcoin/index.js';
import { describeSchema } from '../../src/config/index.js';
import { JDS_SCHEMA, loadJdsConfig } from '../../src/roles/jds/index.js';
import { parseDeclaredCoinbase } from '../../src/roles/jds/coinbase.js';
import { DeclareRefusal, JDS_ERROR } from '../../src/roles/jds/errors.js';
import { loadTokenSecret, writeAuthorityKeyPair, writeTokenSecret } from '../../src/roles/keygen.js';
import { CLI, ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/resources.js';
import { POOL_ADDRESS, POOL_SCRIPT } from './fixture.js';

test('config/jds.toml loads, holds the defaults, and documents every key', () => {
  const file = join(ROOT, 'config', 'jds.toml');
  const cfg = loadJdsConfig(file);
  const defaults = loadJdsConfig(undefined);
  assert.equal(cfg.listen_address.port, 34264);
  assert.deepEqual(cfg.listen_address, defaults.listen_address);
  for (const k of [
    'cert_validity_sec',
    'network',
    'allocated_token_lifetime',
    'declared_token_lifetime',
    'token_rate_per_sec',
    'token_burst',
    'max_outstanding_tokens',
    'max_refused_token_requests',
    'min_pool_payout_percent',
    'mempool_poll_secs',
    'max_mempool_txs',
    'max_declared_transactions',
    'log_level',
    'coinbase_reward_script',
  ] as const) {
    assert.deepEqual(cfg[k], defaults[k], `${k} in config/jds.toml is the default`);
  }
  // Paths in the file are relative to config/, the defaults to the working directory: the same places.
  assert.equal(cfg.authority_secret_key, join(ROOT, 'data', 'keys', 'pool-authority.key'));
  assert.equal(cfg.authority_public_key, join(ROOT, 'data', 'keys', 'pool-authority.pub'));
  assert.equal(cfg.token_secret_file, join(ROOT, 'data', 'keys', 'jd-token.key'));
  assert.equal(cfg.bitcoind.rpc_cookie_file, join(ROOT, 'data', 'devnet', '.cookie'));
  assert.equal(cfg.bitcoind.rpc_url, defaults.bitcoind.rpc_url);
  const text = readFileSync(file, 'utf8');
  for (const k of describeSchema(JDS_SCHEMA)) {
    const name = k.key.split('.').at(-1)!;
    assert.match(text, new RegExp(`^${name} = `, 'm'), `${k.key} is not set in config/jds.toml`);
  }
});

test('strata --help lists jds; strata jds --help names every config key it overrides', () => {
  const help = execFileSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
  assert.match(help, /^\s+jds\b/m);
  const jdsHelp = execFileSync(process.execPath, [CLI, 'jds', '--help'], { encoding: 'utf8' });
  for (const key of ['listen_address', 'coinbase_reward_script', 'token_secret_file', 'mempool_poll_secs']) {
    assert.ok(jdsHelp.includes(`(${key})`), `--help mentions ${key}`);
  }
});

test('strata keygen --jd-token-secret writes 64 hex digits (mode 0600) and never overwrites without --force', (t) => {
  const dir = tempDir(t, 'strata-jds-');
  const file = join(dir, 'keys', 'jd-token.key');
  const run = (...extra: string[]) =>
    spawnSync(process.execPath, [CLI, 'keygen', '--jd-token-secret', file, ...extra], { encoding: 'utf8' });
  const first = run();
  assert.equal(first.status, 0, first.stderr);
  const text = readFileSync(file, 'utf8');
  assert.match(text, /^[0-9a-f]{64}\n$/);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(loadTokenSecret(file).length, 32);
  const again = run();
  assert.notEqual(again.status, 0);
  assert.match(again.stderr, /already exists/);
  assert.equal(readFileSync(file, 'utf8'), text, 'the secret is kept');
  assert.equal(run('--force').status, 0);
  assert.notEqual(readFileSync(file, 'utf8'), text);
});

test('strata jds refuses to start without a payout script, or with an unreadable or bad token secret', (t) => {
  const dir = tempDir(t, 'strata-jds-');
  const keys = writeAuthorityKeyPair({ outDir: dir, name: 'pool-authority', force: false });
  const secret = writeTokenSecret({ file: join(dir, 'jd-token.key'), force: false });
  const bad = join(dir, 'bad.key');
  writeFileSync(bad, 'not hex\n');
  const base = ['jds', '--authority-secret-key', keys.secretPath, '--authority-public-key', keys.publicPath];
  base.push('--listen', '127.0.0.1:0');
  const start = (...extra: string[]) =>
    spawnSync(process.execPath, [CLI, ...base, ...extra], { encoding: 'utf8', timeout: 20_000 });
  let r = start('--token-secret-file', secret);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /coinbase_reward_script is not set/);
  r = start('--coinbase-reward-script', 'bc1qnotregtest', '--token-secret-file', secret);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /not an address of regtest/);
  r = start('--coinbase-reward-script', POOL_ADDRESS, '--token-secret-file', join(dir, 'missing.key'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cannot read .*missing\.key.*strata keygen --jd-token-secret/);
  r = start('--coinbase-reward-script', POOL_ADDRESS, '--token-secret-file', bad);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /64 hex digits/);
  assert.doesNotMatch(r.stderr, /not hex/, 'the file content is not echoed');
});

test('block subsidy: 50 BTC halving every 210,000 blocks (150 on regtest), none after 64 halvings', () => {
  assert.equal(blockSubsidy(0, 'mainnet'), 5_000_000_000n);
  assert.equal(blockSubsidy(209_999, 'mainnet'), 5_000_000_000n);
  assert.equal(blockSubsidy(210_000, 'mainnet'), 2_500_000_000n);
  assert.equal(blockSubsidy(840_000, 'mainnet'), 312_500_000n);
  assert.equal(blockSubsidy(149, 'regtest'), 5_000_000_000n);
  assert.equal(blockSubsidy(150, 'regtest'), 2_500_000_000n);
  assert.equal(blockSubsidy(64 * 150, 'regtest'), 0n);
  assert.equal(blockSubsidy(63 * 150, 'regtest'), 0n, '50 BTC >> 63 rounds to 0 sats');
  assert.throws(() => blockSubsidy(-1, 'mainnet'), RangeError);
});

function coinbase(height: number, extranonce: number, extra = Uint8Array.of(4, 0x41, 0x42, 0x43, 0x44)) {
  return buildCoinbase({
    coinbase_tx_version: 2,
    coinbase_prefix: encodeBip34Height(height),
    script_sig_extra: Uint8Array.of(...extra, extranonce),
    extranonce_size: extranonce,
    coinbase_tx_input_sequence: 0xffffffff,
    payout_outputs: [{ value: 5_000_000_000n, script: POOL_SCRIPT }],
    template_outputs: [{ value: 0n, script: witnessCommitmentScript(witnessCommitment(new Uint8Array(32))) }],
    coinbase_tx_locktime: 0,
    witness: true,
  });
}

function refusal(fn: () => unknown): { code: string; details: string } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DeclareRefusal, String(err));
    return { code: err.code, details: err.details };
  }
  assert.fail('not refused');
}

test('declared coinbase: extranonce size, height, outputs as sent; each malformed part named', () => {
  for (const size of [0, 8, 32]) {
    const p = coinbase(1234, size);
    const d = parseDeclaredCoinbase(p.witness_prefix, p.witness_suffix);
    assert.equal(d.extranonceSize, size);
    assert.equal(d.height, 1234);
    assert.equal(d.segwit, true);
    assert.equal(d.outputs.length, 2);
    assert.deepEqual(d.outputsBytes, serializeOutputs(d.outputs, true));
    assert.deepEqual(d.witnessReserved, new Uint8Array(32));
  }
  const p = coinbase(1234, 8);
  // 33 extranonce bytes cannot be pushed (PushSolution.extranonce is a B0_32).
  const big = coinbase(1234, 33);
  let r = refusal(() => parseDeclaredCoinbase(big.witness_prefix, big.witness_suffix));
  assert.equal(r.code, JDS_ERROR.INVALID_COINBASE_TX_PREFIX);
  assert.match(r.details, /extranonce/);
  // The prefix cut inside the BIP34 push.
  r = refusal(() =>
    parseDeclaredCoinbase(p.witness_prefix.subarray(0, p.witness_prefix.length - 7), p.witness_suffix),
  );
  assert.equal(r.code, JDS_ERROR.INVALID_COINBASE_TX_PREFIX);
  // Stripped form (no marker and flag) with a witness commitment.
  r = refusal(() => parseDeclaredCoinbase(p.coinbase_tx_prefix, p.coinbase_tx_suffix));
  assert.equal(r.code, JDS_ERROR.INVALID_COINBASE_TX_SUFFIX);
  assert.match(r.details, /full segwit coinbase/);
  // Not a coinbase input.
  const notNull = Uint8Array.from(p.witness_prefix);
  notNull[7] = 1;
  r = refusal(() => parseDeclaredCoinbase(notNull, p.witness_suffix));
  assert.equal(r.code, JDS_ERROR.INVALID_COINBASE_TX_PREFIX);
  assert.match(r.details, /null outpoint/);
  // A suffix cut short.
  r = refusal(() => parseDeclaredCoinbase(p.witness_prefix, p.witness_suffix.subarray(0, 20)));
  assert.equal(r.code, JDS_ERROR.INVALID_COINBASE_TX_SUFFIX);
  // Trailing bytes after the locktime.
  r = refusal(() => parseDeclaredCoinbase(p.witness_prefix, Uint8Array.of(...p.witness_suffix, 0)));
  assert.equal(r.code, JDS_ERROR.INVALID_COINBASE_TX_SUFFIX);
});
