// The TP's pure pieces: fitting a template to CoinbaseOutputConstraints
// (spec 7.1), NewTemplate/SetNewPrevHash shaping, the template store, and the
// flag → config override helper.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import {
  coinbaseMerklePath,
  encodeBip34Height,
  parseOutputs,
  witnessCommitment,
  witnessCommitmentScript,
  witnessMerkleRoot,
  u256FromLE,
} from '../../src/bitcoin/index.js';
import { decodeFrame, encodeFrame } from '../../src/messages/index.js';
import {
  COINBASE_BASE_WEIGHT,
  constraintsProblem,
  fitTemplate,
  newTemplateMessage,
  requiredWeight,
  setNewPrevHashMessage,
  type BaseTemplate,
  type TemplateTx,
} from '../../src/roles/tp/template.js';
import { TemplateStore } from '../../src/roles/tp/store.js';
import {
  addConfigFlags,
  flagOverrides,
  flagProperty,
  type FlagRow,
} from '../../src/roles/common/cli-flags.js';

function tx(weight: number, fee: number, sigops = 4, depends: number[] = []): TemplateTx {
  return {
    data: randomBytes(weight / 4),
    txid: randomBytes(32),
    wtxid: randomBytes(32),
    fee: BigInt(fee),
    sigops,
    weight,
    depends,
  };
}

function commitmentFor(txs: TemplateTx[]): Uint8Array {
  return witnessCommitmentScript(
    witnessCommitment(witnessMerkleRoot([new Uint8Array(32), ...txs.map((t) => t.wtxid)])),
  );
}

function base(txs: TemplateTx[], over: Partial<BaseTemplate> = {}): BaseTemplate {
  const subsidy = 5_000_000_000n;
  return {
    height: 1234,
    version: 0x20000000,
    prevHashHex: '00'.repeat(31) + '01',
    prevHash: new Uint8Array(32).fill(7),
    bits: 0x207fffff,
    target: 0x7fffffn << 232n,
    curtime: 1_700_000_000,
    coinbasevalue: subsidy + txs.reduce((s, t) => s + t.fee, 0n),
    txs,
    witnessCommitment: commitmentFor(txs),
    weightlimit: 4_000_000,
    sigoplimit: 80_000,
    longpollid: 'x',
    ...over,
  };
}

const small = { coinbase_output_max_additional_size: 100, coinbase_output_max_additional_sigops: 4 };

test('a client within the node reserve gets the template unchanged', () => {
  const txs = [tx(400_000, 1000), tx(400_000, 2000), tx(3_180_000, 3000)];
  const b = base(txs);
  const f = fitTemplate(b, small, 8000);
  assert.equal(f.dropped, 0);
  assert.equal(f.txs.length, 3);
  assert.equal(f.coinbase_tx_value_remaining, b.coinbasevalue);
  assert.deepEqual(f.coinbase_tx_outputs, [{ value: 0n, script: b.witnessCommitment }]);
  assert.deepEqual(f.merkle_path, coinbaseMerklePath(txs.map((t) => t.txid)));
});

test('a large coinbase drops transactions from the end and recomputes value and commitment', () => {
  // 3,980,000 WU of transactions: a full block with Core's 8000 WU left free (+12,000 spare).
  const txs = [tx(1_000_000, 1000), tx(1_000_000, 2000), tx(1_000_000, 3000), tx(980_000, 4000)];
  const b = base(txs);
  const need = { coinbase_output_max_additional_size: 10_000, coinbase_output_max_additional_sigops: 4 };
  assert.equal(requiredWeight(need), COINBASE_BASE_WEIGHT + 40_000);
  const f = fitTemplate(b, need, 8000);
  assert.equal(f.dropped, 1);
  assert.deepEqual(f.txs, txs.slice(0, 3));
  assert.equal(f.coinbase_tx_value_remaining, b.coinbasevalue - 4000n);
  assert.deepEqual(f.coinbase_tx_outputs[0]!.script, commitmentFor(txs.slice(0, 3)));
  assert.deepEqual(f.merkle_path, coinbaseMerklePath(txs.slice(0, 3).map((t) => t.txid)));
  const total = f.txs.reduce((s, t) => s + t.weight, 0);
  assert.ok(total + requiredWeight(need) <= b.weightlimit);

  // Room left by a block that is not full: nothing to drop.
  const roomy = base(txs.slice(0, 2));
  assert.equal(fitTemplate(roomy, need, 8000).dropped, 0);
});

test('transactions spending a dropped one are dropped with it', () => {
  // Not in Core's order (a parent after its child would never come from Core), to exercise depends.
  const txs = [tx(1_000_000, 1), tx(1_000_000, 2), tx(1_000_000, 3), tx(990_000, 4)];
  txs[2]!.depends = [4];
  const f = fitTemplate(
    base(txs),
    { coinbase_output_max_additional_size: 5000, coinbase_output_max_additional_sigops: 0 },
    8000,
  );
  assert.deepEqual(f.txs, txs.slice(0, 2));
  assert.equal(f.dropped, 2);
});

test('sigops beyond the 400 the node keeps drop transactions too', () => {
  const txs = [tx(4000, 10, 40_000), tx(4000, 20, 39_000)];
  const b = base(txs);
  assert.equal(fitTemplate(b, { ...small, coinbase_output_max_additional_sigops: 400 }, 8000).dropped, 0);
  const f = fitTemplate(b, { ...small, coinbase_output_max_additional_sigops: 2000 }, 8000);
  assert.equal(f.dropped, 1);
  assert.equal(f.coinbase_tx_value_remaining, b.coinbasevalue - 20n);
});

test('impossible constraints are named', () => {
  assert.match(
    constraintsProblem({
      coinbase_output_max_additional_size: 1_000_000,
      coinbase_output_max_additional_sigops: 0,
    }) ?? '',
    /no room/,
  );
  assert.equal(constraintsProblem(small), undefined);
});

test('NewTemplate and SetNewPrevHash carry the template as the spec lays it out', () => {
  const txs = [tx(800, 100), tx(1200, 200)];
  const b = base(txs);
  const f = fitTemplate(b, small, 8000);
  const nt = newTemplateMessage(b, f, 42n, true);
  assert.deepEqual(nt.coinbase_prefix, encodeBip34Height(1234));
  assert.equal(nt.coinbase_tx_outputs_count, 1);
  // No CompactSize count: the bytes are exactly one output (8-byte value, script length, script).
  assert.equal(nt.coinbase_tx_outputs.length, 8 + 1 + 38);
  assert.deepEqual(parseOutputs(nt.coinbase_tx_outputs, 1)[0]!.script, b.witnessCommitment);
  const round = decodeFrame(encodeFrame(nt));
  assert.ok(round.ok);
  assert.deepEqual(round.message, nt);

  const sp = setNewPrevHashMessage(b, 42n);
  assert.equal(sp.template_id, 42n);
  assert.deepEqual(sp.prev_hash, b.prevHash);
  assert.equal(sp.header_timestamp, b.curtime);
  assert.equal(sp.nBits, b.bits);
  assert.equal(u256FromLE(sp.target), b.target);

  // No witness commitment from the node: no outputs at all.
  const legacy = base([], { witnessCommitment: null });
  const none = newTemplateMessage(legacy, fitTemplate(legacy, small, 8000), 43n, false);
  assert.equal(none.coinbase_tx_outputs_count, 0);
  assert.equal(none.coinbase_tx_outputs.length, 0);
  assert.deepEqual(none.merkle_path, []);
});

test('the template store keeps two tips and tells stale from unknown ids', () => {
  const store = new TemplateStore(1000n);
  const rec = (tip: string) => {
    const b = base([], { prevHashHex: tip });
    const id = store.nextId();
    const fitted = fitTemplate(b, small, 8000);
    store.add({ id, key: 'k', base: b, fitted, message: newTemplateMessage(b, fitted, id, false) });
    return id;
  };
  const a = rec('a');
  const b = rec('b');
  assert.ok(b > a);
  assert.equal(store.lookup(a).kind, 'ok');
  const c = rec('c');
  assert.equal(store.lookup(a).kind, 'stale');
  assert.equal(store.lookup(b).kind, 'ok');
  assert.equal(store.lookup(c).kind, 'ok');
  assert.equal(store.lookup(c + 1n).kind, 'not-found');
  assert.equal(store.lookup(5n).kind, 'not-found');
});

test('flag rows become commander options and config overrides', () => {
  const rows: FlagRow[] = [
    ['listen_address', '--listen <host:port>', 'listen'],
    ['bitcoind.rpc_url', '--rpc-url <url>', 'url'],
    ['min_interval', '--min-interval <seconds>', 'interval', 'number'],
    ['fee_threshold', '--fee-threshold <sats>', 'fees', 'number'],
    ['verbose', '--verbose', 'more', 'boolean'],
  ];
  assert.equal(flagProperty('--rpc-url <url>'), 'rpcUrl');
  const cmd = addConfigFlags(new Command().exitOverride(), rows);
  cmd.parse(['--rpc-url', 'http://x:1', '--min-interval', '0.5', '--fee-threshold', 'lots', '--verbose'], {
    from: 'user',
  });
  assert.deepEqual(flagOverrides(rows, cmd.opts()), {
    'bitcoind.rpc_url': 'http://x:1',
    min_interval: 0.5,
    // Left as text so the config layer reports it against the key's type.
    fee_threshold: 'lots',
    verbose: true,
  });
  assert.match(cmd.helpInformation(), /--rpc-url <url>\s+url \(bitcoind\.rpc_url\)/);
});
