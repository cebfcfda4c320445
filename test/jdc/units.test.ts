// The JDC's pure pieces and its CLI: a downstream job's coinbase turned into
// SetCustomMiningJob fields that rebuild (the pool's way, written out here
// from the spec) to the very coinbase the downstream mines; DeclareMiningJob's
// halves cut at the pool's extranonce; the shipped config; the flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  concatBytes,
  encodeCompactSize,
  sha256d,
  stripBip141,
  type TxOutput,
} from '../../src/bitcoin/index.js';
import { MiningChain } from '../../src/channels/index.js';
import { describeSchema } from '../../src/config/index.js';
import { JDC_SCHEMA, loadJdcConfig } from '../../src/roles/jdc/index.js';
import { customJob, declaredCoinbase } from '../../src/roles/jdc/custom-job.js';
import { CLI, ROOT } from '../helpers/paths.js';
import { NOW, PAYOUT_SCRIPT, prevHash, template } from '../channels/fixture.js';

const u32 = (v: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
};

test("SetCustomMiningJob fields rebuild the downstream job's coinbase; DeclareMiningJob's halves frame the pool's extranonce", () => {
  const poolPrefix = Uint8Array.of(0x10, 0x20, 0x30, 0x40);
  const padding = new Uint8Array(2); // the pool granted 2 bytes more than the JDC asked
  const fixed = concatBytes(poolPrefix, padding);
  const chain = new MiningChain({ pool_signature: 'jdc' }, (_key, t) => ({
    outputs: [{ value: t.coinbase_tx_value_remaining, script: PAYOUT_SCRIPT }] as TxOutput[],
    extranonce_fixed: fixed,
  }));
  chain.newTemplate(template(1n, true));
  chain.setNewPrevHash(prevHash(1n), NOW);
  const size = 16;
  const jc = chain.coinbase(1n, 'jdc', size);
  const tip = chain.tip!;
  const token = Uint8Array.of(1, 2, 3);
  const fields = customJob(jc.template.message, jc.parts, fixed.length, tip, token);
  assert.deepEqual(fields.mining_job_token, token);
  assert.deepEqual(fields.prev_hash, tip.prev_hash);
  assert.equal(fields.nbits, tip.nbits);
  assert.equal(fields.min_ntime, tip.header_timestamp);

  // What the downstream mines: its job's coinbase with an extranonce of its own.
  const downstream = Uint8Array.from({ length: size }, (_, i) => i + 1);
  const mined = sha256d(concatBytes(jc.parts.coinbase_tx_prefix, downstream, jc.parts.coinbase_tx_suffix));
  // What the pool rebuilds from SetCustomMiningJob: its extranonce is prefix ‖ the JDC's rolled bytes.
  const poolExtranonce = concatBytes(padding, downstream);
  const scriptSigLength = fields.coinbase_prefix.length + poolPrefix.length + poolExtranonce.length;
  const rebuilt = concatBytes(
    u32(fields.coinbase_tx_version),
    Uint8Array.of(1),
    new Uint8Array(32),
    u32(0xffffffff),
    encodeCompactSize(scriptSigLength),
    fields.coinbase_prefix,
    poolPrefix,
    poolExtranonce,
    u32(fields.coinbase_tx_input_nSequence),
    fields.coinbase_tx_outputs,
    u32(fields.coinbase_tx_locktime),
  );
  assert.deepEqual(sha256d(rebuilt), mined, 'the same txid: a share downstream is a share on the pool');

  const d = declaredCoinbase(jc.parts, fixed.length);
  const full = concatBytes(d.coinbase_tx_prefix, fixed, downstream, d.coinbase_tx_suffix);
  const stripped = stripBip141(concatBytes(d.coinbase_tx_prefix, fixed), d.coinbase_tx_suffix);
  assert.deepEqual(sha256d(concatBytes(stripped.prefix, downstream, stripped.suffix)), mined);
  assert.ok(full.length > rebuilt.length, 'DeclareMiningJob keeps the segwit fields');
});

test('config/jdc.toml loads and documents every key', () => {
  const file = join(ROOT, 'config', 'jdc.toml');
  const cfg = loadJdcConfig(file, { coinbase_reward_script: 'x' });
  assert.equal(cfg.listen_address.port, 34265);
  assert.equal(cfg.mode, 'full-template');
  assert.equal(cfg.upstreams.length, 1);
  const text = readFileSync(file, 'utf8');
  for (const k of describeSchema(JDC_SCHEMA)) {
    const name = k.key.split('.').at(-1)!.replace(/\[\]$/, '');
    assert.ok(text.includes(name), `${k.key} is not in config/jdc.toml`);
  }
});

test('strata jdc: --help lists the flags; the upstream flags go together; a missing payout address is one clear line', () => {
  const help = execFileSync(process.execPath, [CLI, 'jdc', '--help'], { encoding: 'utf8' });
  for (const flag of ['--mode', '--pool-address', '--jds-address', '--solo', '--coinbase-reward-script']) {
    assert.ok(help.includes(flag), flag);
  }
  const half = spawnSync(process.execPath, [CLI, 'jdc', '--pool-address', '127.0.0.1:1'], {
    encoding: 'utf8',
  });
  assert.notEqual(half.status, 0);
  assert.match(half.stderr, /--pool-address, --jds-address and --pool-authority-pubkey go together/);
  const noPayout = spawnSync(process.execPath, [CLI, 'jdc', '--solo', '--listen', '127.0.0.1:0'], {
    encoding: 'utf8',
    cwd: ROOT,
  });
  assert.notEqual(noPayout.status, 0);
  assert.equal(noPayout.stderr.trim().split('\n').length, 1, noPayout.stderr);
});
