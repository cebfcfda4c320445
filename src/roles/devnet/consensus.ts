// Regtest consensus parameters as Bitcoin Core defines them: genesis block,
// fixed nBits (no retargeting), subsidy halving every 150 blocks, and the
// figures RPC reports from nBits (chainwork, difficulty, target).
import {
  HEADER_SIZE,
  OP_CHECKSIG,
  bitsToTarget,
  encodeBip34Height,
  encodeScriptNum,
  headerHash,
  hexToBytes,
  pushData,
  type Transaction,
} from '../../bitcoin/index.js';
import { encodeBlock, merkleRoot, type Block, type Header } from './block.js';
import { asBuffer, txInfo } from './tx.js';

export const REGTEST_BITS = 0x207fffff;
export const HALVING_INTERVAL = 150;
export const COIN = 100_000_000n;
export const MAX_BLOCK_WEIGHT = 4_000_000;
export const MAX_BLOCK_SIGOPS_COST = 80_000;
/** A block's time may run at most this far ahead of the node's clock. */
export const MAX_FUTURE_BLOCK_TIME = 2 * 60 * 60;
/** Median-time-past window. */
export const MTP_SPAN = 11;
export const BLOCK_VERSION = 0x20000000;
/** Bitcoin Core's regtest genesis hash (display order). */
export const REGTEST_GENESIS_HASH = '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206';

/** The target of nBits, or null for encodings that are negative, overflow or zero. */
export function targetOf(bits: number): bigint | null {
  try {
    return bitsToTarget(bits);
  } catch {
    return null;
  }
}

export const POW_LIMIT = bitsToTarget(REGTEST_BITS);

/** Expected number of hashes for a target, as Core's chainwork counts it. */
export function blockWork(bits: number): bigint {
  const target = targetOf(bits);
  return target === null ? 0n : (1n << 256n) / (target + 1n);
}

/** Difficulty relative to the difficulty-1 target (0x1d00ffff), as getblockchaininfo reports it. */
export function difficulty(bits: number): number {
  let shift = (bits >>> 24) & 0xff;
  let diff = 0x0000ffff / (bits & 0x00ffffff);
  while (shift < 29) {
    diff *= 256;
    shift++;
  }
  while (shift > 29) {
    diff /= 256;
    shift--;
  }
  return diff;
}

export function targetHex(bits: number): string {
  return (targetOf(bits) ?? 0n).toString(16).padStart(64, '0');
}

export function blockSubsidy(height: number): bigint {
  const halvings = Math.floor(height / HALVING_INTERVAL);
  if (halvings >= 64) return 0n;
  return (50n * COIN) >> BigInt(halvings);
}

/** Minimal script-number encoding, as a Buffer. */
export function scriptNum(n: number): Buffer {
  return asBuffer(encodeScriptNum(n));
}

/** BIP34's required coinbase prefix (`CScript() << height`), as a Buffer. */
export function bip34HeightScript(height: number): Buffer {
  return asBuffer(encodeBip34Height(height));
}

/**
 * Bitcoin Core's regtest genesis: the mainnet genesis coinbase (the Times
 * headline, 50 BTC to Satoshi's key) under regtest's time, bits and nonce.
 */
export function regtestGenesis(): Block {
  const headline = new TextEncoder().encode(
    'The Times 03/Jan/2009 Chancellor on brink of second bailout for banks',
  );
  const pubkey = hexToBytes(
    '04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb6' +
      '49f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f',
  );
  const coinbase: Transaction = {
    version: 1,
    inputs: [
      {
        prev_txid: new Uint8Array(32),
        prev_index: 0xffffffff,
        // nBits 0x1d00ffff as a 4-byte push, then the number 4, then the headline.
        script_sig: Uint8Array.of(
          ...pushData(hexToBytes('ffff001d')),
          ...pushData(Uint8Array.of(4)),
          ...pushData(headline),
        ),
        sequence: 0xffffffff,
        witness: [],
      },
    ],
    outputs: [{ value: 50n * COIN, script: Uint8Array.of(...pushData(pubkey), OP_CHECKSIG) }],
    locktime: 0,
  };
  const info = txInfo(coinbase);
  const header: Header = {
    version: 1,
    prevHash: new Uint8Array(32),
    merkleRoot: merkleRoot([info.txid]),
    time: 1296688602,
    bits: REGTEST_BITS,
    nonce: 2,
  };
  const raw = encodeBlock(header, [info]);
  return { header, txs: [info], raw, hash: headerHash(raw.subarray(0, HEADER_SIZE)) };
}
