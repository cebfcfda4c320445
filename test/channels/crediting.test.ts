// What an accepted share is credited at: the hardest channel target its hash
// meets, or, for a block that meets none of them (the network target is
// easier, as on regtest), the network difficulty; never more than the hash
// itself proves. Blocks below the channel target do not feed vardiff.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bitsToTarget,
  hashDifficulty,
  hashMeetsTarget,
  sha256d,
  targetToDifficulty,
  u256FromLE,
  u256ToLE,
} from '../../src/bitcoin/index.js';
import { ServerConnectionChannels, judgeShare, type ShareVerdict } from '../../src/channels/index.js';
import type { MessageByName } from '../../src/messages/index.js';
import { EASY_BITS, NOW, extendedHash, makeChain, openExtendedMsg, prevHash, template } from './fixture.js';

type ExtJob = MessageByName<'NewExtendedMiningJob'>;
type Accepted = Extract<ShareVerdict, { accepted: true }>;
const NTIME = 1_700_000_000;
const VERSION = 0x20000000;
const NETWORK = bitsToTarget(EASY_BITS);

/** A channel on a regtest-easy tip whose target (nominal 1 H/s at 6 shares/min) is harder than the network's. */
function setup() {
  const chain = makeChain();
  chain.newTemplate(template(1n, true));
  chain.setNewPrevHash(prevHash(1n, EASY_BITS), NOW);
  const conn = new ServerConnectionChannels(chain, { flags: 0 });
  const out = conn.openExtended(openExtendedMsg(1), { ok: true, payout_key: 'pool' }, NOW);
  const success = out[0] as MessageByName<'OpenExtendedMiningChannelSuccess'>;
  const job = out[1] as ExtJob;
  const target = u256FromLE(success.target);
  assert.ok(target < NETWORK, 'the channel target must be harder than the network target');
  return { conn, success, job, target, prev: prevHash(1n, EASY_BITS).prev_hash };
}

type Setup = ReturnType<typeof setup>;

function submit(s: Setup, nonce: number, now = NOW + 5000): ShareVerdict {
  return s.conn.submitExtended(
    {
      type: 'SubmitSharesExtended',
      channel_id: s.success.channel_id,
      sequence_number: nonce,
      job_id: s.job.job_id,
      nonce,
      ntime: NTIME,
      version: VERSION,
      extranonce: new Uint8Array(s.success.extranonce_size),
    },
    now,
  );
}

function hashOf(s: Setup, nonce: number): Uint8Array {
  return extendedHash(
    s.job,
    s.prev,
    EASY_BITS,
    [s.success.extranonce_prefix, new Uint8Array(s.success.extranonce_size)],
    { nonce, ntime: NTIME, version: VERSION },
  );
}

/** Nonces from `start` whose hash satisfies `ok`, `count` of them (bounded search). */
function nonces(s: Setup, ok: (hash: Uint8Array) => boolean, count = 1, start = 0): number[] {
  const out: number[] = [];
  for (let nonce = start; nonce < start + 200_000 && out.length < count; nonce++)
    if (ok(hashOf(s, nonce))) out.push(nonce);
  if (out.length < count) throw new Error('not enough nonces found');
  return out;
}

function accepted(v: ShareVerdict): Accepted {
  assert.ok(v.accepted, v.accepted ? '' : `rejected: ${v.error_code}`);
  return v;
}

const belowTarget = (s: Setup) => (h: Uint8Array) =>
  hashMeetsTarget(h, NETWORK) && !hashMeetsTarget(h, s.target);

test('a block below the channel target is credited at the network difficulty', () => {
  const s = setup();
  const [nonce] = nonces(s, belowTarget(s));
  const v = accepted(submit(s, nonce!));
  assert.ok(v.block, 'a block candidate to submit');
  assert.equal(v.share.block, true);
  assert.equal(v.share.below_target, true);
  assert.equal(v.share.target, NETWORK);
  assert.equal(v.share.difficulty, targetToDifficulty(NETWORK));
  assert.ok(v.share.difficulty < targetToDifficulty(s.target), 'less than the channel difficulty');
  assert.ok(v.share.difficulty <= v.share.share_difficulty);
  // SubmitShares.Success sums what was credited, acknowledged at once as a block.
  const ack = s.conn.confirm(v.share) as MessageByName<'SubmitSharesSuccess'>[];
  assert.equal(ack.length, 1);
  assert.equal(ack[0]!.new_shares_sum, BigInt(Math.floor(targetToDifficulty(NETWORK))));
});

test('a share meeting the channel target is credited at the channel difficulty, a block too', () => {
  const s = setup();
  const [nonce] = nonces(s, (h) => hashMeetsTarget(h, s.target));
  const v = accepted(submit(s, nonce!));
  assert.equal(v.share.below_target, false);
  assert.equal(v.share.block, true); // every hash meeting this channel target meets the easier network one
  assert.equal(v.share.target, s.target);
  assert.equal(v.share.difficulty, targetToDifficulty(s.target));
  assert.ok(v.share.difficulty <= v.share.share_difficulty);
});

test('no accepted share is ever credited above the difficulty its hash proves', () => {
  const s = setup();
  let below = 0;
  let meeting = 0;
  for (let nonce = 0; nonce < 3000; nonce++) {
    const v = submit(s, nonce);
    if (!v.accepted) {
      assert.equal(v.error_code, 'difficulty-too-low');
      continue;
    }
    assert.ok(
      v.share.difficulty <= v.share.share_difficulty,
      `nonce ${nonce}: credited ${v.share.difficulty} > proven ${v.share.share_difficulty}`,
    );
    assert.equal(v.share.share_difficulty, hashDifficulty(v.share.hash));
    if (v.share.below_target) below++;
    else meeting++;
  }
  assert.ok(below > 0 && meeting > 0, `both kinds seen (below ${below}, meeting ${meeting})`);
});

test('blocks below the channel target do not move vardiff; shares at the target do', () => {
  const s = setup();
  const id = s.success.channel_id;
  for (const nonce of nonces(s, belowTarget(s), 60)) accepted(submit(s, nonce));
  assert.equal(s.conn.channelInfo(id, NOW + 6000)!.hashrate, 1, 'still the declared 1 H/s');
  assert.deepEqual(s.conn.evaluateVardiff(NOW + 6000), []);
  for (const nonce of nonces(s, (h) => hashMeetsTarget(h, s.target), 60)) accepted(submit(s, nonce));
  assert.ok(s.conn.channelInfo(id, NOW + 6000)!.hashrate > 1);
  const out = s.conn.evaluateVardiff(NOW + 6000);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.type, 'SetTarget');
});

test('judgeShare: the hardest target met, null for a block meeting none, an error for neither', () => {
  const hard = (1n << 256n) / 100n;
  const easy = (1n << 256n) / 10n;
  const job = {
    prev_hash: sha256d(Uint8Array.of(9)),
    nbits: EASY_BITS,
    network_target: u256ToLE(NETWORK),
    version: VERSION,
    version_rolling_allowed: true,
    min_ntime: NTIME,
    targets: [u256ToLE(hard), u256ToLE(easy)],
  };
  const merkle_root = sha256d(Uint8Array.of(1));
  const seen = new Map<string, number>();
  for (let nonce = 0; nonce < 5000 && seen.size < 4; nonce++) {
    const j = judgeShare(job, { merkle_root, version: VERSION, ntime: NTIME, nonce });
    const h = j.hash ? u256FromLE(j.hash) : -1n;
    const kind = h <= hard ? 'hard' : h <= easy ? 'easy' : h <= NETWORK ? 'block-only' : 'none';
    seen.set(kind, (seen.get(kind) ?? 0) + 1);
    if (kind === 'none') {
      assert.equal(j.ok, false);
      if (!j.ok) assert.equal(j.error_code, 'difficulty-too-low');
      continue;
    }
    assert.ok(j.ok);
    if (!j.ok) continue;
    assert.equal(j.block, true);
    assert.equal(j.target_index, kind === 'hard' ? 0 : kind === 'easy' ? 1 : null, `nonce ${nonce}`);
  }
  assert.equal(seen.size, 4, `every case met: ${[...seen.keys()].join(', ')}`);
});
