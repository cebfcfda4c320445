// Addresses ↔ output scripts for every type and network, the pool example
// config's reward address, and wrong-network refusal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bech32m } from '@scure/base';
import {
  AddressError,
  NETWORKS,
  addressToScript,
  bytesToHex,
  hexToBytes,
  networkByName,
  parseTransaction,
  scriptToAddress,
  sha256,
  type Network,
} from '../../src/bitcoin/index.js';
import { loadJson, loadText } from './load.js';

// Deterministic 20- and 32-byte programs; their value is irrelevant to the round trip.
const h20 = sha256(Uint8Array.of(1)).slice(0, 20);
const h32 = sha256(Uint8Array.of(2));

const scripts: Record<string, Uint8Array> = {
  p2pkh: Uint8Array.of(0x76, 0xa9, 20, ...h20, 0x88, 0xac),
  p2sh: Uint8Array.of(0xa9, 20, ...h20, 0x87),
  p2wpkh: Uint8Array.of(0x00, 20, ...h20),
  p2wsh: Uint8Array.of(0x00, 32, ...h32),
  p2tr: Uint8Array.of(0x51, 32, ...h32),
};

const expectedStart: Record<string, (n: Network) => string[]> = {
  p2pkh: (n) => (n.name === 'mainnet' ? ['1'] : ['m', 'n']),
  p2sh: (n) => (n.name === 'mainnet' ? ['3'] : ['2']),
  p2wpkh: (n) => [`${n.bech32}1q`],
  p2wsh: (n) => [`${n.bech32}1q`],
  p2tr: (n) => [`${n.bech32}1p`],
};

for (const network of Object.values(NETWORKS)) {
  for (const [type, script] of Object.entries(scripts)) {
    test(`${type} on ${network.name}: script → address → script`, () => {
      const address = scriptToAddress(script, network);
      assert.ok(address !== null);
      assert.ok(
        expectedStart[type]!(network).some((p) => address.startsWith(p)),
        address,
      );
      assert.equal(bytesToHex(addressToScript(address, network)), bytesToHex(script));
      // Segwit addresses may be written in upper case (QR codes).
      if (type.startsWith('p2w') || type === 'p2tr') {
        assert.equal(bytesToHex(addressToScript(address.toUpperCase(), network)), bytesToHex(script));
      }
    });
  }
}

test('the pool example config reward address pays the script of the SRI test coinbases', () => {
  const config = loadText(
    'sv2-apps',
    'pool-apps',
    'pool',
    'config-examples',
    'pool-config-local-tp-example.toml',
  );
  const address = /coinbase_reward_script\s*=\s*"addr\((\w+)\)"/.exec(config)![1]!;
  const { cases } = loadJson<{ cases: { channel_type: string; expected: { coinbase_tx_hex?: string } }[] }>(
    'extracted',
    'sv2',
    'sri_share_validation.json',
  );
  const coinbase = parseTransaction(
    hexToBytes(cases.find((c) => c.channel_type === 'extended')!.expected.coinbase_tx_hex!),
  );
  const payout = coinbase.outputs[0]!.script;
  for (const name of ['testnet3', 'testnet4', 'signet'] as const) {
    assert.equal(bytesToHex(addressToScript(address, NETWORKS[name])), bytesToHex(payout));
    assert.equal(scriptToAddress(payout, NETWORKS[name]), address);
  }
  assert.throws(
    () => addressToScript(address, NETWORKS.regtest),
    (e: Error) =>
      e instanceof AddressError &&
      e.message ===
        `address ${address} is for testnet3/testnet4/signet, but the configured network is regtest`,
  );
});

test('an address of another network is refused, naming both networks', () => {
  const mainnet = scriptToAddress(scripts.p2wpkh!, NETWORKS.mainnet)!;
  assert.throws(
    () => addressToScript(mainnet, NETWORKS.regtest),
    (e: Error) =>
      e instanceof AddressError &&
      e.message === `address ${mainnet} is for mainnet, but the configured network is regtest`,
  );
  const regtest = scriptToAddress(scripts.p2tr!, NETWORKS.regtest)!;
  assert.throws(
    () => addressToScript(regtest, NETWORKS.mainnet),
    /is for regtest, but the configured network is mainnet/,
  );
  const legacy = scriptToAddress(scripts.p2pkh!, NETWORKS.mainnet)!;
  assert.throws(
    () => addressToScript(legacy, NETWORKS.signet),
    /is for mainnet, but the configured network is signet/,
  );
  const testP2sh = scriptToAddress(scripts.p2sh!, NETWORKS.testnet4)!;
  assert.throws(
    () => addressToScript(testP2sh, NETWORKS.mainnet),
    /is for testnet3\/testnet4\/signet\/regtest, but the configured network is mainnet/,
  );
  // Base58 prefixes are shared by every test network.
  assert.equal(bytesToHex(addressToScript(testP2sh, NETWORKS.regtest)), bytesToHex(scripts.p2sh!));
});

test('corrupted and malformed addresses are refused with AddressError', () => {
  const good = scriptToAddress(scripts.p2wpkh!, NETWORKS.mainnet)!;
  const last = good.at(-1) === 'q' ? 'p' : 'q';
  assert.throws(() => addressToScript(good.slice(0, -1) + last, NETWORKS.mainnet), AddressError);
  const legacy = scriptToAddress(scripts.p2pkh!, NETWORKS.mainnet)!;
  const swapped = legacy.slice(0, -1) + (legacy.at(-1) === '2' ? '3' : '2');
  assert.throws(() => addressToScript(swapped, NETWORKS.mainnet), /base58check/);
  assert.throws(() => addressToScript('', NETWORKS.mainnet), /empty/);
  // Witness version 0 written with the bech32m checksum (BIP350 forbids it).
  const wrongChecksum = bech32m.encode('bc', [0, ...bech32m.toWords(h20)]);
  assert.throws(() => addressToScript(wrongChecksum, NETWORKS.mainnet), /wrong checksum/);
  // Version 0 with a program that is neither 20 nor 32 bytes.
  const badLength = scriptToAddress(Uint8Array.of(0x51, 20, ...h20), NETWORKS.mainnet)!.replace(
    /^bc1p/,
    'bc1q',
  );
  assert.throws(() => addressToScript(badLength, NETWORKS.mainnet), AddressError);
});

test('scripts without an address give null', () => {
  assert.equal(scriptToAddress(Uint8Array.of(0x6a, 0x01, 0x2a), NETWORKS.mainnet), null);
  assert.equal(scriptToAddress(new Uint8Array(0), NETWORKS.mainnet), null);
  assert.equal(scriptToAddress(Uint8Array.of(0x00, 21, ...h20, 0), NETWORKS.mainnet), null);
});

test('network names, including Bitcoin Core chain names', () => {
  assert.equal(networkByName('main'), NETWORKS.mainnet);
  assert.equal(networkByName('test'), NETWORKS.testnet3);
  assert.equal(networkByName('testnet4'), NETWORKS.testnet4);
  assert.equal(networkByName('signet'), NETWORKS.signet);
  assert.equal(networkByName('regtest'), NETWORKS.regtest);
  assert.throws(() => networkByName('litecoin'), /unknown network/);
});
