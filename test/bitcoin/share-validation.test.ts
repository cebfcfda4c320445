// SRI share-validation cases (sri_share_validation.json): the coinbase, its
// txid (= merkle root), the 80-byte header and its hash reproduced exactly,
// and the hash compared with the channel and nBits targets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assembleCoinbase,
  bitsToTarget,
  bytesToHex,
  coinbaseTxid,
  foldMerklePath,
  hashMeetsTarget,
  headerHash,
  hexToBytes,
  parseTransaction,
  serializeHeader,
  toDisplayHex,
  txid,
  u256FromBEHex,
  wtxid,
} from '../../src/bitcoin/index.js';
import { loadJson } from './load.js';

interface ShareCase {
  name: string;
  channel_type: 'standard' | 'extended';
  channel_target_be_hex?: string;
  channel?: { extranonce_prefix_hex: string; target_be_hex: string };
  set_new_prev_hash: {
    prev_hash_hex: string;
    nbits: number;
    nbits_hex: string;
    network_target_be_hex: string;
  };
  job: {
    version: number;
    merkle_root_hex?: string;
    coinbase_tx_prefix_hex?: string;
    coinbase_tx_suffix_hex?: string;
    merkle_path?: string[];
  };
  share: { nonce: number; ntime: number; version: number; extranonce_hex?: string };
  expected: {
    coinbase_tx_hex?: string;
    coinbase_txid_internal_hex?: string;
    coinbase_txid_display_hex?: string;
    coinbase_wtxid_display_hex?: string;
    merkle_root_internal_hex?: string;
    header_hex: string;
    header_hash_internal_hex: string;
    header_hash_display_hex: string;
    result: string;
  };
}

const { cases } = loadJson<{ cases: ShareCase[] }>('extracted', 'sv2', 'sri_share_validation.json');

test('the file has 14 cases', () => assert.equal(cases.length, 14));

for (const c of cases) {
  test(`${c.name}: header, hash and target verdicts`, () => {
    const prev = c.set_new_prev_hash;
    assert.equal(prev.nbits, parseInt(prev.nbits_hex, 16));
    const networkTarget = bitsToTarget(prev.nbits);
    assert.equal(networkTarget, u256FromBEHex(prev.network_target_be_hex));

    let merkleRoot: Uint8Array;
    if (c.channel_type === 'standard') {
      merkleRoot = hexToBytes(c.job.merkle_root_hex!);
    } else {
      const prefix = hexToBytes(c.job.coinbase_tx_prefix_hex!);
      const suffix = hexToBytes(c.job.coinbase_tx_suffix_hex!);
      const extranonce = [hexToBytes(c.channel!.extranonce_prefix_hex), hexToBytes(c.share.extranonce_hex!)];
      const coinbase = assembleCoinbase(prefix, extranonce, suffix);
      assert.equal(bytesToHex(coinbase), c.expected.coinbase_tx_hex);
      const id = coinbaseTxid(prefix, extranonce, suffix);
      assert.equal(bytesToHex(id), c.expected.coinbase_txid_internal_hex);
      assert.equal(toDisplayHex(id), c.expected.coinbase_txid_display_hex);
      const tx = parseTransaction(coinbase);
      assert.equal(bytesToHex(txid(tx)), c.expected.coinbase_txid_internal_hex);
      assert.equal(toDisplayHex(wtxid(tx)), c.expected.coinbase_wtxid_display_hex);
      merkleRoot = foldMerklePath(id, (c.job.merkle_path ?? []).map(hexToBytes));
      assert.equal(bytesToHex(merkleRoot), c.expected.merkle_root_internal_hex);
    }

    const header = serializeHeader({
      version: c.share.version,
      prev_hash: hexToBytes(prev.prev_hash_hex),
      merkle_root: merkleRoot,
      time: c.share.ntime,
      bits: prev.nbits,
      nonce: c.share.nonce,
    });
    assert.equal(bytesToHex(header), c.expected.header_hex);
    const hash = headerHash(header);
    assert.equal(bytesToHex(hash), c.expected.header_hash_internal_hex);
    assert.equal(toDisplayHex(hash), c.expected.header_hash_display_hex);

    const channelTarget = u256FromBEHex(c.channel_target_be_hex ?? c.channel!.target_be_hex);
    const meetsChannel = hashMeetsTarget(hash, channelTarget);
    const meetsNetwork = hashMeetsTarget(hash, networkTarget);
    // Only the target verdicts belong to this layer; version and ntime rules are the channels' job.
    if (c.expected.result.startsWith('BlockFound')) assert.ok(meetsChannel && meetsNetwork);
    if (c.expected.result.startsWith('Valid')) assert.ok(meetsChannel && !meetsNetwork);
    if (c.expected.result.startsWith('DoesNotMeetTarget')) assert.ok(!meetsChannel && !meetsNetwork);
  });
}
