// Custom jobs on the pool ([job_declaration] enabled): devnet + tp + pool
// processes and a job declarator client scripted here (Noise,
// SetupConnection with REQUIRES_WORK_SELECTION, one extended channel, tokens
// signed with the pool's token secret file, SetCustomMiningJob built from the
// devnet's getblocktemplate with the pool payout output first, shares mined
// on the CPU). Accepted jobs' shares are stored and credited; a block on a
// custom job is recorded with its finder, submitted by this client as a JDC
// would, and settled by the pool; every refusal has its code and credits
// nothing; a restart refuses tokens issued before it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  NETWORKS,
  addressToScript,
  bitsToTarget,
  blockHash,
  bytesToHex,
  coinbaseMerklePath,
  concatBytes,
  encodeBip34Height,
  encodeCompactSize,
  foldMerklePath,
  fromDisplayHex,
  hashMeetsTarget,
  hexToBytes,
  pushData,
  serializeHeader,
  serializeOutputs,
  serializeTransaction,
  sha256d,
  toDisplayHex,
  txid,
  type BlockHeader,
  type Transaction,
  type TxOutput,
} from '../../src/bitcoin/index.js';
import {
  TOKEN_KIND,
  allocatedCommitment,
  declaredCommitment,
  encodeToken,
  type TokenKind,
} from '../../src/channels/index.js';
import { MINING_SETUP_FLAGS, type MessageByName } from '../../src/messages/index.js';
import {
  MiningClient,
  POOL_ADDRESS,
  poolAccountCli,
  queryDb,
  startPool,
  startStack,
  targetOf,
  type PoolProcess,
  type Stack,
} from './fixture.js';

type OpenSuccess = MessageByName<'OpenExtendedMiningChannelSuccess'>;
type SetCustom = MessageByName<'SetCustomMiningJob'>;

const ACCOUNT = 'jdminer';
const POOL_SCRIPT = addressToScript(POOL_ADDRESS, NETWORKS.regtest);
const OTHER_SCRIPT = Uint8Array.of(0x00, 0x14, ...new Uint8Array(20).fill(0x42));

/** A job as a job declarator client declares it, with what it needs to mine and to build the block. */
interface CustomWork {
  message: SetCustom;
  /** The template's transactions (raw, with witness), for the block. */
  transactions: Uint8Array[];
  height: number;
  value: bigint;
}

/** The token secret file the pool reads: 32 random bytes as hex. */
function writeSecret(s: Stack): { path: string; secret: Uint8Array } {
  const secret = Uint8Array.from(randomBytes(32));
  const path = join(s.dir, 'jd-token.key');
  writeFileSync(path, `${bytesToHex(secret)}\n`);
  return { path, secret };
}

function token(
  secret: Uint8Array,
  kind: TokenKind,
  commitment: Uint8Array,
  times: { issued_at?: number; expires_at?: number } = {},
): Uint8Array {
  // Issued no earlier than this second: never before the pool process started.
  const issued_at = times.issued_at ?? Math.ceil(Date.now() / 1000);
  return encodeToken(
    {
      kind,
      token_id: Uint8Array.from(randomBytes(8)),
      issued_at,
      expires_at: times.expires_at ?? issued_at + 300,
      commitment,
    },
    secret,
  );
}

function declared(secret: Uint8Array, m: SetCustom): Uint8Array {
  return token(
    secret,
    TOKEN_KIND.DECLARED,
    declaredCommitment(m.version, m.coinbase_tx_outputs, m.merkle_path),
  );
}

function allocated(secret: Uint8Array): Uint8Array {
  return token(
    secret,
    TOKEN_KIND.ALLOCATED,
    allocatedCommitment(serializeOutputs([{ value: 0n, script: POOL_SCRIPT }], true)),
  );
}

/** A custom job from the devnet's block template: the pool's output gets the coinbase value (or `outputs`). */
async function customWork(
  s: Stack,
  open: OpenSuccess,
  request_id: number,
  outputs?: (value: bigint) => TxOutput[],
): Promise<CustomWork> {
  const gbt = await s.devnet.rpc.getblocktemplate({ rules: ['segwit'] });
  const value = BigInt(gbt.coinbasevalue);
  const full = open.extranonce_prefix.length + open.extranonce_size;
  const list = outputs ? outputs(value) : [{ value, script: POOL_SCRIPT }];
  if (gbt.default_witness_commitment)
    list.push({ value: 0n, script: hexToBytes(gbt.default_witness_commitment) });
  const message: SetCustom = {
    type: 'SetCustomMiningJob',
    channel_id: open.channel_id,
    request_id,
    mining_job_token: new Uint8Array(0),
    version: gbt.version,
    prev_hash: fromDisplayHex(gbt.previousblockhash),
    min_ntime: gbt.curtime,
    nbits: parseInt(gbt.bits, 16),
    coinbase_tx_version: 2,
    coinbase_prefix: concatBytes(
      encodeBip34Height(gbt.height),
      pushData(new TextEncoder().encode('/test-jdc/')),
      Uint8Array.of(full),
    ),
    coinbase_tx_input_nSequence: 0xffffffff,
    coinbase_tx_outputs: serializeOutputs(list, true),
    coinbase_tx_locktime: 0,
    merkle_path: coinbaseMerklePath(gbt.transactions.map((tx) => fromDisplayHex(tx.txid))),
  };
  return {
    message,
    transactions: gbt.transactions.map((tx) => hexToBytes(tx.data)),
    height: gbt.height,
    value,
  };
}

/** The job's coinbase with a full extranonce, as a transaction (the witness reserved value when segwit). */
function coinbaseTx(m: SetCustom, fullExtranonce: Uint8Array, outputs: TxOutput[]): Transaction {
  const segwit = outputs.some((o) => o.value === 0n && o.script[0] === 0x6a);
  return {
    version: m.coinbase_tx_version,
    inputs: [
      {
        prev_txid: new Uint8Array(32),
        prev_index: 0xffffffff,
        script_sig: concatBytes(m.coinbase_prefix, fullExtranonce),
        sequence: m.coinbase_tx_input_nSequence,
        witness: segwit ? [new Uint8Array(32)] : [],
      },
    ],
    outputs,
    locktime: m.coinbase_tx_locktime,
  };
}

interface Mined {
  submit: MessageByName<'SubmitSharesExtended'>;
  header: Uint8Array;
  coinbase: Transaction;
}

let counter = 0;
let nonceCursor = 0;

/** Mines a share of a custom job: a block (network target met) or deliberately not one. */
function mine(
  open: OpenSuccess,
  w: CustomWork,
  job_id: number,
  kind: 'share' | 'block',
  outputs: TxOutput[],
): Mined {
  const m = w.message;
  const extranonce = new Uint8Array(open.extranonce_size);
  new DataView(extranonce.buffer).setUint32(0, ++counter, true);
  const coinbase = coinbaseTx(m, concatBytes(open.extranonce_prefix, extranonce), outputs);
  const header: BlockHeader = {
    version: m.version,
    prev_hash: m.prev_hash,
    merkle_root: foldMerklePath(txid(coinbase), m.merkle_path),
    time: m.min_ntime,
    bits: m.nbits,
    nonce: 0,
  };
  const network = bitsToTarget(m.nbits);
  const channel = targetOf(open.target);
  for (let i = 0; i < 1_000_000; i++) {
    header.nonce = nonceCursor++ >>> 0;
    const hash = blockHash(header);
    const block = hashMeetsTarget(hash, network);
    if ((kind === 'block' && block) || (kind === 'share' && !block && hashMeetsTarget(hash, channel))) {
      return {
        submit: {
          type: 'SubmitSharesExtended',
          channel_id: open.channel_id,
          sequence_number: counter,
          job_id,
          nonce: header.nonce,
          ntime: header.time,
          version: header.version,
          extranonce,
        },
        header: serializeHeader(header),
        coinbase,
      };
    }
  }
  throw new Error('no share found within the search bound');
}

function outputsOf(w: CustomWork): TxOutput[] {
  // The outputs as sent (the CompactSize count first).
  const bytes = w.message.coinbase_tx_outputs;
  const out: TxOutput[] = [];
  let at = 1;
  for (let i = 0; i < bytes[0]!; i++) {
    const value = new DataView(bytes.buffer, bytes.byteOffset + at, 8).getBigUint64(0, true);
    const len = bytes[at + 8]!;
    out.push({ value, script: bytes.slice(at + 9, at + 9 + len) });
    at += 9 + len;
  }
  return out;
}

/** A scripted job declarator client on the pool. */
class Jdc {
  private constructor(
    readonly c: MiningClient,
    readonly open: OpenSuccess,
  ) {}

  static async connect(
    t: Parameters<typeof MiningClient.connect>[0],
    s: Stack,
    pool: PoolProcess,
  ): Promise<Jdc> {
    const c = await MiningClient.connect(t, pool.port, s.poolKeys);
    const setup = await c.setup(
      MINING_SETUP_FLAGS.REQUIRES_WORK_SELECTION | MINING_SETUP_FLAGS.REQUIRES_VERSION_ROLLING,
    );
    assert.equal(setup.type, 'SetupConnectionSuccess');
    // Custom work takes extended channels only: REQUIRES_EXTENDED_CHANNELS.
    assert.equal(setup.type === 'SetupConnectionSuccess' && setup.flags, 2);
    const open = await c.openExtended(`${ACCOUNT}.jdc`);
    assert.equal(open.type, 'OpenExtendedMiningChannelSuccess');
    return new Jdc(c, open as OpenSuccess);
  }

  /** Sends a custom job; resolves with its Success or Error. */
  async set(
    m: SetCustom,
  ): Promise<MessageByName<'SetCustomMiningJobSuccess'> | MessageByName<'SetCustomMiningJobError'>> {
    await this.c.send(m);
    return this.c.next(
      (r) =>
        (r.type === 'SetCustomMiningJobSuccess' || r.type === 'SetCustomMiningJobError') &&
        r.request_id === m.request_id,
    );
  }

  async refused(m: SetCustom): Promise<string> {
    const r = await this.set(m);
    assert.equal(r.type, 'SetCustomMiningJobError', `request ${m.request_id} was accepted`);
    return r.type === 'SetCustomMiningJobError' ? r.error_code : '';
  }

  async accepted(m: SetCustom): Promise<number> {
    const r = await this.set(m);
    assert.equal(r.type, 'SetCustomMiningJobSuccess', JSON.stringify(r));
    return r.type === 'SetCustomMiningJobSuccess' ? r.job_id : -1;
  }
}

function sharesOf(s: Stack, account: string): number {
  return queryDb<{ n: number }>(
    s.db,
    'SELECT COUNT(*) AS n FROM shares sh JOIN accounts a ON a.id = sh.account_id WHERE a.name = ?',
    account,
  )[0]!.n;
}

test('custom jobs: accepted and credited, a block recorded and settled, every refusal with its code', async (t) => {
  const s = await startStack(t);
  poolAccountCli(['add', ACCOUNT, '--database', s.db]);
  const { path, secret } = writeSecret(s);
  const pool = await startPool(t, s, [
    '--job-declaration',
    'true',
    '--jd-token-secret',
    path,
    '--shares-per-minute',
    '60',
    '--vardiff-interval',
    '0',
    '--block-confirmations',
    '1',
  ]);
  const web = await pool.proc.waitFor((r) => r.msg === 'web ready');
  const jdc = await Jdc.connect(t, s, pool);
  const { c, open } = jdc;

  // Standard channels are refused on a work-selection connection.
  await c.send({
    type: 'OpenStandardMiningChannel',
    request_id: 50,
    user_identity: `${ACCOUNT}.std`,
    nominal_hash_rate: 1,
    max_target: new Uint8Array(32).fill(0xff),
  });
  const std = await c.nextOf('OpenMiningChannelError');
  assert.equal(std.error_code, 'standard-channels-not-supported-for-custom-work');

  // A declared job: accepted; shares on it are stored and acknowledged.
  const w = await customWork(s, open, 1);
  w.message.mining_job_token = declared(secret, w.message);
  const job_id = await jdc.accepted(w.message);
  // The pool sends a work-selection channel no jobs of its own (they would have come first).
  assert.deepEqual(
    c.received.filter((m) => m.type === 'NewExtendedMiningJob' || m.type === 'SetNewPrevHash'),
    [],
  );
  // The worker-identity extension names the miner behind the client.
  await c.send({ type: 'RequestExtensions', request_id: 1, requested_extensions: [2] });
  await c.nextOf('RequestExtensionsSuccess');
  const outputs = outputsOf(w);
  for (let i = 0; i < 3; i++) {
    const share = mine(open, w, job_id, 'share', outputs).submit;
    await c.send(i === 2 ? { ...share, user_identity: 'rig7' } : share);
  }
  let acked = 0;
  while (acked < 3) acked += (await c.nextOf('SubmitSharesSuccess')).new_submits_accepted_count;
  assert.equal(c.refused, 0);
  assert.equal(sharesOf(s, ACCOUNT), 3);
  const workers = queryDb<{ name: string }>(
    s.db,
    `SELECT DISTINCT w.name FROM shares sh JOIN workers w ON w.id = sh.worker_id ORDER BY w.name`,
  );
  assert.deepEqual(
    workers.map((r) => r.name),
    ['jdc', 'rig7'],
  );
  const stats = (await (await fetch(`http://127.0.0.1:${String(web.port)}/api/stats`)).json()) as {
    hashrate: { '10m': number };
  };
  assert.ok(stats.hashrate['10m'] > 0, `hashrate ${stats.hashrate['10m']}`);

  // Refusals: each with its code, none gives a job.
  let request = 10;
  const again = (m: SetCustom, over: Partial<SetCustom> = {}): SetCustom => ({
    ...m,
    request_id: request++,
    ...over,
  });
  // The token already used for job 1.
  assert.equal(await jdc.refused(again(w.message)), 'invalid-mining-job-token');
  // A forged token: the MAC does not verify.
  const forged = declared(secret, w.message);
  forged[65] = forged[65]! ^ 1;
  assert.equal(await jdc.refused(again(w.message, { mining_job_token: forged })), 'invalid-mining-job-token');
  // Signed with another secret.
  const foreign = declared(Uint8Array.from(randomBytes(32)), w.message);
  assert.equal(
    await jdc.refused(again(w.message, { mining_job_token: foreign })),
    'invalid-mining-job-token',
  );
  // Expired.
  const now = Math.floor(Date.now() / 1000);
  const expired = token(
    secret,
    TOKEN_KIND.DECLARED,
    declaredCommitment(w.message.version, w.message.coinbase_tx_outputs, w.message.merkle_path),
    { issued_at: now - 1, expires_at: now - 1 },
  );
  assert.equal(
    await jdc.refused(again(w.message, { mining_job_token: expired })),
    'invalid-mining-job-token',
  );
  // The declared job changed after the declaration (another merkle path): the commitment differs.
  const changed = again(w.message, { mining_job_token: declared(secret, w.message) });
  changed.merkle_path = [...changed.merkle_path, sha256d(Uint8Array.of(1))];
  assert.equal(await jdc.refused(changed), 'invalid-mining-job-token');
  // A coinbase that pays the pool less than everything (min_pool_payout_percent = 100).
  const under = await customWork(s, open, request++, (value) => [
    { value: value - 1000n, script: POOL_SCRIPT },
    { value: 1000n, script: OTHER_SCRIPT },
  ]);
  under.message.mining_job_token = declared(secret, under.message);
  assert.equal(await jdc.refused(under.message), 'invalid-job-param-value-coinbase-tx-outputs');
  // A coinbase below the block subsidy, even when all of it goes to the pool.
  const poor = await customWork(s, open, request++, () => [{ value: 1000n, script: POOL_SCRIPT }]);
  poor.message.mining_job_token = allocated(secret);
  assert.equal(await jdc.refused(poor.message), 'invalid-job-param-value-coinbase-tx-outputs');
  // A prev hash that is not the tip.
  const stale = again(w.message, { prev_hash: sha256d(Uint8Array.of(2)) });
  stale.mining_job_token = declared(secret, stale);
  assert.equal(await jdc.refused(stale), 'stale-chain-tip');
  // The wrong BIP34 height.
  const tail = w.message.coinbase_prefix.subarray(encodeBip34Height(w.height).length);
  const height = again(w.message, { coinbase_prefix: concatBytes(encodeBip34Height(w.height + 1), tail) });
  height.mining_job_token = declared(secret, height);
  assert.equal(await jdc.refused(height), 'invalid-job-param-value-coinbase-prefix');
  // An allocated (coinbase-only) token is fine while allow_coinbase_only is on (the default).
  const coinbaseOnly = await jdc.accepted(again(w.message, { mining_job_token: allocated(secret) }));
  assert.equal(coinbaseOnly, job_id + 1);

  // SetCustomMiningJob on a connection without REQUIRES_WORK_SELECTION, on a standard channel.
  const plain = await MiningClient.connect(t, pool.port, s.poolKeys);
  assert.equal((await plain.setup()).type, 'SetupConnectionSuccess');
  await plain.send({
    type: 'OpenStandardMiningChannel',
    request_id: 1,
    user_identity: `${ACCOUNT}.plain`,
    nominal_hash_rate: 1,
    max_target: new Uint8Array(32).fill(0xff),
  });
  const plainOpen = await plain.nextOf('OpenStandardMiningChannelSuccess');
  await plain.send({
    ...w.message,
    channel_id: plainOpen.channel_id,
    request_id: 99,
    mining_job_token: declared(secret, w.message),
  });
  const plainError = await plain.nextOf('SetCustomMiningJobError');
  assert.equal(plainError.error_code, 'work-selection-not-negotiated');
  assert.equal(plainError.request_id, 99);

  // Nothing credited for the refused jobs: no job ids were given out.
  const ghost = mine(open, w, coinbaseOnly + 1, 'share', outputs).submit;
  await c.send(ghost);
  assert.equal((await c.nextOf('SubmitSharesError')).error_code, 'invalid-job-id');
  assert.equal(sharesOf(s, ACCOUNT), 3);
  // Every refusal is logged with its code.
  const logged = pool.proc.records.filter((r) => r.msg === 'custom job refused').map((r) => r.error_code);
  assert.deepEqual(logged.sort(), [
    'invalid-job-param-value-coinbase-prefix',
    'invalid-job-param-value-coinbase-tx-outputs',
    'invalid-job-param-value-coinbase-tx-outputs',
    'invalid-mining-job-token',
    'invalid-mining-job-token',
    'invalid-mining-job-token',
    'invalid-mining-job-token',
    'invalid-mining-job-token',
    'stale-chain-tip',
    'work-selection-not-negotiated',
  ]);

  // A block on a custom job: recorded with its finder, not submitted by the pool.
  const bw = await customWork(s, open, request++);
  bw.message.mining_job_token = declared(secret, bw.message);
  const blockJob = await jdc.accepted(bw.message);
  const found = mine(open, bw, blockJob, 'block', outputsOf(bw));
  await c.send(found.submit);
  const ack = await c.nextOf('SubmitSharesSuccess');
  assert.equal(ack.last_sequence_number, found.submit.sequence_number);
  const record = await pool.proc.waitFor((r) => r.msg === 'block found' && r.custom_job === true);
  const hash = toDisplayHex(sha256d(found.header));
  assert.equal(record.hash, hash);
  assert.equal(record.account, ACCOUNT);
  assert.equal(record.worker, 'jdc');
  assert.equal(record.height, bw.height);
  // The pool did not hand it to the template provider.
  assert.ok(!s.tp.proc.records.some((r) => r.hash === hash));
  // Submitted as a job declarator client would; the pool settles it from the new tip.
  const block = concatBytes(
    found.header,
    encodeCompactSize(bw.transactions.length + 1),
    serializeTransaction(found.coinbase),
    ...bw.transactions,
  );
  assert.equal(await s.devnet.rpc.submitblock(bytesToHex(block)), null);
  await pool.proc.waitFor(
    (r) => r.msg === 'block status changed' && r.hash === hash && r.status === 'confirmed',
  );
  const rows = queryDb<{
    account: string;
    worker: string;
    reward_sats: number;
    coinbase_value: number;
    status: string;
    height: number;
  }>(
    s.db,
    `SELECT a.name AS account, w.name AS worker, b.reward_sats, b.coinbase_value, b.status, b.height
     FROM blocks b JOIN accounts a ON a.id = b.account_id JOIN workers w ON w.id = b.worker_id WHERE b.hash = ?`,
    hash,
  );
  assert.deepEqual(rows, [
    {
      account: ACCOUNT,
      worker: 'jdc',
      reward_sats: Number(bw.value),
      coinbase_value: Number(bw.value),
      status: 'confirmed',
      height: bw.height,
    },
  ]);
  // The coinbase paid the pool: the account's PPLNS share (all of it: the only
  // one in the window, no fee) is credit the pool owes, and no payout row.
  const credit = queryDb<{ credit: number }>(
    s.db,
    'SELECT c.credit FROM pplns_credits c JOIN accounts a ON a.id = c.account_id WHERE a.name = ?',
    ACCOUNT,
  );
  assert.deepEqual(credit, [{ credit: Number(bw.value) }]);
  assert.deepEqual(queryDb(s.db, 'SELECT * FROM payouts WHERE block_hash = ?', hash), []);
  // The tip moved: the old jobs are stale, a job on the old prev hash is refused.
  await c.send(mine(open, bw, blockJob, 'share', outputsOf(bw)).submit);
  assert.equal((await c.nextOf('SubmitSharesError')).error_code, 'stale-share');
  const old = again(bw.message);
  old.mining_job_token = declared(secret, old);
  assert.equal(await jdc.refused(old), 'stale-chain-tip');
});

test('after a restart: tokens issued before it and, with allow_coinbase_only off, allocated tokens are refused', async (t) => {
  const s = await startStack(t);
  poolAccountCli(['add', ACCOUNT, '--database', s.db]);
  const { path, secret } = writeSecret(s);
  const args = ['--job-declaration', 'true', '--jd-token-secret', path, '--vardiff-interval', '0'];
  const first = await startPool(t, s, args);
  const jdc = await Jdc.connect(t, s, first);
  const w = await customWork(s, jdc.open, 1);
  const used = declared(secret, w.message);
  await jdc.accepted({ ...w.message, mining_job_token: used });
  const unused = declared(secret, w.message);
  // Both tokens are from a second the new process starts after.
  const issued = new DataView(used.buffer).getUint32(10, true);
  while (Date.now() <= issued * 1000) await new Promise((r) => setTimeout(r, 50));
  await first.proc.stop();

  const second = await startPool(t, s, [...args, '--jd-allow-coinbase-only', 'false']);
  const again = await Jdc.connect(t, s, second);
  const m = { ...w.message, channel_id: again.open.channel_id };
  // The same tip, so only the tokens' age stands in the way.
  assert.equal(
    await again.refused({ ...m, request_id: 2, mining_job_token: used }),
    'invalid-mining-job-token',
  );
  assert.equal(
    await again.refused({ ...m, request_id: 3, mining_job_token: unused }),
    'invalid-mining-job-token',
  );
  assert.equal(
    await again.refused({ ...m, request_id: 4, mining_job_token: allocated(secret) }),
    'invalid-mining-job-token',
  );
  // The refusal reaches the client before its log line may reach us.
  await second.proc.waitFor((r) => r.msg === 'custom job refused' && r.request_id === 4);
  const reasons = second.proc.records.filter((r) => r.msg === 'custom job refused').map((r) => r.reason);
  assert.deepEqual(reasons, [
    'token issued before the pool started',
    'token issued before the pool started',
    'allocated (coinbase-only) token, but allow_coinbase_only is off',
  ]);
  // A declared token issued now is taken.
  await again.accepted({ ...m, request_id: 5, mining_job_token: declared(secret, m) });
});
