// Share validation through ServerConnectionChannels: every error code, the
// exact target boundary, blocks, batched acknowledgements and the target in
// force when a job was sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bitsToTarget,
  foldMerklePath,
  hashMeetsTarget,
  parseHeader,
  parseTransaction,
  txid,
  u256FromLE,
  u256ToLE,
} from '../../src/bitcoin/index.js';
import { DuplicateFilter, ServerConnectionChannels, type ShareVerdict } from '../../src/channels/index.js';
import type { MessageByName } from '../../src/messages/index.js';
import {
  EASY_BITS,
  HARD_BITS,
  NOW,
  extendedHash,
  makeChain,
  openExtendedMsg,
  prevHash,
  template,
} from './fixture.js';

type ExtJob = MessageByName<'NewExtendedMiningJob'>;
const NTIME = 1_700_000_000;
const VERSION = 0x20000000;

function setup(nbits = HARD_BITS, config = {}) {
  const chain = makeChain(config);
  chain.newTemplate(template(1n, true));
  chain.setNewPrevHash(prevHash(1n, nbits), NOW);
  const conn = new ServerConnectionChannels(chain, { flags: 0 });
  const out = conn.openExtended(openExtendedMsg(1), { ok: true, payout_key: 'pool' }, NOW);
  const success = out[0] as MessageByName<'OpenExtendedMiningChannelSuccess'>;
  const job = out[1] as ExtJob;
  return { chain, conn, success, job, nbits, prev: prevHash(1n, nbits).prev_hash };
}

type Setup = ReturnType<typeof setup>;

function submit(
  s: Setup,
  job_id: number,
  nonce: number,
  extra: Partial<MessageByName<'SubmitSharesExtended'>> = {},
): ShareVerdict {
  return s.conn.submitExtended(
    {
      type: 'SubmitSharesExtended',
      channel_id: s.success.channel_id,
      sequence_number: nonce,
      job_id,
      nonce,
      ntime: NTIME,
      version: VERSION,
      extranonce: new Uint8Array(s.success.extranonce_size),
      ...extra,
    },
    NOW + 5000,
  );
}

function hashOf(s: Setup, job: ExtJob, nonce: number): Uint8Array {
  return extendedHash(
    job,
    s.prev,
    s.nbits,
    [s.success.extranonce_prefix, new Uint8Array(s.success.extranonce_size)],
    {
      nonce,
      ntime: NTIME,
      version: VERSION,
    },
  );
}

/** First nonce from `start` whose hash satisfies `ok` (bounded search). */
function findNonce(s: Setup, job: ExtJob, ok: (hash: Uint8Array) => boolean, start = 0): number {
  for (let nonce = start; nonce < start + 100_000; nonce++) if (ok(hashOf(s, job, nonce))) return nonce;
  throw new Error('no nonce found');
}

function errorOf(v: ShareVerdict): string {
  return v.accepted ? 'accepted' : v.error_code;
}

test('every SubmitShares.Error code from a crafted share', () => {
  const s = setup();
  const target = u256FromLE(s.success.target);
  const good = findNonce(s, s.job, (h) => hashMeetsTarget(h, target));
  const bad = findNonce(s, s.job, (h) => !hashMeetsTarget(h, target));
  const v = submit(s, s.job.job_id, good, { channel_id: 999 });
  assert.equal(errorOf(v), 'invalid-channel-id');
  if (!v.accepted)
    assert.deepEqual(v.error, {
      type: 'SubmitSharesError',
      channel_id: 999,
      sequence_number: good,
      error_code: 'invalid-channel-id',
    });
  assert.equal(errorOf(submit(s, 12345, good)), 'invalid-job-id');
  assert.equal(
    errorOf(submit(s, s.job.job_id, good, { extranonce: new Uint8Array(3) })),
    'bad-extranonce-size',
  );
  assert.equal(errorOf(submit(s, s.job.job_id, good, { ntime: NTIME - 1 })), 'invalid-share');
  assert.equal(errorOf(submit(s, s.job.job_id, good, { ntime: NTIME + 5 + 7200 + 1 })), 'invalid-share');
  assert.equal(
    errorOf(submit(s, s.job.job_id, good, { version: VERSION | 1 })),
    'invalid-non-rollable-version-bit',
  );
  assert.equal(errorOf(submit(s, s.job.job_id, bad)), 'difficulty-too-low');
  assert.equal(errorOf(submit(s, s.job.job_id, good)), 'accepted');
  assert.equal(errorOf(submit(s, s.job.job_id, good, { sequence_number: 77 })), 'duplicate-share');
  // Rolling inside the BIP323 mask is fine while the job allows it.
  const rolled = submit(s, s.job.job_id, good, { version: VERSION | 0x2000 });
  assert.notEqual(errorOf(rolled), 'invalid-non-rollable-version-bit');
  // A new tip makes the job stale.
  s.chain.newTemplate(template(2n, true));
  s.conn.onNewTemplate(2n);
  s.chain.setNewPrevHash(prevHash(2n, HARD_BITS, 2), NOW + 6000);
  s.conn.onSetNewPrevHash();
  assert.equal(errorOf(submit(s, s.job.job_id, good)), 'stale-share');
  const info = s.conn.channelInfo(s.success.channel_id, NOW + 7000)!;
  assert.equal(info.accepted, 1);
  assert.equal(info.rejected['stale-share'], 1);
});

test('version-rolling-not-allowed when jobs forbid rolling', () => {
  const s = setup(HARD_BITS, { version_rolling: false });
  assert.equal(s.job.version_rolling_allowed, false);
  assert.equal(
    errorOf(submit(s, s.job.job_id, 0, { version: VERSION | 0x20 })),
    'version-rolling-not-allowed',
  );
});

test('a share exactly at the target is accepted, at one below it is rejected', () => {
  const s = setup();
  // A real header hash within reach of the channel's easiest target becomes the target itself.
  const nonce = findNonce(s, s.job, (h) => hashMeetsTarget(h, u256FromLE(s.success.target)));
  const exact = u256FromLE(hashOf(s, s.job, nonce));
  // UpdateChannel with maximum_target = the hash: the next job is judged at exactly that target.
  const set = s.conn.updateChannel(
    {
      type: 'UpdateChannel',
      channel_id: s.success.channel_id,
      nominal_hash_rate: 1,
      maximum_target: u256ToLE(exact),
    },
    NOW,
  );
  assert.deepEqual(set, [
    { type: 'SetTarget', channel_id: s.success.channel_id, maximum_target: u256ToLE(exact) },
  ]);
  s.chain.newTemplate({ ...template(1n, false), template_id: 2n });
  const job2 = s.conn.onNewTemplate(2n)[0] as ExtJob;
  assert.deepEqual(job2.coinbase_tx_prefix, s.job.coinbase_tx_prefix); // same coinbase: same hash
  s.conn.updateChannel(
    {
      type: 'UpdateChannel',
      channel_id: s.success.channel_id,
      nominal_hash_rate: 1,
      maximum_target: u256ToLE(exact - 1n),
    },
    NOW,
  );
  s.chain.newTemplate({ ...template(1n, false), template_id: 3n });
  const job3 = s.conn.onNewTemplate(3n)[0] as ExtJob;
  assert.equal(errorOf(submit(s, job3.job_id, nonce)), 'difficulty-too-low');
  const v = submit(s, job2.job_id, nonce);
  assert.equal(errorOf(v), 'accepted');
  if (v.accepted) assert.equal(v.share.target, exact);
});

test('a share for a job sent before a SetTarget is judged at the old target', () => {
  const s = setup();
  s.chain.newTemplate(template(2n, false));
  const before = s.conn.onNewTemplate(2n)[0] as ExtJob;
  const easy = u256FromLE(s.success.target);
  const hard = easy / 16n;
  s.conn.updateChannel(
    {
      type: 'UpdateChannel',
      channel_id: s.success.channel_id,
      nominal_hash_rate: 1,
      maximum_target: u256ToLE(hard),
    },
    NOW,
  );
  s.chain.newTemplate(template(3n, false));
  const after = s.conn.onNewTemplate(3n)[0] as ExtJob;
  const between = (h: Uint8Array) => hashMeetsTarget(h, easy) && !hashMeetsTarget(h, hard);
  const n1 = findNonce(s, before, between);
  const v = submit(s, before.job_id, n1);
  assert.equal(errorOf(v), 'accepted');
  if (v.accepted) assert.equal(v.share.target, easy);
  const n2 = findNonce(s, after, between);
  assert.equal(errorOf(submit(s, after.job_id, n2)), 'difficulty-too-low');
});

test('a block: the verdict carries SubmitSolution with the full segwit coinbase and the header', () => {
  const s = setup(EASY_BITS);
  const network = bitsToTarget(EASY_BITS);
  const nonce = findNonce(s, s.job, (h) => hashMeetsTarget(h, network));
  const v = submit(s, s.job.job_id, nonce);
  assert.ok(v.accepted && v.block);
  const block = v.block;
  assert.ok(block.submit_solution);
  assert.equal(block.custom, null);
  assert.equal(block.submit_solution.template_id, 1n);
  assert.equal(block.submit_solution.header_nonce, nonce);
  assert.equal(block.submit_solution.header_timestamp, NTIME);
  const tx = parseTransaction(block.coinbase_tx);
  assert.equal(tx.inputs[0]!.witness.length, 1); // segwit serialization kept
  const header = parseHeader(block.header);
  assert.deepEqual(header.merkle_root, foldMerklePath(txid(tx), s.job.merkle_path));
  assert.deepEqual(header.prev_hash, s.prev);
  // Acknowledged at once.
  const acks = s.conn.confirm(v.share);
  assert.equal(acks.length, 1);
  assert.equal((acks[0] as MessageByName<'SubmitSharesSuccess'>).new_submits_accepted_count, 1);
});

test('acknowledgements come per share_batch_size confirmed shares, and flush() sends the rest', () => {
  const s = setup(HARD_BITS, { share_batch_size: 3 });
  const target = u256FromLE(s.success.target);
  const shares = [];
  let nonce = 0;
  for (let i = 0; i < 5; i++) {
    nonce = findNonce(s, s.job, (h) => hashMeetsTarget(h, target), nonce + 1);
    const v = submit(s, s.job.job_id, nonce);
    assert.ok(v.accepted);
    shares.push(v.share);
  }
  const sent = shares.map((sh) => s.conn.confirm(sh));
  assert.deepEqual(
    sent.map((m) => m.length),
    [0, 0, 1, 0, 0],
  );
  const first = sent[2]![0] as MessageByName<'SubmitSharesSuccess'>;
  assert.equal(first.new_submits_accepted_count, 3);
  assert.equal(first.last_sequence_number, shares[2]!.sequence_number);
  assert.equal(first.new_shares_sum, BigInt(Math.floor(shares[0]!.difficulty * 3)));
  const rest = s.conn.flush() as MessageByName<'SubmitSharesSuccess'>[];
  assert.equal(rest.length, 1);
  assert.equal(rest[0]!.new_submits_accepted_count, 2);
  assert.equal(rest[0]!.last_sequence_number, shares[4]!.sequence_number);
  assert.deepEqual(s.conn.flush(), []);
});

test('duplicate memory: full, it forgets the oldest hash first, one per new hash, and starts over after clear()', () => {
  const h = (i: number) => new Uint8Array(32).fill(i);
  const seen = new DuplicateFilter(3);
  assert.deepEqual(
    [1, 2, 3].map((i) => seen.add(h(i))),
    [true, true, true],
  );
  assert.equal(seen.add(h(1)), false);
  assert.equal(seen.add(h(4)), true); // 1 goes
  assert.equal(seen.size, 3);
  assert.equal(seen.add(h(1)), true); // 1 is new again; 2 goes
  assert.equal(seen.add(h(3)), false);
  assert.equal(seen.add(h(4)), false);
  assert.equal(seen.add(h(2)), true); // 3 goes
  assert.equal(seen.add(h(3)), true);
  // Hashes that differ in one byte only are different shares.
  const a = h(9);
  const b = h(9);
  b[31] = 8;
  assert.equal(seen.add(a), true);
  assert.equal(seen.add(b), true);
  seen.clear();
  assert.equal(seen.size, 0);
  assert.equal(seen.add(h(1)), true);
  assert.throws(() => seen.add(new Uint8Array(31)), RangeError);
});
