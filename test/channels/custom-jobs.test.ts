// Custom jobs (SetCustomMiningJob) on a connection with
// REQUIRES_WORK_SELECTION: no template jobs, extended channels only, every
// check against the chain tip with its error code, the coinbase rebuilt as
// the layout says (checked against an independent construction), shares and
// blocks on the job, staleness at the next tip, and the pool-side helpers
// (payout share, subsidy, commitment).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  bitsToTarget,
  blockSubsidy,
  encodeBip34Height,
  hashMeetsTarget,
  headerHash,
  parseTransaction,
  pushData,
  serializeHeader,
  serializeOutputs,
  txid,
  u256FromLE,
  witnessCommitment,
  witnessCommitmentScript,
  type TxOutput,
} from '../../src/bitcoin/index.js';
import {
  CUSTOM_JOB_ERROR,
  ServerConnectionChannels,
  commitmentRefusal,
  declaredCommitment,
  poolPayoutRefusal,
  type CustomJobCheck,
  type CustomJobVerdict,
  type ShareVerdict,
} from '../../src/channels/index.js';
import { MINING_SETUP_FLAGS, type MessageByName } from '../../src/messages/index.js';
import {
  EASY_BITS,
  HARD_BITS,
  NOW,
  PAYOUT_SCRIPT,
  makeChain,
  openExtendedMsg,
  openStandardMsg,
  prevHash,
  template,
} from './fixture.js';

type SetCustom = MessageByName<'SetCustomMiningJob'>;
const HEIGHT = 800_000; // the fixture templates' BIP34 height
const POOL_SCRIPT = PAYOUT_SCRIPT;
const OTHER_SCRIPT = Uint8Array.of(0x00, 0x14, ...new Uint8Array(20).fill(9));
const GOOD: CustomJobCheck = { token: null };
const WS = MINING_SETUP_FLAGS.REQUIRES_WORK_SELECTION;

function setup(nbits = HARD_BITS, flags = WS) {
  const chain = makeChain();
  chain.newTemplate(template(1n, true));
  chain.setNewPrevHash(prevHash(1n, nbits), NOW);
  const conn = new ServerConnectionChannels(chain, { flags });
  const out = conn.openExtended(openExtendedMsg(1, 1, 4), { ok: true, payout_key: 'pool' }, NOW);
  const open = out[0] as MessageByName<'OpenExtendedMiningChannelSuccess'>;
  return { chain, conn, out, open, nbits, tip: prevHash(1n, nbits) };
}
type Setup = ReturnType<typeof setup>;

function commitmentOutput(): TxOutput {
  return { value: 0n, script: witnessCommitmentScript(witnessCommitment(new Uint8Array(32))) };
}

/** A job as a job declarator client would send it: pool output first, the witness commitment after. */
function customJob(s: Setup, over: Partial<SetCustom> = {}): SetCustom {
  const full = s.open.extranonce_prefix.length + s.open.extranonce_size;
  const outputs: TxOutput[] = [{ value: 312_500_000n, script: POOL_SCRIPT }, commitmentOutput()];
  return {
    type: 'SetCustomMiningJob',
    channel_id: s.open.channel_id,
    request_id: 7,
    mining_job_token: new Uint8Array(66),
    version: 0x20000000,
    prev_hash: s.tip.prev_hash,
    min_ntime: s.tip.header_timestamp,
    nbits: s.nbits,
    coinbase_tx_version: 2,
    coinbase_prefix: Uint8Array.of(
      ...encodeBip34Height(HEIGHT),
      ...pushData(new TextEncoder().encode('/jdc/')),
      full,
    ),
    coinbase_tx_input_nSequence: 0xffffffff,
    coinbase_tx_outputs: serializeOutputs(outputs, true),
    coinbase_tx_locktime: 0,
    merkle_path: [Uint8Array.from(createHash('sha256').update('tx').digest())],
    ...over,
  };
}

function codeOf(v: CustomJobVerdict): string {
  return v.accepted ? 'accepted' : v.error_code;
}

/** The legacy coinbase as the layout describes it, built byte by byte. */
function layoutCoinbase(m: SetCustom, fullExtranonce: Uint8Array): Uint8Array {
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    return b;
  };
  const scriptLength = m.coinbase_prefix.length + fullExtranonce.length;
  assert.ok(scriptLength < 0xfd);
  return Uint8Array.from(
    Buffer.concat([
      u32(m.coinbase_tx_version),
      Buffer.of(0x01),
      Buffer.alloc(32),
      Buffer.from([0xff, 0xff, 0xff, 0xff]),
      Buffer.of(scriptLength),
      m.coinbase_prefix,
      fullExtranonce,
      u32(m.coinbase_tx_input_nSequence),
      m.coinbase_tx_outputs,
      u32(m.coinbase_tx_locktime),
    ]),
  );
}

function sha256d(b: Uint8Array): Uint8Array {
  const once = createHash('sha256').update(b).digest();
  return Uint8Array.from(createHash('sha256').update(once).digest());
}

/** Mines a share of the custom job: independent coinbase, merkle fold, header; `hash` is the header hash expected. */
function mine(
  s: Setup,
  m: SetCustom,
  job_id: number,
  want: (hash: Uint8Array) => boolean,
  start = 0,
): MessageByName<'SubmitSharesExtended'> & { hash: Uint8Array } {
  const extranonce = Uint8Array.from({ length: s.open.extranonce_size }, (_, i) => i + 1);
  const coinbase = layoutCoinbase(m, Uint8Array.of(...s.open.extranonce_prefix, ...extranonce));
  let root = sha256d(coinbase);
  for (const node of m.merkle_path) root = sha256d(Uint8Array.of(...root, ...node));
  for (let nonce = start; nonce < start + 200_000; nonce++) {
    const hash = headerHash(
      serializeHeader({
        version: m.version,
        prev_hash: m.prev_hash,
        merkle_root: root,
        time: m.min_ntime,
        bits: m.nbits,
        nonce,
      }),
    );
    if (want(hash)) {
      return {
        hash,
        type: 'SubmitSharesExtended',
        channel_id: s.open.channel_id,
        sequence_number: nonce,
        job_id,
        nonce,
        ntime: m.min_ntime,
        version: m.version,
        extranonce,
      };
    }
  }
  throw new Error('no nonce found');
}

function verdictCode(v: ShareVerdict): string {
  return v.accepted ? 'accepted' : v.error_code;
}

test('a work-selection connection: extended channels without template jobs, standard channels refused', () => {
  const s = setup();
  assert.deepEqual(
    s.out.map((m) => m.type),
    ['OpenExtendedMiningChannelSuccess'],
  );
  const std = s.conn.openStandard(openStandardMsg(2), { ok: true, payout_key: 'pool' }, NOW);
  assert.deepEqual(std, [
    {
      type: 'OpenMiningChannelError',
      request_id: 2,
      error_code: 'standard-channels-not-supported-for-custom-work',
    },
  ]);
  // Templates and tips bring nothing to send.
  s.chain.newTemplate(template(2n, false));
  assert.deepEqual(s.conn.onNewTemplate(2n), []);
  s.chain.newTemplate(template(3n, true));
  assert.deepEqual(s.conn.onNewTemplate(3n), []);
  s.chain.setNewPrevHash(prevHash(3n, HARD_BITS, 3), NOW + 1000);
  assert.deepEqual(s.conn.onSetNewPrevHash(), []);
});

test('an accepted custom job: Success with a new job id, shares judged on the layout coinbase', () => {
  const s = setup();
  const m = customJob(s);
  const v = s.conn.setCustomJob(m, GOOD, NOW + 1000);
  assert.ok(v.accepted, codeOf(v));
  assert.deepEqual(v.message, {
    type: 'SetCustomMiningJobSuccess',
    channel_id: s.open.channel_id,
    request_id: 7,
    job_id: v.job.job_id,
  });
  assert.equal(v.job.height, HEIGHT);
  assert.equal(v.job.value, 312_500_000n);
  assert.equal(v.job.outputs.length, 2);
  const target = u256FromLE(s.open.target);
  const share = mine(s, m, v.job.job_id, (h) => hashMeetsTarget(h, target));
  const judged = s.conn.submitExtended(share, NOW + 2000);
  assert.ok(judged.accepted, verdictCode(judged));
  // The pool hashed exactly the header built from the layout coinbase.
  assert.deepEqual(judged.share.hash, share.hash);
  assert.equal(judged.share.template_id, null);
  assert.equal(judged.share.job_id, v.job.job_id);
  assert.equal(judged.share.user_identity, 'alice.worker1');
  assert.equal(judged.block, null);
  // A second job on the same tip gets the next id; the first stays valid.
  const again = s.conn.setCustomJob({ ...m, request_id: 8 }, GOOD, NOW + 3000);
  assert.ok(again.accepted);
  assert.equal(again.job.job_id, v.job.job_id + 1);
  const late = mine(s, m, v.job.job_id, (h) => hashMeetsTarget(h, target), share.nonce + 1);
  assert.equal(verdictCode(s.conn.submitExtended(late, NOW + 4000)), 'accepted');
  // The next chain tip makes both jobs stale.
  s.chain.newTemplate(template(2n, true));
  s.chain.setNewPrevHash(prevHash(2n, HARD_BITS, 2), NOW + 5000);
  s.conn.onSetNewPrevHash();
  const stale = mine(s, m, again.job.job_id, (h) => hashMeetsTarget(h, target));
  assert.equal(verdictCode(s.conn.submitExtended(stale, NOW + 6000)), 'stale-share');
  // And a job on the old tip is refused now.
  assert.equal(codeOf(s.conn.setCustomJob(m, GOOD, NOW + 6000)), 'stale-chain-tip');
});

test('a block on a custom job: no SubmitSolution, the custom job attached, the full segwit coinbase', () => {
  const s = setup(EASY_BITS);
  const m = customJob(s);
  const v = s.conn.setCustomJob(m, GOOD, NOW);
  assert.ok(v.accepted);
  const network = bitsToTarget(EASY_BITS);
  const share = mine(s, m, v.job.job_id, (h) => hashMeetsTarget(h, network));
  const judged = s.conn.submitExtended(share, NOW + 1000);
  assert.ok(judged.accepted && judged.block, verdictCode(judged));
  assert.deepEqual(judged.block.hash, share.hash);
  const block = judged.block;
  assert.equal(block.template_id, null);
  assert.equal(block.submit_solution, null);
  assert.deepEqual(block.custom, v.job);
  const tx = parseTransaction(block.coinbase_tx);
  assert.equal(tx.inputs[0]!.witness.length, 1);
  const full = Uint8Array.of(...s.open.extranonce_prefix, ...share.extranonce);
  assert.deepEqual(tx.inputs[0]!.script_sig, Uint8Array.of(...m.coinbase_prefix, ...full));
  assert.deepEqual(tx.outputs, v.job.outputs);
  assert.deepEqual(txid(tx), sha256d(layoutCoinbase(m, full)));
});

test('every SetCustomMiningJob.Error code', () => {
  const s = setup();
  const m = customJob(s);
  const check = (over: Partial<SetCustom>, c: CustomJobCheck = GOOD) =>
    codeOf(s.conn.setCustomJob({ ...m, ...over }, c, NOW));
  const E = CUSTOM_JOB_ERROR;

  const plain = setup(HARD_BITS, 0);
  assert.equal(codeOf(plain.conn.setCustomJob(customJob(plain), GOOD, NOW)), E.WORK_SELECTION_NOT_NEGOTIATED);
  assert.equal(check({ channel_id: 999 }), E.INVALID_CHANNEL_ID);
  const token = { error_code: E.INVALID_MINING_JOB_TOKEN, reason: 'token bad-mac' };
  const refused = s.conn.setCustomJob(m, { token }, NOW);
  assert.ok(!refused.accepted);
  assert.equal(refused.reason, 'token bad-mac');
  assert.deepEqual(refused.message, {
    type: 'SetCustomMiningJobError',
    channel_id: m.channel_id,
    request_id: m.request_id,
    error_code: 'invalid-mining-job-token',
  });
  assert.equal(check({ prev_hash: new Uint8Array(32) }), 'stale-chain-tip');
  assert.equal(check({ nbits: EASY_BITS }), 'invalid-job-param-value-nbits');
  assert.equal(check({ min_ntime: m.min_ntime - 7201 }), 'invalid-job-param-value-min-ntime');
  assert.equal(check({ min_ntime: m.min_ntime - 7200 }), 'accepted');
  assert.equal(check({ min_ntime: Math.floor(NOW / 1000) + 7201 }), 'invalid-job-param-value-min-ntime');
  assert.equal(check({ version: 0x40000000 }), 'invalid-job-param-value-version');
  assert.equal(check({ version: 0x20000000 | 0x1fffffff }), 'accepted');
  const tail = m.coinbase_prefix.subarray(encodeBip34Height(HEIGHT).length);
  const prefixWith = (h: number) => Uint8Array.of(...encodeBip34Height(h), ...tail);
  assert.equal(check({ coinbase_prefix: prefixWith(HEIGHT - 1) }), 'invalid-job-param-value-coinbase-prefix');
  assert.equal(check({ coinbase_prefix: prefixWith(HEIGHT + 1) }), 'invalid-job-param-value-coinbase-prefix');
  assert.equal(check({ coinbase_prefix: new Uint8Array(0) }), 'invalid-job-param-value-coinbase-prefix');
  // The scriptSig holds the prefix and the full extranonce in 100 bytes.
  const full = s.open.extranonce_prefix.length + s.open.extranonce_size;
  const longest = Uint8Array.of(...encodeBip34Height(HEIGHT), ...new Uint8Array(100 - full - 4));
  assert.equal(check({ coinbase_prefix: longest }), 'accepted');
  assert.equal(
    check({ coinbase_prefix: Uint8Array.of(...longest, 0) }),
    'invalid-job-param-value-coinbase-prefix',
  );
  const outputs = 'invalid-job-param-value-coinbase-tx-outputs';
  assert.equal(check({ coinbase_tx_outputs: Uint8Array.of(1, 2, 3) }), outputs);
  assert.equal(check({ coinbase_tx_outputs: Uint8Array.of(0) }), outputs);
  // Without the count (TDP's form) the bytes do not parse.
  assert.equal(check({ coinbase_tx_outputs: m.coinbase_tx_outputs.subarray(1) }), outputs);
  // A CompactSize count written non-canonically (0xfd 0x0200).
  assert.equal(
    check({ coinbase_tx_outputs: Uint8Array.of(0xfd, 2, 0, ...m.coinbase_tx_outputs.subarray(1)) }),
    outputs,
  );
  const negative = serializeOutputs([{ value: 0n, script: POOL_SCRIPT }], true);
  negative.fill(0xff, 1, 9);
  assert.equal(check({ coinbase_tx_outputs: negative }), outputs);
  // Locktime: final sequence ignores it; otherwise a height below the block's.
  assert.equal(check({ coinbase_tx_locktime: 900_000 }), 'accepted');
  const locked = { coinbase_tx_input_nSequence: 0xfffffffe };
  assert.equal(check({ ...locked, coinbase_tx_locktime: HEIGHT - 1 }), 'accepted');
  assert.equal(
    check({ ...locked, coinbase_tx_locktime: HEIGHT }),
    'invalid-job-param-value-coinbase-tx-locktime',
  );
  assert.equal(
    check({ ...locked, coinbase_tx_locktime: 1_600_000_000 }),
    'invalid-job-param-value-coinbase-tx-locktime',
  );
  // The caller's job check sees the parsed job and decides.
  let seen: { height: number; value: bigint; outputs: number } | undefined;
  const rule: CustomJobCheck = {
    token: null,
    job: (d) => {
      seen = { height: d.height, value: d.value, outputs: d.outputs.length };
      return { error_code: 'custom-code', reason: 'no' };
    },
  };
  assert.equal(check({}, rule), 'custom-code');
  assert.deepEqual(seen, { height: HEIGHT, value: 312_500_000n, outputs: 2 });
  // No tip yet: nothing to build on.
  const chain = makeChain();
  const early = new ServerConnectionChannels(chain, { flags: WS });
  const open = early.openExtended(openExtendedMsg(1), { ok: true, payout_key: 'pool' }, NOW)[0];
  assert.equal(open?.type, 'OpenExtendedMiningChannelSuccess');
  assert.equal(codeOf(early.setCustomJob({ ...m, channel_id: 1 }, GOOD, NOW)), 'stale-chain-tip');
});

test('pool payout rule: share of the total value and the subsidy floor', () => {
  const subsidy = blockSubsidy(HEIGHT);
  const rule = { script: POOL_SCRIPT, min_percent: 100, subsidy };
  const pays = (pool: bigint, other = 0n) => [
    { value: pool, script: POOL_SCRIPT },
    { value: other, script: OTHER_SCRIPT },
    commitmentOutput(),
  ];
  assert.equal(poolPayoutRefusal(pays(subsidy), rule), null);
  assert.equal(poolPayoutRefusal(pays(subsidy + 5000n), rule), null);
  const under = poolPayoutRefusal(pays(subsidy, 1n), rule);
  assert.equal(under?.error_code, 'invalid-job-param-value-coinbase-tx-outputs');
  assert.match(under!.reason, /less than 100%/);
  const floor = poolPayoutRefusal(pays(subsidy - 1n), rule);
  assert.match(floor!.reason, /subsidy/);
  // 90 %: exactly 90 % passes, a satoshi less does not.
  const ninety = { ...rule, min_percent: 90 };
  assert.equal(poolPayoutRefusal(pays(900_000_000n, 100_000_000n), ninety), null);
  assert.notEqual(poolPayoutRefusal(pays(899_999_999n, 100_000_001n), ninety), null);
  // Several outputs to the pool's script count together; none at all fails.
  assert.equal(
    poolPayoutRefusal([...pays(subsidy / 2n), { value: subsidy - subsidy / 2n, script: POOL_SCRIPT }], rule),
    null,
  );
  assert.notEqual(poolPayoutRefusal([{ value: subsidy, script: OTHER_SCRIPT }], rule), null);
  assert.equal(
    poolPayoutRefusal([{ value: subsidy, script: OTHER_SCRIPT }], { ...rule, min_percent: 0 }),
    null,
  );
});

test('commitment of a declared token: the job as declared passes, any change of it fails', () => {
  const s = setup();
  const m = customJob(s);
  const c = declaredCommitment(m.version, m.coinbase_tx_outputs, m.merkle_path);
  assert.equal(commitmentRefusal(c, m), null);
  for (const changed of [
    { ...m, version: m.version | 4 },
    { ...m, merkle_path: [] },
    { ...m, coinbase_tx_outputs: serializeOutputs([{ value: 1n, script: POOL_SCRIPT }], true) },
  ]) {
    assert.equal(commitmentRefusal(c, changed)?.error_code, 'invalid-mining-job-token');
  }
  // Through setCustomJob: the caller's job check refuses the changed job.
  const v = s.conn.setCustomJob(
    { ...m, merkle_path: [] },
    { token: null, job: (d) => commitmentRefusal(c, d.message) },
    NOW,
  );
  assert.equal(codeOf(v), 'invalid-mining-job-token');
});
