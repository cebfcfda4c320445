// BIP141 stripping of NewExtendedMiningJob coinbase halves
// (sri_coinbase_bip141_strip.json): SRI and Braiins jobs, idempotence, and
// the BIP34 heights in their scriptSigs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BitcoinDataError,
  bytesToHex,
  decodeBip34Height,
  hasBip141Marker,
  hexToBytes,
  stripBip141,
} from '../../src/bitcoin/index.js';
import { loadJson } from './load.js';

interface StripCase {
  name: string;
  coinbase_tx_prefix_hex: string;
  coinbase_tx_suffix_hex: string;
  expected_stripped_prefix_hex?: string;
  expected_stripped_suffix_hex?: string;
  scriptsig_length_declared: number;
  scriptsig_bytes_in_prefix_hex: string;
  bip34_height_from_prefix: number;
  bip34_push_hex: string;
  extranonce_space_bytes: number;
}

const { cases } = loadJson<{ cases: StripCase[] }>('extracted', 'sv2', 'sri_coinbase_bip141_strip.json');

test('the file has its three cases', () => assert.equal(cases.length, 3));

for (const c of cases) {
  test(`${c.name}: strip, idempotence, BIP34 height`, () => {
    const prefix = hexToBytes(c.coinbase_tx_prefix_hex);
    const suffix = hexToBytes(c.coinbase_tx_suffix_hex);
    const once = stripBip141(prefix, suffix);
    if (c.expected_stripped_prefix_hex === undefined) {
      assert.equal(once.stripped, false);
      assert.equal(bytesToHex(once.prefix), c.coinbase_tx_prefix_hex);
      assert.equal(bytesToHex(once.suffix), c.coinbase_tx_suffix_hex);
    } else {
      assert.equal(once.stripped, true);
      assert.equal(bytesToHex(once.prefix), c.expected_stripped_prefix_hex);
      assert.equal(bytesToHex(once.suffix), c.expected_stripped_suffix_hex);
    }
    const twice = stripBip141(once.prefix, once.suffix);
    assert.equal(twice.stripped, false);
    assert.equal(bytesToHex(twice.prefix), bytesToHex(once.prefix));
    assert.equal(bytesToHex(twice.suffix), bytesToHex(once.suffix));

    // Stripped legacy prefix: version(4) count(1) outpoint(36) scriptSig length(1) then scriptSig bytes.
    assert.equal(hasBip141Marker(once.prefix), false);
    assert.equal(once.prefix[41], c.scriptsig_length_declared);
    const scriptSig = once.prefix.subarray(42);
    assert.equal(bytesToHex(scriptSig), c.scriptsig_bytes_in_prefix_hex);
    assert.equal(c.scriptsig_length_declared - scriptSig.length, c.extranonce_space_bytes);
    const { height, length } = decodeBip34Height(scriptSig);
    assert.equal(height, c.bip34_height_from_prefix);
    assert.equal(bytesToHex(scriptSig.subarray(0, length)), c.bip34_push_hex);
  });
}

test('a marker without the witness before the locktime is refused', () => {
  const c = cases.find((x) => x.expected_stripped_prefix_hex !== undefined)!;
  const prefix = hexToBytes(c.coinbase_tx_prefix_hex);
  const strippedSuffix = hexToBytes(c.expected_stripped_suffix_hex!);
  assert.throws(() => stripBip141(prefix, strippedSuffix), BitcoinDataError);
  assert.throws(() => stripBip141(prefix, new Uint8Array(10)), BitcoinDataError);
});
