// The bitcoind RPC calls the devnet answers, with Bitcoin Core's parameter
// names, result shapes, error codes and messages.
import { hexToBytes, parseTransaction, toDisplayHex } from '../../bitcoin/index.js';
import { addressToScript, outputToScript } from './address.js';
import { decodeBlock, type Block } from './block.js';
import type { BlockEntry } from './chain.js';
import { REGTEST_BITS, blockSubsidy, difficulty, targetHex } from './consensus.js';
import { blockJson, btc, headerHex, headerJson, txJson } from './json.js';
import type { MempoolEntry } from './mempool.js';
import { buildCoinbase, mineBlock } from './miner.js';
import type { Devnet } from './node.js';
import { RPC_ERR, RpcFailure, type RpcMethod } from './rpc-server.js';
import { txInfo, type TxInfo } from './tx.js';

const MAX_GENERATE_TRIES = 1_000_000;
/** A block hash or txid as RPC takes it: 64 hex digits, either case. */
const HASH_HEX = /^[0-9a-fA-F]{64}$/;

function fail(code: number, message: string): never {
  throw new RpcFailure(code, message);
}

function str(v: unknown, name: string): string {
  if (typeof v !== 'string')
    fail(
      RPC_ERR.TYPE,
      `JSON value of type ${v === undefined ? 'null' : typeof v} for ${name} is not of expected type string`,
    );
  return v;
}

function int(v: unknown, name: string, dflt?: number): number {
  if (v === undefined || v === null) {
    if (dflt === undefined) fail(RPC_ERR.TYPE, `Missing required argument ${name}`);
    return dflt;
  }
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(RPC_ERR.TYPE, `${name} is not an integer`);
  return v;
}

function bool(v: unknown, dflt: boolean): boolean {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  fail(RPC_ERR.TYPE, 'expected bool');
}

function hash(v: unknown, name: string): string {
  const s = str(v, name);
  if (!HASH_HEX.test(s))
    fail(RPC_ERR.INVALID_PARAMETER, `${name} must be of length 64 (not ${s.length}, for '${s}')`);
  return s.toLowerCase();
}

function mempoolEntryJson(d: Devnet, e: MempoolEntry): Record<string, unknown> {
  const fee = btc(e.fee);
  return {
    vsize: e.info.vsize,
    weight: e.info.weight,
    time: e.time,
    height: e.height,
    descendantcount: 1,
    descendantsize: e.info.vsize,
    ancestorcount: 1,
    ancestorsize: e.info.vsize,
    wtxid: toDisplayHex(e.info.wtxid),
    fees: { base: fee, modified: fee, ancestor: fee, descendant: fee },
    depends: [],
    spentby: [],
    'bip125-replaceable': true,
    unbroadcast: false,
    ...(d.chain.knownFees.has(e.txidHex)
      ? {}
      : { note: 'fee unknown to devnet (no UTXO set), counted as 0' }),
  };
}

export function buildMethods(d: Devnet): Map<string, RpcMethod> {
  const m = new Map<string, RpcMethod>();
  const def = (name: string, params: string[], run: RpcMethod['run']) => m.set(name, { params, run });
  const chain = d.chain;

  const findBlock = (v: unknown, name = 'blockhash'): BlockEntry =>
    chain.find(hash(v, name)) ?? fail(RPC_ERR.INVALID_ADDRESS_OR_KEY, 'Block not found');

  /** Mines `count` blocks paying `script` with the given (or mempool) transactions. */
  const generate = (
    count: number,
    script: Uint8Array,
    picked?: TxInfo[],
    submit = true,
    maxTries = MAX_GENERATE_TRIES,
  ) => {
    const hashes: { hash: string; hex: string }[] = [];
    for (let i = 0; i < count; i++) {
      const height = chain.height + 1;
      let txs: TxInfo[];
      let fees = 0n;
      if (picked) {
        txs = picked;
        for (const t of picked) fees += chain.knownFees.get(toDisplayHex(t.txid)) ?? 0n;
      } else {
        const sel = d.templates.selection();
        txs = sel.entries.map((e) => e.info);
        fees = sel.fees;
      }
      const coinbase = buildCoinbase(height, script, blockSubsidy(height) + fees, txs);
      const time = Math.max(d.clock(), chain.tip.medianTimePast + 1);
      const mined = mineBlock(chain.tip.block.hash, height, time, coinbase, txs, maxTries);
      if (!mined) break;
      const blockHash = toDisplayHex(decodeBlock(mined.raw).hash);
      if (submit) {
        const result = d.submitBlock(decodeBlock(mined.raw));
        if (result !== null) fail(RPC_ERR.INTERNAL, `ProcessNewBlock, block not accepted: ${result}`);
      }
      hashes.push({ hash: blockHash, hex: mined.raw.toString('hex') });
    }
    return hashes;
  };

  /** BIP23 block proposal: the verdict on a block built on the current tip, without storing it. */
  const propose = (data: string, checkPow: boolean): string | null => {
    let block: Block;
    try {
      block = decodeBlock(hexToBytes(data));
    } catch {
      fail(RPC_ERR.DESERIALIZATION, 'Block decode failed');
    }
    const known = chain.find(toDisplayHex(block.hash));
    if (known) return known.invalid ? 'duplicate-invalid' : 'duplicate';
    if (toDisplayHex(block.header.prevHash) !== chain.tip.hashHex) return 'inconclusive-not-best-prevblk';
    return chain.check(block, chain.tip, false, checkPow);
  };

  def('getblocktemplate', ['template_request'], async (args, ctx) => {
    const req = (args[0] ?? {}) as Record<string, unknown>;
    if (typeof req !== 'object' || Array.isArray(req))
      fail(RPC_ERR.TYPE, 'template_request must be an object');
    const mode = req.mode ?? 'template';
    if (mode === 'proposal') return propose(str(req.data, 'data'), true);
    if (mode !== 'template') fail(RPC_ERR.INVALID_PARAMETER, 'Invalid mode');
    const rules = Array.isArray(req.rules) ? req.rules : [];
    if (!rules.includes('segwit')) {
      fail(
        RPC_ERR.INVALID_PARAMETER,
        'getblocktemplate must be called with the segwit rule set (call with {"rules": ["segwit"]})',
      );
    }
    if (req.longpollid !== undefined) await d.waitForChange(str(req.longpollid, 'longpollid'), ctx.signal);
    return d.templates.template(d.clock());
  });

  def('submitblock', ['hexdata', 'dummy'], (args) => {
    const data = str(args[0], 'hexdata');
    let block: Block;
    try {
      block = decodeBlock(hexToBytes(data));
    } catch (err) {
      d.log.warn({ reason: 'Block decode failed', detail: (err as Error).message }, 'block rejected');
      fail(RPC_ERR.DESERIALIZATION, 'Block decode failed');
    }
    return d.submitBlock(block);
  });

  // Not a Bitcoin Core call: proposal checks with the option to skip proof of
  // work, so a declared job can be checked before anyone mines it.
  def('testblockvalidity', ['hexdata', 'check_pow'], (args) =>
    propose(str(args[0], 'hexdata'), bool(args[1], true)),
  );

  def('getblockchaininfo', [], () => {
    const tip = chain.tip;
    return {
      chain: 'regtest',
      blocks: chain.height,
      headers: chain.headers,
      bestblockhash: tip.hashHex,
      bits: REGTEST_BITS.toString(16).padStart(8, '0'),
      target: targetHex(REGTEST_BITS),
      difficulty: difficulty(tip.block.header.bits),
      time: tip.block.header.time,
      mediantime: tip.medianTimePast,
      verificationprogress: 1,
      initialblockdownload: false,
      chainwork: tip.chainWork.toString(16).padStart(64, '0'),
      size_on_disk: d.store.size(),
      pruned: false,
      warnings: ['Strata devnet: a development node with regtest consensus, not Bitcoin Core'],
    };
  });

  def('getbestblockhash', [], () => chain.tip.hashHex);
  def('getblockcount', [], () => chain.height);
  def('getdifficulty', [], () => difficulty(chain.tip.block.header.bits));
  def('getblockhash', ['height'], (args) => {
    const h = int(args[0], 'height');
    return chain.at(h)?.hashHex ?? fail(RPC_ERR.INVALID_PARAMETER, 'Block height out of range');
  });

  def('getblockheader', ['blockhash', 'verbose'], (args) => {
    const e = findBlock(args[0]);
    return bool(args[1], true) ? headerJson(chain, e) : headerHex(e);
  });

  def('getblock', ['blockhash', 'verbosity'], (args) => {
    const e = findBlock(args[0]);
    const v = typeof args[1] === 'boolean' ? (args[1] ? 1 : 0) : int(args[1], 'verbosity', 1);
    if (v <= 0) return e.block.raw.toString('hex');
    return blockJson(chain, e, v);
  });

  def('getchaintips', [], () => {
    const hasChild = new Set<BlockEntry>();
    for (const e of chain.entries.values()) if (e.parent) hasChild.add(e.parent);
    const tips = [...chain.entries.values()].filter((e) => !hasChild.has(e));
    return tips.map((e) => {
      let fork = e;
      while (!chain.isActive(fork)) fork = fork.parent!;
      return {
        height: e.height,
        hash: e.hashHex,
        branchlen: e.height - fork.height,
        status: chain.isActive(e) ? 'active' : e.invalid ? 'invalid' : 'valid-fork',
      };
    });
  });

  def('getrawmempool', ['verbose', 'mempool_sequence'], (args) => {
    const verbose = bool(args[0], false);
    const seqToo = bool(args[1], false);
    if (verbose && seqToo)
      fail(RPC_ERR.INVALID_PARAMETER, 'Verbose results cannot contain mempool sequence values.');
    if (verbose) {
      const out: Record<string, unknown> = {};
      for (const e of d.mempool.entries.values()) out[e.txidHex] = mempoolEntryJson(d, e);
      return out;
    }
    const ids = [...d.mempool.entries.keys()];
    return seqToo ? { txids: ids, mempool_sequence: d.mempool.sequence } : ids;
  });

  def('getmempoolentry', ['txid'], (args) => {
    const e =
      d.mempool.get(hash(args[0], 'txid')) ??
      fail(RPC_ERR.INVALID_ADDRESS_OR_KEY, 'Transaction not in mempool');
    return mempoolEntryJson(d, e);
  });

  def('getmempoolinfo', [], () => {
    let bytes = 0;
    let fees = 0n;
    for (const e of d.mempool.entries.values()) {
      bytes += e.info.vsize;
      fees += e.fee;
    }
    return {
      loaded: true,
      size: d.mempool.size,
      bytes,
      usage: bytes,
      total_fee: btc(fees),
      maxmempool: d.mempool.maxTxs,
      mempoolminfee: 0.00001,
      minrelaytxfee: 0.00001,
      unbroadcastcount: 0,
    };
  });

  def('getrawtransaction', ['txid', 'verbosity', 'blockhash'], (args) => {
    const id = hash(args[0], 'txid');
    const verbose = typeof args[1] === 'boolean' ? args[1] : int(args[1], 'verbosity', 0) > 0;
    let where: BlockEntry | undefined;
    if (args[2] !== undefined && args[2] !== null) where = findBlock(args[2]);
    const pooled = where ? undefined : d.mempool.get(id);
    const block = pooled ? undefined : (where ?? chain.txIndex.get(id));
    const info = pooled?.info ?? block?.block.txs.find((t) => toDisplayHex(t.txid) === id);
    if (!info) {
      fail(
        RPC_ERR.INVALID_ADDRESS_OR_KEY,
        where
          ? 'No such transaction found in the provided block.'
          : 'No such mempool or blockchain transaction.',
      );
    }
    if (!verbose) return info.raw.toString('hex');
    const json = txJson(info);
    if (!block) return json;
    const active = chain.isActive(block);
    return {
      ...json,
      blockhash: block.hashHex,
      confirmations: active ? chain.height - block.height + 1 : 0,
      time: block.block.header.time,
      blocktime: block.block.header.time,
      ...(where ? { in_active_chain: active } : {}),
    };
  });

  def('generatetoaddress', ['nblocks', 'address', 'maxtries'], (args) => {
    const n = int(args[0], 'nblocks');
    const script = addressToScript(str(args[1], 'address'));
    if (!script) fail(RPC_ERR.INVALID_ADDRESS_OR_KEY, 'Error: Invalid address');
    return generate(n, script, undefined, true, int(args[2], 'maxtries', MAX_GENERATE_TRIES)).map(
      (b) => b.hash,
    );
  });

  def('generatetodescriptor', ['num_blocks', 'descriptor', 'maxtries'], (args) => {
    const n = int(args[0], 'num_blocks');
    const script = outputToScript(str(args[1], 'descriptor'));
    if (!script) fail(RPC_ERR.INVALID_ADDRESS_OR_KEY, 'Error: Invalid descriptor');
    return generate(n, script, undefined, true, int(args[2], 'maxtries', MAX_GENERATE_TRIES)).map(
      (b) => b.hash,
    );
  });

  def('generateblock', ['output', 'transactions', 'submit'], (args) => {
    const script = outputToScript(str(args[0], 'output'));
    if (!script) fail(RPC_ERR.INVALID_ADDRESS_OR_KEY, 'Error: Invalid address or descriptor');
    const list = args[1];
    if (!Array.isArray(list)) fail(RPC_ERR.TYPE, 'transactions must be an array');
    const txs: TxInfo[] = list.map((item: unknown) => {
      const s = str(item, 'transactions');
      if (HASH_HEX.test(s)) {
        const e = d.mempool.get(s.toLowerCase());
        if (!e) fail(RPC_ERR.INVALID_ADDRESS_OR_KEY, `Transaction ${s} not in mempool.`);
        return e.info;
      }
      try {
        const raw = hexToBytes(s);
        return txInfo(parseTransaction(raw), raw);
      } catch {
        fail(
          RPC_ERR.DESERIALIZATION,
          `Transaction decode failed for ${s}. Make sure the tx has at least one input.`,
        );
      }
    });
    const submit = bool(args[2], true);
    const [mined] = generate(1, script, txs, submit);
    if (!mined) fail(RPC_ERR.MISC, 'Failed to make block.');
    return submit ? { hash: mined.hash } : { hash: mined.hash, hex: mined.hex };
  });

  def('invalidateblock', ['blockhash'], (args) => {
    const e = findBlock(args[0]);
    if (e.height === 0) fail(RPC_ERR.MISC, 'Cannot invalidate the genesis block');
    d.invalidate(e);
    return null;
  });

  def('reconsiderblock', ['blockhash'], (args) => {
    d.reconsider(findBlock(args[0]));
    return null;
  });

  def('getnetworkinfo', [], () => ({
    version: 0,
    subversion: '/Strata-devnet/',
    protocolversion: 70016,
    localservices: '0000000000000000',
    localrelay: true,
    networkactive: true,
    connections: 0,
    connections_in: 0,
    connections_out: 0,
    relayfee: 0.00001,
    incrementalfee: 0.00001,
    warnings: ['Strata devnet: a development node with regtest consensus, not Bitcoin Core'],
  }));

  def('uptime', [], () => Math.floor((Date.now() - d.startedAt) / 1000));

  def('stop', [], () => {
    // Answer first, then stop: the reply must leave before the server closes.
    setTimeout(() => d.onStopRequested(), 50).unref();
    return 'Strata devnet stopping';
  });

  def('help', ['command'], () => [...m.keys()].sort().join('\n'));
  return m;
}
