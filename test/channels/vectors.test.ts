// The SRI channels-sv2 share-validation cases (sri_share_validation.json)
// judged by judgeShare: same verdict for every case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  bitsToTarget,
  bytesToHex,
  hexToBytes,
  stripBip141,
  u256FromBEHex,
  u256ToLE,
} from '../../src/bitcoin/index.js';
import { DuplicateFilter, coinbaseMerkleRoot, judgeShare } from '../../src/channels/index.js';
import { vectorPath } from '../helpers/paths.js';

interface Case {
  name: string;
  channel_type: 'standard' | 'extended';
  channel_target_be_hex?: string;
  channel?: { extranonce_prefix_hex: string; target_be_hex: string; rollable_extranonce_size: number };
  set_new_prev_hash: { prev_hash_hex: string; nbits: number; min_ntime: number };
  job: {
    version: number;
    version_rolling_allowed?: boolean;
    merkle_root_hex?: string;
    coinbase_tx_prefix_hex?: string;
    coinbase_tx_suffix_hex?: string;
    merkle_path?: string[];
  };
  share: { nonce: number; ntime: number; version: number; extranonce_hex?: string };
  expected: { header_hash_internal_hex: string; result: string };
}

const file = JSON.parse(
  readFileSync(vectorPath('extracted', 'sv2', 'sri_share_validation.json'), 'utf8'),
) as { cases: Case[] };

/** SRI's result names mapped to what judgeShare reports. */
function expectedVerdict(result: string): string {
  if (result.startsWith('BlockFound')) return 'block';
  if (result.startsWith('Valid')) return 'share';
  // SRI's "Ok" only says the version passed; whether it is a block depends on the hash.
  if (result.startsWith('Ok')) return 'accepted';
  if (result.startsWith('DoesNotMeetTarget')) return 'difficulty-too-low';
  if (result.startsWith('VersionRollingNotAllowed')) return 'version-rolling-not-allowed';
  if (result.includes('invalid-non-rollable-version-bit')) return 'invalid-non-rollable-version-bit';
  if (result.includes('ntime')) return 'invalid-share';
  throw new Error(`unmapped result: ${result}`);
}

test('the vector file has the 14 cases', () => assert.equal(file.cases.length, 14));

for (const c of file.cases) {
  test(`SRI case ${c.name}`, () => {
    const snph = c.set_new_prev_hash;
    // Standard channels roll the BIP323 bits freely; extended ones as the job says.
    const rolling = c.channel_type === 'standard' ? true : c.job.version_rolling_allowed === true;
    let merkle_root: Uint8Array;
    if (c.channel_type === 'standard') {
      merkle_root = hexToBytes(c.job.merkle_root_hex!);
    } else {
      assert.equal(hexToBytes(c.share.extranonce_hex!).length, c.channel!.rollable_extranonce_size);
      // The SRI test jobs carry the segwit coinbase halves; a job on the wire carries them stripped.
      const stripped = stripBip141(
        hexToBytes(c.job.coinbase_tx_prefix_hex!),
        hexToBytes(c.job.coinbase_tx_suffix_hex!),
      );
      merkle_root = coinbaseMerkleRoot(
        stripped.prefix,
        [hexToBytes(c.channel!.extranonce_prefix_hex), hexToBytes(c.share.extranonce_hex!)],
        stripped.suffix,
        (c.job.merkle_path ?? []).map(hexToBytes),
      );
    }
    const target = u256FromBEHex(c.channel_target_be_hex ?? c.channel!.target_be_hex);
    const judged = judgeShare(
      {
        prev_hash: hexToBytes(snph.prev_hash_hex),
        nbits: snph.nbits,
        network_target: u256ToLE(bitsToTarget(snph.nbits)),
        version: c.job.version,
        version_rolling_allowed: rolling,
        min_ntime: snph.min_ntime,
        targets: [u256ToLE(target)],
      },
      { merkle_root, version: c.share.version, ntime: c.share.ntime, nonce: c.share.nonce },
    );
    const verdict = judged.ok ? (judged.block ? 'block' : 'share') : judged.error_code;
    const expected = expectedVerdict(c.expected.result);
    if (expected === 'accepted') assert.ok(judged.ok);
    else assert.equal(verdict, expected);
    if (judged.hash) assert.equal(bytesToHex(judged.hash), c.expected.header_hash_internal_hex);

    // The same share again within the tip is a duplicate.
    if (c.expected.result.includes('DuplicateShare') && judged.ok) {
      const seen = new DuplicateFilter(16);
      assert.equal(seen.add(judged.hash), true);
      assert.equal(seen.add(judged.hash), false);
    }
  });
}
