// The SV1 view of a job rebuilds exactly the header the SV2 job describes:
// coinb1 ‖ extranonce1 ‖ extranonce2 ‖ coinb2 with the notify's branches is
// coinbase_tx_prefix ‖ extranonce_prefix ‖ extranonce ‖ coinbase_tx_suffix.
// Checked against SRI's extended-channel share cases and a mainnet block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  targetToDifficulty,
  toDisplayHex,
  sha256d,
  u256FromBEHex,
  U256_MAX,
} from '../../src/bitcoin/index.js';
import { CPU_PORT, type MinerExtranonce, type UpstreamJob } from '../../src/sv1/index.js';
import { vectorPath } from '../helpers/paths.js';
import { harness, minerHeader, parseNotify, FakeUpstream } from './fixture.js';

interface SriCase {
  name: string;
  channel_type: string;
  channel?: { extranonce_prefix_hex: string; rollable_extranonce_size: number; target_be_hex: string };
  set_new_prev_hash: { prev_hash_hex: string; nbits: number; min_ntime: number };
  job: {
    job_id: number;
    version: number;
    version_rolling_allowed?: boolean;
    coinbase_tx_prefix_hex?: string;
    coinbase_tx_suffix_hex?: string;
    merkle_path?: string[];
  };
  share: { nonce: number; ntime: number; version: number; extranonce_hex?: string };
  expected: { header_hex: string; header_hash_internal_hex: string };
}

const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const be32 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');
const sri = JSON.parse(readFileSync(vectorPath('extracted', 'sv2', 'sri_share_validation.json'), 'utf8')) as {
  cases: SriCase[];
};
const extendedCases = sri.cases.filter((c) => c.channel_type === 'extended');

async function workingSession(
  job: UpstreamJob,
  extranonce: MinerExtranonce,
  difficulty: number,
  portMask?: number,
) {
  const upstream = new FakeUpstream();
  upstream.job = job;
  upstream.extranonce = extranonce;
  const h = harness(
    { port: { ...CPU_PORT, start: difficulty }, ...(portMask ? { versionMask: portMask } : {}) },
    upstream,
  );
  const lines = await h.feed([
    JSON.stringify({
      id: 1,
      method: 'mining.configure',
      params: [['version-rolling'], { 'version-rolling.mask': 'ffffffff' }],
    }),
    JSON.stringify({ id: 2, method: 'mining.subscribe', params: [] }),
    JSON.stringify({ id: 3, method: 'mining.authorize', params: ['w', ''] }),
  ]);
  return { h, notify: parseNotify(lines.at(-1)!) };
}

function sriJob(c: SriCase): { job: UpstreamJob; extranonce: MinerExtranonce; difficulty: number } {
  const ch = c.channel!;
  return {
    job: {
      job_id: c.job.job_id,
      version: c.job.version,
      version_rolling_allowed: c.job.version_rolling_allowed ?? true,
      // As SRI sends them here: still carrying the BIP141 marker and witness; the SV1 side strips them.
      coinbase_tx_prefix: bytes(c.job.coinbase_tx_prefix_hex!),
      coinbase_tx_suffix: bytes(c.job.coinbase_tx_suffix_hex!),
      merkle_path: (c.job.merkle_path ?? []).map(bytes),
      prev_hash: bytes(c.set_new_prev_hash.prev_hash_hex),
      nbits: c.set_new_prev_hash.nbits,
      ntime: c.set_new_prev_hash.min_ntime,
      clean_jobs: true,
      upstream_target: u256FromBEHex(ch.target_be_hex),
    },
    extranonce: {
      extranonce1: bytes(ch.extranonce_prefix_hex),
      extranonce2_size: ch.rollable_extranonce_size,
      upstream_prefix_length: bytes(ch.extranonce_prefix_hex).length,
    },
    difficulty: Math.min(targetToDifficulty(u256FromBEHex(ch.target_be_hex)), CPU_PORT.max),
  };
}

test('SRI extended-channel shares: the SV1 rebuild gives the expected header and hash', async () => {
  const wanted = ['extended_valid_share', 'extended_does_not_meet_target', 'extended_block_found'];
  const cases = extendedCases.filter((c) => wanted.includes(c.name));
  assert.equal(cases.length, wanted.length);
  for (const c of cases) {
    const { job, extranonce, difficulty } = sriJob(c);
    const { h, notify } = await workingSession(job, extranonce, difficulty);
    const en2 = c.share.extranonce_hex!;
    // The miner's own rebuild from the notify strings.
    const header = minerHeader(notify, hex(extranonce.extranonce1), en2, c.share.ntime, c.share.nonce);
    assert.equal(header.toString('hex'), c.expected.header_hex, c.name);
    const reply = await h.feed([
      JSON.stringify({
        id: 4,
        method: 'mining.submit',
        params: ['w', notify.job_id, en2, be32(c.share.ntime), be32(c.share.nonce)],
      }),
    ]);
    const meets = c.name !== 'extended_does_not_meet_target';
    if (meets) {
      assert.deepEqual(JSON.parse(reply[0]!), { id: 4, result: true, error: null }, c.name);
      const share = h.upstream.shares[0]!;
      assert.equal(hex(share.hash), c.expected.header_hash_internal_hex, c.name);
      assert.equal(hex(share.header), c.expected.header_hex, c.name);
      assert.equal(hex(share.extranonce), en2, 'only the bytes after the upstream prefix go upstream');
      assert.equal(share.job_id, c.job.job_id);
    } else {
      assert.deepEqual(JSON.parse(reply[0]!).error, [23, 'Low difficulty share', null], c.name);
      assert.equal(h.upstream.shares.length, 0);
    }
  }
});

test('SRI rolled versions: bits outside BIP320 are refused on a V1 port, accepted when the port allows them', async () => {
  const rolled = extendedCases.find((c) => c.name === 'extended_rollable_version_bits')!;
  const nonRollable = extendedCases.find((c) => c.name === 'extended_non_rollable_version_bit')!;
  for (const [c, portMask, expectOk] of [
    [rolled, undefined, false],
    [rolled, 0x1fffffe0, true],
    [nonRollable, 0x1fffffe0, false],
  ] as const) {
    const { job, extranonce, difficulty } = sriJob(c);
    const { h, notify } = await workingSession(job, extranonce, difficulty, portMask);
    // ESP-Miner's encoding: rolled version XOR the job version as sent.
    const bits = (c.share.version ^ parseInt(notify.version, 16)) >>> 0;
    const reply = await h.feed([
      JSON.stringify({
        id: 5,
        method: 'mining.submit',
        params: [
          'w',
          notify.job_id,
          c.share.extranonce_hex,
          be32(c.share.ntime),
          be32(c.share.nonce),
          be32(bits),
        ],
      }),
    ]);
    const answer = JSON.parse(reply[0]!) as { result: boolean; error: unknown };
    if (expectOk) {
      assert.equal(answer.result, true, c.name);
      assert.equal(hex(h.upstream.shares[0]!.hash), c.expected.header_hash_internal_hex);
      assert.equal(h.upstream.shares[0]!.version, c.share.version);
    } else {
      assert.deepEqual(answer.error, [20, 'Invalid version mask', null], c.name);
    }
  }
});

interface BlockVector {
  height: number;
  header_hex: string;
  block_hash_display: string;
  version: number;
  time: number;
  bits: string;
  nonce: number;
  coinbase: { hex: string; txid_display: string; scriptsig_hex: string };
  coinbase_merkle_path_internal: string[];
}

test('mainnet block 542213 split into SV1 coinbase halves is found again as a block candidate', async () => {
  const blocks = JSON.parse(
    readFileSync(vectorPath('extracted', 'bitcoin', 'blocks_coinbases_bip34.json'), 'utf8'),
  ) as {
    blocks: BlockVector[];
  };
  const b = blocks.blocks.find((x) => x.height === 542213)!;
  const coinbase = bytes(b.coinbase.hex);
  // version 4 ‖ marker/flag 2 ‖ input count 1 ‖ outpoint 36 ‖ scriptSig length 1, then the BIP34 push.
  const scriptSig = 44;
  const heightPush = 1 + coinbase[scriptSig]!;
  const cut = scriptSig + heightPush;
  const en1 = coinbase.subarray(cut, cut + 4);
  const en2 = coinbase.subarray(cut + 4, cut + 12);
  const header80 = bytes(b.header_hex);
  const job: UpstreamJob = {
    job_id: 42,
    version: b.version,
    version_rolling_allowed: true,
    coinbase_tx_prefix: coinbase.subarray(0, cut),
    coinbase_tx_suffix: coinbase.subarray(cut + 12),
    merkle_path: b.coinbase_merkle_path_internal.map(bytes),
    prev_hash: header80.subarray(4, 36),
    nbits: parseInt(b.bits, 16),
    ntime: b.time,
    clean_jobs: true,
    upstream_target: U256_MAX,
  };
  const extranonce = { extranonce1: en1, extranonce2_size: 8, upstream_prefix_length: 2 };
  const { h, notify } = await workingSession(job, extranonce, 1);
  assert.equal(minerHeader(notify, hex(en1), hex(en2), b.time, b.nonce).toString('hex'), b.header_hex);
  const reply = await h.feed([
    JSON.stringify({
      id: 9,
      method: 'mining.submit',
      params: ['w', notify.job_id, hex(en2).toUpperCase(), be32(b.time), be32(b.nonce)],
    }),
  ]);
  assert.deepEqual(JSON.parse(reply[0]!), { id: 9, result: true, error: null });
  const share = h.upstream.shares[0]!;
  assert.equal(share.block, true);
  assert.equal(toDisplayHex(share.hash), b.block_hash_display);
  assert.equal(toDisplayHex(sha256d(share.coinbase)), b.coinbase.txid_display);
  assert.equal(hex(share.extranonce), hex(en1.subarray(2)) + hex(en2));
  const blockEvent = h.events.find((e) => e.type === 'share' && e.accepted);
  assert.ok(blockEvent && blockEvent.type === 'share' && blockEvent.accepted && blockEvent.block);
});
