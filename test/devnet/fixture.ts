// Shared by the devnet tests: an in-process devnet on a random loopback port
// with its log captured, and blocks built from its getblocktemplate with the
// bitcoin layer's coinbase builder (an implementation independent of the
// devnet's own checks), mined on the CPU against the regtest target.
import type { TestContext } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  NETWORKS,
  addressToScript,
  assembleCoinbase,
  bitsToTarget,
  blockHash,
  buildCoinbase,
  coinbaseTxid,
  encodeBip34Height,
  fromDisplayHex,
  hashMeetsTarget,
  bytesToHex,
  hexToBytes,
  merkleRoot,
  parseTransaction,
  serializeHeader,
  toDisplayHex,
  txid,
  concatBytes,
  encodeCompactSize,
  type BlockHeader,
  type TxOutput,
} from '../../src/bitcoin/index.js';
import { createLogger } from '../../src/log.js';
import { BitcoinRpc } from '../../src/rpc/index.js';
import type { BlockTemplate } from '../../src/rpc/index.js';
import { Devnet, type DevnetOptions } from '../../src/roles/devnet/index.js';

/** A regtest address (P2WPKH of a fixed, made-up key hash). */
export const PAYOUT_ADDRESS = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';

export interface Harness {
  node: Devnet;
  rpc: BitcoinRpc;
  dir: string;
  logs: Record<string, unknown>[];
  url: string;
}

export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-devnet-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts a devnet in this process; it is stopped when the test ends, pass or fail. */
export async function startDevnet(t: TestContext, opts: Partial<DevnetOptions> = {}): Promise<Harness> {
  const dir = opts.dataDir ?? tempDir(t);
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({
    role: 'devnet',
    level: 'debug',
    stream: { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const node = new Devnet({
    rpcBind: '127.0.0.1',
    rpcPort: 0,
    dataDir: dir,
    txPerMinute: 0,
    maxMempoolTxs: 5000,
    longpollMaxWaitSecs: 60,
    logger,
    ...opts,
  });
  t.after(() => node.stop());
  const { port } = await node.start();
  const url = `http://127.0.0.1:${port}`;
  const auth =
    opts.rpcUser && opts.rpcPassword
      ? { user: opts.rpcUser, password: opts.rpcPassword }
      : { cookieFile: join(dir, '.cookie') };
  const rpc = new BitcoinRpc({ url, auth, retry: { attempts: 1 } });
  return { node, rpc, dir, logs, url };
}

export interface BlockRecipe {
  version: number;
  prevHash: string;
  time: number;
  bits: number;
  height: number;
  /** The BIP34 push (what CScript() << height writes). */
  heightPush: Uint8Array;
  /** Bytes after the height push in the scriptSig (keeps blocks distinct). */
  extranonce: Uint8Array;
  payoutValue: bigint;
  payoutScript: Uint8Array;
  /** Outputs after the payout: the template's witness commitment. */
  templateOutputs: TxOutput[];
  /** Raw non-coinbase transactions, in block order. */
  txs: Uint8Array[];
  /** Replaces the computed merkle root. */
  merkleRoot?: Uint8Array;
}

let counter = 0;

export function recipeFromTemplate(tpl: BlockTemplate): BlockRecipe {
  counter++;
  return {
    version: tpl.version,
    prevHash: tpl.previousblockhash,
    time: tpl.curtime,
    bits: parseInt(tpl.bits, 16),
    height: tpl.height,
    heightPush: encodeBip34Height(tpl.height),
    extranonce: Uint8Array.of(counter & 0xff, (counter >> 8) & 0xff, 0x5a, 0xa5),
    payoutValue: BigInt(tpl.coinbasevalue),
    payoutScript: addressToScript(PAYOUT_ADDRESS, NETWORKS.regtest),
    templateOutputs: tpl.default_witness_commitment
      ? [{ value: 0n, script: hexToBytes(tpl.default_witness_commitment) }]
      : [],
    txs: tpl.transactions.map((tx) => hexToBytes(tx.data)),
  };
}

export interface BuiltBlock {
  hex: string;
  /** Display hex. */
  hash: string;
  header: BlockHeader;
}

/** Serializes the block; mines it (nonce search) unless `mine` is false. */
export function buildBlock(r: BlockRecipe, mine = true): BuiltBlock {
  const parts = buildCoinbase({
    coinbase_tx_version: 2,
    coinbase_prefix: r.heightPush,
    extranonce_size: r.extranonce.length,
    coinbase_tx_input_sequence: 0xffffffff,
    payout_outputs: [{ value: r.payoutValue, script: r.payoutScript }],
    template_outputs: r.templateOutputs,
    coinbase_tx_locktime: 0,
  });
  const coinbase = assembleCoinbase(parts.witness_prefix, r.extranonce, parts.witness_suffix);
  const cbTxid = coinbaseTxid(parts.coinbase_tx_prefix, r.extranonce, parts.coinbase_tx_suffix);
  const txids = [cbTxid, ...r.txs.map((raw) => txid(parseTransaction(raw)))];
  const header: BlockHeader = {
    version: r.version,
    prev_hash: fromDisplayHex(r.prevHash),
    merkle_root: r.merkleRoot ?? merkleRoot(txids),
    time: r.time,
    bits: r.bits,
    nonce: 0,
  };
  if (mine) {
    const target = bitsToTarget(r.bits);
    for (let i = 0; i < 10_000 && !hashMeetsTarget(blockHash(header), target); i++) header.nonce++;
  }
  const raw = concatBytes(serializeHeader(header), encodeCompactSize(1 + r.txs.length), coinbase, ...r.txs);
  return { hex: bytesToHex(raw), hash: toDisplayHex(blockHash(header)), header };
}

/** Re-searches the nonce for a header whose hash does NOT meet the regtest target. */
export function unmineBlock(b: BuiltBlock): BuiltBlock {
  const header = { ...b.header };
  const target = bitsToTarget(header.bits);
  for (let i = 0; i < 10_000 && hashMeetsTarget(blockHash(header), target); i++) header.nonce++;
  const raw = hexToBytes(b.hex);
  raw.set(serializeHeader(header), 0);
  return { hex: bytesToHex(raw), hash: toDisplayHex(blockHash(header)), header };
}

export async function template(rpc: BitcoinRpc): Promise<BlockTemplate> {
  return rpc.getblocktemplate();
}

/** Mines one block on the current template and submits it; returns the verdict and the block. */
export async function mineOne(
  rpc: BitcoinRpc,
  tweak?: (r: BlockRecipe) => void,
): Promise<{ result: string | null; block: BuiltBlock }> {
  const recipe = recipeFromTemplate(await template(rpc));
  tweak?.(recipe);
  const block = buildBlock(recipe);
  return { result: await rpc.submitblock(block.hex), block };
}
