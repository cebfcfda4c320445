// What `strata jds` refuses, each with its DeclareMiningJob.Error code, and
// what makes it close a connection (a malformed frame, a token flood) while
// it keeps serving everyone else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { blockSubsidy } from '../../src/bitcoin/index.js';
import { TOKEN_KIND, TOKEN_OFFSETS, encodeToken } from '../../src/channels/jd-token.js';
import { encodeFrameHeader } from '../../src/codec/frame.js';
import { JDS_ERROR } from '../../src/roles/jds/errors.js';
import type { BlockTemplate } from '../../src/rpc/index.js';
import {
  JdClient,
  OTHER_SCRIPT,
  POOL_SCRIPT,
  buildJob,
  declareMsg,
  details,
  madeUpTx,
  recordAfter,
  startJds,
  startJdsStack,
  type BuiltJob,
  type JdsProcess,
  type JdsStack,
  type TxData,
} from './fixture.js';

const MAX_DECLARED = 5;
const BURST = 8;

function subsidy(gbt: BlockTemplate): bigint {
  return blockSubsidy(gbt.height, 'regtest');
}

/** A job on the current tip paying the whole subsidy to the pool (made-up transactions carry no known fee). */
function job(
  gbt: BlockTemplate,
  over: { txs?: TxData[]; pool?: bigint; other?: bigint; version?: number } = {},
) {
  const outputs = [{ value: over.pool ?? subsidy(gbt), script: POOL_SCRIPT }];
  if (over.other !== undefined) outputs.push({ value: over.other, script: OTHER_SCRIPT });
  return buildJob({ height: gbt.height, version: over.version ?? gbt.version, outputs, txs: over.txs ?? [] });
}

async function refused(jdc: JdClient, j: BuiltJob, id: number, token: Uint8Array, code: string, why: RegExp) {
  const r = await jdc.declare(j, id, token);
  assert.equal(r.type, 'DeclareMiningJobError', JSON.stringify(r));
  assert.equal(r.error_code, code);
  assert.match(details(r), why);
}

test('JDS refusals: tokens, coinbase, missing transactions, limits, malformed frames, floods', async (t) => {
  const s: JdsStack = await startJdsStack(t);
  const jds: JdsProcess = await startJds(t, s, [
    '--max-declared-transactions',
    String(MAX_DECLARED),
    '--token-burst',
    String(BURST),
    // Practically no refill: a flood is refused however slowly the machine delivers it.
    '--token-rate',
    '0.001',
  ]);
  const gbt = await s.devnet.rpc.getblocktemplate();
  assert.equal(gbt.transactions.length, 0, 'a devnet without synthetic transactions');
  // Opened first and used last: a connection that sees every refusal and close of the others.
  const bystander = await JdClient.setUp(t, jds.port, s.keys);
  let rid = 100;

  await t.test('a token used twice is refused the second time', async (st) => {
    const jdc = await JdClient.setUp(st, jds.port, s.keys);
    const a = await jdc.allocate(1);
    const ok = await jdc.declare(job(gbt), 2, a.mining_job_token);
    assert.equal(ok.type, 'DeclareMiningJobSuccess', JSON.stringify(ok));
    await refused(jdc, job(gbt), 3, a.mining_job_token, JDS_ERROR.INVALID_MINING_JOB_TOKEN, /already used/);
  });

  await t.test(
    'forged tokens (a flipped MAC byte, another secret) are refused; the genuine one still works',
    async (st) => {
      const jdc = await JdClient.setUp(st, jds.port, s.keys);
      const a = await jdc.allocate(1);
      const flipped = Uint8Array.from(a.mining_job_token);
      flipped[TOKEN_OFFSETS.mac] = flipped[TOKEN_OFFSETS.mac]! ^ 0x01;
      await refused(jdc, job(gbt), 2, flipped, JDS_ERROR.INVALID_MINING_JOB_TOKEN, /bad-mac/);
      const now = Math.floor(Date.now() / 1000);
      const foreign = encodeToken(
        {
          kind: TOKEN_KIND.ALLOCATED,
          token_id: a.mining_job_token.slice(2, 10),
          issued_at: now,
          expires_at: now + 600,
          commitment: a.mining_job_token.slice(18, 50),
        },
        new Uint8Array(randomBytes(32)),
      );
      await refused(jdc, job(gbt), 3, foreign, JDS_ERROR.INVALID_MINING_JOB_TOKEN, /bad-mac/);
      await refused(
        jdc,
        job(gbt),
        4,
        Uint8Array.of(9, 9, 9),
        JDS_ERROR.INVALID_MINING_JOB_TOKEN,
        /unknown-version/,
      );
      const ok = await jdc.declare(job(gbt), 5, a.mining_job_token);
      assert.equal(ok.type, 'DeclareMiningJobSuccess', JSON.stringify(ok));
    },
  );

  await t.test("another connection's token is refused; its owner can still use it", async (st) => {
    const owner = await JdClient.setUp(st, jds.port, s.keys);
    const thief = await JdClient.setUp(st, jds.port, s.keys);
    const a = await owner.allocate(1);
    await refused(
      thief,
      job(gbt),
      2,
      a.mining_job_token,
      JDS_ERROR.INVALID_MINING_JOB_TOKEN,
      /not allocated on this connection/,
    );
    const ok = await owner.declare(job(gbt), 3, a.mining_job_token);
    assert.equal(ok.type, 'DeclareMiningJobSuccess', JSON.stringify(ok));
  });

  await t.test('a DeclareMiningJob.Success token is not a token to declare with', async (st) => {
    const jdc = await JdClient.setUp(st, jds.port, s.keys);
    const a = await jdc.allocate(1);
    const ok = await jdc.declare(job(gbt), 2, a.mining_job_token);
    assert.equal(ok.type, 'DeclareMiningJobSuccess');
    await refused(
      jdc,
      job(gbt),
      3,
      ok.new_mining_job_token,
      JDS_ERROR.INVALID_MINING_JOB_TOKEN,
      /not an allocated token/,
    );
  });

  await t.test(
    'coinbase: no pool payout output, the pool paid less than subsidy + known fees, or paying more than that',
    async (st) => {
      const jdc = await JdClient.setUp(st, jds.port, s.keys);
      const cases: [ReturnType<typeof job>, RegExp][] = [
        [
          buildJob({
            height: gbt.height,
            version: gbt.version,
            outputs: [{ value: subsidy(gbt), script: OTHER_SCRIPT }],
            txs: [],
          }),
          /no coinbase output pays the pool payout output/,
        ],
        [job(gbt, { pool: subsidy(gbt) - 1000n, other: 1000n }), /less than 100% of the subsidy/],
        [job(gbt, { pool: subsidy(gbt) - 1n }), /pool payout output carries \d+ sats, less than/],
        [job(gbt, { pool: subsidy(gbt) + 1n }), /more than the subsidy/],
        [job(gbt, { pool: subsidy(gbt), other: 1n }), /more than the subsidy/],
      ];
      for (const [j, why] of cases) {
        const a = await jdc.allocate(++rid);
        await refused(jdc, j, ++rid, a.mining_job_token, JDS_ERROR.INVALID_COINBASE_TX_SUFFIX, why);
      }
    },
  );

  await t.test('coinbase: a witness commitment that does not match the declared wtxids', async (st) => {
    const jdc = await JdClient.setUp(st, jds.port, s.keys);
    const declared = job(gbt, { txs: [madeUpTx()] });
    // The commitment of another transaction set.
    const other = job(gbt, { txs: [madeUpTx()] });
    const a = await jdc.allocate(1);
    await jdc.send({
      type: 'DeclareMiningJob',
      ...declareMsg({ ...other, txs: declared.txs }, 2, a.mining_job_token),
    });
    const r = await jdc.reply(2);
    assert.equal(r.type, 'DeclareMiningJobError', JSON.stringify(r));
    assert.equal(r.error_code, JDS_ERROR.INVALID_COINBASE_TX_SUFFIX);
    assert.match(details(r), /witness commitment/);
  });

  await t.test('version without the BIP9 top bits, and a coinbase for another height', async (st) => {
    const jdc = await JdClient.setUp(st, jds.port, s.keys);
    let a = await jdc.allocate(1);
    await refused(
      jdc,
      job(gbt, { version: 4 }),
      2,
      a.mining_job_token,
      JDS_ERROR.INVALID_VERSION,
      /top bits/,
    );
    for (const height of [gbt.height - 1, gbt.height + 1]) {
      a = await jdc.allocate(++rid);
      const j = buildJob({
        height,
        version: gbt.version,
        outputs: [{ value: subsidy(gbt), script: POOL_SCRIPT }],
        txs: [],
      });
      await refused(
        jdc,
        j,
        ++rid,
        a.mining_job_token,
        JDS_ERROR.STALE_CHAIN_TIP,
        new RegExp(`height ${height}`),
      );
    }
  });

  await t.test(
    'transactions the node never saw: asked for, fees unknown (counted 0), accepted',
    async (st) => {
      const jdc = await JdClient.setUp(st, jds.port, s.keys);
      const txs = [madeUpTx(), madeUpTx()];
      const a = await jdc.allocate(1);
      const asked = await jdc.declare(job(gbt, { txs }), 2, a.mining_job_token);
      assert.equal(asked.type, 'ProvideMissingTransactions');
      assert.deepEqual(asked.unknown_tx_position_list, [0, 1]);
      const skip = jds.proc.records.length;
      const ok = await jdc.provide(2, [txs[0]!.raw, txs[1]!.raw]);
      assert.equal(ok.type, 'DeclareMiningJobSuccess', JSON.stringify(ok));
      const logged = await recordAfter(jds.proc, skip, (r) => r.msg === 'job declared');
      assert.equal(logged.unknown_fees, 2);
      assert.equal(logged.known_fees, '0');
    },
  );

  await t.test('ProvideMissingTransactions answered with the wrong transactions, or too few', async (st) => {
    const jdc = await JdClient.setUp(st, jds.port, s.keys);
    const txs = [madeUpTx(), madeUpTx()];
    let a = await jdc.allocate(1);
    let asked = await jdc.declare(job(gbt, { txs }), 2, a.mining_job_token);
    assert.equal(asked.type, 'ProvideMissingTransactions');
    // Swapped: each hashes to the other position's wtxid.
    let r = await jdc.provide(2, [txs[1]!.raw, txs[0]!.raw]);
    assert.equal(r.type, 'DeclareMiningJobError', JSON.stringify(r));
    assert.equal(r.error_code, JDS_ERROR.MISSING_TRANSACTIONS);
    assert.match(details(r), /does not hash to the wtxid declared at position 0/);
    // Another transaction altogether.
    a = await jdc.allocate(3);
    asked = await jdc.declare(job(gbt, { txs }), 4, a.mining_job_token);
    assert.equal(asked.type, 'ProvideMissingTransactions');
    r = await jdc.provide(4, [txs[0]!.raw, madeUpTx().raw]);
    assert.equal(r.type, 'DeclareMiningJobError');
    assert.equal(r.error_code, JDS_ERROR.MISSING_TRANSACTIONS);
    assert.match(details(r), /position 1/);
    // Too few.
    a = await jdc.allocate(5);
    asked = await jdc.declare(job(gbt, { txs }), 6, a.mining_job_token);
    assert.equal(asked.type, 'ProvideMissingTransactions');
    r = await jdc.provide(6, [txs[0]!.raw]);
    assert.equal(r.type, 'DeclareMiningJobError');
    assert.equal(r.error_code, JDS_ERROR.MISSING_TRANSACTIONS);
    assert.match(details(r), /2 transactions were asked for, 1 provided/);
  });

  await t.test(`more than max_declared_transactions (${MAX_DECLARED}) wtxids`, async (st) => {
    const jdc = await JdClient.setUp(st, jds.port, s.keys);
    const a = await jdc.allocate(1);
    const txs = Array.from({ length: MAX_DECLARED + 1 }, madeUpTx);
    await refused(
      jdc,
      job(gbt, { txs }),
      2,
      a.mining_job_token,
      JDS_ERROR.INVALID_WTXID_LIST,
      new RegExp(`${MAX_DECLARED + 1} transactions declared, at most ${MAX_DECLARED}`),
    );
    const b = await jdc.allocate(3);
    const ok = await jdc.declare(job(gbt, { txs: [] }), 4, b.mining_job_token);
    assert.equal(ok.type, 'DeclareMiningJobSuccess', 'the connection goes on');
  });

  await t.test('DeclareMiningJob on a coinbase-only connection', async (st) => {
    const jdc = await JdClient.setUp(st, jds.port, s.keys, 0);
    const a = await jdc.allocate(1);
    await refused(
      jdc,
      job(gbt),
      2,
      a.mining_job_token,
      JDS_ERROR.UNSUPPORTED_FEATURE_FLAGS,
      /DECLARE_TX_DATA/,
    );
  });

  await t.test(
    'a DeclareMiningJob frame holding 65,536 wtxids: typed decode failure, connection closed, others served',
    async (st) => {
      const jdc = await JdClient.setUp(st, jds.port, s.keys);
      const a = await jdc.allocate(1);
      const j = job(gbt);
      // Every field up to wtxid_list as the schema writes them, then the list by hand:
      // a count of 65,535 (the most a SEQ0_64K can say) followed by 65,536 hashes, and no excess_data.
      const head = declareMsg(j, 2, a.mining_job_token);
      const parts: number[] = [];
      const u16 = (v: number) => parts.push(v & 0xff, v >>> 8);
      const u32 = (v: number) => parts.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
      u32(head.request_id);
      parts.push(head.mining_job_token.length, ...head.mining_job_token);
      u32(head.version);
      u16(head.coinbase_tx_prefix.length);
      parts.push(...head.coinbase_tx_prefix);
      u16(head.coinbase_tx_suffix.length);
      parts.push(...head.coinbase_tx_suffix);
      u16(0xffff);
      const fixed = Uint8Array.from(parts);
      const payload = new Uint8Array(fixed.length + 65_536 * 32).fill(0xff);
      payload.set(fixed);
      const header = encodeFrameHeader({
        extension_type: 0,
        channel_msg: false,
        msg_type: 0x57,
        msg_length: payload.length,
      });
      const skip = jds.proc.records.length;
      await jdc.conn.send(concat(header, payload));
      await jdc.waitClosed();
      const logged = await recordAfter(jds.proc, skip, (r) => r.msg === 'malformed message; closing');
      assert.equal(logged.message, 'DeclareMiningJob');
      // After 65,535 hashes, excess_data's length (0xffff) runs past the 32 bytes left.
      assert.equal(logged.code, 'truncated');
      assert.match(String(logged.err), /excess_data/);
      // Others are served as before.
      const b = await bystander.allocate(++rid);
      assert.equal(b.type, 'AllocateMiningJobTokenSuccess');
    },
  );

  await t.test('an AllocateMiningJobToken flood closes that connection; others are served', async (st) => {
    const flooder = await JdClient.setUp(st, jds.port, s.keys);
    const skip = jds.proc.records.length;
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 4 * BURST; i++) {
      sends.push(
        flooder.send({ type: 'AllocateMiningJobToken', user_identifier: 'flood', request_id: 1000 + i }),
      );
    }
    await Promise.allSettled(sends);
    await flooder.waitClosed();
    const granted = flooder.inbox.items.filter((m) => m.type === 'AllocateMiningJobTokenSuccess').length;
    assert.equal(granted, BURST, 'the burst is granted, then nothing');
    await recordAfter(jds.proc, skip, (r) => String(r.msg).startsWith('AllocateMiningJobToken flood'));
    const b = await bystander.allocate(++rid);
    assert.equal(b.type, 'AllocateMiningJobTokenSuccess');
  });

  assert.equal(bystander.closed, false, 'the bystander connection stayed open throughout');
});

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

test('an expired allocated token is refused (allocated_token_lifetime 1 s)', async (t) => {
  const s = await startJdsStack(t);
  const jds = await startJds(t, s, ['--allocated-token-lifetime', '1']);
  const gbt = await s.devnet.rpc.getblocktemplate();
  const jdc = await JdClient.setUp(t, jds.port, s.keys);
  const a = await jdc.allocate(1);
  const expiresAt = new DataView(a.mining_job_token.buffer, a.mining_job_token.byteOffset).getUint32(
    TOKEN_OFFSETS.expires_at,
    true,
  );
  // Wait until the token's own expiry second has passed on this machine's clock (the JDS's).
  while (Math.floor(Date.now() / 1000) <= expiresAt) await new Promise((r) => setTimeout(r, 200));
  await refused(jdc, job(gbt), 2, a.mining_job_token, JDS_ERROR.INVALID_MINING_JOB_TOKEN, /expired/);
});
