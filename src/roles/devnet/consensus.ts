// Regtest consensus parameters as Bitcoin Core defines them: genesis block,
// fixed nBits (no retargeting), subsidy halving every 150 blocks, BIP34
// height encoding, proof-of-work arithmetic.
import { encodeHeader, merkleRoot, type Block, type Header } from './block.js';
import { txInfo, type Tx } from './tx.js';
import { sha256d } from './wire.js';

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

/** Expands compact nBits to the 256-bit target; null for negative or overflowing encodings. */
export function bitsToTarget(bits: number): bigint | null {
  const exponent = bits >>> 24;
  const mantissa = bits & 0x007fffff;
  if (bits & 0x00800000 && mantissa !== 0) return null;
  const target =
    exponent <= 3
      ? BigInt(mantissa >>> (8 * (3 - exponent)))
      : BigInt(mantissa) << BigInt(8 * (exponent - 3));
  if (target >> 256n !== 0n) return null;
  return target;
}

export const POW_LIMIT = bitsToTarget(REGTEST_BITS)!;

/** Header hash (internal byte order) as the little-endian 256-bit number compared with the target. */
export function hashToBigInt(hashInternal: Buffer): bigint {
  return BigInt('0x' + Buffer.from(hashInternal).reverse().toString('hex'));
}

/** Expected number of hashes for a target, as Core's chainwork counts it. */
export function blockWork(bits: number): bigint {
  const target = bitsToTarget(bits);
  if (target === null || target === 0n) return 0n;
  return (1n << 256n) / (target + 1n);
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
  return (bitsToTarget(bits) ?? 0n).toString(16).padStart(64, '0');
}

export function blockSubsidy(height: number): bigint {
  const halvings = Math.floor(height / HALVING_INTERVAL);
  if (halvings >= 64) return 0n;
  return (50n * COIN) >> BigInt(halvings);
}

/** Minimal script-number encoding (little-endian magnitude, sign bit on the last byte). */
export function scriptNum(n: number): Buffer {
  if (n === 0) return Buffer.alloc(0);
  const neg = n < 0;
  let abs = Math.abs(n);
  const out: number[] = [];
  while (abs > 0) {
    out.push(abs & 0xff);
    abs = Math.floor(abs / 256);
  }
  if (out[out.length - 1]! & 0x80) out.push(neg ? 0x80 : 0);
  else if (neg) out[out.length - 1]! |= 0x80;
  return Buffer.from(out);
}

/** `CScript() << height`: OP_0, OP_1..OP_16, or a push of the script number. BIP34's required prefix. */
export function bip34HeightScript(height: number): Buffer {
  if (height === 0) return Buffer.from([0x00]);
  if (height >= 1 && height <= 16) return Buffer.from([0x50 + height]);
  const num = scriptNum(height);
  return Buffer.concat([Buffer.from([num.length]), num]);
}

function push(data: Buffer): Buffer {
  if (data.length > 75) throw new Error('push helper only handles short pushes');
  return Buffer.concat([Buffer.from([data.length]), data]);
}

/**
 * Bitcoin Core's regtest genesis: the mainnet genesis coinbase (the Times
 * headline, 50 BTC to Satoshi's key) under regtest's time, bits and nonce.
 */
export function regtestGenesis(): Block {
  const headline = Buffer.from(
    'The Times 03/Jan/2009 Chancellor on brink of second bailout for banks',
    'ascii',
  );
  const pubkey = Buffer.from(
    '04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb6' +
      '49f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f',
    'hex',
  );
  const coinbase: Tx = {
    version: 1,
    inputs: [
      {
        prevTxid: Buffer.alloc(32),
        prevVout: 0xffffffff,
        // nBits 0x1d00ffff as a 4-byte push, then the number 4, then the headline.
        scriptSig: Buffer.concat([
          push(Buffer.from('ffff001d', 'hex')),
          push(Buffer.from([4])),
          push(headline),
        ]),
        sequence: 0xffffffff,
        witness: [],
      },
    ],
    outputs: [
      { value: 50n * COIN, scriptPubKey: Buffer.concat([Buffer.from([65]), pubkey, Buffer.from([0xac])]) },
    ],
    locktime: 0,
  };
  const info = txInfo(coinbase);
  const header: Header = {
    version: 1,
    prevHash: Buffer.alloc(32),
    merkleRoot: merkleRoot([info.txid]),
    time: 1296688602,
    bits: REGTEST_BITS,
    nonce: 2,
  };
  const raw = Buffer.concat([encodeHeader(header), Buffer.from([1]), info.raw]);
  return { header, txs: [info], raw, hash: sha256d(encodeHeader(header)) };
}
