// `strata miner` in SV2 mode against a scripted pool over Noise: the setup
// messages, shares whose recomputed header hash meets the channel target,
// accepted/rejected counting, the first accepted share of each connection,
// reconnect after connection loss and on Reconnect.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  hashMeetsTarget,
  headerHash,
  serializeHeader,
  targetToDifficulty,
  u256ToLE,
} from '../../src/bitcoin/index.js';
import { encodeFrame, MINING_SETUP_FLAGS, PROTOCOL } from '../../src/messages/index.js';
import { BIP323_MASK } from '../../src/roles/miner/version-roll.js';
import { ROOT } from '../helpers/paths.js';
import {
  CHANNEL_ID,
  FakeSv2Pool,
  JOB_ID,
  JOB_VERSION,
  REGTEST_NBITS,
  type ReceivedShare,
} from './fake-sv2-pool.js';
import { launchMiner, type MinerRun } from './launch.js';

// About one hash in 2^13 is a share: a steady trickle from one CPU thread.
const TARGET = (1n << 243n) - 1n;

function checkShare(pool: FakeSv2Pool, s: ReceivedShare): void {
  const job = pool.jobs.get(s.conn);
  assert.ok(job, `no job sent on connection ${s.conn}`);
  assert.equal(s.msg.channel_id, CHANNEL_ID);
  assert.equal(s.msg.job_id, JOB_ID);
  assert.equal((s.msg.version ^ JOB_VERSION) & ~BIP323_MASK, 0, 'version changed outside BIP323 bits');
  // nTime rules of SubmitSharesStandard: from min_ntime up to the seconds since SetNewPrevHash.
  assert.ok(s.msg.ntime >= job.min_ntime);
  assert.ok(s.msg.ntime <= job.min_ntime + Math.ceil((s.at - job.sentAt) / 1000) + 1);
  const hash = headerHash(
    serializeHeader({
      version: s.msg.version,
      prev_hash: job.prev_hash,
      merkle_root: job.merkle_root,
      time: s.msg.ntime,
      bits: REGTEST_NBITS,
      nonce: s.msg.nonce,
    }),
  );
  assert.ok(hashMeetsTarget(hash, TARGET), `share ${s.msg.sequence_number} does not meet the target`);
}

/** `strata miner` on one thread against `pool` (its key pinned) as `user`, stopped when `t` ends. */
async function launchSv2Miner(
  t: TestContext,
  pool: FakeSv2Pool,
  user: string,
  extra: string[],
): Promise<MinerRun> {
  const miner = await launchMiner([
    '--pool',
    `127.0.0.1:${pool.port}`,
    '--authority-key',
    pool.authorityPublicKey,
    '--user',
    user,
    '--threads',
    '1',
    ...extra,
  ]);
  t.after(() => miner.stop());
  return miner;
}

test(
  'SV2 miner: setup, valid shares, accepted/rejected counts, reconnect after connection loss',
  { timeout: 90_000 },
  async (t) => {
    // Every third share is refused, the others acknowledged one by one.
    const pool = await FakeSv2Pool.start({
      target: TARGET,
      reply: (n, m) =>
        n % 3 === 1
          ? {
              type: 'SubmitSharesError',
              channel_id: CHANNEL_ID,
              sequence_number: m.sequence_number,
              error_code: 'invalid-share',
            }
          : {
              type: 'SubmitSharesSuccess',
              channel_id: CHANNEL_ID,
              last_sequence_number: m.sequence_number,
              new_submits_accepted_count: 1,
              new_shares_sum: 1n,
            },
    });
    t.after(() => pool.close());
    const miner = await launchSv2Miner(t, pool, 'acct.worker1', [
      '--report-interval',
      '0.5',
      '--device-id',
      'dev-1',
      '--log-level',
      'debug',
    ]);

    await miner.waitFor((r) => r.msg === 'connected' && r.connections === 1);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const setup = pool.setups[0]!;
    assert.equal(setup.protocol, PROTOCOL.MINING);
    assert.equal(setup.min_version, 2);
    assert.equal(setup.max_version, 2);
    assert.equal(setup.flags, MINING_SETUP_FLAGS.REQUIRES_STANDARD_JOBS);
    assert.equal(setup.vendor, 'Strata');
    assert.equal(setup.hardware_version, 'cpu');
    assert.equal(setup.firmware, pkg.version);
    assert.equal(setup.device_id, 'dev-1');
    assert.equal(setup.endpoint_port, pool.port);
    const open = pool.opens[0]!;
    assert.equal(open.user_identity, 'acct.worker1');
    assert.deepEqual(open.max_target, new Uint8Array(32).fill(0xff));
    assert.ok(open.nominal_hash_rate > 0, 'measured hashrate advertised');

    await pool.until(() => pool.shares.length >= 4);
    const seqs = pool.shares.slice(0, 4).map((s) => s.msg.sequence_number);
    assert.deepEqual(seqs, [seqs[0]!, seqs[0]! + 1, seqs[0]! + 2, seqs[0]! + 3], 'sequence numbers count up');
    for (const s of pool.shares.slice(0, 4)) checkShare(pool, s);

    const rejected = await miner.waitFor((r) => r.msg === 'share rejected');
    assert.equal(rejected.reason, 'invalid-share');
    await miner.waitFor((r) => r.msg === 'share accepted');
    const report = await miner.waitFor(
      (r) =>
        r.msg === 'report' &&
        (r.accepted as number) >= 2 &&
        ((r.rejected_by_reason as Record<string, number>)['invalid-share'] ?? 0) >= 1,
    );
    assert.ok((report.hashrate as number) > 0);
    assert.ok((report.difficulty as number) > 0);
    assert.equal(report.jobs, 1);
    assert.ok(
      miner.records.some((r) => r.msg === 'block found'),
      'regtest nBits: shares are blocks too',
    );
    const firstOf = (connections: number) =>
      miner.records.filter((r) => r.msg === 'first share accepted' && r.connections === connections);
    assert.equal(firstOf(1).length, 1, 'first share accepted: once on the connection');
    assert.equal(typeof firstOf(1)[0]!.seconds, 'number');
    assert.ok((firstOf(1)[0]!.seconds as number) >= 0);
    assert.equal(
      firstOf(1)[0]!.difficulty,
      Number(targetToDifficulty(TARGET).toPrecision(6)),
      'the difficulty of the channel target in force',
    );

    // The pool drops the connection: the miner comes back and mines the new job.
    pool.conns[0]!.abort('test drops the miner');
    await miner.waitFor((r) => r.msg === 'connected' && r.connections === 2);
    await pool.until(() => pool.shares.some((s) => s.conn === 2));
    for (const s of pool.shares.filter((s) => s.conn === 2)) checkShare(pool, s);
    // The new connection measures its own time to the first accepted share.
    await miner.waitFor((r) => r.msg === 'first share accepted' && r.connections === 2);
    await miner.waitFor(
      (r) => r.msg === 'report' && (r.accepted as number) >= (report.accepted as number) + 3,
    );
    assert.equal(firstOf(1).length, 1);
    assert.equal(firstOf(2).length, 1);
  },
);

test(
  'SV2 miner: Reconnect moves it to the named pool; --version-rolling and --nominal-hashrate reach the pool',
  { timeout: 90_000 },
  async (t) => {
    const second = await FakeSv2Pool.start({ target: TARGET });
    t.after(() => second.close());
    // The miner pins one authority key, so both pools sign with the same one.
    const first = await FakeSv2Pool.start({
      target: TARGET,
      keyPair: second.keyPair,
      onOpen: (conn) => {
        void conn.send(encodeFrame({ type: 'Reconnect', new_host: '127.0.0.1', new_port: second.port }));
        return false;
      },
    });
    t.after(() => first.close());
    const miner = await launchSv2Miner(t, first, 'acct.worker2', [
      '--nominal-hashrate',
      '500000',
      '--version-rolling',
    ]);
    await miner.waitFor((r) => r.msg === 'connected' && r.connections === 2);
    assert.equal(first.setups.length, 1);
    assert.equal(second.setups.length, 1);
    for (const setup of [first.setups[0]!, second.setups[0]!]) {
      assert.equal(
        setup.flags,
        MINING_SETUP_FLAGS.REQUIRES_STANDARD_JOBS | MINING_SETUP_FLAGS.REQUIRES_VERSION_ROLLING,
      );
    }
    assert.equal(second.opens[0]!.nominal_hash_rate, 500000);
    await second.until(() => second.shares.length >= 2);
    for (const s of second.shares) checkShare(second, s);
  },
);

test(
  'SV2 miner: future jobs wait for their SetNewPrevHash, SetTarget tightens the target, immediate jobs mine at once',
  { timeout: 90_000 },
  async (t) => {
    const pool = await FakeSv2Pool.start({ target: TARGET });
    t.after(() => pool.close());
    const miner = await launchSv2Miner(t, pool, 'acct.worker3', [
      '--nominal-hashrate',
      '1000',
      '--no-version-rolling',
    ]);
    await miner.waitFor((r) => r.msg === 'connected');
    await pool.until(() => pool.shares.length >= 1);
    const conn = pool.conns[0]!;
    const send = (m: Parameters<typeof encodeFrame>[0]) => conn.send(encodeFrame(m));
    const first = pool.jobs.get(1)!;

    // Job 2 is a future job: until its SetNewPrevHash the miner stays on job 1.
    const job2 = { prev_hash: new Uint8Array(32).fill(0x22), merkle_root: new Uint8Array(32).fill(0x23) };
    await send({
      type: 'NewMiningJob',
      channel_id: CHANNEL_ID,
      job_id: 2,
      min_ntime: null,
      version: JOB_VERSION,
      merkle_root: job2.merkle_root,
    });
    const before = pool.shares.length;
    await pool.until(() => pool.shares.length >= before + 2);
    assert.ok(
      pool.shares.every((s) => s.msg.job_id === JOB_ID),
      'no share for a job that is not active yet',
    );

    // A harder target (one hash in 2^14), then the prev hash that activates job 2.
    const harder = (1n << 242n) - 1n;
    await send({ type: 'SetTarget', channel_id: CHANNEL_ID, maximum_target: u256ToLE(harder) });
    const ntime2 = first.min_ntime + 5;
    await send({
      type: 'SetNewPrevHash',
      channel_id: CHANNEL_ID,
      job_id: 2,
      prev_hash: job2.prev_hash,
      min_ntime: ntime2,
      nbits: REGTEST_NBITS,
    });
    await pool.until(() => pool.shares.filter((s) => s.msg.job_id === 2).length >= 2);
    for (const s of pool.shares.filter((s) => s.msg.job_id === 2)) {
      assert.equal(s.msg.version, JOB_VERSION, '--no-version-rolling keeps the job version');
      assert.ok(s.msg.ntime >= ntime2);
      const hash = headerHash(
        serializeHeader({
          version: s.msg.version,
          prev_hash: job2.prev_hash,
          merkle_root: job2.merkle_root,
          time: s.msg.ntime,
          bits: REGTEST_NBITS,
          nonce: s.msg.nonce,
        }),
      );
      assert.ok(hashMeetsTarget(hash, harder), 'share meets the SetTarget target');
    }

    // Job 3 has min_ntime: it is mined at once on the latest prev hash.
    const root3 = new Uint8Array(32).fill(0x33);
    await send({
      type: 'NewMiningJob',
      channel_id: CHANNEL_ID,
      job_id: 3,
      min_ntime: ntime2 + 1,
      version: JOB_VERSION,
      merkle_root: root3,
    });
    await pool.until(() => pool.shares.some((s) => s.msg.job_id === 3));
    for (const s of pool.shares.filter((s) => s.msg.job_id === 3)) {
      assert.ok(s.msg.ntime >= ntime2 + 1);
      const hash = headerHash(
        serializeHeader({
          version: s.msg.version,
          prev_hash: job2.prev_hash,
          merkle_root: root3,
          time: s.msg.ntime,
          bits: REGTEST_NBITS,
          nonce: s.msg.nonce,
        }),
      );
      assert.ok(hashMeetsTarget(hash, harder));
    }
  },
);
