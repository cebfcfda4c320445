// Shared by the TP tests and benchmark: a devnet process, a `strata tp`
// process with fresh authority keys, a TDP client that records what arrives,
// and a CPU miner that turns a template into a SubmitSolution.
import type { TestContext } from 'node:test';
import { join } from 'node:path';
import {
  NETWORKS,
  addressToScript,
  assembleCoinbase,
  blockHash,
  buildCoinbase,
  coinbaseTxid,
  foldMerklePath,
  hashMeetsTarget,
  parseOutputs,
  u256FromLE,
  type BlockHeader,
} from '../../src/bitcoin/index.js';
import { BitcoinRpc } from '../../src/rpc/index.js';
import { writeAuthorityKeyPair } from '../../src/roles/keygen.js';
import {
  TdpClient,
  type NewTemplateMsg,
  type SetNewPrevHashTdpMsg,
  type SubmitSolutionMsg,
  type TdpClientOptions,
} from '../../src/roles/common/tdp-client.js';
import { loadAuthorityPublicKey } from '../../src/roles/keygen.js';
import { roleArgv, startNode, startRole, waitReady, type RoleProcess } from '../helpers/process.js';
import { Inbox } from '../helpers/inbox.js';
import { freePort, tempDir } from '../helpers/resources.js';

export { freePort, tempDir };

/** A regtest address (P2WPKH of a made-up key hash). */
export const PAYOUT_ADDRESS = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';

export interface DevnetProcess {
  proc: RoleProcess;
  port: number;
  rpc: BitcoinRpc;
  url: string;
  cookie: string;
}

export async function startDevnet(dir: string, port = 0, extra: string[] = []): Promise<DevnetProcess> {
  const proc = startRole(['devnet', '--rpc-port', String(port), '--data-dir', dir, ...extra]);
  const rec = await waitReady(proc);
  const actual = Number(rec.port);
  const url = `http://127.0.0.1:${actual}`;
  const cookie = join(dir, '.cookie');
  const rpc = new BitcoinRpc({ url, auth: { cookieFile: cookie }, retry: { attempts: 1 } });
  return { proc, port: actual, rpc, url, cookie };
}

export interface Keys {
  publicKey: string;
  publicPath: string;
  secretPath: string;
}

export function makeKeys(dir: string): Keys {
  return writeAuthorityKeyPair({ outDir: dir, name: 'tp-authority', force: false });
}

/** Runs `strata tp ...args` (JSON logs) and waits for its "listening" record. */
export async function startTp(
  devnet: { url: string; cookie: string },
  keys: Keys,
  extra: string[] = [],
): Promise<{ proc: RoleProcess; port: number }> {
  const args = [
    '--listen',
    '127.0.0.1:0',
    '--rpc-url',
    devnet.url,
    '--rpc-cookie',
    devnet.cookie,
    '--authority-secret-key',
    keys.secretPath,
    '--authority-public-key',
    keys.publicPath,
    '--network',
    'devnet',
    ...extra,
  ];
  const proc = spawnTp(args);
  const rec = await waitReady(proc);
  return { proc, port: Number(rec.port) };
}

export function spawnTp(args: string[]): RoleProcess {
  return startNode(roleArgv('tp', args));
}

export interface DevnetWithKeys {
  dir: string;
  devnet: DevnetProcess;
  keys: Keys;
}

/** A temporary directory holding a devnet process and TP authority keys; all gone when `t` ends. */
export async function startDevnetWithKeys(
  t: TestContext,
  devnetExtra: string[] = [],
): Promise<DevnetWithKeys> {
  const dir = tempDir(t);
  const devnet = await startDevnet(dir, 0, devnetExtra);
  t.after(() => devnet.proc.stop());
  return { dir, devnet, keys: makeKeys(dir) };
}

/** startDevnetWithKeys plus a `strata tp` process on them, stopped when `t` ends. */
export async function startDevnetAndTp(
  t: TestContext,
  opts: { devnet?: string[]; tp?: string[] } = {},
): Promise<DevnetWithKeys & { tp: { proc: RoleProcess; port: number } }> {
  const base = await startDevnetWithKeys(t, opts.devnet);
  const tp = await startTp(base.devnet, base.keys, opts.tp);
  t.after(() => tp.proc.stop());
  return { ...base, tp };
}

type Event =
  | { kind: 'template'; msg: NewTemplateMsg }
  | { kind: 'prevhash'; msg: SetNewPrevHashTdpMsg }
  | { kind: 'connected' }
  | { kind: 'disconnected'; reason: string };

/** A TdpClient whose events are recorded and can be awaited in order. */
export class RecordingClient {
  readonly client: TdpClient;
  readonly templates = new Map<bigint, NewTemplateMsg>();
  readonly #inbox = new Inbox<Event>();

  /** Every event so far, in arrival order. */
  get events(): readonly Event[] {
    return this.#inbox.items;
  }

  constructor(opts: TdpClientOptions) {
    this.client = new TdpClient(opts);
    const push = (e: Event) => this.#inbox.push(e);
    this.client.on('template', (msg) => {
      this.templates.set(msg.template_id, msg);
      push({ kind: 'template', msg });
    });
    this.client.on('prevhash', (msg) => push({ kind: 'prevhash', msg }));
    this.client.on('connected', () => push({ kind: 'connected' }));
    this.client.on('disconnected', ({ reason }) => push({ kind: 'disconnected', reason }));
  }

  /** The next event after the last one returned that matches `pred` (earlier non-matching ones are skipped). */
  next<E extends Event>(pred: (e: Event) => e is E, timeoutMs = 20_000): Promise<E> {
    return this.#inbox.next<E>(
      pred,
      timeoutMs,
      () => `timed out; events so far: ${this.events.map((e) => e.kind).join(',')}`,
    );
  }

  nextTemplate(
    pred: (m: NewTemplateMsg) => boolean = () => true,
    timeoutMs?: number,
  ): Promise<NewTemplateMsg> {
    return this.next(
      (e): e is { kind: 'template'; msg: NewTemplateMsg } => e.kind === 'template' && pred(e.msg),
      timeoutMs,
    ).then((e) => e.msg);
  }

  nextPrevHash(timeoutMs?: number): Promise<SetNewPrevHashTdpMsg> {
    return this.next(
      (e): e is { kind: 'prevhash'; msg: SetNewPrevHashTdpMsg } => e.kind === 'prevhash',
      timeoutMs,
    ).then((e) => e.msg);
  }

  count(kind: Event['kind']): number {
    return this.events.filter((e) => e.kind === kind).length;
  }
}

export const DEFAULT_CONSTRAINTS = {
  coinbase_output_max_additional_size: 100,
  coinbase_output_max_additional_sigops: 4,
};

/** A connected recording client pinned to the TP's key; closed when the test ends. */
export async function connectClient(
  t: TestContext | undefined,
  port: number,
  keys: Keys,
  extra: Partial<TdpClientOptions> = {},
): Promise<RecordingClient> {
  const rc = new RecordingClient({
    host: '127.0.0.1',
    port,
    security: { kind: 'noise', authorityPublicKey: loadAuthorityPublicKey(keys.publicPath) },
    constraints: DEFAULT_CONSTRAINTS,
    reconnect: { initialDelayMs: 100, maxDelayMs: 1000 },
    ...extra,
  });
  t?.after(() => rc.client.close());
  rc.client.start();
  await rc.client.waitConnected();
  return rc;
}

let extranonceCounter = 0;

/**
 * Builds a coinbase paying the whole value to PAYOUT_ADDRESS with the
 * template's outputs last, and searches the nonce against the SetNewPrevHash
 * target: the SubmitSolution a pool would send.
 */
export function solve(tpl: NewTemplateMsg, prev: SetNewPrevHashTdpMsg): SubmitSolutionMsg {
  extranonceCounter++;
  const extranonce = Uint8Array.of(extranonceCounter & 0xff, (extranonceCounter >> 8) & 0xff, 0x17, 0x71);
  const parts = buildCoinbase({
    coinbase_tx_version: tpl.coinbase_tx_version,
    coinbase_prefix: tpl.coinbase_prefix,
    extranonce_size: extranonce.length,
    coinbase_tx_input_sequence: tpl.coinbase_tx_input_sequence,
    payout_outputs: [
      { value: tpl.coinbase_tx_value_remaining, script: addressToScript(PAYOUT_ADDRESS, NETWORKS.regtest) },
    ],
    template_outputs: parseOutputs(tpl.coinbase_tx_outputs, tpl.coinbase_tx_outputs_count),
    coinbase_tx_locktime: tpl.coinbase_tx_locktime,
  });
  const coinbase = assembleCoinbase(parts.witness_prefix, extranonce, parts.witness_suffix);
  const header: BlockHeader = {
    version: tpl.version,
    prev_hash: prev.prev_hash,
    merkle_root: foldMerklePath(
      coinbaseTxid(parts.coinbase_tx_prefix, extranonce, parts.coinbase_tx_suffix),
      tpl.merkle_path,
    ),
    time: prev.header_timestamp,
    bits: prev.nBits,
    nonce: 0,
  };
  const target = u256FromLE(prev.target);
  for (let i = 0; i < 100_000 && !hashMeetsTarget(blockHash(header), target); i++) header.nonce++;
  return {
    type: 'SubmitSolution',
    template_id: tpl.template_id,
    version: header.version,
    header_timestamp: header.time,
    header_nonce: header.nonce,
    coinbase_tx: coinbase,
  };
}
