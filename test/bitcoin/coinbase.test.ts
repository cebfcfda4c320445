// The coinbase builder rebuilds the SRI jobs' prefix/suffix from their parts
// (parsed out of the vector files), and enforces the scriptSig bounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BitcoinDataError,
  buildCoinbase,
  bytesToHex,
  coinbaseTxid,
  concatBytes,
  decodeBip34Height,
  encodeBip34Height,
  hexToBytes,
  parseOutputs,
  parseTransaction,
  serializeOutputs,
  stripBip141,
  txid,
  type CoinbaseParams,
} from '../../src/bitcoin/index.js';
import { loadJson } from './load.js';

interface ShareFile {
  cases: {
    channel_type: string;
    job: { coinbase_tx_prefix_hex?: string; coinbase_tx_suffix_hex?: string };
    expected: { coinbase_tx_hex?: string };
  }[];
}
interface StripFile {
  cases: {
    coinbase_tx_prefix_hex: string;
    coinbase_tx_suffix_hex: string;
    expected_stripped_prefix_hex?: string;
    expected_stripped_suffix_hex?: string;
    extranonce_space_bytes: number;
  }[];
}

/** Splits a full coinbase into the builder's inputs: template prefix = the BIP34 push, the rest is pool bytes. */
function paramsFrom(coinbaseHex: string, extranonceSize: number, payoutCount: number): CoinbaseParams {
  const tx = parseTransaction(hexToBytes(coinbaseHex));
  const input = tx.inputs[0]!;
  const scriptSig = input.script_sig;
  const { length } = decodeBip34Height(scriptSig);
  const beforeExtranonce = scriptSig.length - extranonceSize;
  return {
    coinbase_tx_version: tx.version,
    coinbase_prefix: scriptSig.slice(0, length),
    script_sig_extra: scriptSig.slice(length, beforeExtranonce),
    extranonce_size: extranonceSize,
    coinbase_tx_input_sequence: input.sequence,
    payout_outputs: tx.outputs.slice(0, payoutCount),
    template_outputs: tx.outputs.slice(payoutCount),
    coinbase_tx_locktime: tx.locktime,
  };
}

test('rebuilds the SRI extended-channel job (segwit, OP_2 height, 32-byte extranonce)', () => {
  const c = loadJson<ShareFile>('extracted', 'sv2', 'sri_share_validation.json').cases.find(
    (x) => x.channel_type === 'extended',
  )!;
  const prefix = hexToBytes(c.job.coinbase_tx_prefix_hex!);
  const full = hexToBytes(c.expected.coinbase_tx_hex!);
  const suffix = hexToBytes(c.job.coinbase_tx_suffix_hex!);
  const extranonceSize = full.length - prefix.length - suffix.length;
  const parts = buildCoinbase(paramsFrom(c.expected.coinbase_tx_hex!, extranonceSize, 1));
  assert.equal(parts.segwit, true);
  assert.equal(bytesToHex(parts.witness_prefix), c.job.coinbase_tx_prefix_hex);
  assert.equal(bytesToHex(parts.witness_suffix), c.job.coinbase_tx_suffix_hex);
  const stripped = stripBip141(prefix, suffix);
  assert.equal(bytesToHex(parts.coinbase_tx_prefix), bytesToHex(stripped.prefix));
  assert.equal(bytesToHex(parts.coinbase_tx_suffix), bytesToHex(stripped.suffix));
  // Both forms give the txid of the full coinbase.
  const extranonce = full.subarray(prefix.length, prefix.length + extranonceSize);
  const expected = bytesToHex(txid(parseTransaction(full)));
  assert.equal(
    bytesToHex(coinbaseTxid(parts.coinbase_tx_prefix, extranonce, parts.coinbase_tx_suffix)),
    expected,
  );
  assert.equal(bytesToHex(coinbaseTxid(parts.witness_prefix, extranonce, parts.witness_suffix)), expected);
});

test('rebuilds the SRI BIP141 job (pool tag, sequence and locktime from the template)', () => {
  const c = loadJson<StripFile>('extracted', 'sv2', 'sri_coinbase_bip141_strip.json').cases.find(
    (x) => x.expected_stripped_prefix_hex !== undefined,
  )!;
  const extranonce = new Uint8Array(c.extranonce_space_bytes);
  const full = concatBytes(
    hexToBytes(c.coinbase_tx_prefix_hex),
    extranonce,
    hexToBytes(c.coinbase_tx_suffix_hex),
  );
  const parts = buildCoinbase(paramsFrom(bytesToHex(full), c.extranonce_space_bytes, 1));
  assert.equal(bytesToHex(parts.witness_prefix), c.coinbase_tx_prefix_hex);
  assert.equal(bytesToHex(parts.witness_suffix), c.coinbase_tx_suffix_hex);
  assert.equal(bytesToHex(parts.coinbase_tx_prefix), c.expected_stripped_prefix_hex);
  assert.equal(bytesToHex(parts.coinbase_tx_suffix), c.expected_stripped_suffix_hex);
  assert.equal(parts.script_sig_length, parts.witness_prefix.length - 44 + c.extranonce_space_bytes);
});

test('without a witness commitment output the coinbase is legacy (no marker, flag or witness)', () => {
  const c = loadJson<StripFile>('extracted', 'sv2', 'sri_coinbase_bip141_strip.json').cases[1]!;
  const extranonce = new Uint8Array(c.extranonce_space_bytes);
  const full = concatBytes(
    hexToBytes(c.coinbase_tx_prefix_hex),
    extranonce,
    hexToBytes(c.coinbase_tx_suffix_hex),
  );
  const params = paramsFrom(bytesToHex(full), c.extranonce_space_bytes, 1);
  const legacy = buildCoinbase({ ...params, template_outputs: [] });
  assert.equal(legacy.segwit, false);
  assert.equal(bytesToHex(legacy.witness_prefix), bytesToHex(legacy.coinbase_tx_prefix));
  assert.equal(bytesToHex(legacy.witness_suffix), bytesToHex(legacy.coinbase_tx_suffix));
  // The Braiins job is already legacy form, with a commitment: forcing witness off reproduces it.
  const braiins = buildCoinbase({ ...params, witness: false });
  assert.equal(bytesToHex(braiins.coinbase_tx_prefix), c.coinbase_tx_prefix_hex);
  assert.equal(bytesToHex(braiins.coinbase_tx_suffix), c.coinbase_tx_suffix_hex);
});

test('scriptSig length outside 2..100 bytes is refused with a clear error', () => {
  const base: CoinbaseParams = {
    coinbase_tx_version: 2,
    coinbase_prefix: encodeBip34Height(1),
    extranonce_size: 0,
    coinbase_tx_input_sequence: 0xffffffff,
    payout_outputs: [],
    template_outputs: [],
    coinbase_tx_locktime: 0,
  };
  assert.throws(
    () => buildCoinbase(base),
    (e: Error) => e instanceof BitcoinDataError && /1 bytes.*2\.\.100/.test(e.message),
  );
  assert.equal(buildCoinbase({ ...base, extranonce_size: 1 }).script_sig_length, 2);
  assert.equal(buildCoinbase({ ...base, extranonce_size: 99 }).script_sig_length, 100);
  assert.throws(() => buildCoinbase({ ...base, extranonce_size: 100 }), /101 bytes/);
});

test('payouts may not exceed coinbase_tx_value_remaining', () => {
  const c = loadJson<ShareFile>('extracted', 'sv2', 'sri_share_validation.json').cases.find(
    (x) => x.channel_type === 'extended',
  )!;
  const params = paramsFrom(c.expected.coinbase_tx_hex!, 32, 1);
  const paid = params.payout_outputs[0]!.value;
  assert.equal(buildCoinbase({ ...params, coinbase_tx_value_remaining: paid }).segwit, true);
  assert.throws(() => buildCoinbase({ ...params, coinbase_tx_value_remaining: paid - 1n }), /more than/);
});

test('TDP NewTemplate outputs have no count; SetCustomMiningJob-style lists do', () => {
  interface Tp {
    vectors: {
      test: string;
      fields?: { coinbase_tx_outputs_count?: number; coinbase_tx_outputs_hex?: string };
    }[];
  }
  const templates = loadJson<Tp>('extracted', 'sv2', 'sv2-tp_message_encodings.json').vectors.filter(
    (v) => v.fields?.coinbase_tx_outputs_hex !== undefined,
  );
  assert.equal(templates.length, 2);
  for (const { fields } of templates) {
    if (fields === undefined) continue;
    const raw = hexToBytes(fields.coinbase_tx_outputs_hex!);
    const outputs = parseOutputs(raw, fields.coinbase_tx_outputs_count);
    assert.equal(outputs.length, fields.coinbase_tx_outputs_count);
    assert.equal(bytesToHex(serializeOutputs(outputs, false)), fields.coinbase_tx_outputs_hex);
    const counted = serializeOutputs(outputs, true);
    assert.equal(counted[0], outputs.length);
    assert.deepEqual(parseOutputs(counted), outputs);
    assert.throws(() => parseOutputs(raw, outputs.length + 1), BitcoinDataError);
    assert.throws(() => parseOutputs(raw, outputs.length - 1), /left after/);
  }
});
