// Shared by the JDS tests and benchmark: a devnet process, a `strata jds`
// process with fresh pool authority keys and token secret, and a scripted job
// declarator client (Noise initiator pinned to the key, Job Declaration
// messages) that builds DeclareMiningJob from a getblocktemplate and solves
// the header on the CPU for PushSolution.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  NETWORKS,
  addressToScript,
  bitsToTarget,
  blockHash,
  buildCoinbase,
  coinbaseMerklePath,
  coinbaseTxid,
  encodeBip34Height,
  foldMerklePath,
  fromDisplayHex,
  hashMeetsTarget,
  hexToBytes,
  pushData,
  scriptToAddress,
  serializeTransaction,
  txid,
  witnessCommitment,
  witnessCommitmentScript,
  witnessMerkleRoot,
  wtxid,
  type BlockHeader,
  type Transaction,
  type TxOutput,
} from '../../src/bitcoin/index.js';
import { connectFramed } from '../../src/net/client.js';
import type { FramedConnection } from '../../src/net/connection.js';
import {
  JOB_DECLARATION_SETUP_FLAGS,
  PROTOCOL,
  PROTOCOL_VERSION,
  decodePayload,
  encodeFrame,
  type Message,
  type MessageByName,
} from '../../src/messages/index.js';
import type { BlockTemplate } from '../../src/rpc/index.js';
import {
  loadAuthorityPublicKey,
  writeAuthorityKeyPair,
  writeTokenSecret,
  loadTokenSecret,
} from '../../src/roles/keygen.js';
import { Inbox } from '../helpers/inbox.js';
import { roleArgv, startNode, waitReady, type RoleProcess } from '../helpers/process.js';
import { tempDir, type Cleanup } from '../helpers/resources.js';
import { startDevnet, type DevnetProcess, type Keys } from '../tp/fixture.js';

export { tempDir, type Cleanup, type DevnetProcess };

type Msg<N extends Message['type']> = MessageByName<N>;

/** A regtest P2WPKH address of a made-up key hash filled with `n`. */
export function regtestAddress(n: number): string {
  const script = new Uint8Array(22);
  script[1] = 20;
  script.fill(n & 0xff, 2);
  return scriptToAddress(script, NETWORKS.regtest)!;
}

/** The pool payout address the test JDS is configured with. */
export const POOL_ADDRESS = regtestAddress(0xee);
export const POOL_SCRIPT = addressToScript(POOL_ADDRESS, NETWORKS.regtest);
/** Someone else's address. */
export const OTHER_SCRIPT = addressToScript(regtestAddress(0x11), NETWORKS.regtest);

export interface JdsProcess {
  proc: RoleProcess;
  port: number;
}

export interface JdsStack {
  dir: string;
  devnet: DevnetProcess;
  keys: Keys;
  secretFile: string;
  secret: Uint8Array;
}

/** A devnet (extra flags, e.g. --tx-rate) with pool authority keys and a token secret; gone when `t` ends. */
export async function startJdsStack(t: Cleanup, devnetExtra: string[] = []): Promise<JdsStack> {
  const dir = tempDir(t, 'strata-jds-');
  const devnet = await startDevnet(join(dir, 'devnet'), 0, devnetExtra);
  t.after(() => devnet.proc.stop());
  const keys = writeAuthorityKeyPair({ outDir: dir, name: 'pool-authority', force: false });
  const secretFile = writeTokenSecret({ file: join(dir, 'jd-token.key'), force: false });
  return { dir, devnet, keys, secretFile, secret: loadTokenSecret(secretFile) };
}

export function jdsArgs(s: JdsStack, extra: string[] = []): string[] {
  return [
    '--listen',
    '127.0.0.1:0',
    '--rpc-url',
    s.devnet.url,
    '--rpc-cookie',
    s.devnet.cookie,
    '--authority-secret-key',
    s.keys.secretPath,
    '--authority-public-key',
    s.keys.publicPath,
    '--network',
    'devnet',
    '--coinbase-reward-script',
    POOL_ADDRESS,
    '--token-secret-file',
    s.secretFile,
    ...extra,
  ];
}

/** Runs `strata jds` and waits until it is ready and its mempool mirror has loaded once. */
export async function startJds(
  t: Cleanup | undefined,
  s: JdsStack,
  extra: string[] = [],
  loadTimeoutMs = 20_000,
): Promise<JdsProcess> {
  const proc = startNode(roleArgv('jds', jdsArgs(s, extra)));
  t?.after(() => proc.stop());
  const ready = await waitReady(proc, (r) => r.msg === 'job declarator server ready');
  try {
    await proc.waitFor((r) => r.msg === 'mempool mirror loaded', loadTimeoutMs);
  } catch (err) {
    await proc.kill();
    throw err;
  }
  return { proc, port: Number(ready.port) };
}

/** The first record of `proc` after the `skip` first ones that matches. */
export function recordAfter(
  proc: RoleProcess,
  skip: number,
  pred: (r: Record<string, unknown>) => boolean,
  timeoutMs = 20_000,
): Promise<Record<string, unknown>> {
  return proc.waitFor((r) => proc.records.indexOf(r) >= skip && pred(r), timeoutMs);
}

// ---- transactions ------------------------------------------------------------------------------

export interface TxData {
  raw: Uint8Array;
  /** Internal order. */
  txid: Uint8Array;
  wtxid: Uint8Array;
}

/** A well-formed segwit spend of a made-up outpoint: unknown to every node. */
export function madeUpTx(): TxData {
  const tx: Transaction = {
    version: 2,
    inputs: [
      {
        prev_txid: new Uint8Array(randomBytes(32)),
        prev_index: 0,
        script_sig: new Uint8Array(0),
        sequence: 0xfffffffd,
        witness: [new Uint8Array(randomBytes(71)), Uint8Array.of(2, ...randomBytes(32))],
      },
    ],
    outputs: [{ value: 10_000n, script: Uint8Array.of(0x00, 0x14, ...randomBytes(20)) }],
    locktime: 0,
  };
  return { raw: serializeTransaction(tx, true), txid: txid(tx), wtxid: wtxid(tx) };
}

/** The transactions of a getblocktemplate answer. */
export function templateTxs(gbt: BlockTemplate): TxData[] {
  return gbt.transactions.map((t) => ({
    raw: hexToBytes(t.data),
    txid: fromDisplayHex(t.txid),
    wtxid: fromDisplayHex(t.hash),
  }));
}

// ---- declared jobs -----------------------------------------------------------------------------

export const EXTRANONCE_SIZE = 8;

export interface JobSpec {
  height: number;
  version: number;
  /** The coinbase outputs in order (pool payout output and the rest). */
  outputs: TxOutput[];
  txs: TxData[];
  /** The witness commitment output's script; computed from the transactions when omitted. */
  witnessCommitmentScript?: Uint8Array;
}

export interface BuiltJob {
  prefix: Uint8Array;
  suffix: Uint8Array;
  /** All coinbase outputs, the witness commitment last. */
  outputs: TxOutput[];
  txs: TxData[];
  merklePath: Uint8Array[];
  version: number;
}

/** Coinbase split around an 8-byte extranonce: BIP34 height, a tag, the extranonce push; full segwit form. */
export function buildJob(spec: JobSpec): BuiltJob {
  const commitmentScript =
    spec.witnessCommitmentScript ??
    witnessCommitmentScript(
      witnessCommitment(witnessMerkleRoot([new Uint8Array(32), ...spec.txs.map((t) => t.wtxid)])),
    );
  const template_outputs = [{ value: 0n, script: commitmentScript }];
  const parts = buildCoinbase({
    coinbase_tx_version: 2,
    coinbase_prefix: encodeBip34Height(spec.height),
    script_sig_extra: Uint8Array.of(...pushData(new TextEncoder().encode('jdc-test')), EXTRANONCE_SIZE),
    extranonce_size: EXTRANONCE_SIZE,
    coinbase_tx_input_sequence: 0xffffffff,
    payout_outputs: spec.outputs,
    template_outputs,
    coinbase_tx_locktime: 0,
    witness: true,
  });
  return {
    prefix: parts.witness_prefix,
    suffix: parts.witness_suffix,
    outputs: [...spec.outputs, ...template_outputs],
    txs: spec.txs,
    merklePath: coinbaseMerklePath(spec.txs.map((t) => t.txid)),
    version: spec.version,
  };
}

/** The job of a getblocktemplate: all its transactions, its witness commitment, the coinbase value to the pool. */
export function jobFromTemplate(gbt: BlockTemplate, poolValue = BigInt(gbt.coinbasevalue)): BuiltJob {
  return buildJob({
    height: gbt.height,
    version: gbt.version,
    outputs: [{ value: poolValue, script: POOL_SCRIPT }],
    txs: templateTxs(gbt),
    witnessCommitmentScript: hexToBytes(gbt.default_witness_commitment!),
  });
}

export function declareMsg(
  job: BuiltJob,
  request_id: number,
  token: Uint8Array,
): Omit<Msg<'DeclareMiningJob'>, 'type'> {
  return {
    request_id,
    mining_job_token: token,
    version: job.version,
    coinbase_tx_prefix: job.prefix,
    coinbase_tx_suffix: job.suffix,
    wtxid_list: job.txs.map((t) => t.wtxid),
    excess_data: new Uint8Array(32),
  };
}

/** A nonce for the template's header that meets its nbits target (regtest: a few tries). */
export function solveJob(job: BuiltJob, gbt: BlockTemplate): Omit<Msg<'PushSolution'>, 'type'> {
  const extranonce = new Uint8Array(randomBytes(EXTRANONCE_SIZE));
  const bits = parseInt(gbt.bits, 16);
  const header: BlockHeader = {
    version: job.version,
    prev_hash: fromDisplayHex(gbt.previousblockhash),
    merkle_root: foldMerklePath(coinbaseTxid(job.prefix, extranonce, job.suffix), job.merklePath),
    time: gbt.curtime,
    bits,
    nonce: 0,
  };
  const target = bitsToTarget(bits);
  while (!hashMeetsTarget(blockHash(header), target)) {
    header.nonce++;
    if (header.nonce > 10_000_000) throw new Error('no nonce found (is this a regtest target?)');
  }
  return {
    extranonce,
    prev_hash: header.prev_hash,
    nonce: header.nonce,
    ntime: header.time,
    nbits: bits,
    version: header.version,
  };
}

// ---- the scripted client -----------------------------------------------------------------------

type Reply =
  | Msg<'AllocateMiningJobTokenSuccess'>
  | Msg<'DeclareMiningJobSuccess'>
  | Msg<'DeclareMiningJobError'>
  | Msg<'ProvideMissingTransactions'>;

export class JdClient {
  readonly conn: FramedConnection;
  readonly inbox = new Inbox<Message>();
  #closed = false;

  private constructor(conn: FramedConnection) {
    this.conn = conn;
    void this.#read();
  }

  /** Connects with Noise pinned to the pool authority key; closed when `t` ends. */
  static async connect(t: Cleanup | undefined, port: number, keys: Keys): Promise<JdClient> {
    const conn = await connectFramed({
      host: '127.0.0.1',
      port,
      security: { kind: 'noise', authorityPublicKey: loadAuthorityPublicKey(keys.publicPath) },
      maxPayloadLength: 8 * 1024 * 1024,
    });
    const c = new JdClient(conn);
    t?.after(() => c.conn.close('test done'));
    return c;
  }

  /** Connects and runs SetupConnection (Job Declaration, version 2); DECLARE_TX_DATA unless `flags` says otherwise. */
  static async setUp(
    t: Cleanup | undefined,
    port: number,
    keys: Keys,
    flags: number = JOB_DECLARATION_SETUP_FLAGS.DECLARE_TX_DATA,
  ): Promise<JdClient> {
    const c = await JdClient.connect(t, port, keys);
    await c.send({
      type: 'SetupConnection',
      protocol: PROTOCOL.JOB_DECLARATION,
      min_version: PROTOCOL_VERSION,
      max_version: PROTOCOL_VERSION,
      flags,
      endpoint_host: '127.0.0.1',
      endpoint_port: port,
      vendor: 'Strata test JDC',
      hardware_version: '',
      firmware: '',
      device_id: 'test',
    });
    const answer = await c.next(
      (m) => m.type === 'SetupConnectionSuccess' || m.type === 'SetupConnectionError',
    );
    if (answer.type !== 'SetupConnectionSuccess') throw new Error(`setup refused: ${JSON.stringify(answer)}`);
    return c;
  }

  get closed(): boolean {
    return this.#closed;
  }

  async #read(): Promise<void> {
    for await (const frame of this.conn) {
      const r = decodePayload(frame.header, frame.payload);
      if (r.ok) this.inbox.push(r.message);
    }
    this.#closed = true;
    this.inbox.wake();
  }

  send(msg: Message): Promise<void> {
    return this.conn.send(encodeFrame(msg));
  }

  next<M extends Message = Message>(pred: (m: Message) => boolean, timeoutMs = 30_000): Promise<M> {
    return this.inbox.next<M>(
      pred,
      timeoutMs,
      () =>
        `no matching message (closed: ${this.#closed}); received: ${this.inbox.items.map((m) => m.type).join(',')}`,
      () => this.#closed,
    );
  }

  /** The reply to a request_id (Success, Error or ProvideMissingTransactions). */
  reply(request_id: number, timeoutMs?: number): Promise<Reply> {
    return this.next<Reply>(
      (m) =>
        (m.type === 'AllocateMiningJobTokenSuccess' ||
          m.type === 'DeclareMiningJobSuccess' ||
          m.type === 'DeclareMiningJobError' ||
          m.type === 'ProvideMissingTransactions') &&
        m.request_id === request_id,
      timeoutMs,
    );
  }

  async allocate(request_id: number): Promise<Msg<'AllocateMiningJobTokenSuccess'>> {
    await this.send({ type: 'AllocateMiningJobToken', user_identifier: 'test', request_id });
    const r = await this.reply(request_id);
    if (r.type !== 'AllocateMiningJobTokenSuccess') throw new Error(`unexpected ${r.type}`);
    return r;
  }

  async declare(job: BuiltJob, request_id: number, token: Uint8Array): Promise<Reply> {
    await this.send({ type: 'DeclareMiningJob', ...declareMsg(job, request_id, token) });
    return this.reply(request_id);
  }

  async provide(request_id: number, transaction_list: Uint8Array[]): Promise<Reply> {
    await this.send({ type: 'ProvideMissingTransactionsSuccess', request_id, transaction_list });
    return this.reply(request_id);
  }

  /** Resolves once the server closed the connection; rejects after `timeoutMs`. */
  async waitClosed(timeoutMs = 20_000): Promise<void> {
    const timer = setTimeout(() => this.conn.abort('test: server did not close'), timeoutMs);
    const info = await this.conn.closed;
    clearTimeout(timer);
    if (info.reason === 'test: server did not close')
      throw new Error('the server did not close the connection');
  }
}

/** error_details as text. */
export function details(m: { error_details: Uint8Array }): string {
  return new TextDecoder().decode(m.error_details);
}
